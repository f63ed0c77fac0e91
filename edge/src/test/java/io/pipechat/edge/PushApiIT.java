package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.edge.push.PushSubscriptions;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.protocol.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Registering and removing Web Push subscriptions, against a real MariaDB. */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
class PushApiIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String P256DH = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[65]);
    private static final String AUTH = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[16]);
    private static Edge edge;
    private static String base;
    private static PushSubscriptions store;
    private static com.zaxxer.hikari.HikariDataSource ds;

    @BeforeAll
    static void start(EmbeddedKafka kafka, EmbeddedMariaDb db) {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, 1);
        String database = MariaDbExtension.uniqueDatabase(db);
        Map<String, String> settings = TestEdges.settings(kafka, topics, db, database);
        settings.put("push.vapid-public-key", "BPublicKeyForTests");
        settings.put("push.allowed-hosts", "push.example,*.push.apple.com");
        edge = Edge.start(Edge.config(settings));
        base = "http://127.0.0.1:" + edge.port();
        ds = new com.zaxxer.hikari.HikariDataSource();
        ds.setJdbcUrl(db.jdbcUrl(database));
        ds.setUsername(db.user());
        ds.setPassword(db.password());
        store = new PushSubscriptions(ds);
    }

    @AfterAll
    static void stop() {
        edge.close();
        ds.close();
    }

    private static int call(String user, String method, String path, String body) {
        return TestEdges.call(base, user, method, path, body).statusCode();
    }

    private static String subscription(String endpoint) {
        return "{\"endpoint\":\"" + endpoint + "\",\"keys\":{\"p256dh\":\"" + P256DH + "\",\"auth\":\"" + AUTH + "\"}}";
    }

    @Test
    void registersAndRemovesABrowsersSubscription() throws Exception {
        String endpoint = "https://push.example/send/abc";
        assertThat(call("pia", "POST", "/v1/push/subscriptions", subscription(endpoint))).isEqualTo(201);
        assertThat(call("pia", "POST", "/v1/push/subscriptions", subscription(endpoint))).isEqualTo(201);
        assertThat(store.count("pia")).isEqualTo(1);
        assertThat(call("quinn", "DELETE", "/v1/push/subscriptions", "{\"endpoint\":\"" + endpoint + "\"}")).isEqualTo(404);
        assertThat(call("pia", "DELETE", "/v1/push/subscriptions", "{\"endpoint\":\"" + endpoint + "\"}")).isEqualTo(204);
        assertThat(store.count("pia")).isZero();
    }

    @Test
    void anotherUserCannotTakeOverAnEndpoint() throws Exception {
        String endpoint = "https://push.example/send/shared";
        assertThat(call("rae", "POST", "/v1/push/subscriptions", subscription(endpoint))).isEqualTo(201);
        assertThat(call("sam", "POST", "/v1/push/subscriptions", subscription(endpoint))).isEqualTo(409);
        assertThat(store.count("rae")).isEqualTo(1);
        assertThat(store.count("sam")).isZero();
        // Once its user removed it, the browser may be registered by whoever signs in there.
        assertThat(call("rae", "DELETE", "/v1/push/subscriptions", "{\"endpoint\":\"" + endpoint + "\"}")).isEqualTo(204);
        assertThat(call("sam", "POST", "/v1/push/subscriptions", subscription(endpoint))).isEqualTo(201);
    }

    @Test
    void acceptsHttpsEndpointsOfTheAllowedPushServicesOnly() throws Exception {
        assertThat(call("val", "POST", "/v1/push/subscriptions", subscription("https://web.push.apple.com.evil.example/x"))).isEqualTo(400);
        assertThat(call("val", "POST", "/v1/push/subscriptions", subscription("https://169.254.169.254/latest/meta-data"))).isEqualTo(400);
        assertThat(call("val", "POST", "/v1/push/subscriptions", subscription("https://internal.example/x"))).isEqualTo(400);
        assertThat(call("val", "POST", "/v1/push/subscriptions", subscription("http://eu.push.apple.com/x"))).isEqualTo(400);
        assertThat(call("val", "POST", "/v1/push/subscriptions", subscription("https://eu.push.apple.com/x"))).isEqualTo(201);
    }

    @Test
    void keepsOnlyTheNewestSubscriptionsOfAUser() throws Exception {
        for (int i = 0; i < PushSubscriptions.MAX_PER_USER + 3; i++) {
            assertThat(call("tia", "POST", "/v1/push/subscriptions", subscription("https://push.example/tia/" + i))).isEqualTo(201);
        }
        assertThat(store.count("tia")).isEqualTo(PushSubscriptions.MAX_PER_USER);
    }

    @Test
    void refusesBadSubscriptionsAndMissingTokens() throws Exception {
        assertThat(call(null, "POST", "/v1/push/subscriptions", subscription("https://push.example/x"))).isEqualTo(401);
        assertThat(call("uma", "POST", "/v1/push/subscriptions", subscription("http://push.example/plain-http"))).isEqualTo(400);
        assertThat(call("uma", "POST", "/v1/push/subscriptions", "{\"endpoint\":\"https://push.example/x\",\"keys\":{\"p256dh\":\"short\",\"auth\":\"" + AUTH + "\"}}")).isEqualTo(400);
        assertThat(call("uma", "POST", "/v1/push/subscriptions", "nonsense")).isEqualTo(400);
    }

    @Test
    void tellsBrowsersTheApplicationServerKey() throws Exception {
        HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/push/config")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).contains("BPublicKeyForTests");
    }
}
