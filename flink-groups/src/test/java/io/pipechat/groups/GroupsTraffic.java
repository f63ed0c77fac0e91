package io.pipechat.groups;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The job's traffic in the integration tests: group messages and Debezium-keyed membership rows
 * written as the edge and the CDC service write them, user events read back {@code read_committed}.
 */
final class GroupsTraffic {
    private GroupsTraffic() {
    }

    /** The job's settings for a test's broker and topics: its own consumer group and transactional ids, 200 ms settle. */
    static GroupsConfig config(EmbeddedKafka kafka, Topics topics) {
        return GroupsConfig.defaults()
                .withBootstrapServers(kafka.bootstrapServers())
                .withTopics(topics)
                .withIds(topics.userEvents() + ".groups", topics.userEvents() + ".groups-tx")
                .withSettle(Duration.ofMillis(200));
    }

    static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A consumer of {@code topic} from its start, committed records only. */
    static KafkaConsumer<byte[], byte[]> consumer(EmbeddedKafka kafka, String topic) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, topic + ".it-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /** A group message on {@code chat.group-events}, keyed by its group. */
    static void send(KafkaProducer<byte[], byte[]> producer, Topics topics, GroupEvent.Message m) {
        producer.send(new ProducerRecord<>(topics.groupEvents(), bytes(m.group()), Json.bytes(m)));
    }

    /** A change event (or tombstone, {@code value} null) with Debezium's key of a {@code group_members} row. */
    static void cdc(KafkaProducer<byte[], byte[]> producer, Topics topics, String group, String user, byte[] value) {
        cdc(producer, topics, null, group, user, value);
    }

    /** The same on a given partition ({@code null}: by key, as Debezium writes it). */
    static void cdc(KafkaProducer<byte[], byte[]> producer, Topics topics, Integer partition, String group, String user,
                    byte[] value) {
        byte[] key = Json.bytes(Map.of("group_id", group, "user_id", user));
        producer.send(new ProducerRecord<>(topics.groupMembersCdc(), partition, key, value));
    }

    /** A change event (or tombstone) with Debezium's key of a {@code chat_groups} row. */
    static void groupCdc(KafkaProducer<byte[], byte[]> producer, Topics topics, String group, byte[] value) {
        producer.send(new ProducerRecord<>(topics.groupsCdc(), Json.bytes(Map.of("id", group)), value));
    }

    /**
     * Polls for {@code time}, adding every user event read to {@code seen} but system messages (the
     * membership rows of these tests make some; {@code GroupChangesIT} reads them); each must be
     * keyed by its user.
     */
    static void pollFor(KafkaConsumer<byte[], byte[]> consumer, List<UserEvent> seen, Duration time) {
        List<UserEvent> all = new java.util.ArrayList<>();
        pollAll(consumer, all, time);
        all.stream().filter(e -> !isSystem(e)).forEach(seen::add);
    }

    /** The same, system messages included. */
    static void pollAll(KafkaConsumer<byte[], byte[]> consumer, List<UserEvent> seen, Duration time) {
        long end = System.nanoTime() + time.toNanos();
        while (System.nanoTime() < end) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                UserEvent event = Json.read(r.value(), UserEvent.class);
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(event.user());
                seen.add(event);
            }
        }
    }

    static boolean isSystem(UserEvent e) {
        return e instanceof UserEvent.Message m && m.system() != null;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
