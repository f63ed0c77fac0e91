package io.pipechat.local;

import io.pipechat.groups.GroupsConfig;
import io.pipechat.router.RouterConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./run.sh}: starts the whole stack in this JVM and runs until Ctrl-C. */
@Command(name = "pipechat-local", mixinStandardHelpOptions = true,
        description = "Runs pipechat in one JVM on embedded infrastructure.")
public final class LocalMain implements Callable<Integer> {

    @Option(names = "--data-dir", description = "where everything is kept (default: ${DEFAULT-VALUE})")
    Path dataDir = Path.of("data");

    @Option(names = "--fresh", description = "delete the data directory first")
    boolean fresh;

    @Option(names = "--port", description = "HTTP/WebSocket port of the first edge (default: ${DEFAULT-VALUE})")
    int port = 8080;

    @Option(names = "--kafka-port", description = "Kafka broker port (default: ${DEFAULT-VALUE})")
    int kafkaPort = 9092;

    @Option(names = "--db-port", description = "MariaDB port; 0 for a free one (default: ${DEFAULT-VALUE})")
    int dbPort = 0;

    @Option(names = "--edges", description = "number of edges; edge i listens on port + i (default: ${DEFAULT-VALUE})")
    int edges = 1;

    @Option(names = "--partitions", description = "partitions of chat.user-events (default: ${DEFAULT-VALUE})")
    int partitions = 4;

    @Option(names = "--token-secret", description = "HS256 secret for tokens (default: a development secret)")
    String tokenSecret;

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        long t0 = System.nanoTime();
        var options = new LocalStack.Options(dataDir, fresh, port, kafkaPort, dbPort, edges, partitions,
                RouterConfig.defaults(), GroupsConfig.defaults(),
                tokenSecret == null ? Map.of() : Map.of("edge.token.secret", tokenSecret));
        LocalStack stack = LocalStack.start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping...");
            stack.close();
            stopped.countDown();
        }, "local-shutdown"));
        System.out.printf("%npipechat is up in %.1f s: %s%n  Kafka %s, MariaDB %s, data in %s%n",
                (System.nanoTime() - t0) / 1e9, stack.url(0), stack.kafka().bootstrapServers(),
                stack.database().jdbcUrl(), stack.dataDir());
        for (int i = 1; i < edges; i++) {
            System.out.printf("  edge %d: %s%n", i, stack.url(i));
        }
        stopped.await();
        return 0;
    }
}
