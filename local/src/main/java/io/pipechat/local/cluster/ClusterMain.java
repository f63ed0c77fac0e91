package io.pipechat.local.cluster;

import ch.qos.logback.classic.Level;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scripts/cluster.sh}: the system as separate processes on this machine ({@link ProcessCluster}),
 * for trying failover and scaling without Docker. Ctrl-C stops every process.
 */
@Command(name = "pipechat-cluster", mixinStandardHelpOptions = true,
        description = "Runs pipechat as a multi-process cluster on this machine: 3 Kafka brokers, MariaDB, Debezium on "
                + "2 Kafka Connect workers, the group job on a Flink session cluster (JobManager, TaskManager), routers, "
                + "edges and the notifier, each in its own process.")
public final class ClusterMain implements Callable<Integer> {

    @Option(names = "--data-dir", description = "where everything is kept (default: ${DEFAULT-VALUE})")
    Path dataDir = ProcessCluster.Options.defaults().dataDir();

    @Option(names = "--fresh", description = "delete the data directory first")
    boolean fresh;

    @Option(names = "--port", description = "HTTP/WebSocket port of edge 0; edge i listens on port + i (default: ${DEFAULT-VALUE})")
    int port = ProcessCluster.Options.defaults().httpPort();

    @Option(names = "--kafka-port", description = "client port of broker 1; broker i listens on kafka-port + i - 1, "
            + "its controller on kafka-port + 100 + i - 1 (default: ${DEFAULT-VALUE}; fixed when the data directory was created)")
    int kafkaPort = ProcessCluster.Options.defaults().kafkaPort();

    @Option(names = "--partitions", description = "partitions of chat.user-events and chat.group-events (default: ${DEFAULT-VALUE})")
    int partitions = ProcessCluster.Options.defaults().partitions();

    @Option(names = "--routers", description = "router instances (default: ${DEFAULT-VALUE})")
    int routers = ProcessCluster.Options.defaults().routers();

    @Option(names = "--edges", description = "edges, one per chat.deliveries partition (default: ${DEFAULT-VALUE})")
    int edges = ProcessCluster.Options.defaults().edges();

    @Option(names = "--token-secret", description = "HS256 secret for tokens (default: a development secret)")
    String tokenSecret;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ClusterMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        // This JVM's admin client polls brokers that are still starting: no warning per attempt here
        // (the processes' own logs keep theirs).
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient"))
                .setLevel(Level.ERROR);
        long t0 = System.nanoTime();
        ProcessCluster cluster = ProcessCluster.start(new ProcessCluster.Options(dataDir, fresh, port, kafkaPort,
                partitions, routers, edges, tokenSecret == null ? Map.of() : Map.of("edge.token.secret", tokenSecret), null));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping every process...");
            cluster.close();
            stopped.countDown();
        }, "cluster-shutdown"));
        System.out.printf("%npipechat cluster is up in %.1f s (data in %s; this list is in endpoints.txt there):%n%s%n"
                        + "Open %s in a browser; kill -9 any pid above to see the others take over. Ctrl-C stops all.%n",
                (System.nanoTime() - t0) / 1e9, cluster.dataDir(), cluster.describe(), cluster.edgeUrl(0));
        stopped.await();
        return 0;
    }
}
