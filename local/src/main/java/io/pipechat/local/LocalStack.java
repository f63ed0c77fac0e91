package io.pipechat.local;

import io.pipechat.edge.Edge;
import io.pipechat.edge.EdgeConfig;
import io.pipechat.assets.AssetsConfig;
import io.pipechat.assets.media.MediaService;
import io.pipechat.cdc.CdcConfig;
import io.pipechat.cdc.CdcEngine;
import io.pipechat.embedded.Directories;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.groups.EmbeddedGroupsJob;
import io.pipechat.groups.GroupsConfig;
import io.pipechat.schema.Schema;
import io.pipechat.notifier.Notifier;
import io.pipechat.notifier.NotifierConfig;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.auth.Hs256Tokens;
import io.pipechat.router.Router;
import io.pipechat.router.RouterConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM on embedded infrastructure: a Kafka broker, MariaDB with the schema,
 * the Debezium CDC engine, the Flink group job on a mini cluster, the router and one or more
 * edges. Everything it keeps lives under one data directory ({@code kafka/}, {@code mariadb/},
 * {@code router/}, {@code flink/}) and survives a restart; a temporary directory is used (and
 * deleted) when none is given.
 *
 * <p>Used by {@link LocalMain} (the README's run command) and by the end-to-end tests, so the tests
 * exercise exactly what a person runs.
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

    /**
     * @param dataDir    where everything is kept; null for a temporary directory
     * @param fresh      delete what {@code dataDir} holds before starting
     * @param httpPort   the first edge's port (edge {@code i} listens on {@code httpPort + i}); 0 for free ports
     * @param kafkaPort  the broker's client port; 0 for a free one
     * @param edges      how many edges (each owns one partition of {@code chat.deliveries})
     * @param partitions partitions of {@code chat.user-events} and {@code chat.group-events}
     * @param dbPort     MariaDB's port; 0 for a free one
     * @param router     router settings
     * @param settings   further configuration: {@code edge.*}, {@code server.*}, ... keys go to the edges
     *                   (see the edge's {@code application.yaml}), {@code notifier.*} keys to the notifier
     */
    public record Options(Path dataDir, boolean fresh, int httpPort, int kafkaPort, int dbPort, int edges,
                          int partitions, RouterConfig router, GroupsConfig groups, Map<String, String> settings) {

        public static Options defaults() {
            return new Options(Path.of("data"), false, 8080, 9092, 0, 1, 4, RouterConfig.defaults(),
                    GroupsConfig.defaults(), Map.of());
        }

        /** Temporary data, free ports: for tests. */
        public static Options ephemeral(int edges) {
            return new Options(null, false, 0, 0, 0, edges, 4, RouterConfig.defaults(), GroupsConfig.defaults(), Map.of());
        }

        public Options withRouter(RouterConfig r) {
            return new Options(dataDir, fresh, httpPort, kafkaPort, dbPort, edges, partitions, r, groups, settings);
        }

        public Options withGroups(GroupsConfig g) {
            return new Options(dataDir, fresh, httpPort, kafkaPort, dbPort, edges, partitions, router, g, settings);
        }

        public Options withSettings(Map<String, String> s) {
            return new Options(dataDir, fresh, httpPort, kafkaPort, dbPort, edges, partitions, router, groups, s);
        }
    }

    /**
     * Flink shares this JVM and moves its job graph and operators with Java serialization, which
     * Helidon's JVM-wide deserialization filter (JEP 290, deny-all by default) would refuse. These
     * packages are allowed; everything else stays rejected. (On a real cluster Flink has its own JVMs.)
     */
    static final String SERIAL_FILTER = "java.**;javax.**;org.apache.flink.**;io.pipechat.**;org.apache.kafka.**;"
            + "scala.**;com.esotericsoftware.**;org.apache.commons.**";

    static {
        if (System.getProperty("helidon.serialFilter.pattern") == null) {
            System.setProperty("helidon.serialFilter.pattern", SERIAL_FILTER);
        }
    }

    private final Options options;
    private final Path dataDir;
    private final boolean temporary;
    private final Topics topics = Topics.defaults();
    private final EmbeddedKafka kafka;
    private EmbeddedMariaDb db;
    private CdcEngine cdc;
    private EmbeddedGroupsJob groupsJob;
    private MediaService media;
    private Notifier notifier;
    private final List<Edge> edges = Collections.synchronizedList(new ArrayList<>());
    private volatile Router router;

    private LocalStack(Options options, Path dataDir, boolean temporary, EmbeddedKafka kafka) {
        this.options = options;
        this.dataDir = dataDir;
        this.temporary = temporary;
        this.kafka = kafka;
    }

    public static LocalStack start(Options options) {
        long t0 = System.nanoTime();
        boolean temporary = options.dataDir() == null;
        Path dataDir = Directories.prepare(options.dataDir(), options.fresh(), "pipechat-local");
        EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), options.kafkaPort());
        LocalStack stack = new LocalStack(options, dataDir, temporary, kafka);
        try {
            kafka.createTopics(stack.topics, options.partitions(), Math.max(options.edges(), 2));
            stack.startDatabase();
            stack.startMedia();
            stack.startNotifier();
            stack.startRouter();
            stack.startGroupsJob();
            for (int i = 0; i < options.edges(); i++) {
                stack.startEdge(i);
            }
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        LOG.info("stack up in {} ms", Duration.ofNanos(System.nanoTime() - t0).toMillis());
        return stack;
    }

    /** MariaDB with the schema, and the CDC engine streaming its group tables to Kafka. */
    private void startDatabase() {
        db = EmbeddedMariaDb.start(EmbeddedMariaDb.Config.defaults()
                .withDataDir(dataDir.resolve("mariadb")).withPort(options.dbPort()));
        Schema.migrate(db.jdbcUrl(), db.user(), db.password());
        cdc = CdcEngine.start(CdcConfig.defaults()
                .withDatabase(db.host(), db.port(), db.user(), db.password(), db.database())
                .withKafka(kafka.bootstrapServers()));
        cdc.awaitStarted(Duration.ofSeconds(60));
    }

    /** The asset service's routes, mounted on every edge's port ({@code /v1/media}), blobs under {@code media/}. */
    private void startMedia() {
        String secret = options.settings().getOrDefault("edge.token.secret", Hs256Tokens.DEVELOPMENT_SECRET);
        try {
            media = MediaService.create(AssetsConfig.defaults().withStoreDir(dataDir.resolve("media"))
                    .withTokenSecret(secret), new Hs256Tokens(secret));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends Web Push for {@code chat.push}; its VAPID key pair is kept under {@code notifier/}. */
    private void startNotifier() {
        Map<String, String> settings = new HashMap<>(Map.of(
                "notifier.bootstrap-servers", kafka.bootstrapServers(),
                "notifier.topic", topics.push(),
                "notifier.db.url", db.jdbcUrl(),
                "notifier.db.user", db.user(),
                "notifier.db.password", db.password(),
                "notifier.data-dir", dataDir.resolve("notifier").toString()));
        options.settings().forEach((k, v) -> {
            if (k.startsWith("notifier.")) {
                settings.put(k, v);
            }
        });
        notifier = Notifier.start(NotifierConfig.from(settings));
    }

    private void startGroupsJob() {
        try {
            groupsJob = EmbeddedGroupsJob.start(options.groups()
                    .withBootstrapServers(kafka.bootstrapServers()).withTopics(topics), dataDir.resolve("flink"));
        } catch (Exception e) {
            throw new IllegalStateException("the group job did not start", e);
        }
    }

    /** Starts (or restarts) the router on the stack's state directory. */
    public Router startRouter() {
        router = Router.start(options.router(), kafka.bootstrapServers(), topics, dataDir.resolve("router"));
        return router;
    }

    public void stopRouter() {
        Router r = router;
        router = null;
        if (r != null) {
            r.close();
        }
    }

    /** Starts edge {@code index} (its delivery partition); the same index can be started again after it stopped. */
    public Edge startEdge(int index) {
        Map<String, String> settings = new HashMap<>(EdgeConfig.topicKeys(topics));
        settings.put("server.port", Integer.toString(options.httpPort() == 0 ? 0 : options.httpPort() + index));
        settings.put("kafka.bootstrap-servers", kafka.bootstrapServers());
        settings.put("edge.partition", Integer.toString(index));
        settings.put("edge.dev-mode", "true");
        settings.put("db.url", db.jdbcUrl());
        settings.put("db.user", db.user());
        settings.put("db.password", db.password());
        settings.put("push.vapid-public-key", notifier.vapidPublicKey());
        settings.putAll(options.settings());
        Edge edge = Edge.start(Edge.config(settings), routing -> routing.register("/v1/media", media));
        synchronized (edges) {
            edges.removeIf(e -> e.config().partition() == index);
            edges.add(edge);
        }
        return edge;
    }

    public Edge edge(int index) {
        synchronized (edges) {
            return edges.stream().filter(e -> e.config().partition() == index).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no edge " + index));
        }
    }

    /** The HTTP base URL of edge {@code index}, e.g. {@code http://127.0.0.1:8080}. */
    public String url(int index) {
        return "http://127.0.0.1:" + edge(index).port();
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public Topics topics() {
        return topics;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Router router() {
        return router;
    }

    public EmbeddedMariaDb database() {
        return db;
    }

    /** Stops in the reverse order of start: edges, group job, router, CDC, database, broker. */
    @Override
    public void close() {
        List<Edge> running;
        synchronized (edges) {
            running = new ArrayList<>(edges);
            edges.clear();
        }
        running.forEach(LocalStack::quietly);
        if (groupsJob != null) {
            quietly(groupsJob);
        }
        if (media != null) {
            quietly(media);
        }
        if (notifier != null) {
            quietly(notifier);
        }
        stopRouter();
        if (cdc != null) {
            quietly(cdc);
        }
        if (db != null) {
            quietly(db);
        }
        kafka.close();
        if (temporary) {
            Directories.deleteRecursively(dataDir);
        }
    }

    private static void quietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("error while stopping {}", c, e);
        }
    }
}
