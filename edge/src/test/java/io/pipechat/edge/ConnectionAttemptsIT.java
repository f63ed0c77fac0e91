package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.protocol.Topics;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The limit on connection attempts per client address, as the attack: one host opening connection
 * after connection (with or without a token, with a made-up X-Forwarded-For) is refused with 429 before
 * the upgrade, while other hosts connect. 127.0.0.2 plays a trusted proxy in front of the edge, whose
 * X-Forwarded-For names the clients; 127.0.0.1 is a client that reaches the edge directly.
 */
@ExtendWith(KafkaExtension.class)
class ConnectionAttemptsIT {
    private static final int BURST = 3;
    private static Edge edge;
    private static String base;
    private static String token;

    @BeforeAll
    static void start(EmbeddedKafka kafka) {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, 1);
        Map<String, String> settings = TestEdges.settings(kafka, topics);
        settings.put("edge.token.secret", "attempts-it-secret-attempts-it-secret-0123");
        // Refilled so slowly that a test never sees a new token.
        settings.put("edge.rate.connection-attempts-per-second", "0.001");
        settings.put("edge.rate.connection-attempt-burst", Integer.toString(BURST));
        settings.put("edge.trusted-proxies", "127.0.0.2");
        // Every client of a test is on this host: count them like remote ones (the default exempts loopback).
        settings.put("edge.rate.connection-attempts-exempt-loopback", "false");
        edge = Edge.start(Edge.config(settings));
        base = "http://127.0.0.1:" + edge.port();
        token = ChatClient.devToken(base, "walt");
    }

    @AfterAll
    static void stop() {
        edge.close();
    }

    @Test
    void aHostOverItsBurstGets429BeforeTheUpgradeWhateverItsTokenOrForwardedFor() throws Exception {
        double refusedBefore = refused();
        HttpClient direct = client("127.0.0.1");
        for (int i = 0; i < BURST; i++) {
            assertThat(upgrade(direct, i == 0 ? "Bearer " + token : "Bearer forged", Map.of()))
                    .isIn(101, 401);
        }
        assertThat(upgrade(direct, "Bearer " + token, Map.of())).isEqualTo(429);
        assertThat(upgrade(direct, null, Map.of("X-Forwarded-For", "203.0.113.50")))
                .as("an untrusted peer's X-Forwarded-For is ignored").isEqualTo(429);

        HttpClient proxy = client("127.0.0.2");
        assertThat(upgrade(proxy, "Bearer " + token, Map.of("X-Forwarded-For", "203.0.113.1")))
                .as("another host behind the proxy").isEqualTo(101);
        assertThat(refused() - refusedBefore).as("refusals counted").isEqualTo(2.0);
    }

    @Test
    void behindATrustedProxyEachForwardedClientHasItsOwnBucket() throws Exception {
        HttpClient proxy = client("127.0.0.2");
        for (int i = 0; i < BURST; i++) {
            assertThat(upgrade(proxy, "Bearer " + token, Map.of("X-Forwarded-For", "198.51.100.9"))).isEqualTo(101);
        }
        assertThat(upgrade(proxy, "Bearer " + token, Map.of("X-Forwarded-For", "198.51.100.9"))).isEqualTo(429);
        // What the client wrote itself is left of what the proxy appended: it does not reset the count.
        assertThat(upgrade(proxy, "Bearer " + token, Map.of("X-Forwarded-For", "10.9.9.9, 198.51.100.9"))).isEqualTo(429);
        assertThat(upgrade(proxy, "Bearer " + token, Map.of("X-Forwarded-For", "198.51.100.10"))).isEqualTo(101);
    }

    @Test
    void clientsOnThisHostAreNotCountedByDefaultUnlessATrustedProxyNamesAnother(EmbeddedKafka kafka) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, 1);
        Map<String, String> settings = TestEdges.settings(kafka, topics);
        settings.put("edge.token.secret", "attempts-it-secret-attempts-it-secret-0123");
        settings.put("edge.rate.connection-attempts-per-second", "0.001");
        settings.put("edge.rate.connection-attempt-burst", "1");
        settings.put("edge.trusted-proxies", "127.0.0.2");
        try (Edge defaults = Edge.start(Edge.config(settings))) {
            String local = "http://127.0.0.1:" + defaults.port();
            String walt = "Bearer " + ChatClient.devToken(local, "walt");
            HttpClient direct = client("127.0.0.1");
            HttpClient proxy = client("127.0.0.2");
            for (int i = 0; i < 3; i++) {
                assertThat(TestEdges.upgradeStatus(direct, local, "", Map.of("Authorization", walt))).isEqualTo(101);
            }
            Map<String, String> forwarded = Map.of("Authorization", walt, "X-Forwarded-For", "198.51.100.20");
            assertThat(TestEdges.upgradeStatus(proxy, local, "", forwarded)).isEqualTo(101);
            assertThat(TestEdges.upgradeStatus(proxy, local, "", forwarded)).as("the proxy's client").isEqualTo(429);
        }
    }

    private static HttpClient client(String localAddress) throws Exception {
        return HttpClient.newBuilder().localAddress(InetAddress.getByName(localAddress)).build();
    }

    /** The status of an upgrade of /v1/ws: 101, or the refusal's. */
    private static int upgrade(HttpClient http, String authorization, Map<String, String> headers) {
        Map<String, String> all = new HashMap<>(headers);
        if (authorization != null) {
            all.put("Authorization", authorization);
        }
        return TestEdges.upgradeStatus(http, base, "", all);
    }

    private static double refused() {
        return PrometheusText.value(PrometheusText.scrape(base + "/observe/metrics"),
                "pipechat_edge_connection_attempts_refused_total", "edge=\"0\"").orElse(0);
    }
}
