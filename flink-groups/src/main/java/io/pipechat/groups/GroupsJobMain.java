package io.pipechat.groups;

import io.pipechat.groups.observe.JobHealthServer;
import io.pipechat.groups.observe.PrometheusMetrics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point on a real Flink cluster ({@code flink run -c io.pipechat.groups.GroupsJobMain ...} or
 * the manifest of the {@code cluster} job jar), or as a plain JVM ({@code java ... GroupsJobMain}),
 * where Flink runs the job on a mini cluster in this JVM. Arguments are {@code key=value} pairs: the
 * {@link GroupsConfig} keys ({@code bootstrap-servers=kafka:9092}, {@code hold=5s}, ...), and any
 * key starting with {@code flink.} is passed to Flink without the prefix
 * ({@code flink.execution.checkpointing.dir=s3://bucket/pipechat/groups}); {@code flink.} settings
 * win over every default below.
 *
 * <p>On a cluster: state backend RocksDB ({@code state.backend.type: rocksdb}, incremental
 * checkpoints). Metrics and health are the cluster's: its Prometheus reporter
 * ({@code metrics.reporter.prom.*} in the JobManager/TaskManager config) and REST API
 * ({@code GET /jobs/overview}).
 *
 * <p>As a plain JVM (mini cluster), see {@link #startLocal(Map)}: state backend {@code hashmap}
 * (RocksDB is not on this module's classpath; checkpoints in the JobManager's memory unless
 * {@code flink.execution.checkpointing.dir} is given), and two operator endpoints:
 * <ul>
 *   <li>{@code metrics-port} (default {@value PrometheusMetrics#DEFAULT_PORT}): Flink's Prometheus
 *       reporter, all Flink metrics as Prometheus text; {@code 0} = a free port (logged),
 *       {@code -1} = off.</li>
 *   <li>{@code health-port} (default {@value #DEFAULT_HEALTH_PORT}): {@code GET /health}, 200 while
 *       the job is RUNNING, else 503 ({@link JobHealthServer}); {@code 0} = a free port (logged),
 *       {@code -1} = off.</li>
 * </ul>
 */
public final class GroupsJobMain {
    private static final Logger LOG = LoggerFactory.getLogger(GroupsJobMain.class);
    public static final int DEFAULT_HEALTH_PORT = 9250;

    private GroupsJobMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> values = parse(args);
        GroupsConfig config = GroupsConfig.from(values);
        Map<String, String> settings = GroupsJob.flinkSettings(config);
        settings.put("state.backend.type", "rocksdb");
        settings.put("execution.checkpointing.incremental", "true");
        settings.putAll(flinkOverrides(values));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(settings));
        if (!(env instanceof LocalStreamEnvironment)) {
            // `flink run`: metric reporters are the cluster's, not the job's.
            GroupsJob.kafka(config).execute(env);
            return;
        }
        try (Local local = startLocal(values)) {
            local.awaitTermination();
        }
    }

    /**
     * The job on a mini cluster in this JVM with its metrics and health endpoints (see the class
     * comment); returns once it is submitted. {@link Local#close()} cancels the job.
     */
    public static Local startLocal(Map<String, String> values) throws Exception {
        GroupsConfig config = GroupsConfig.from(values);
        OptionalInt metricsPort = PrometheusMetrics.resolve(port(values, "metrics-port", PrometheusMetrics.DEFAULT_PORT));
        int healthPort = port(values, "health-port", DEFAULT_HEALTH_PORT);
        Map<String, String> settings = GroupsJob.flinkSettings(config);
        settings.put("state.backend.type", "hashmap");
        metricsPort.ifPresent(p -> settings.putAll(PrometheusMetrics.reporterSettings(p)));
        settings.putAll(flinkOverrides(values));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(Configuration.fromMap(settings));
        GroupsJob.kafka(config).build(env);
        JobClient client = env.executeAsync(GroupsJob.NAME);
        JobHealthServer health = null;
        try {
            if (healthPort != PrometheusMetrics.OFF) {
                health = JobHealthServer.start("0.0.0.0", healthPort, () -> client.getJobStatus().get(5, TimeUnit.SECONDS));
            }
        } catch (RuntimeException e) {
            client.cancel().get(30, TimeUnit.SECONDS);
            throw e;
        }
        Local local = new Local(client, metricsPort, Optional.ofNullable(health));
        LOG.info("group expansion job {} started on a mini cluster; Prometheus metrics: {}; health: {}",
                client.getJobID(),
                metricsPort.isPresent() ? "http://0.0.0.0:" + metricsPort.getAsInt() + "/metrics" : "off",
                local.healthPort().isPresent() ? "http://0.0.0.0:" + local.healthPort().getAsInt() + "/health" : "off");
        return local;
    }

    /** The job running on a mini cluster in this JVM, with its endpoints. */
    public static final class Local implements AutoCloseable {
        private final JobClient client;
        private final OptionalInt metricsPort;
        private final Optional<JobHealthServer> health;

        Local(JobClient client, OptionalInt metricsPort, Optional<JobHealthServer> health) {
            this.client = client;
            this.metricsPort = metricsPort;
            this.health = health;
        }

        public JobClient client() {
            return client;
        }

        /** The port of Flink's Prometheus reporter, empty if off. */
        public OptionalInt metricsPort() {
            return metricsPort;
        }

        /** The port of {@code /health}, empty if off. */
        public OptionalInt healthPort() {
            return health.map(h -> OptionalInt.of(h.port())).orElse(OptionalInt.empty());
        }

        /** Blocks until the job ends (it only ends by failing beyond its restart attempts or being cancelled). */
        public void awaitTermination() throws Exception {
            client.getJobExecutionResult().get();
        }

        /** Cancels the job (the mini cluster then stops) and stops {@code /health}. */
        @Override
        public void close() throws Exception {
            try {
                JobStatus status = client.getJobStatus().get(10, TimeUnit.SECONDS);
                if (!status.isGloballyTerminalState()) {
                    client.cancel().get(30, TimeUnit.SECONDS);
                    // The mini cluster shuts down once the job is over: wait for it (ports freed).
                    client.getJobExecutionResult().handle((r, e) -> null).get(60, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                LOG.warn("group expansion job {} did not cancel cleanly: {}", client.getJobID(), e.toString());
            } finally {
                health.ifPresent(JobHealthServer::close);
            }
        }
    }

    static Map<String, String> flinkOverrides(Map<String, String> values) {
        Map<String, String> flink = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith("flink.")) {
                flink.put(k.substring("flink.".length()), v);
            }
        });
        return flink;
    }

    private static int port(Map<String, String> values, String key, int fallback) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            int port = Integer.parseInt(v.trim());
            if (port < -1 || port > 65_535) {
                throw new IllegalArgumentException(key + " must be -1 (off), 0 (free port) or 1..65535, got " + v);
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be -1 (off), 0 (free port) or 1..65535, got '" + v + "'");
        }
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String arg : args) {
            String a = arg.startsWith("--") ? arg.substring(2) : arg;
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got '" + arg + "'");
            }
            values.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return values;
    }
}
