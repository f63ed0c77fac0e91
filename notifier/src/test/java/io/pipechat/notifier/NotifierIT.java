package io.pipechat.notifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.embedded.testing.PrometheusText;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pipechat.notifier.TestPushService.Hang;
import io.pipechat.notifier.TestPushService.Received;
import io.pipechat.notifier.TestPushService.Status;
import io.pipechat.protocol.Json;
import io.pipechat.observe.ObserveServer;
import io.pipechat.protocol.events.PushRequest;
import io.pipechat.schema.Schema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notifier on a real broker and a real MariaDB, pushing to a local push service that verifies
 * VAPID; every payload is decrypted with the browser's keys. Push requests are written the way the
 * router writes them: in Kafka transactions.
 */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
class NotifierIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private EmbeddedKafka kafka;
    private EmbeddedMariaDb db;
    private String topic;
    private String jdbcUrl;
    private Map<String, String> settings;
    private TestPushService service;
    private KafkaProducer<String, byte[]> producer;
    private Notifier notifier;

    @TempDir
    Path dataDir;

    @BeforeEach
    void setUp(EmbeddedKafka kafka, EmbeddedMariaDb db) throws Exception {
        this.kafka = kafka;
        this.db = db;
        topic = KafkaExtension.uniqueTopics().push();
        kafka.createTopics(List.of(new NewTopic(topic, 2, (short) 1)));
        jdbcUrl = db.jdbcUrl(MariaDbExtension.uniqueDatabase(db));
        Schema.migrate(jdbcUrl, db.user(), db.password());
        service = new TestPushService();

        settings = new HashMap<>();
        settings.put("notifier.bootstrap-servers", kafka.bootstrapServers());
        settings.put("notifier.topic", topic);
        settings.put("notifier.group-id", "pipechat-notifier-" + topic);
        settings.put("notifier.db.url", jdbcUrl);
        settings.put("notifier.db.user", db.user());
        settings.put("notifier.db.password", db.password());
        settings.put("notifier.data-dir", dataDir.toString());
        settings.put("notifier.retry.initial-backoff", "100ms");
        settings.put("notifier.retry.max-backoff", "3s");
        settings.put("notifier.request-timeout", "30s");
        settings.put("notifier.shutdown-grace", "2s");
        settings.put("notifier.allow-http-endpoints", "true");
        settings.put("notifier.push.allowed-hosts", "127.0.0.1"); // the test push service
        settings.put("notifier.push.allow-loopback", "true");

        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "notifier-it-" + UUID.randomUUID());
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        producer.initTransactions();
    }

    @AfterEach
    void tearDown() {
        service.close();
        if (notifier != null) {
            notifier.close();
        }
        producer.close();
    }

    @Test
    void aUserWithTwoSubscriptionsGetsTwoValidEncryptedPushes() throws Exception {
        BrowserSubscription laptop = BrowserSubscription.create();
        BrowserSubscription phone = BrowserSubscription.create();
        subscribe("alice", "alice-laptop", laptop);
        subscribe("alice", "alice-phone", phone);
        notifier = Notifier.start(NotifierConfig.from(settings));

        request("alice", 3);

        await().atMost(WAIT).until(() -> service.all().size() == 2);
        for (var device : Map.of("alice-laptop", laptop, "alice-phone", phone).entrySet()) {
            Received push = service.received(device.getKey()).getFirst();
            assertThat(push.problem()).as("push service verdict").isNull();
            assertThat(push.key()).isEqualTo(notifier.vapidPublicKey());
            String payload = new String(device.getValue().decrypt(push.body()), StandardCharsets.UTF_8);
            assertThat(Json.MAPPER.readTree(payload).get("type").asText()).isEqualTo("messages_waiting");
            assertThat(Json.MAPPER.readTree(payload).get("pending").asInt()).isEqualTo(3);
            assertThat(payload).doesNotContain("text");
        }
        await().atMost(WAIT).until(() -> notifier.metrics().sentCount() == 2);
    }

    @Test
    void aGoneSubscriptionIsDeletedAndTheOthersKept() throws Exception {
        long gone = subscribe("bob", "bob-old", BrowserSubscription.create());
        long kept = subscribe("bob", "bob-new", BrowserSubscription.create());
        service.script("bob-old", new Status(410));
        notifier = Notifier.start(NotifierConfig.from(settings));

        request("bob", 1);

        await().atMost(WAIT).until(() -> !subscriptionIds("bob").contains(gone));
        assertThat(subscriptionIds("bob")).containsExactly(kept);
        assertThat(service.received("bob-new")).hasSize(1);
        assertThat(notifier.metrics().removedCount()).isEqualTo(1);
    }

    @Test
    void aServiceUnavailableIsRetriedAfterRetryAfter() throws Exception {
        BrowserSubscription browser = BrowserSubscription.create();
        subscribe("carol", "carol", browser);
        service.script("carol", new Status(503, Map.of("Retry-After", "1")));
        notifier = Notifier.start(NotifierConfig.from(settings));

        request("carol", 2);

        await().atMost(WAIT).until(() -> notifier.metrics().sentCount() == 1);
        List<Received> attempts = service.received("carol");
        assertThat(attempts).hasSize(2).allSatisfy(a -> assertThat(a.problem()).isNull());
        assertThat(Duration.between(attempts.get(0).at(), attempts.get(1).at()))
                .as("Retry-After: 1 honoured").isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(browser.decrypt(attempts.get(1).body())).isNotEmpty();
        assertThat(notifier.metrics().retryCount()).isEqualTo(1);
    }

    @Test
    void aHangingPushServiceDoesNotDelayAnotherUsersPush() throws Exception {
        subscribe("dave", "dave", BrowserSubscription.create());
        subscribe("erin", "erin", BrowserSubscription.create());
        service.script("dave", new Hang());
        notifier = Notifier.start(NotifierConfig.from(settings));

        request("dave", 1);
        await().atMost(WAIT).until(() -> service.hanging() == 1);
        request("erin", 1);

        await().atMost(WAIT).until(() -> service.received("erin").size() == 1);
        assertThat(service.hanging()).as("dave's push still hangs while erin's went through").isEqualTo(1);
        // The service records erin's push before its answer reaches the notifier: wait for the count.
        await().atMost(WAIT).until(() -> notifier.metrics().sentCount() == 1);
    }

    @Test
    void aRestartDoesNotResendWhatWasSent() throws Exception {
        subscribe("frank", "frank", BrowserSubscription.create());
        subscribe("grace", "grace", BrowserSubscription.create());
        notifier = Notifier.start(NotifierConfig.from(settings));
        String key = notifier.vapidPublicKey();
        send(0, "frank", Json.bytes(new PushRequest("frank", 1, System.currentTimeMillis())));
        await().atMost(WAIT).until(() -> service.received("frank").size() == 1);
        notifier.close();
        assertThat(notifier.isRunning()).isFalse();

        notifier = Notifier.start(NotifierConfig.from(settings));
        send(0, "grace", Json.bytes(new PushRequest("grace", 1, System.currentTimeMillis())));

        await().atMost(WAIT).until(() -> service.received("grace").size() == 1);
        // Same partition: had frank's offset not been committed, frank's request would be consumed before grace's.
        assertThat(notifier.metrics().requestCount()).as("requests consumed after the restart").isEqualTo(1);
        assertThat(service.received("frank")).as("frank's push is not sent again").hasSize(1);
        assertThat(notifier.vapidPublicKey()).as("the generated VAPID key survives the restart").isEqualTo(key);
    }

    @Test
    void poisonRecordsAreSkippedCountedAndLoggedWhileOtherUsersKeepGettingTheirPushes() throws Exception {
        subscribe("heidi", "heidi", BrowserSubscription.create());
        subscribe("ivan", "ivan", BrowserSubscription.create());
        String secret = "a-message-body-" + UUID.randomUUID();
        StringBuilder deep = new StringBuilder();
        deep.append("[".repeat(5000)).append("]".repeat(5000));
        byte[] huge = new byte[900_000];
        new java.util.Random(1).nextBytes(huge);
        // What else could land on chat.push: a tombstone, garbage, other topics' records, wrong types, a
        // parser bomb, random bytes close to the broker's size limit.
        List<byte[]> poison = new java.util.ArrayList<>(List.of(
                "not json".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc3, 0x28},
                "[1,2,3]".getBytes(StandardCharsets.UTF_8),
                "\"heidi\"".getBytes(StandardCharsets.UTF_8),
                "{\"pending\":1}".getBytes(StandardCharsets.UTF_8),
                "{\"user\":\"  \",\"pending\":1}".getBytes(StandardCharsets.UTF_8),
                "{\"user\":{\"$ne\":null},\"pending\":1}".getBytes(StandardCharsets.UTF_8),
                ("{\"user\":\"heidi\",\"pending\":\"" + secret + "\",\"ts\":1}").getBytes(StandardCharsets.UTF_8),
                ("{\"type\":\"message\",\"user\":[\"heidi\"],\"body\":\"" + secret + "\"}").getBytes(StandardCharsets.UTF_8),
                deep.toString().getBytes(StandardCharsets.UTF_8),
                huge));
        notifier = Notifier.start(NotifierConfig.from(settings));
        try (LogCapture log = LogCapture.of(PushRequestConsumer.class)) {
            request("heidi", 1);
            send("heidi", null);
            for (int i = 0; i < poison.size(); i++) {
                send(i % 2 == 0 ? "heidi" : "ivan", poison.get(i));
                if (i == poison.size() / 2) {
                    request("ivan", 1);
                }
            }
            request("heidi", 2);
            request("ivan", 2);

            await().atMost(WAIT).until(() -> service.received("heidi").size() == 2 && service.received("ivan").size() == 2);
            await().atMost(WAIT).until(() -> notifier.metrics().invalidRequestCount() == poison.size() + 1);
            assertThat(notifier.isRunning()).as("the poll loop survived").isTrue();
            assertThat(log.lines()).as("one warning per skipped record, naming its offset")
                    .filteredOn(l -> l.contains("skipping unreadable push request")).hasSize(poison.size() + 1);
            assertThat(log.lines()).as("log lines quoting a poison record").noneMatch(l -> l.contains(secret));
        }
    }

    @Test
    void subscriptionsPointingInsideTheNetworkAreRefusedCountedAndNotRetried() throws Exception {
        // What an attacker registers as "push endpoints": a local service, the cloud metadata address,
        // a private address. Production settings: loopback not allowed.
        subscribe("mallory", "internal-admin", BrowserSubscription.create());
        subscribe("mallory", "http://169.254.169.254/latest/meta-data/", BrowserSubscription.create());
        subscribe("mallory", "https://10.0.0.7:8443/admin", BrowserSubscription.create());
        subscribe("oscar", "oscar", BrowserSubscription.create());
        settings.remove("notifier.push.allow-loopback");
        settings.put("notifier.push.allowed-hosts", "127.0.0.1,169.254.169.254,10.0.0.7");
        notifier = Notifier.start(NotifierConfig.from(settings));

        request("mallory", 1);
        request("oscar", 1);

        await().atMost(WAIT).until(() -> notifier.metrics().refusedCount() == 4);
        assertThat(service.all()).as("requests that reached the local service").isEmpty();
        assertThat(notifier.metrics().retryCount()).isZero();
        assertThat(notifier.metrics().failedCount()).isZero();
        assertThat(subscriptionIds("mallory")).as("refused subscriptions are kept, not deleted").hasSize(3);
    }

    @Test
    void aDeadPollLoopTurnsHealthTo503AndExitsNonZero() throws Exception {
        // An invalid topic name is a fatal error of the consumer: the loop dies for good.
        settings.put("notifier.topic", "no/such topic");
        settings.put("notifier.http-port", "0");
        CompletableFuture<Integer> exit = new CompletableFuture<>();

        try (NotifierMain.Running running = NotifierMain.start(settings::get, exit::complete)) {
            assertThat(exit.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(NotifierMain.FAILED);
            assertThat(running.notifier().isRunning()).isFalse();
            var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + running.observer().port() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(503);
        }
    }

    @Test
    void theConsumersKafkaMetricsAreOnMetricsUntilClosed() throws Exception {
        subscribe("ivan", "ivan", BrowserSubscription.create());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        notifier = Notifier.start(NotifierConfig.from(settings), registry);
        String clientId = settings.get("notifier.group-id");
        try (ObserveServer observer = ObserveServer.start("127.0.0.1", 0, registry,
                () -> new ObserveServer.Health(true, "RUNNING"))) {
            request("ivan", 1);
            request("ivan", 2);

            await().atMost(WAIT).untilAsserted(() -> assertThat(
                    value(scrape(observer), "kafka_consumer_fetch_manager_records_consumed_total", clientId).orElse(0))
                    .as("records consumed by " + clientId).isGreaterThanOrEqualTo(2));
            String metrics = scrape(observer);
            assertThat(value(metrics, "kafka_consumer_fetch_manager_records_lag_max", clientId))
                    .as("consumer lag of " + clientId).isPresent();
            assertThat(metrics).contains("pipechat_notifier_requests_total");

            notifier.close();
            assertThat(scrape(observer)).as("Kafka meters removed on close")
                    .doesNotContain("client_id=\"" + clientId + "\"").contains("pipechat_notifier_requests_total");
        }
    }

    private static String scrape(ObserveServer observer) {
        return PrometheusText.scrape("http://127.0.0.1:" + observer.port() + "/metrics");
    }

    /** The samples of {@code name} of the Kafka client {@code clientId}, summed. */
    private static OptionalDouble value(String metrics, String name, String clientId) {
        return PrometheusText.value(metrics, name, "client_id=\"" + clientId + "\"");
    }

    private void request(String user, int pending) {
        send(user, Json.bytes(new PushRequest(user, pending, System.currentTimeMillis())));
    }

    private void send(String user, byte[] value) {
        send(null, user, value);
    }

    private void send(Integer partition, String user, byte[] value) {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, partition, user, value));
        producer.commitTransaction();
    }

    private long subscribe(String user, String endpointName, BrowserSubscription browser) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, db.user(), db.password());
             PreparedStatement s = c.prepareStatement(
                     "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES (?, ?, ?, ?)",
                     Statement.RETURN_GENERATED_KEYS)) {
            s.setString(1, user);
            s.setString(2, endpointName.contains(":") ? endpointName : service.endpoint(endpointName));
            s.setString(3, browser.p256dh());
            s.setString(4, browser.auth());
            s.executeUpdate();
            try (ResultSet keys = s.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    private List<Long> subscriptionIds(String user) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, db.user(), db.password());
             PreparedStatement s = c.prepareStatement("SELECT id FROM push_subscriptions WHERE user_id = ? ORDER BY id")) {
            s.setString(1, user);
            try (ResultSet rs = s.executeQuery()) {
                List<Long> ids = new java.util.ArrayList<>();
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
                return ids;
            }
        }
    }
}
