package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.protocol.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The metrics of an edge's Kafka clients on {@code /observe/metrics}, read over HTTP as Prometheus
 * would: the delivery consumer's lag and consumed records and the producer's sends, each under the
 * client id of its edge; and with two edges in one JVM, closing one removes its Kafka meters only;
 * an edge started again on the same partition has a connections gauge of its own.
 */
@ExtendWith(KafkaExtension.class)
class KafkaClientMetricsIT {
    // Partitions no other test of this JVM uses: Helidon's registry is global to the JVM.
    private static final int FIRST = 5;
    private static final int SECOND = 6;
    private static final int RESTARTED = 7;

    @Test
    void deliveryConsumerAndProducerMetricsAreServedUnderTheEdgesClientIds(EmbeddedKafka kafka) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 2, SECOND + 1);
        try (Edge edge = start(kafka, topics, FIRST)) {
            String consumer = "edge-" + FIRST + "-deliveries";
            String producer = "edge-" + FIRST;
            String metrics = scrape(edge);
            assertThat(value(metrics, "kafka_consumer_fetch_manager_records_lag_max", consumer))
                    .as("consumer lag of " + consumer).isPresent();
            assertThat(value(metrics, "kafka_producer_record_send_total", producer).orElse(0))
                    .as("the first heartbeat was sent by " + producer).isGreaterThanOrEqualTo(1);

            // Three records on this edge's partition of chat.deliveries (their content does not matter here).
            try (var writer = new KafkaProducer<>(Map.<String, Object>of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                    new StringSerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < 3; i++) {
                    writer.send(new ProducerRecord<>(topics.deliveries(), FIRST, "u", "{}".getBytes())).get();
                }
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(value(scrape(edge), "kafka_consumer_fetch_manager_records_consumed_total", consumer)
                            .orElse(0)).as("records consumed by " + consumer).isGreaterThanOrEqualTo(3));
        }
    }

    @Test
    void closingOneOfTwoEdgesInOneJvmRemovesOnlyItsKafkaMeters(EmbeddedKafka kafka) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 2, SECOND + 1);
        Edge first = start(kafka, topics, FIRST);
        boolean firstClosed = false;
        try (Edge second = start(kafka, topics, SECOND)) {
            String both = scrape(second);
            for (int edge : List.of(FIRST, SECOND)) {
                assertThat(value(both, "kafka_consumer_fetch_manager_records_lag_max", "edge-" + edge + "-deliveries"))
                        .as("lag of edge " + edge).isPresent();
                assertThat(value(both, "kafka_producer_record_send_total", "edge-" + edge))
                        .as("sends of edge " + edge).isPresent();
            }

            first.close();
            firstClosed = true;

            String after = scrape(second);
            assertThat(clientIds(after)).as("Kafka client ids still exposed")
                    .contains("edge-" + SECOND, "edge-" + SECOND + "-deliveries")
                    .doesNotContain("edge-" + FIRST, "edge-" + FIRST + "-deliveries");
            assertThat(value(after, "kafka_consumer_fetch_manager_records_lag_max", "edge-" + SECOND + "-deliveries"))
                    .isPresent();
        } finally {
            if (!firstClosed) {
                first.close();
            }
        }
    }

    @Test
    void anEdgeStartedAgainOnItsPartitionCountsItsOwnConnections(EmbeddedKafka kafka) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 2, RESTARTED + 1);
        String edgeTag = "edge=\"" + RESTARTED + "\"";
        try (Edge first = start(kafka, topics, RESTARTED)) {
            String base = "http://127.0.0.1:" + first.port();
            try (ChatClient c = ChatClient.connect(base, ChatClient.devToken(base, "before"), "d")) {
                c.next("welcome");
                assertThat(PrometheusText.value(scrape(first), "pipechat_edge_connections", edgeTag)).hasValue(1);
            }
        }
        try (Edge again = start(kafka, topics, RESTARTED)) {
            String base = "http://127.0.0.1:" + again.port();
            try (ChatClient a = ChatClient.connect(base, ChatClient.devToken(base, "after-1"), "d");
                 ChatClient b = ChatClient.connect(base, ChatClient.devToken(base, "after-2"), "d")) {
                a.next("welcome");
                b.next("welcome");
                assertThat(PrometheusText.value(scrape(again), "pipechat_edge_connections", edgeTag))
                        .as("the gauge reads the new edge's sessions, not the closed one's").hasValue(2);
            }
        }
    }

    private static Edge start(EmbeddedKafka kafka, Topics topics, int partition) {
        Map<String, String> settings = TestEdges.settings(kafka, topics);
        settings.put("edge.partition", Integer.toString(partition));
        return Edge.start(Edge.config(settings));
    }

    private static String scrape(Edge edge) {
        return PrometheusText.scrape("http://127.0.0.1:" + edge.port() + "/observe/metrics");
    }

    /** The samples of {@code name} of the Kafka client {@code clientId}, summed. */
    static OptionalDouble value(String metrics, String name, String clientId) {
        return PrometheusText.value(metrics, name, "client_id=\"" + clientId + "\"");
    }

    /** Every {@code client_id} label of a {@code kafka_*} sample. */
    static List<String> clientIds(String metrics) {
        Matcher m = Pattern.compile("^kafka_\\w+\\{[^}]*client_id=\"([^\"]+)\"", Pattern.MULTILINE).matcher(metrics);
        return m.results().map(r -> r.group(1)).distinct().toList();
    }
}
