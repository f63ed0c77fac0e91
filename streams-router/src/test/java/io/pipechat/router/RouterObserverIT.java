package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.protocol.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The router's health and Prometheus endpoints, on a real broker. */
@ExtendWith(KafkaExtension.class)
class RouterObserverIT {

    @Test
    void reportsHealthAndKafkaStreamsMetrics(EmbeddedKafka kafka, @TempDir Path state) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 2, 2);
        HttpClient http = HttpClient.newHttpClient();
        RouterConfig config = RouterConfig.defaults().withApplicationId("observer-" + System.nanoTime());
        try (Router router = Router.start(config, kafka.bootstrapServers(), topics, state);
             RouterObserver observer = RouterObserver.start(router, "127.0.0.1", 0)) {
            assertThat(router.awaitRunning(Duration.ofSeconds(60))).isTrue();
            String base = "http://127.0.0.1:" + observer.port();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"UP\"");
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("kafka_stream_");
        }
    }
}
