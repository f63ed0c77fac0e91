package io.pipechat.groups;

import io.pipechat.groups.observe.PrometheusMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the group expansion job on Kafka in this JVM, on its own Flink {@link MiniCluster}, for the
 * one-JVM {@code local} stack.
 *
 * <p>Files, all under {@code dataDir}: {@code checkpoints/<job id>/chk-<n>/} (retained on cancel),
 * {@code tmp/} (Flink's {@code io.tmp.dirs}, blobs, working directory; deleted on start).
 *
 * <p>State backend: the heap ({@code hashmap}) with file checkpoints, never RocksDB: Flink's RocksDB
 * fork and Kafka Streams' RocksDB share the class names and the native library, and on one
 * classpath every Flink checkpoint fails (see STACK.md). The state here is small (members per
 * group, a few held messages).
 *
 * <p>Restart: {@link #start} restores from the newest retained checkpoint ({@code chk-*}/{@code
 * _metadata}) under {@code dataDir}, and deletes the checkpoints of older runs. Nothing is lost
 * across a stop and start; with the (default) at-least-once sink, user events expanded after that
 * checkpoint are written again (the router drops them as duplicates), with an exactly-once sink and
 * {@code read_committed} readers nothing is written twice.
 *
 * <p>Metrics: off by default (the one-JVM stack has ports enough); {@link #start(GroupsConfig, Path,
 * int)} with a port serves every Flink metric of this mini cluster (the job's
 * {@code group_expander_*}, Flink's task, checkpoint and JVM metrics) as Prometheus text through
 * Flink's own reporter, see {@link PrometheusMetrics}. The job's health is {@link #status()}.
 */
public final class EmbeddedGroupsJob implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedGroupsJob.class);

    private final MiniCluster cluster;
    private final JobID jobId;
    private final Optional<Path> restoredFrom;
    private final OptionalInt metricsPort;

    private EmbeddedGroupsJob(MiniCluster cluster, JobID jobId, Optional<Path> restoredFrom, OptionalInt metricsPort) {
        this.cluster = cluster;
        this.jobId = jobId;
        this.restoredFrom = restoredFrom;
        this.metricsPort = metricsPort;
    }

    /** Starts the job in the background, without a metrics endpoint; returns once it is submitted. */
    public static EmbeddedGroupsJob start(GroupsConfig config, Path dataDir) throws Exception {
        return start(config, dataDir, PrometheusMetrics.OFF);
    }

    /**
     * Starts the job in the background; returns once it is submitted.
     *
     * @param metricsPort port of Flink's Prometheus reporter ({@code http://<any interface>:<port>/metrics}):
     *                    {@code -1} off, {@code 0} a free port (see {@link #metricsPort()})
     */
    public static EmbeddedGroupsJob start(GroupsConfig config, Path dataDir, int metricsPort) throws Exception {
        OptionalInt metrics = PrometheusMetrics.resolve(metricsPort);
        Path checkpoints = dataDir.resolve("checkpoints").toAbsolutePath();
        Path tmp = dataDir.resolve("tmp").toAbsolutePath();
        deleteRecursively(tmp);
        Files.createDirectories(checkpoints);
        Files.createDirectories(tmp);
        Optional<Path> restore = newestCheckpoint(checkpoints);
        restore.ifPresent(chk -> deleteOtherRuns(checkpoints, chk.getParent()));

        Map<String, String> settings = GroupsJob.flinkSettings(config);
        settings.put("state.backend.type", "hashmap");
        settings.put("execution.checkpointing.dir", checkpoints.toUri().toString());
        settings.put("io.tmp.dirs", tmp.toString());
        settings.put("blob.storage.directory", tmp.resolve("blobs").toString());
        settings.put("process.working-dir", tmp.resolve("work").toString());
        settings.put("web.upload.dir", tmp.resolve("web-upload").toString());
        settings.put("web.tmpdir", tmp.resolve("web").toString());
        // The mini cluster's REST endpoint: loopback, any free port.
        settings.put("rest.bind-address", "127.0.0.1");
        settings.put("rest.address", "127.0.0.1");
        settings.put("rest.bind-port", "0");
        settings.put("taskmanager.numberOfTaskSlots", Integer.toString(config.parallelism()));
        metrics.ifPresent(port -> settings.putAll(PrometheusMetrics.reporterSettings(port)));
        Configuration conf = Configuration.fromMap(settings);

        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(config.parallelism())
                .build());
        try {
            cluster.start();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            GroupsJob.kafka(config).build(env);
            StreamGraph graph = env.getStreamGraph();
            graph.setJobName(GroupsJob.NAME);
            restore.ifPresent(chk -> graph.setSavepointRestoreSettings(
                    SavepointRestoreSettings.forPath(chk.toString(), false)));
            JobGraph job = graph.getJobGraph();
            JobID id = cluster.submitJob(job).get(30, TimeUnit.SECONDS).getJobID();
            LOG.info("group expansion job {} started{}{}", id,
                    restore.map(p -> ", restored from " + p).orElse(", no checkpoint to restore"),
                    metrics.isPresent() ? ", Prometheus metrics on port " + metrics.getAsInt() : "");
            return new EmbeddedGroupsJob(cluster, id, restore, metrics);
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    /** Triggers a checkpoint now and waits for it (returns its path); for tests of restarts. */
    public String checkpoint() throws Exception {
        return cluster.triggerCheckpoint(jobId).get(60, TimeUnit.SECONDS);
    }

    /** The retained checkpoint this run restored from, if any. */
    public Optional<Path> restoredFrom() {
        return restoredFrom;
    }

    /** The port of Flink's Prometheus reporter, empty if off. */
    public OptionalInt metricsPort() {
        return metricsPort;
    }

    public JobID jobId() {
        return jobId;
    }

    public JobStatus status() throws Exception {
        return cluster.getJobStatus(jobId).get(10, TimeUnit.SECONDS);
    }

    /** Cancels the job (its last completed checkpoint stays for the next start) and stops the cluster. */
    @Override
    public void close() throws Exception {
        try {
            if (!status().isGloballyTerminalState()) {
                cluster.cancelJob(jobId).get(30, TimeUnit.SECONDS);
                cluster.requestJobResult(jobId).get(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warn("group expansion job {} did not cancel cleanly: {}", jobId, e.toString());
        } finally {
            cluster.close();
        }
    }

    /** The newest {@code chk-<n>} directory with a {@code _metadata} file under {@code checkpoints}. */
    static Optional<Path> newestCheckpoint(Path checkpoints) throws IOException {
        if (!Files.isDirectory(checkpoints)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.find(checkpoints, 3, (p, a) -> a.isRegularFile()
                && p.getFileName().toString().equals("_metadata")
                && p.getParent().getFileName().toString().startsWith("chk-"))) {
            return files.max(Comparator.<Path>comparingLong(EmbeddedGroupsJob::modified)
                            .thenComparingLong(p -> checkpointNumber(p.getParent())))
                    .map(Path::getParent);
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static long checkpointNumber(Path chk) {
        try {
            return Long.parseLong(chk.getFileName().toString().substring("chk-".length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void deleteOtherRuns(Path checkpoints, Path keep) {
        try (Stream<Path> runs = Files.list(checkpoints)) {
            runs.filter(run -> !run.equals(keep)).forEach(EmbeddedGroupsJob::deleteRecursively);
        } catch (IOException e) {
            LOG.warn("cannot list old checkpoints in {}: {}", checkpoints, e.toString());
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot delete {}: {}", root, e.toString());
        }
    }
}
