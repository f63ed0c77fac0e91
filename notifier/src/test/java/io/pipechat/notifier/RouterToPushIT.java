package io.pipechat.notifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.router.Router;
import io.pipechat.router.RouterConfig;
import io.pipechat.schema.Schema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router and the notifier together on one broker: a burst of messages for an offline user makes
 * the router emit one push request (quiet period), and the notifier turns it into one Web Push
 * message that the user's browser decrypts to the pending count.
 */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
class RouterToPushIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aBurstOfMessagesForAnOfflineUserWakesTheirBrowserOnce(EmbeddedKafka kafka, EmbeddedMariaDb db) throws Exception {
        // One partition everywhere: requests reach the notifier in the order the router emitted them.
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, 1);
        String jdbcUrl = db.jdbcUrl(MariaDbExtension.uniqueDatabase(db));
        Schema.migrate(jdbcUrl, db.user(), db.password());
        BrowserSubscription ivansBrowser = BrowserSubscription.create();
        BrowserSubscription judysBrowser = BrowserSubscription.create();

        try (TestPushService service = new TestPushService();
             Router router = Router.start(RouterConfig.defaults().withApplicationId("router-" + topics.push()),
                     kafka.bootstrapServers(), topics, dir.resolve("router"));
             Notifier notifier = Notifier.start(NotifierConfig.from(Map.of(
                     "notifier.bootstrap-servers", kafka.bootstrapServers(),
                     "notifier.topic", topics.push(),
                     "notifier.group-id", "notifier-" + topics.push(),
                     "notifier.db.url", jdbcUrl,
                     "notifier.db.user", db.user(),
                     "notifier.allow-http-endpoints", "true",
                     "notifier.push.allowed-hosts", "127.0.0.1",
                     "notifier.push.allow-loopback", "true",
                     "notifier.data-dir", dir.resolve("notifier").toString())));
             KafkaProducer<String, UserEvent> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                     new StringSerializer(), JsonSerde.<UserEvent>serializer())) {
            subscribe(jdbcUrl, db, "ivan", service.endpoint("ivan"), ivansBrowser);
            subscribe(jdbcUrl, db, "judy", service.endpoint("judy"), judysBrowser);
            assertThat(router.awaitRunning(WAIT)).isTrue();

            for (int i = 1; i <= 5; i++) {
                producer.send(new ProducerRecord<>(topics.userEvents(), "ivan", message("ivan", "m" + i)));
            }
            producer.send(new ProducerRecord<>(topics.userEvents(), "judy", message("judy", "after-the-burst")));
            producer.flush();

            await().atMost(WAIT).until(() -> service.received("judy").size() == 1);
            // judy's request follows ivan's on the one partition: all of ivan's requests were consumed by now.
            assertThat(notifier.metrics().requestCount()).as("push requests: one for ivan's burst, one for judy")
                    .isEqualTo(2);
            await().atMost(WAIT).until(() -> service.received("ivan").size() == 1);
            var push = service.received("ivan").getFirst();
            assertThat(push.problem()).isNull();
            var payload = Json.MAPPER.readTree(ivansBrowser.decrypt(push.body()));
            assertThat(payload.get("type").asText()).isEqualTo("messages_waiting");
            assertThat(payload.get("pending").asInt()).isEqualTo(1);
        }
    }

    private static UserEvent message(String to, String id) {
        return new UserEvent.Message(to, "alice", id, Address.user(to), System.currentTimeMillis(), "hello", null);
    }

    private static void subscribe(String jdbcUrl, EmbeddedMariaDb db, String user, String endpoint,
                                  BrowserSubscription browser) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, db.user(), db.password());
             PreparedStatement s = c.prepareStatement(
                     "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES (?, ?, ?, ?)")) {
            s.setString(1, user);
            s.setString(2, endpoint);
            s.setString(3, browser.p256dh());
            s.setString(4, browser.auth());
            s.executeUpdate();
        }
    }
}
