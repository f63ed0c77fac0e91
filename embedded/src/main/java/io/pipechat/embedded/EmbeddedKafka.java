package io.pipechat.embedded;

import io.pipechat.protocol.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker (KRaft, broker and controller in one) inside this JVM, on loopback.
 *
 * <p>With a data directory that already holds a formatted log, the broker starts on it again, so
 * topics and offsets survive a restart of the one-JVM stack. Without one, it uses a temporary
 * directory that {@link #close()} deletes.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final KafkaRaftServer server;
    private final Path logDir;
    private final boolean temporary;
    private final String bootstrapServers;

    private EmbeddedKafka(KafkaRaftServer server, Path logDir, boolean temporary, String bootstrapServers) {
        this.server = server;
        this.logDir = logDir;
        this.temporary = temporary;
        this.bootstrapServers = bootstrapServers;
    }

    /** A broker on a temporary directory and free ports. */
    public static EmbeddedKafka start() {
        return start(null, 0);
    }

    /**
     * @param dataDir where the log lives; null for a temporary directory
     * @param port    the client port; 0 for a free one (the controller port is always a free one)
     */
    public static EmbeddedKafka start(Path dataDir, int port) {
        try {
            boolean temporary = dataDir == null;
            Path logDir = temporary ? Files.createTempDirectory("pipechat-kafka") : dataDir;
            Files.createDirectories(logDir);
            int brokerPort = port == 0 ? KraftConfig.freePort() : port;
            int controllerPort = KraftConfig.freePort();
            Properties props = config(logDir, brokerPort, controllerPort);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(props);
            }
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            String bootstrap = "127.0.0.1:" + brokerPort;
            EmbeddedKafka kafka = new EmbeddedKafka(server, logDir, temporary, bootstrap);
            kafka.awaitReady();
            LOG.info("Kafka broker ready on {} (log in {})", bootstrap, logDir);
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path logDir() {
        return logDir;
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** Creates the project's topics (missing ones only) with replication factor 1. */
    public void createTopics(Topics topics, int partitions, int edges) {
        createTopics(topics.newTopics(partitions, edges, (short) 1));
    }

    public void createTopics(List<NewTopic> topics) {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topics " + names(missing), e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (temporary) {
            try {
                Directories.deleteRecursively(logDir);
            } catch (UncheckedIOException e) {
                LOG.warn("could not delete {}", logDir, e);
            }
        }
    }

    private void awaitReady() {
        try (Admin admin = admin()) {
            admin.describeCluster().nodes().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka broker did not come up", e.getCause());
        }
    }

    private static Properties config(Path logDir, int brokerPort, int controllerPort) {
        Properties p = KraftConfig.node(1, "1@127.0.0.1:" + controllerPort, brokerPort, controllerPort, logDir, 1);
        p.put("auto.create.topics.enable", "true");
        p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
        return p;
    }

    private static void format(Properties props) throws IOException {
        Path file = Files.createTempFile("kafka-format", ".properties");
        try {
            try (var out = Files.newBufferedWriter(file)) {
                props.store(out, null);
            }
            KraftConfig.format(Uuid.randomUuid().toString(), file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static String names(List<NewTopic> topics) {
        return topics.stream().map(NewTopic::name).collect(Collectors.joining(", "));
    }

}
