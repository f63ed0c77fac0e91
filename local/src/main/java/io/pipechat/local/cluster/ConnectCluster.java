package io.pipechat.local.cluster;

import io.pipechat.cdc.ConnectClient;
import io.pipechat.embedded.KraftConfig;
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
import java.util.Properties;

/**
 * A Kafka Connect cluster in distributed mode: {@code n} worker JVMs
 * ({@code org.apache.kafka.connect.cli.ConnectDistributed worker-N.properties}) in one group, on the
 * classpath of module {@code cluster-connect} (connect-runtime with its REST server, the Debezium
 * MariaDB and MySQL connectors). Connectors are configured through the REST API
 * ({@link ConnectClient}); the workers keep configs, offsets and statuses in Kafka
 * ({@code connect-configs}, {@code connect-offsets}, {@code connect-status}), so a task moves to
 * another worker when its worker dies and continues from the committed offsets.
 *
 * <p>Tuned for failover within seconds on this one machine: offsets committed every second (after
 * {@code kill -9} at most that second of changes is written again: consumers upsert by key), and a
 * departed worker's tasks reassigned after 5 s ({@code scheduled.rebalance.max.delay.ms}; Connect's
 * default waits 5 minutes for it to come back) once its session (10 s) has expired.
 *
 * <p>Layout under {@code dir}: {@code worker-N.properties} (written at the first start with a free
 * REST port, read again later), {@code logback.xml}; logs as {@code connect-N.log}.
 */
public final class ConnectCluster {
    static final String MAIN = "org.apache.kafka.connect.cli.ConnectDistributed";
    public static final String GROUP = "pipechat-connect";

    private final JavaProcesses processes;
    private final Path dir;
    private final String classpath;
    private final List<JavaProcesses.Child> workers = new ArrayList<>();
    private final List<String> urls = new ArrayList<>();

    private ConnectCluster(JavaProcesses processes, Path dir, String classpath) {
        this.processes = processes;
        this.dir = dir;
        this.classpath = classpath;
    }

    /**
     * Starts {@code n} workers and waits until each answers its REST API.
     *
     * @param replication replication factor of the worker's own topics
     */
    public static ConnectCluster start(JavaProcesses processes, Path dir, String classpath, String bootstrapServers,
                                       int n, int replication) throws IOException {
        ConnectCluster cluster = launch(processes, dir, classpath, bootstrapServers, n, replication);
        cluster.awaitReady(Duration.ofSeconds(120));
        return cluster;
    }

    /** Starts the workers and returns at once; {@link #awaitReady} waits for them. */
    public static ConnectCluster launch(JavaProcesses processes, Path dir, String classpath, String bootstrapServers,
                                        int n, int replication) throws IOException {
        Files.createDirectories(dir);
        try (InputStream in = ConnectCluster.class.getResourceAsStream("engine-logback.xml")) {
            Files.copy(in, dir.resolve("logback.xml"), StandardCopyOption.REPLACE_EXISTING);
        }
        ConnectCluster cluster = new ConnectCluster(processes, dir, classpath);
        for (int i = 1; i <= n; i++) {
            Path file = dir.resolve("worker-" + i + ".properties");
            if (!Files.exists(file)) {
                Properties p = new Properties();
                p.putAll(workerConfig(bootstrapServers, KraftConfig.freePort(), replication));
                try (var out = Files.newBufferedWriter(file)) {
                    p.store(out, "pipechat Kafka Connect worker " + i);
                }
            }
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file)) {
                p.load(in);
            }
            cluster.urls.add("http://127.0.0.1:" + p.getProperty("rest.advertised.port"));
            cluster.workers.add(null);
            cluster.startWorker(i);
        }
        return cluster;
    }

    /** Waits until every worker answers its REST API. */
    public void awaitReady(Duration timeout) {
        for (int i = 1; i <= size(); i++) {
            awaitReachable(i, timeout);
        }
    }

    static Map<String, String> workerConfig(String bootstrapServers, int restPort, int replication) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("bootstrap.servers", bootstrapServers);
        c.put("group.id", GROUP);
        c.put("listeners", "http://127.0.0.1:" + restPort);
        c.put("rest.advertised.host.name", "127.0.0.1");
        c.put("rest.advertised.port", Integer.toString(restPort));
        c.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        c.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        c.put("key.converter.schemas.enable", "false");
        c.put("value.converter.schemas.enable", "false");
        c.put("config.storage.topic", "connect-configs");
        c.put("config.storage.replication.factor", Integer.toString(replication));
        c.put("offset.storage.topic", "connect-offsets");
        c.put("offset.storage.replication.factor", Integer.toString(replication));
        c.put("offset.storage.partitions", "5");
        c.put("status.storage.topic", "connect-status");
        c.put("status.storage.replication.factor", Integer.toString(replication));
        c.put("status.storage.partitions", "1");
        c.put("offset.flush.interval.ms", "1000");
        c.put("scheduled.rebalance.max.delay.ms", "5000");
        c.put("plugin.discovery", "service_load");
        // A dead broker: clients find the new partition leaders within seconds instead of timing out
        // on the old one for a minute (a task that starts then waits that long for its offsets).
        c.put("metadata.max.age.ms", "10000");
        c.put("request.timeout.ms", "10000");
        c.put("default.api.timeout.ms", "15000");
        return c;
    }

    /** Starts worker {@code i} (1-based; the previous process must be dead). */
    public synchronized JavaProcesses.Child startWorker(int i) {
        JavaProcesses.Child c = processes.start("connect-" + i, classpath, MAIN,
                Map.of("logback.configurationFile", dir.resolve("logback.xml").toString()), List.of("-Xmx384m"),
                dir.resolve("worker-" + i + ".properties").toString());
        workers.set(i - 1, c);
        return c;
    }

    private void awaitReachable(int i, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ConnectClient client = new ConnectClient(url(i));
        while (!client.reachable()) {
            JavaProcesses.Child c = worker(i);
            if (!c.process().isAlive()) {
                throw new IllegalStateException(c.name() + " exited:\n" + c.tail(40));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(c.name() + " did not answer at " + url(i) + " within " + timeout);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Worker {@code i} (1-based). */
    public synchronized JavaProcesses.Child worker(int i) {
        return workers.get(i - 1);
    }

    public int size() {
        return urls.size();
    }

    /** The REST URL of worker {@code i} (1-based), e.g. {@code http://127.0.0.1:8083}. */
    public String url(int i) {
        return urls.get(i - 1);
    }

    /** A client on the first worker that answers (any worker serves the whole cluster). */
    public ConnectClient client() {
        for (int i = 1; i <= urls.size(); i++) {
            if (worker(i).process().isAlive()) {
                return new ConnectClient(url(i));
            }
        }
        return new ConnectClient(url(1));
    }
}
