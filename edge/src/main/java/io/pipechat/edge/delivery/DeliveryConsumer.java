package io.pipechat.edge.delivery;

import io.pipechat.edge.EdgeMetrics;
import io.pipechat.edge.session.ClientSession;
import io.pipechat.edge.session.Sessions;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.frames.FrameCodec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes this edge's one partition of {@code chat.deliveries} (manual assignment, no consumer
 * group, {@code read_committed} because the router writes transactionally) and hands each frame
 * to the sessions it names. It starts at the end of the partition: anything older was meant for
 * sessions of an earlier run of this edge, and the router flushes the mailbox again when those
 * users reconnect.
 */
public final class DeliveryConsumer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryConsumer.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicPartition partition;
    private final Sessions sessions;
    private final EdgeMetrics metrics;
    private final EdgeMetrics.KafkaMeters kafkaMeters;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    public DeliveryConsumer(String bootstrapServers, String topic, int partition, Sessions sessions, EdgeMetrics metrics) {
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "edge-" + partition + "-deliveries",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.partition = new TopicPartition(topic, partition);
        this.sessions = sessions;
        this.metrics = metrics;
        this.kafkaMeters = metrics.bind(consumer);
        consumer.assign(List.of(this.partition));
        consumer.seekToEnd(List.of(this.partition));
        // Resolve the position now, before any client can connect and have its mailbox flushed.
        consumer.position(this.partition, Duration.ofSeconds(30));
        this.thread = Thread.ofPlatform().name("edge-" + partition + "-deliveries").daemon().start(this::run);
    }

    private void run() {
        var deserializer = JsonSerde.deserializer(Delivery.class);
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    metrics.delivery();
                    Delivery delivery;
                    try {
                        delivery = deserializer.deserialize(record.topic(), record.value());
                    } catch (SerializationException e) {
                        LOG.warn("skipping unreadable delivery at offset {}", record.offset(), e);
                        continue;
                    }
                    if (delivery != null) {
                        dispatch(delivery);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("delivery consumer of {} stopped", partition, e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
            stopped.countDown();
        }
    }

    private void dispatch(Delivery delivery) {
        switch (delivery) {
            case Delivery.Frame f when f.session() == null -> {
                String text = null; // encoded once for all of the user's sessions
                for (ClientSession s : sessions.of(f.user())) {
                    // A flushing session gets this frame in its flush, or the frame was acked already.
                    if (!s.flushing()) {
                        if (text == null) {
                            text = FrameCodec.encode(f.frame());
                        }
                        s.sendText(text);
                    }
                }
            }
            case Delivery.Frame f -> {
                ClientSession target = sessions.find(f.user(), f.session());
                if (target != null) {
                    target.send(f.frame());
                }
            }
            case Delivery.Flushed f -> {
                ClientSession target = sessions.find(f.user(), f.session());
                if (target != null) {
                    target.flushed();
                }
            }
            case Delivery.Close c -> {
                ClientSession target = sessions.find(c.user(), c.session());
                if (target != null) {
                    target.close(c.code(), c.reason());
                }
            }
        }
    }

    @Override
    public void close() {
        kafkaMeters.close();
        running = false;
        consumer.wakeup();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
