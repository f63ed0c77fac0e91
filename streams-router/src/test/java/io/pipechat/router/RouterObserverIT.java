package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.UserEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router's health and Prometheus endpoints, on a real broker: Kafka Streams' metrics and the
 * router's own meters, read over HTTP the way Prometheus does; the mailbox gauges survive a move of
 * the state to another instance (restored from the changelogs, counted again at task start).
 */
@ExtendWith(KafkaExtension.class)
class RouterObserverIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    @Timeout(120)
    void reportsHealthKafkaStreamsMetricsAndMailboxSizes(EmbeddedKafka kafka, @TempDir Path state) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 2, 2);
        // Retention passes (which find the oldest entry) every second.
        RouterConfig config = RouterConfig.from(Map.of("router.application-id", "observer-" + System.nanoTime(),
                "router.retention-interval", "1s")::get);
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), JsonSerde.serializer())) {
            try (Router router = Router.start(config, kafka.bootstrapServers(), topics, state.resolve("first"));
                 RouterObserver observer = RouterObserver.start(router, "127.0.0.1", 0)) {
                assertThat(router.awaitRunning(Duration.ofSeconds(60))).isTrue();
                String base = "http://127.0.0.1:" + observer.port();
                HttpResponse<String> health = get(base + "/health");
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(health.body()).contains("\"UP\"");
                HttpResponse<String> metrics = get(base + "/metrics");
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.body()).contains("kafka_stream_");
                assertThat(PrometheusText.value(metrics.body(), "pipechat_router_mailbox_entries")).hasValue(0);

                // Nobody is online: every message stays in a mailbox and asks for a push.
                send(producer, topics, "alice", "bob", "m1");
                send(producer, topics, "alice", "bob", "m2");
                send(producer, topics, "bob", "carol", "m1");
                send(producer, topics, "bob", "erin", "m1");
                send(producer, topics, "bob", "frank", "m1");
                await().atMost(WAIT).untilAsserted(() -> {
                    String body = get(base + "/metrics").body();
                    assertThat(PrometheusText.value(body, "pipechat_router_mailbox_entries")).hasValue(5);
                    assertThat(PrometheusText.value(body, "pipechat_router_mailbox_users")).hasValue(4);
                    assertThat(PrometheusText.value(body, "pipechat_router_messages_stored_total")).hasValue(5);
                    assertThat(PrometheusText.value(body, "pipechat_router_push_requests_total")).as("one per user").hasValue(4);
                    assertThat(PrometheusText.value(body, "pipechat_router_deliveries_total")).hasValue(0);
                });
            }

            // Another instance with an empty state directory restores the stores and counts them again,
            // one user per step (so at least one task counts in several steps), while new messages arrive.
            try (Router router = Router.start(config, kafka.bootstrapServers(), topics, state.resolve("second"),
                    new RouterMeters(1));
                 RouterObserver observer = RouterObserver.start(router, "127.0.0.1", 0)) {
                send(producer, topics, "alice", "bob", "m3");
                send(producer, topics, "alice", "dave", "m1");
                send(producer, topics, "alice", "carol", "m2");
                assertThat(router.awaitRunning(Duration.ofSeconds(60))).isTrue();
                String base = "http://127.0.0.1:" + observer.port();
                await().atMost(WAIT).untilAsserted(() -> {
                    String body = get(base + "/metrics").body();
                    assertThat(PrometheusText.value(body, "pipechat_router_mailbox_entries")).hasValue(5 + 3);
                    assertThat(PrometheusText.value(body, "pipechat_router_mailbox_users")).hasValue(4 + 1);
                    assertThat(PrometheusText.value(body, "pipechat_router_messages_stored_total")).as("counts this instance's work")
                            .hasValue(3);
                    assertThat(PrometheusText.value(body, "pipechat_router_mailbox_oldest_age_seconds").orElseThrow())
                            .as("the oldest entry, found by a retention pass").isPositive();
                });
            }
        }
    }

    private static void send(KafkaProducer<String, Object> producer, Topics topics, String from, String to, String id)
            throws Exception {
        producer.send(new ProducerRecord<>(topics.userEvents(), to, new UserEvent.Message(to, from, id, Address.user(to),
                System.currentTimeMillis(), "hi", null))).get();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
