package io.pipechat.notifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.edge.Edge;
import io.pipechat.edge.EdgeConfig;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.protocol.Topics;
import io.pipechat.router.Router;
import io.pipechat.router.RouterConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.LogManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * What the services log never names a token, a message body, a push endpoint or a subscription's keys
 * (docs/OPERATIONS.md, "Logging"), even at DEBUG: a chat through a real edge, router and notifier
 * (alice writes to bob while he is offline, bob's browser is pushed, bob connects, reads and acks),
 * with every logger of this JVM at DEBUG (pipechat's and the libraries', Helidon's through the JUL
 * bridge as the edge's {@code Main} installs it) and every line checked as it is written.
 */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
class NoSecretsInLogsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void aChatWithAPushLogsNoTokenBodyEndpointOrKeyAtDebug(EmbeddedKafka kafka, EmbeddedMariaDb db) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 2, 1);
        String jdbcUrl = db.jdbcUrl(MariaDbExtension.uniqueDatabase(db));
        String body = "the-secret-body-" + UUID.randomUUID();
        BrowserSubscription browser = BrowserSubscription.create();

        try (TestPushService pushService = new TestPushService();
             Router router = Router.start(RouterConfig.defaults().withApplicationId("logs-" + topics.push()),
                     kafka.bootstrapServers(), topics, dir.resolve("router"));
             Notifier notifier = Notifier.start(NotifierConfig.from(Map.of(
                     "notifier.bootstrap-servers", kafka.bootstrapServers(),
                     "notifier.topic", topics.push(),
                     "notifier.group-id", "notifier-" + topics.push(),
                     "notifier.db.url", jdbcUrl, "notifier.db.user", db.user(), "notifier.db.password", db.password(),
                     "notifier.data-dir", dir.resolve("notifier").toString(),
                     "notifier.allow-http-endpoints", "true",
                     "notifier.push.allowed-hosts", "127.0.0.1",
                     "notifier.push.allow-loopback", "true")));
             Edge edge = Edge.start(Edge.config(edgeSettings(kafka, topics, jdbcUrl, db, notifier.vapidPublicKey())))) {
            assertThat(router.awaitRunning(Duration.ofSeconds(60))).isTrue();
            String base = "http://127.0.0.1:" + edge.port();
            String endpoint = pushService.endpoint("bob-browser");
            try (Scan scan = Scan.everyLoggerAtDebug()) {
                String aliceToken = ChatClient.devToken(base, "alice");
                String bobToken = ChatClient.devToken(base, "bob");
                scan.forbid(aliceToken, "alice's token").forbid(signature(aliceToken), "alice's token signature")
                        .forbid(bobToken, "bob's token").forbid(signature(bobToken), "bob's token signature")
                        .forbid(body, "the message body").forbid(endpoint, "the push endpoint")
                        .forbid(browser.p256dh(), "the subscription's p256dh").forbid(browser.auth(), "the subscription's auth");

                HttpResponse<String> subscribed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create(base + "/v1/push/subscriptions"))
                        .header("Authorization", "Bearer " + bobToken)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"endpoint\":\"" + endpoint + "\",\"keys\":{\"p256dh\":\""
                                + browser.p256dh() + "\",\"auth\":\"" + browser.auth() + "\"}}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(subscribed.statusCode()).as(subscribed.body()).isEqualTo(201);

                try (ChatClient alice = ChatClient.connect(base, aliceToken, "phone")) {
                    alice.next("welcome");
                    alice.sendTo("bob", "m1", body);
                    alice.next("sent");
                    await().atMost(WAIT).until(() -> pushService.received("bob-browser").size() == 1);
                    try (ChatClient bob = ChatClient.connect(base, bobToken, "phone")) {
                        JsonNode msg = bob.next("msg");
                        assertThat(msg.get("body").asText()).isEqualTo(body);
                        bob.sendFrame(Map.of("type", "read", "id", "m1", "from", "alice"));
                        bob.ack(msg.get("seq").asLong());
                        assertThat(alice.next("receipt").get("status").asText()).isIn("delivered", "read");
                    }
                    // A token that fails, a frame that is refused: the paths that log.
                    assertThat(ChatClient.refusedStatus(base, "Bearer " + aliceToken + "x")).isEqualTo(401);
                    alice.send("{\"type\":\"send\",\"id\":\"m2\",\"to\":{\"user\":\"bob\"},\"body\":5,\"text\":\"" + body + "\"}");
                    assertThat(alice.next("error").get("code").asText()).isEqualTo("bad_request");
                }
                assertThat(scan.lines()).as("log lines written at DEBUG during the chat").isGreaterThan(100);
                assertThat(scan.offending()).as("log lines naming a secret").isEmpty();
            }
        }
    }

    private static Map<String, String> edgeSettings(EmbeddedKafka kafka, Topics topics, String jdbcUrl, EmbeddedMariaDb db,
                                                    String vapidPublicKey) {
        Map<String, String> s = new HashMap<>(EdgeConfig.topicKeys(topics));
        s.put("server.port", "0");
        s.put("kafka.bootstrap-servers", kafka.bootstrapServers());
        s.put("edge.dev-mode", "true");
        s.put("edge.token.secret", "logs-it-secret-logs-it-secret-0123456789abc");
        s.put("db.url", jdbcUrl);
        s.put("db.user", db.user());
        s.put("db.password", db.password());
        s.put("push.vapid-public-key", vapidPublicKey);
        return s;
    }

    private static String signature(String jwt) {
        return jwt.substring(jwt.lastIndexOf('.') + 1);
    }

    /**
     * Sets every logger to DEBUG and checks each line for the forbidden strings as it is written (the
     * output of a few seconds at DEBUG is large: it is not kept), then puts the levels back.
     */
    private static final class Scan extends AppenderBase<ILoggingEvent> implements AutoCloseable {
        private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        private final Map<String, Level> levels = new HashMap<>();
        private final Map<String, String> forbidden = new java.util.concurrent.ConcurrentHashMap<>();
        private final List<String> offending = new CopyOnWriteArrayList<>();
        private final AtomicLong lines = new AtomicLong();
        private final java.util.logging.Level julLevel = LogManager.getLogManager().getLogger("").getLevel();
        /** The console appenders of the test configuration: off meanwhile, DEBUG would flood the test's output. */
        private final List<ch.qos.logback.core.Appender<ILoggingEvent>> others = new java.util.ArrayList<>();

        static Scan everyLoggerAtDebug() {
            Scan scan = new Scan();
            scan.setContext(scan.context);
            scan.start();
            for (String name : List.of(Logger.ROOT_LOGGER_NAME, "io.pipechat")) {
                Logger logger = scan.context.getLogger(name);
                scan.levels.put(name, logger.getLevel());
                logger.setLevel(Level.DEBUG);
            }
            Logger root = scan.context.getLogger(Logger.ROOT_LOGGER_NAME);
            root.iteratorForAppenders().forEachRemaining(scan.others::add);
            scan.others.forEach(root::detachAppender);
            root.addAppender(scan);
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
            LogManager.getLogManager().getLogger("").setLevel(java.util.logging.Level.FINE);
            return scan;
        }

        Scan forbid(String secret, String what) {
            forbidden.put(secret, what);
            return this;
        }

        @Override
        protected void append(ILoggingEvent event) {
            lines.incrementAndGet();
            String line = event.getLoggerName() + " " + event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            forbidden.forEach((secret, what) -> {
                if (line.contains(secret) && offending.size() < 20) {
                    offending.add(what + " in: " + line.substring(0, Math.min(line.length(), 500)));
                }
            });
        }

        long lines() {
            return lines.get();
        }

        List<String> offending() {
            return offending;
        }

        @Override
        public void close() {
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            root.detachAppender(this);
            others.forEach(root::addAppender);
            levels.forEach((name, level) -> context.getLogger(name).setLevel(level));
            LogManager.getLogManager().getLogger("").setLevel(julLevel);
            SLF4JBridgeHandler.uninstall();
            stop();
        }
    }
}
