package io.pipechat.local.cluster;

import io.pipechat.embedded.KraftConfig;
import io.pipechat.groups.observe.PrometheusMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A Flink standalone session cluster of two JVMs started from the jars of Maven Central (there is no
 * {@code flink-dist} there): a JobManager ({@code StandaloneSessionClusterEntrypoint}) and a
 * TaskManager ({@code TaskManagerRunner}), as Flink's {@code jobmanager.sh}/{@code taskmanager.sh}
 * start them: the same entry points, {@code --configDir}, and the JVM memory flags and dynamic
 * properties Flink's scripts compute from the configured process sizes.
 *
 * <p>They run on their own classpath ({@link EngineJars#flinkClasspath()}): Flink's RocksDB fork and
 * Kafka Streams' RocksDB share class names and the native library name, so Kafka Streams must never
 * be on it (STACK.md). Jobs come as jars through the REST API ({@link FlinkRest}), as on any Flink
 * cluster; the JobManager's REST endpoint includes the {@code /jars} upload and run handlers
 * ({@code flink-runtime-web}).
 *
 * <p>Layout under {@code dir}: {@code conf/config.yaml} (written at the first start, with the ports
 * chosen then; read again by every later start, so a restarted JobManager comes back at the address
 * the TaskManager knows), {@code conf/logback.xml}, {@code checkpoints/<job id>/chk-<n>/} (RocksDB,
 * incremental, retained on cancellation), {@code savepoints/}, {@code tmp/} (Flink's working
 * directories, uploaded jars). Logs: {@code flink-jobmanager.log} and {@code flink-taskmanager.log}
 * in the {@link JavaProcesses} log directory.
 *
 * <p>No high availability: a JobManager that dies takes its jobs with it; {@link FlinkJobSupervisor}
 * starts it again and resubmits the job from the newest retained checkpoint. Heartbeats are short
 * (2 s, timeout 10 s) so that a lost TaskManager is noticed within seconds on this one machine.
 *
 * <p>Thread-safe: the processes may be restarted from any thread.
 */
public final class FlinkCluster {
    public static final String JOBMANAGER = "flink-jobmanager";
    public static final String TASKMANAGER = "flink-taskmanager";
    static final String JOBMANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    static final String TASKMANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String JOBMANAGER_METRICS_PORT = "pipechat.jobmanager.metrics-port";
    private static final String TASKMANAGER_METRICS_PORT = "pipechat.taskmanager.metrics-port";
    private static final String REPORTER_PORT = "metrics.reporter." + PrometheusMetrics.REPORTER + ".port";

    /**
     * The module and reflection access Flink needs on JDK 17+ (Flink's default {@code env.java.opts.all}
     * without the {@code jdk.compiler} exports, which only its SQL planner uses).
     */
    static final List<String> JDK_FLAGS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    private final JavaProcesses processes;
    private final Path dir;
    private final String classpath;
    private final Map<String, String> config;
    private volatile JavaProcesses.Child jobManager;
    private volatile JavaProcesses.Child taskManager;

    private FlinkCluster(JavaProcesses processes, Path dir, String classpath, Map<String, String> config) {
        this.processes = processes;
        this.dir = dir;
        this.classpath = classpath;
        this.config = config;
    }

    /**
     * Starts the JobManager and the TaskManager and waits until the TaskManager has registered.
     *
     * @param slots task slots of the TaskManager
     */
    public static FlinkCluster start(JavaProcesses processes, Path dir, String classpath, int slots) throws IOException {
        FlinkCluster cluster = launch(processes, dir, classpath, slots);
        cluster.awaitReady(Duration.ofSeconds(120));
        return cluster;
    }

    /** Starts both processes and returns at once; {@link #awaitReady} waits for them. */
    public static FlinkCluster launch(JavaProcesses processes, Path dir, String classpath, int slots) throws IOException {
        Path conf = dir.resolve("conf");
        Path file = conf.resolve("config.yaml");
        if (!Files.exists(file)) {
            Files.createDirectories(conf);
            Files.writeString(file, yaml(defaults(dir, slots)));
        }
        try (InputStream in = FlinkCluster.class.getResourceAsStream("engine-logback.xml")) {
            Files.copy(in, conf.resolve("logback.xml"), StandardCopyOption.REPLACE_EXISTING);
        }
        FlinkCluster cluster = new FlinkCluster(processes, dir, classpath, read(file));
        cluster.startJobManager();
        cluster.startTaskManager();
        return cluster;
    }

    /** Waits until the JobManager answers and the TaskManager has registered with it. */
    public void awaitReady(Duration timeout) {
        rest().awaitTaskManagers(1, timeout, this::checkAlive);
    }

    /** The settings of a new cluster: ports free now, then fixed for good in {@code config.yaml}. */
    private static Map<String, String> defaults(Path dir, int slots) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("jobmanager.rpc.address", "127.0.0.1");
        c.put("jobmanager.rpc.port", Integer.toString(KraftConfig.freePort()));
        c.put("jobmanager.bind-host", "127.0.0.1");
        c.put("jobmanager.memory.process.size", "640m");
        c.put("jobmanager.memory.jvm-metaspace.size", "160m");
        c.put("jobmanager.memory.jvm-overhead.min", "96m");
        c.put("taskmanager.host", "127.0.0.1");
        c.put("taskmanager.bind-host", "127.0.0.1");
        c.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
        c.put("taskmanager.memory.process.size", "900m");
        c.put("taskmanager.memory.jvm-metaspace.size", "160m");
        c.put("taskmanager.memory.jvm-overhead.min", "96m");
        c.put("taskmanager.memory.network.min", "32m");
        c.put("taskmanager.memory.network.max", "32m");
        c.put("taskmanager.memory.managed.fraction", "0.25");
        c.put("rest.address", "127.0.0.1");
        c.put("rest.bind-address", "127.0.0.1");
        c.put("rest.port", Integer.toString(KraftConfig.freePort()));
        c.put("heartbeat.interval", "2 s");
        c.put("heartbeat.timeout", "10 s");
        c.put("state.backend.type", "rocksdb");
        c.put("execution.checkpointing.incremental", "true");
        c.put("execution.checkpointing.dir", dir.resolve("checkpoints").toAbsolutePath().toUri().toString());
        c.put("execution.checkpointing.savepoint-dir", dir.resolve("savepoints").toAbsolutePath().toUri().toString());
        c.put("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        c.put("execution.state-recovery.claim-mode", "NO_CLAIM");
        Path tmp = dir.resolve("tmp").toAbsolutePath();
        c.put("io.tmp.dirs", tmp.toString());
        c.put("web.tmpdir", tmp.resolve("web").toString());
        c.put("web.upload.dir", tmp.resolve("upload").toString());
        c.put("blob.storage.directory", tmp.resolve("blobs").toString());
        c.put("metrics.reporter." + PrometheusMetrics.REPORTER + ".factory.class", PrometheusMetrics.FACTORY);
        // Ours, ignored by Flink: each JVM gets its reporter port as a dynamic property (-D) at start.
        c.put(JOBMANAGER_METRICS_PORT, Integer.toString(KraftConfig.freePort()));
        c.put(TASKMANAGER_METRICS_PORT, Integer.toString(KraftConfig.freePort()));
        return c;
    }

    /** Starts a JobManager (the previous one must be dead); it reads {@code config.yaml} again. */
    public synchronized JavaProcesses.Child startJobManager() {
        Configuration conf = Configuration.fromMap(config);
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(conf);
        List<String> jvm = new ArrayList<>(JDK_FLAGS);
        jvm.addAll(List.of(JobManagerProcessUtils.generateJvmParametersStr(spec, conf).trim().split("\\s+")));
        jobManager = start(JOBMANAGER, JOBMANAGER_MAIN, jvm, JobManagerProcessUtils.generateDynamicConfigsStr(spec)
                + " -D " + REPORTER_PORT + "=" + config.get(JOBMANAGER_METRICS_PORT));
        return jobManager;
    }

    /** Starts a TaskManager (the previous one must be dead). */
    public synchronized JavaProcesses.Child startTaskManager() {
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(Configuration.fromMap(config));
        List<String> jvm = new ArrayList<>(JDK_FLAGS);
        jvm.addAll(List.of(ProcessMemoryUtils.generateJvmParametersStr(spec).trim().split("\\s+")));
        taskManager = start(TASKMANAGER, TASKMANAGER_MAIN, jvm, TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)
                + " -D " + REPORTER_PORT + "=" + config.get(TASKMANAGER_METRICS_PORT));
        return taskManager;
    }

    private JavaProcesses.Child start(String name, String main, List<String> jvm, String dynamicConfigs) {
        List<String> args = new ArrayList<>(List.of("--configDir", dir.resolve("conf").toString()));
        args.addAll(List.of(dynamicConfigs.trim().split("\\s+")));
        return processes.start(name, classpath, main,
                Map.of("logback.configurationFile", dir.resolve("conf/logback.xml").toString(),
                        "java.io.tmpdir", dir.resolve("tmp").toAbsolutePath().toString()),
                jvm, args.toArray(String[]::new));
    }

    /** Throws if the JobManager or the TaskManager exited (with the end of its log). */
    void checkAlive() {
        for (JavaProcesses.Child c : List.of(jobManager, taskManager)) {
            if (!c.process().isAlive()) {
                throw new IllegalStateException(c.name() + " exited:\n" + c.tail(40));
            }
        }
    }

    public JavaProcesses.Child jobManager() {
        return jobManager;
    }

    public JavaProcesses.Child taskManager() {
        return taskManager;
    }

    /** {@code http://127.0.0.1:<rest.port>}: the REST API and web UI. */
    public String restUrl() {
        return "http://" + config.get("rest.address") + ":" + config.get("rest.port");
    }

    public FlinkRest rest() {
        return new FlinkRest(restUrl());
    }

    /** The JobManager's Prometheus metrics URL. */
    public String jobManagerMetricsUrl() {
        return "http://127.0.0.1:" + config.get(JOBMANAGER_METRICS_PORT) + "/metrics";
    }

    /** The TaskManager's Prometheus metrics URL (the job's operators report here). */
    public String taskManagerMetricsUrl() {
        return "http://127.0.0.1:" + config.get(TASKMANAGER_METRICS_PORT) + "/metrics";
    }

    public Path checkpointsDir() {
        return dir.resolve("checkpoints");
    }

    public Path savepointsDir() {
        return dir.resolve("savepoints");
    }

    public Path dir() {
        return dir;
    }

    /** Flat {@code key: value} lines: Flink 2's {@code config.yaml} reads dotted keys as nested ones. */
    private static String yaml(Map<String, String> c) {
        StringBuilder b = new StringBuilder("# Written by pipechat's scripts/cluster.sh at the cluster's first start; read at every start.\n");
        c.forEach((k, v) -> b.append(k).append(": ").append(v.contains(":") || v.contains("#") ? "'" + v + "'" : v).append('\n'));
        return b.toString();
    }

    private static Map<String, String> read(Path file) throws IOException {
        Map<String, String> c = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(": ");
            String v = line.substring(colon + 2).trim();
            c.put(line.substring(0, colon).trim(), v.startsWith("'") ? v.substring(1, v.length() - 1) : v);
        }
        return c;
    }
}
