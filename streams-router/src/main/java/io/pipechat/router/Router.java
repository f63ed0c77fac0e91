package io.pipechat.router;

import io.pipechat.protocol.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router application: configures Kafka Streams for {@link RouterTopology} and runs it until
 * {@link #close()}. Used by {@link RouterMain} and, in one JVM with everything else, by {@code local}.
 *
 * <p>Kafka Streams settings ({@link #streamsConfig}):
 * <ul>
 *   <li>{@code processing.guarantee=at_least_once}: no transactions on the hot path, so a delivery
 *       is readable by the edge as soon as the broker has it, not at the next commit. After a crash
 *       the records since the last commit are processed again; {@link UserEventProcessor} makes
 *       that harmless (seqs derived from input offsets, idempotent store writes, de-duplicated
 *       receipts). Producer {@code acks=all} (also Kafka's default): a record is counted as written
 *       only once every in-sync replica has it, so a commit never passes output a broker may lose.
 *   <li>main consumer {@code isolation.level=read_committed}: the Flink group job still writes its
 *       fan-out into {@code chat.user-events} in transactions; reading uncommitted records would
 *       apply messages of a transaction Flink later aborts and replays (the replay would then be
 *       dropped as a duplicate, but the aborted copy's effects would already be out).
 *   <li>{@code commit.interval.ms} from {@link RouterConfig#commitInterval()} (1 s default): under
 *       at-least-once a commit is a producer flush, a store flush and an offset commit; it bounds how
 *       much is processed again after a crash, not latency. See there.
 *   <li>{@code deserialization.exception.handler=LogAndContinueExceptionHandler}: a record that is
 *       not a readable {@code UserEvent} is logged, counted ({@code dropped-records}) and skipped.
 *   <li>{@code num.standby.replicas} from the config; {@code state.dir} as given.
 *   <li>{@code statestore.cache.max.bytes} 0: the users and mailbox stores keep their own writes until
 *       each commit ({@link io.pipechat.router.state.WriteBackStore}), so a user's state reaches
 *       RocksDB and its changelog once per commit, not once per event.
 *   <li>producer {@code linger.ms=2}: deliveries go out as soon as a batch is worth sending; a few
 *       milliseconds let one request carry the records of one poll loop (see BENCHMARKS.md).
 *   <li>producer {@code metadata.max.age.ms=10000} (default 5 min): a partition added to
 *       {@code chat.deliveries} for a new edge is seen within 10 s; until then deliveries for that
 *       edge are dropped by {@link EdgePartitioner} (they stay in the mailbox).
 *   <li>Failure detection and take-over (see {@link RouterConfig} for each value and its reasons):
 *       main consumer {@code session.timeout.ms} / {@code heartbeat.interval.ms} from
 *       {@link RouterConfig#sessionTimeout()} / {@link RouterConfig#heartbeatInterval()} (10 s / 3 s
 *       instead of 45 s / 3 s): a killed router's tasks move after ~10 s. Admin client
 *       {@code default.api.timeout.ms} from {@link RouterConfig#adminTimeout()} (15 s instead of 60 s),
 *       {@code request.timeout.ms} the smaller of that and 10 s (instead of 30 s): the rebalance's
 *       end-offset lookup gives up after 15 s instead of 60 s when a broker is unreachable. Admin
 *       {@code metadata.max.age.ms=10000} (5 min by default): the admin client re-reads the cluster
 *       (live brokers, partition leaders) at least every 10 s, so it stops choosing a dead broker.
 *       The classic group protocol stays: Kafka 4.2's streams protocol ({@code group.protocol=streams},
 *       KIP-1071) is production-ready only without warm-up tasks, and takes the session timeout and
 *       standby count from group configs on the broker; see docs/OPERATIONS.md.
 * </ul>
 * A stream thread that dies of an unexpected error is replaced (its tasks restart from the last
 * commit), so the service keeps running.
 */
public final class Router implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    /** How long {@link #close()} waits for the stream threads to commit and leave the group. */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /** Upper bound of the admin client's {@code request.timeout.ms}: one attempt, not the whole call. */
    private static final long ADMIN_REQUEST_TIMEOUT_MS = 10_000;

    private final KafkaStreams streams;
    private final RouterMeters meters;
    private final CompletableFuture<KafkaStreams.State> ended;

    private Router(KafkaStreams streams, RouterMeters meters, CompletableFuture<KafkaStreams.State> ended) {
        this.streams = streams;
        this.meters = meters;
        this.ended = ended;
    }

    /**
     * Builds and starts the router. Returns once Kafka Streams has loaded the global edges store
     * from {@code chat.edges} (it does that before starting its stream threads, so this waits for
     * the broker), before partitions are assigned and stores restored: see {@link #awaitRunning}.
     * The topics must exist; {@code chat.deliveries} needs one partition per edge.
     *
     * @param stateDir where RocksDB stores live; an empty directory is restored from the changelogs
     */
    public static Router start(RouterConfig config, String bootstrapServers, Topics topics, Path stateDir) {
        return start(config, bootstrapServers, topics, stateDir, new RouterMeters());
    }

    /** With the given meters (tests: a small initial-count chunk). */
    static Router start(RouterConfig config, String bootstrapServers, Topics topics, Path stateDir,
                        RouterMeters meters) {
        KafkaStreams streams = new KafkaStreams(RouterTopology.build(topics, config, meters),
                streamsConfig(config, bootstrapServers, stateDir));
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("router stream thread failed; replacing it", e);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        CompletableFuture<KafkaStreams.State> ended = new CompletableFuture<>();
        streams.setStateListener((now, before) -> {
            LOG.info("router {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                ended.complete(now);
            }
        });
        try {
            streams.start();
        } catch (RuntimeException e) {
            streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(CLOSE_TIMEOUT));
            throw e;
        }
        LOG.info("router {} started on {} (state in {})", config.applicationId(), bootstrapServers, stateDir);
        return new Router(streams, meters, ended);
    }

    public static Properties streamsConfig(RouterConfig config, String bootstrapServers, Path stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        // Flink's fan-out into chat.user-events is transactional: never apply what it may abort.
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.toString(config.commitInterval().toMillis()));
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndContinueExceptionHandler.class.getName());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, Integer.toString(config.standbyReplicas()));
        // One stream thread does all of an instance's tasks by default, and the router is CPU-bound
        // (BENCHMARKS.md): one thread per core lets the partitions' tasks run in parallel.
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(Runtime.getRuntime().availableProcessors()));
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        // No store uses Kafka Streams' record cache (RouterTopology: the router's own write-back stores).
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "2");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.METADATA_MAX_AGE_CONFIG), "10000");
        // Only the main consumer is a group member; the restore and global consumers are assigned.
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
                Long.toString(config.sessionTimeout().toMillis()));
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
                Long.toString(config.heartbeatInterval().toMillis()));
        long adminTimeout = config.adminTimeout().toMillis();
        // The admin client refuses a default.api.timeout.ms below its request.timeout.ms.
        p.put(StreamsConfig.adminClientPrefix(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG),
                Long.toString(Math.min(adminTimeout, ADMIN_REQUEST_TIMEOUT_MS)));
        p.put(StreamsConfig.adminClientPrefix(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG), Long.toString(adminTimeout));
        p.put(StreamsConfig.adminClientPrefix(AdminClientConfig.METADATA_MAX_AGE_CONFIG), "10000");
        return p;
    }

    /**
     * Completes when Kafka Streams has stopped for good: {@code NOT_RUNNING} after {@link #close()},
     * {@code ERROR} when it gave up (the global thread died, or every stream thread was told to
     * shut the client down). An {@code ERROR} router processes nothing and never recovers on its own.
     */
    public CompletableFuture<KafkaStreams.State> ended() {
        return ended;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Waits until the router is {@code RUNNING} (stores restored, partitions assigned). */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || !streams.state().isRunningOrRebalancing()
                    && streams.state() != KafkaStreams.State.CREATED) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /**
     * Publishes Kafka Streams' metrics (processing rates and latencies, consumer lag, store sizes,
     * the per-task sensors of {@link UserEventProcessor}) and the router's own {@link RouterMeters}
     * (mailbox sizes, routed messages, push requests, expirations) as Micrometer meters in
     * {@code registry}. Close the returned binder to stop following Kafka Streams' metrics.
     */
    public KafkaStreamsMetrics bindMetrics(MeterRegistry registry) {
        KafkaStreamsMetrics binder = new KafkaStreamsMetrics(streams);
        binder.bindTo(registry);
        meters.bindTo(registry);
        return binder;
    }

    /** This instance's own meters (also in {@link #bindMetrics}). */
    public RouterMeters meters() {
        return meters;
    }

    /** Number of tasks (partitions of {@code chat.user-events}) this instance runs as active now. */
    public int activeTaskCount() {
        return streams.metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum();
    }

    /**
     * Stops like a killed process would, as far as the group can tell: closes without leaving the
     * consumer group, so the others take over only once the session timeout expires. For tests.
     */
    void closeWithoutLeaving() {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                .withTimeout(CLOSE_TIMEOUT));
    }

    /** Kafka Streams' metrics, including the router's own ({@link UserEventProcessor}). */
    public Map<MetricName, ? extends Metric> metrics() {
        return streams.metrics();
    }

    /** Commits, leaves the consumer group (so a successor starts at once) and closes the stores. */
    @Override
    public void close() {
        boolean clean = streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(CLOSE_TIMEOUT));
        if (!clean) {
            LOG.warn("router did not close within {}", CLOSE_TIMEOUT);
        }
    }
}
