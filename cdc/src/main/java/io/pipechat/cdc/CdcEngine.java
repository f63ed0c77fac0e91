package io.pipechat.cdc;

import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pipechat.observe.ObserveServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debezium (embedded async engine) streaming the group tables of MySQL/MariaDB to Kafka.
 *
 * <p>Data written: for each captured table ({@code chat_groups}, {@code group_members}) the topic
 * {@code <prefix>.<database>.<table>} (default {@code cdc.chat.group_members}), created compacted if
 * missing. Key: the row's primary key as compact JSON ({@code {"group_id":"g1","user_id":"bob"}}).
 * Value: Debezium's change event as compact JSON ({@code before}, {@code after}, {@code source},
 * {@code op} = {@code r} snapshot read / {@code c} insert / {@code u} update / {@code d} delete,
 * {@code ts_ms}); a delete is followed by a tombstone (same key, null value). Timestamps
 * ({@code created_at}, {@code added_at}) are ISO-8601 UTC strings.
 *
 * <p>State: the binlog position in {@link CdcConfig#offsetsTopic()} (key: engine name and topic
 * prefix; compacted, never deleted), the DDL history of the captured tables in
 * {@link CdcConfig#historyTopic()}. Both live in Kafka, so an instance on another machine with the
 * same configuration continues where this one stopped. Only one instance may run at a time (Kafka
 * Connect is the option that coordinates several).
 *
 * <p>Guarantees: the first start snapshots the tables (op {@code r}), then streams the binlog. A
 * change is marked processed only after Kafka acknowledged it, and acknowledged positions are
 * committed every {@link CdcConfig#offsetFlush()} and at {@link #close()}: after a clean stop a
 * restart delivers exactly the changes made since; after a crash (kill -9) the changes since the last
 * commit are written again (at-least-once), so consumers upsert by key.
 *
 * <p>Observability: {@link #state()} ({@link State}), {@link #health()} for {@code /health}, and the
 * meters of {@link CdcMetrics} in the registry given to {@link #start(CdcConfig, MeterRegistry)}.
 */
public final class CdcEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CdcEngine.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Where the engine is in its life. Healthy ({@link #health()} up): {@link #SNAPSHOT},
     * {@link #STREAMING}, {@link #RUNNING}.
     */
    public enum State {
        /** Started, the connector task not yet (validating the configuration, connecting to Kafka). */
        STARTING,
        /** The task runs, neither snapshotting nor connected to the binlog yet. */
        CONNECTING,
        /** The task reads the tables (first start, op {@code r}). */
        SNAPSHOT,
        /** The task is connected to the binlog and streams its changes. */
        STREAMING,
        /** The task streamed, then lost its binlog connection; Debezium reconnects (or fails the engine). */
        DISCONNECTED,
        /** The task runs, but Debezium's JMX metrics that tell the phase above are not found. */
        RUNNING,
        /** {@link #close()} was called and the engine is stopping. */
        STOPPING,
        /** Stopped after {@link #close()}. */
        STOPPED,
        /** Stopped by an error ({@link #failure()} says which). */
        FAILED
    }

    private final CdcConfig config;
    private final Producer<String, String> producer;
    private final KafkaChangeWriter writer;
    private final DebeziumEngine<ChangeEvent<String, String>> engine;
    private final ExecutorService thread;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Optional<Throwable>> finished = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean taskRunning = new AtomicBoolean();
    private final CdcMetrics metrics;
    private final ConnectorPhase phase;

    private CdcEngine(CdcConfig config, MeterRegistry registry) {
        this.config = config;
        this.phase = new ConnectorPhase(config);
        this.producer = new KafkaProducer<>(producerConfig(config), new StringSerializer(), new StringSerializer());
        this.metrics = new CdcMetrics(registry, this::state);
        this.writer = new KafkaChangeWriter(producer, metrics);
        try {
            this.engine = DebeziumEngine.create(Json.class)
                    .using(config.engineProperties())
                    .using(new DebeziumEngine.ConnectorCallback() {
                        @Override
                        public void taskStarted() {
                            taskRunning.set(true);
                            started.complete(null);
                        }

                        @Override
                        public void taskStopped() {
                            taskRunning.set(false);
                        }
                    })
                    .using((success, message, error) -> {
                        if (success) {
                            LOG.info("CDC engine {} stopped: {}", config.name(), message);
                        } else {
                            LOG.error("CDC engine {} failed: {}", config.name(), message, error);
                        }
                        Throwable failure = success ? null : explain(message, error);
                        started.completeExceptionally(failure != null ? failure : new IllegalStateException("stopped"));
                        finished.complete(Optional.ofNullable(failure));
                    })
                    .notifying(writer)
                    .build();
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            metrics.close();
            throw new IllegalArgumentException("Debezium rejected the engine configuration: " + e.getMessage(), e);
        }
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cdc-engine-" + config.name());
            t.setDaemon(true);
            return t;
        });
    }

    /** {@link #start(CdcConfig, MeterRegistry)} with meters kept in memory only. */
    public static CdcEngine start(CdcConfig config) {
        return start(config, new SimpleMeterRegistry());
    }

    /**
     * Creates the change topics if missing and starts the engine in the background. Returns at once;
     * {@link #awaitStarted} waits until the connector task runs.
     *
     * @param registry where the meters of {@link CdcMetrics} go (one engine per registry)
     */
    public static CdcEngine start(CdcConfig config, MeterRegistry registry) {
        createTopics(config);
        CdcEngine cdc = new CdcEngine(config, registry);
        cdc.thread.execute(() -> {
            try {
                cdc.engine.run();
            } catch (Throwable t) {
                cdc.finished.complete(Optional.of(t));
                cdc.started.completeExceptionally(t);
            }
        });
        LOG.info("CDC engine {} ({}) started: {}:{}/{} -> {} on {}", config.name(), config.connector().configName(),
                config.dbHost(), config.dbPort(), config.database(), config.changeTopics(), config.bootstrapServers());
        return cdc;
    }

    public CdcConfig config() {
        return config;
    }

    /**
     * Waits until the connector task has started (it snapshots or streams from then on).
     *
     * @throws IllegalStateException if the engine failed, or did not start in time
     */
    public void awaitStarted(Duration timeout) {
        try {
            started.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("CDC engine " + config.name() + " failed to start", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("CDC engine " + config.name() + " did not start within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Where the engine is now (the task's phase read from Debezium's JMX metrics while it runs). */
    public State state() {
        if (finished.isDone()) {
            return failure().isPresent() ? State.FAILED : State.STOPPED;
        }
        if (closed.get()) {
            return State.STOPPING;
        }
        if (!started.isDone() || started.isCompletedExceptionally() || !taskRunning.get()) {
            return State.STARTING;
        }
        return switch (phase.read()) {
            case UNKNOWN -> State.RUNNING;
            case CONNECTING -> State.CONNECTING;
            case SNAPSHOT -> State.SNAPSHOT;
            case STREAMING -> State.STREAMING;
            case DISCONNECTED -> State.DISCONNECTED;
        };
    }

    /**
     * For {@code /health}: up while the task snapshots or streams ({@link State#SNAPSHOT},
     * {@link State#STREAMING}, {@link State#RUNNING}), down otherwise; the state's name as detail.
     */
    public ObserveServer.Health health() {
        State s = state();
        return new ObserveServer.Health(s == State.SNAPSHOT || s == State.STREAMING || s == State.RUNNING, s.name());
    }

    /** The engine's meters. */
    public CdcMetrics metrics() {
        return metrics;
    }

    /** True until the engine stops (closed, or failed). */
    public boolean isRunning() {
        return !finished.isDone();
    }

    /** Why the engine stopped, if it failed (a database or Kafka it cannot reach, a bad configuration). */
    public Optional<Throwable> failure() {
        return finished.getNow(Optional.empty());
    }

    /** Completes with the failure (or empty after a clean stop) when the engine stops. */
    public CompletableFuture<Optional<Throwable>> stopped() {
        return finished;
    }

    /** Change events written to Kafka and acknowledged since start (tombstones included). */
    public long eventsWritten() {
        return writer.written();
    }

    /**
     * Stops the engine (committing the acknowledged positions), then the producer. Never hangs:
     * Debezium's {@code close()} throws after a failure or while tasks are starting; both are handled,
     * and each step is bounded. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        while (isRunning()) {
            try {
                engine.close();
                break;
            } catch (IllegalStateException e) {
                // "Cannot stop engine while tasks are starting": try again shortly
                if (!isRunning() || System.nanoTime() > deadline) {
                    LOG.warn("CDC engine {} could not be closed cleanly: {}", config.name(), e.getMessage());
                    break;
                }
                sleep(100);
            } catch (IOException | RuntimeException e) {
                LOG.warn("closing CDC engine {} failed", config.name(), e);
                break;
            }
        }
        try {
            finished.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            LOG.warn("CDC engine {} did not stop within {}", config.name(), CLOSE_TIMEOUT);
        } catch (ExecutionException e) {
            LOG.warn("CDC engine {} ended with an error", config.name(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.shutdownNow();
        producer.close(Duration.ofSeconds(10));
        metrics.close();
        LOG.info("CDC engine {} closed after {} change events", config.name(), writer.written());
    }

    /**
     * Debezium 3.5 reports a failed connector validation (database unreachable, wrong credentials,
     * binlog off) through a Kafka Connect class whose API changed in Kafka 4.2, so the actual reason
     * only reaches the log and the error is a NoSuchMethodError. Say what it means.
     */
    private static Throwable explain(String message, Throwable error) {
        if (error == null) {
            return new IllegalStateException(message);
        }
        if (error instanceof NoSuchMethodError && String.valueOf(error.getMessage()).contains("ConfigInfos")) {
            return new IllegalStateException("Debezium rejected the connector configuration: the database is"
                    + " unreachable, the credentials are wrong, or the binlog is not in ROW format (the"
                    + " connector's log lines above say which)", error);
        }
        return error;
    }

    private static Map<String, Object> producerConfig(CdcConfig config) {
        return Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ProducerConfig.CLIENT_ID_CONFIG, config.name() + "-producer",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5,
                ProducerConfig.LINGER_MS_CONFIG, 1);
    }

    /** The change topics, compacted: the newest event per key (or its tombstone) is the row's state. */
    static void createTopics(CdcConfig config) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = config.changeTopics().stream().filter(t -> !existing.contains(t))
                    .map(t -> new NewTopic(t, config.partitions(), config.replicationFactor())
                            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)))
                    .toList();
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create CDC topics " + config.changeTopics() + " on "
                    + config.bootstrapServers(), e instanceof ExecutionException ? e.getCause() : e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
