package io.pipechat.notifier;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.pipechat.notifier.push.PushDelivery;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.events.PushRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll loop over {@code chat.push} (group {@code pipechat-notifier}, {@code read_committed}: the
 * router writes transactionally, manual commits). Each request is handed to its own virtual thread
 * ({@link PushDelivery#deliver}); the loop keeps polling, so a slow push service never holds up the
 * requests behind it.
 *
 * <p>Commits: an offset is committed only when every request before it has finished
 * ({@link OffsetTracker}): a restart neither resends what was sent (beyond the requests that finished
 * out of order after the first unfinished one) nor loses what was not. With more than
 * {@code maxInFlightRequests} unfinished, polling pauses (the consumer stays in its group).
 *
 * <p>Records that cannot be read (not a {@link PushRequest}) and requests older than the TTL (the push
 * service would drop them anyway) are counted, logged and skipped. When the loop ends for any other
 * reason than {@link #close()} (a fatal Kafka error), it runs the {@code died} callback.
 */
final class PushRequestConsumer implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(PushRequestConsumer.class);
    private static final Duration POLL = Duration.ofMillis(100);

    private record Finished(TopicPartition partition, long offset) {
    }

    private final NotifierConfig config;
    private final KafkaConsumer<String, byte[]> consumer;
    private final PushDelivery delivery;
    private final ExecutorService executor;
    private final NotifierMetrics metrics;
    private final Clock clock;
    private final Runnable died;
    private final OffsetTracker tracker = new OffsetTracker();
    private final ConcurrentLinkedQueue<Finished> finished = new ConcurrentLinkedQueue<>();
    private volatile boolean closing;
    private volatile boolean stopped;
    private boolean paused;

    PushRequestConsumer(NotifierConfig config, PushDelivery delivery, ExecutorService executor, NotifierMetrics metrics,
                        Clock clock, Runnable died) {
        this.config = config;
        this.died = died;
        this.delivery = delivery;
        this.executor = executor;
        this.metrics = metrics;
        this.clock = clock;
        this.consumer = new KafkaConsumer<>(properties(config), new StringDeserializer(), new ByteArrayDeserializer());
    }

    static Properties properties(NotifierConfig config) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"); // a new group loses nothing; stale ones are skipped
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(Math.min(500, config.maxInFlightRequests())));
        return p;
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(config.topic()), new Rebalance());
            while (!closing) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    accept(r);
                }
                commitFinished();
                throttle();
            }
        } catch (WakeupException e) {
            if (!closing) {
                LOG.error("notifier consumer woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("notifier consumer failed; push requests are no longer consumed", e);
        } finally {
            stopped = true;
            shutdown();
            if (!closing) {
                died.run();
            }
        }
    }

    /**
     * Exposes the consumer's own metrics ({@code kafka_consumer_*}, lag included, tagged with the
     * client id, which is the group id) on {@code registry} until the returned binder is closed.
     */
    KafkaClientMetrics bindMetrics(MeterRegistry registry) {
        KafkaClientMetrics binder = new KafkaClientMetrics(consumer);
        binder.bindTo(registry);
        return binder;
    }

    /** True once the loop has ended (closed or died), while it may still be finishing pushes in flight. */
    boolean stopped() {
        return stopped;
    }

    /** Stops the loop: the running thread finishes what is in flight (up to the grace period) and commits. */
    void close() {
        closing = true;
        consumer.wakeup();
    }

    private void accept(ConsumerRecord<String, byte[]> record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        long offset = record.offset();
        tracker.polled(tp, offset);
        PushRequest request = parse(record);
        if (request == null) {
            tracker.finished(tp, offset);
            return;
        }
        metrics.request();
        if (request.ts() < clock.millis() - config.ttl().toMillis()) {
            metrics.staleRequest();
            LOG.debug("skipping push request for {} from {}: older than the TTL", request.user(), request.ts());
            tracker.finished(tp, offset);
            return;
        }
        executor.execute(() -> {
            try {
                delivery.deliver(request);
                finished.add(new Finished(tp, offset));
            } catch (InterruptedException e) {
                // shutting down: unfinished, so not committed; the next start sends it
            } catch (RuntimeException e) {
                LOG.error("push request for {} at {}-{} failed", request.user(), tp, offset, e);
                finished.add(new Finished(tp, offset));
            }
        });
    }

    private PushRequest parse(ConsumerRecord<String, byte[]> record) {
        String problem;
        if (record.value() == null) {
            problem = "no value";
        } else {
            try {
                PushRequest r = Json.read(record.value(), PushRequest.class);
                if (r != null && r.user() != null && !r.user().isBlank()) {
                    return r;
                }
                problem = "no user";
            } catch (RuntimeException e) {
                // The parser's message quotes the record, which could be anything (a message misrouted here):
                // name the kind of problem only.
                Throwable cause = e.getCause() == null ? e : e.getCause();
                problem = "unreadable (" + cause.getClass().getSimpleName() + ")";
            }
        }
        metrics.invalidRequest();
        LOG.warn("skipping unreadable push request at {}-{}@{}: {}", record.topic(), record.partition(),
                record.offset(), problem);
        return null;
    }

    private void commitFinished() {
        for (Finished f; (f = finished.poll()) != null; ) {
            tracker.finished(f.partition(), f.offset());
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = tracker.committable();
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets);
            tracker.committed(offsets);
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.warn("committing {} failed; trying again on the next round", offsets, e);
        }
    }

    private void throttle() {
        boolean full = tracker.inFlight() >= config.maxInFlightRequests();
        if (full && !paused) {
            consumer.pause(consumer.assignment());
            paused = true;
        } else if (!full && paused) {
            consumer.resume(consumer.paused());
            paused = false;
        }
    }

    private void shutdown() {
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        try {
            while (tracker.inFlight() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
                for (Finished f; (f = finished.poll()) != null; ) {
                    tracker.finished(f.partition(), f.offset());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("final commit of the notifier failed", e);
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(1, TimeUnit.SECONDS);
            try {
                commitFinished();
            } catch (WakeupException e) {
                commitFinished(); // the wakeup of close() was still pending; it is consumed now
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("final commit of the notifier failed", e);
        }
        try {
            consumer.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the notifier consumer failed", e);
        }
    }

    /** Commits what is finished on partitions taken away; their unfinished requests go to the new owner. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            try {
                commitFinished();
            } catch (RuntimeException e) {
                LOG.warn("commit on revocation failed", e);
            }
            tracker.forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            LOG.info("notifier assigned {}", partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            tracker.forget(partitions);
        }
    }
}
