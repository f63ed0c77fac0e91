package io.pipechat.edge.delivery;

import io.pipechat.edge.EdgeMetrics;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes an edge's events to Kafka with one idempotent {@code acks=all} producer. The returned
 * future completes when Kafka has acknowledged the write (all in-sync replicas), which is when a
 * client may be told {@code sent}. Records of one connection keep their order: one producer,
 * idempotence, and the same key per conversation.
 */
public final class EventPublisher implements AutoCloseable {
    private final Producer<String, Object> producer;
    private final Topics topics;
    private final EdgeMetrics metrics;
    private final EdgeMetrics.KafkaMeters kafkaMeters;

    public EventPublisher(String bootstrapServers, Topics topics, String clientId, EdgeMetrics metrics) {
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, clientId,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 1,
                // Events are a few hundred bytes of JSON: lz4 made a compressor (with 64 KiB of
                // buffers) per batch here and a decompression per batch on the broker, ~1.4% of
                // the stack's CPU under load, to save bytes on a link that is not the bottleneck.
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"),
                new StringSerializer(), (topic, value) -> Json.bytes(value));
        this.topics = topics;
        this.metrics = metrics;
        this.kafkaMeters = metrics.bind(producer);
    }

    /** A user event, keyed by the user whose state it changes. */
    public CompletableFuture<Void> publish(UserEvent event) {
        return send(new ProducerRecord<>(topics.userEvents(), event.user(), event));
    }

    /** A group message, keyed by group. */
    public CompletableFuture<Void> publish(GroupEvent event) {
        return send(new ProducerRecord<>(topics.groupEvents(), event.group(), event));
    }

    public CompletableFuture<Void> publish(EdgeHeartbeat heartbeat) {
        return send(new ProducerRecord<>(topics.edges(), EdgeHeartbeat.key(heartbeat.edge()), heartbeat));
    }

    private CompletableFuture<Void> send(ProducerRecord<String, Object> record) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long start = System.nanoTime();
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    metrics.produced(System.nanoTime() - start);
                    done.complete(null);
                } else {
                    metrics.produceFailed();
                    done.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            metrics.produceFailed();
            done.completeExceptionally(e);
        }
        return done;
    }

    @Override
    public void close() {
        kafkaMeters.close();
        producer.close(Duration.ofSeconds(5));
    }
}
