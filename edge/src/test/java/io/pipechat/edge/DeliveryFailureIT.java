package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 16, fail loudly: the delivery consumer skips records it cannot use and keeps delivering; if
 * it dies all the same, the edge says so (health DOWN, a last heartbeat that says down, then none)
 * and its process exits.
 */
@ExtendWith(KafkaExtension.class)
class DeliveryFailureIT {
    // A partition no other edge of this JVM uses (Helidon's meter registry is global to the JVM).
    private static final int PARTITION = 3;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void skipsPoisonRecordsAndKeepsDeliveringToOtherUsers(EmbeddedKafka kafka) {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, PARTITION + 1);
        try (Edge edge = start(kafka, topics, code -> { }); var producer = producer(kafka)) {
            String base = "http://127.0.0.1:" + edge.port();
            String edgeTag = "edge=\"" + PARTITION + "\"";
            double skippedBefore = PrometheusText.value(scrape(base), "pipechat_edge_deliveries_skipped_total", edgeTag)
                    .orElse(0);
            try (ChatClient lou = ChatClient.connect(base, ChatClient.devToken(base, "lou"), "default")) {
                lou.next("welcome");
                String session = sessionOpened(kafka, topics, "lou");
                send(producer, topics, "lou", json(new Delivery.Flushed("lou", session)));
                send(producer, topics, "x", "\u0000\u00ffnot json".getBytes(StandardCharsets.ISO_8859_1));
                send(producer, topics, "x", "{\"type\":\"frame\",\"v\":1,\"frame\":{\"type\":\"pong\"}}".getBytes());
                // The edge hands frames on without decoding them, but a frame must be a JSON object.
                send(producer, topics, "x", "{\"type\":\"frame\",\"v\":1,\"user\":\"x\",\"frame\":\"teleport\"}".getBytes());
                send(producer, topics, "lou", json(Delivery.Frame.of("lou", null,
                        new ServerFrame.Msg(1, "after-poison", "x", Address.user("lou"), 1, "still here", null))));
                assertThat(lou.next("msg").get("id").asText()).isEqualTo("after-poison");
                assertThat(PrometheusText.value(scrape(base), "pipechat_edge_deliveries_skipped_total", edgeTag).orElse(0))
                        .isEqualTo(skippedBefore + 3);
            }
        }
    }

    /**
     * The delivery partition is deleted and made again under the edge: its position is out of range,
     * and skipping to the new end would lose frames of connected sessions silently.
     */
    @Test
    void whenTheConsumerDiesTheEdgeReportsDownStopsItsHeartbeatAndExits(EmbeddedKafka kafka) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, PARTITION + 1);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        try (Edge edge = start(kafka, topics, exit::complete); var producer = producer(kafka)) {
            String base = "http://127.0.0.1:" + edge.port();
            assertThat(health(base)).isEqualTo(200);
            for (int i = 0; i < 3; i++) {
                send(producer, topics, "nobody", json(new Delivery.Flushed("nobody", "s" + i)));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> PrometheusText.value(scrape(base),
                    "kafka_consumer_fetch_manager_records_consumed_total",
                    "client_id=\"edge-" + PARTITION + "-deliveries\"").orElse(0) >= 3);
            try (var admin = kafka.admin()) {
                admin.deleteTopics(List.of(topics.deliveries())).all().get(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
                        assertThat(admin.listTopics().names().get()).doesNotContain(topics.deliveries()));
            }
            kafka.createTopics(topics, 1, PARTITION + 1);

            assertThat(exit.get(30, TimeUnit.SECONDS)).isEqualTo(Main.EXIT_DELIVERIES_FAILED);
            assertThat(health(base)).isEqualTo(503);
            List<EdgeHeartbeat> beats = heartbeats(kafka, topics, Duration.ofSeconds(2));
            assertThat(beats.getLast().up()).as("the last beat says the edge is down").isFalse();
            // The interval is 200 ms: a live heartbeat would have written several more by now.
            Thread.sleep(1000);
            assertThat(heartbeats(kafka, topics, Duration.ofSeconds(2))).hasSameSizeAs(beats);
        }
    }

    private static Edge start(EmbeddedKafka kafka, Topics topics, java.util.function.IntConsumer exit) {
        Map<String, String> settings = TestEdges.settings(kafka, topics);
        settings.put("edge.partition", Integer.toString(PARTITION));
        settings.put("edge.heartbeat-interval", "PT0.2S");
        return Main.start(Edge.config(settings), exit);
    }

    private static KafkaProducer<String, byte[]> producer(EmbeddedKafka kafka) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topics topics, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topics.deliveries(), PARTITION, key, value)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] json(Delivery delivery) {
        return JsonSerde.<Delivery>serializer().serialize("t", delivery);
    }

    private static String scrape(String base) {
        return PrometheusText.scrape(base + "/observe/metrics");
    }

    private static int health(String base) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/observe/health")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static String sessionOpened(EmbeddedKafka kafka, Topics topics, String user) {
        var de = JsonSerde.deserializer(UserEvent.class);
        List<byte[]> opened = await().atMost(Duration.ofSeconds(10)).until(() -> readAll(kafka, topics.userEvents(),
                Duration.ofSeconds(5), v -> de.deserialize("t", v) instanceof UserEvent.SessionOpened o
                        && o.user().equals(user)), found -> !found.isEmpty());
        return ((UserEvent.SessionOpened) de.deserialize("t", opened.getLast())).session();
    }

    private static List<EdgeHeartbeat> heartbeats(EmbeddedKafka kafka, Topics topics, Duration atMost) {
        var de = JsonSerde.deserializer(EdgeHeartbeat.class);
        return readAll(kafka, topics.edges(), atMost, v -> de.deserialize("t", v).edge() == PARTITION).stream()
                .map(v -> de.deserialize("t", v)).toList();
    }

    /** The values of the topic that match, from the beginning to its end at the time of the call. */
    private static List<byte[]> readAll(EmbeddedKafka kafka, String topic, Duration atMost,
                                        java.util.function.Predicate<byte[]> matching) {
        List<byte[]> out = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + atMost.toNanos();
            while (System.nanoTime() < deadline && parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (matching.test(r.value())) {
                        out.add(r.value());
                    }
                });
            }
        }
        return out;
    }
}
