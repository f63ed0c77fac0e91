package io.pipechat.edge.delivery;

import io.pipechat.edge.EdgeMetrics;
import io.pipechat.edge.session.ClientSession;
import io.pipechat.edge.session.Sessions;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.DeliveryCodec;
import io.pipechat.protocol.frames.FrameCodec;
import io.pipechat.protocol.frames.ServerFrame;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes this edge's one partition of {@code chat.deliveries} (manual assignment, no consumer
 * group) and hands each frame to the sessions it names, as the router encoded it: the frame is not
 * decoded here ({@link DeliveryCodec}). It starts at the end of the partition: anything older was meant for
 * sessions of an earlier run of this edge, and the router flushes the mailbox again when those
 * users reconnect.
 *
 * <p>A record it cannot use (unreadable, no user, or failing while it is dispatched) is counted
 * ({@code pipechat.edge.deliveries.skipped}), logged by offset, user and session (never its body)
 * and skipped: other users keep chatting. If the thread dies anyway (the Kafka consumer fails, e.g.
 * the partition's offsets went out of range, which would otherwise skip frames silently), {@code
 * onFailure} is told: the edge then reports itself down and its process exits, so that its clients
 * reconnect and get their mailboxes flushed again.
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
    private final java.util.function.Consumer<Throwable> onFailure;
    private final java.util.function.Consumer<Delivery.Devices> onDevices;
    private volatile boolean running = true;

    /**
     * @param onDevices told of every {@link Delivery.Devices}: an answer to a query of this edge, or
     *                  news that a user's devices changed (the sessions are told here too)
     * @param onFailure told once if the consumer dies
     */
    public DeliveryConsumer(String bootstrapServers, String topic, int partition, Sessions sessions, EdgeMetrics metrics,
                            java.util.function.Consumer<Delivery.Devices> onDevices,
                            java.util.function.Consumer<Throwable> onFailure) {
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "edge-" + partition + "-deliveries",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // A gap in the partition would skip frames of connected sessions: fail instead.
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none",
                // Nor create chat.deliveries with a broker's default partition count when it is missing.
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.partition = new TopicPartition(topic, partition);
        this.sessions = sessions;
        this.metrics = metrics;
        this.onFailure = onFailure;
        this.onDevices = onDevices;
        this.kafkaMeters = metrics.bind(consumer);
        consumer.assign(List.of(this.partition));
        consumer.seekToEnd(List.of(this.partition));
        // Resolve the position now, before any client can connect and have its mailbox flushed.
        consumer.position(this.partition, Duration.ofSeconds(30));
        this.thread = Thread.ofPlatform().name("edge-" + partition + "-deliveries").daemon().start(this::run);
    }

    private void run() {
        Throwable failure = null;
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    metrics.delivery();
                    handle(record);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                failure = e;
            }
        } catch (Throwable e) {
            failure = e;
        } finally {
            try {
                consumer.close(Duration.ofSeconds(2));
            } catch (RuntimeException e) {
                LOG.warn("closing the delivery consumer of {} failed", partition, e);
            }
            stopped.countDown();
        }
        if (failure != null) {
            LOG.error("delivery consumer of {} stopped: this edge cannot deliver any more", partition, failure);
            onFailure.accept(failure);
        }
    }

    /** Dispatches one record; a record that cannot be used is counted, logged and skipped. */
    private void handle(ConsumerRecord<String, byte[]> record) {
        Delivery delivery;
        try {
            delivery = DeliveryCodec.decode(record.value());
        } catch (RuntimeException e) {
            // The cause's message may quote the record (a message body): name its type only.
            skip(record, null, "unreadable (" + (e.getCause() == null ? e : e.getCause()).getClass().getSimpleName() + ")", null);
            return;
        }
        if (delivery == null) {
            return;
        }
        if (delivery.user() == null) {
            skip(record, delivery, "no user", null);
            return;
        }
        try {
            dispatch(delivery);
        } catch (RuntimeException e) {
            skip(record, delivery, "dispatch failed", e);
        }
    }

    private void skip(ConsumerRecord<String, byte[]> record, Delivery delivery, String why, Exception e) {
        metrics.deliverySkipped();
        String session = switch (delivery) {
            case Delivery.Frame f -> f.session();
            case Delivery.Close c -> c.session();
            case Delivery.Flushed f -> f.session();
            case Delivery.Devices d -> d.request();
            case null -> null;
        };
        LOG.warn("skipping delivery at {} offset {} (user {}, session {}): {}", partition, record.offset(),
                delivery == null ? record.key() : delivery.user(), session, why, e);
    }

    private void dispatch(Delivery delivery) {
        switch (delivery) {
            case Delivery.Frame f when f.session() == null -> {
                for (ClientSession s : sessions.of(f.user())) {
                    // A flushing session gets this frame in its flush, or the frame was acked already;
                    // the device a frame came from has it already.
                    if (!s.flushing() && !s.device().equals(f.except())) {
                        s.sendText(f.frame());
                    }
                }
            }
            case Delivery.Frame f -> {
                ClientSession target = sessions.find(f.user(), f.session());
                if (target != null) {
                    target.flushProgress();
                    target.sendText(f.frame());
                }
            }
            case Delivery.Flushed f -> {
                ClientSession target = sessions.find(f.user(), f.session());
                if (target != null) {
                    target.flushed(f.deviceCount());
                }
            }
            case Delivery.Close c -> {
                ClientSession target = sessions.find(c.user(), c.session());
                if (target != null) {
                    target.close(c.code(), c.reason());
                }
            }
            case Delivery.Devices d -> {
                if (d.request() == null) {
                    String text = FrameCodec.encode(new ServerFrame.Devices(d.devices()));
                    for (ClientSession s : sessions.of(d.user())) {
                        s.deviceCount(d.devices().size());
                        if (!s.flushing()) {
                            s.sendText(text);
                        }
                    }
                }
                onDevices.accept(d);
            }
        }
    }

    @Override
    public void close() {
        kafkaMeters.close();
        running = false;
        if (stopped.getCount() > 0) {
            consumer.wakeup();
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
