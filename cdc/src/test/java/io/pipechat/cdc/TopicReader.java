package io.pipechat.cdc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a whole topic from its beginning, without a consumer group; remembers what it saw. */
public final class TopicReader implements AutoCloseable {
    /** A record as received, with the local time it arrived. */
    public record Received(String key, String value, long timestamp, long receivedNanos) {
    }

    private final KafkaConsumer<String, String> consumer;
    private final List<Received> seen = new ArrayList<>();

    public TopicReader(String bootstrapServers, String topic) {
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new StringDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Polls until {@code done} holds for everything seen so far; fails after {@code timeout}. */
    public List<Received> awaitUntil(Predicate<List<Received>> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(seen)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + "; seen: " + seen);
            }
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(20))) {
                seen.add(new Received(r.key(), r.value(), r.timestamp(), System.nanoTime()));
            }
        }
        return List.copyOf(seen);
    }

    public List<Received> awaitCount(int count, Duration timeout) {
        return awaitUntil(s -> s.size() >= count, timeout);
    }

    public List<Received> seen() {
        return List.copyOf(seen);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
