package io.pipechat.groups;

import static io.pipechat.groups.GroupsTraffic.consumer;
import static io.pipechat.groups.GroupsTraffic.producer;
import static io.pipechat.groups.GroupsTraffic.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.groups.changes.ChangeEventDeserializerTest;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link GroupsJobMain} as a plain JVM (Flink mini cluster) against a real (embedded) Kafka broker,
 * read over HTTP as Prometheus and an orchestrator would: Flink's Prometheus reporter serves the
 * job's {@code group_expander} counters, the fan-out meter and the recipients histogram agreeing
 * with the user events the job wrote, the deserializers' counters with the records sent, and {@code /health} is 200 while the job runs and 503 once it is
 * cancelled.
 */
@ExtendWith(KafkaExtension.class)
class GroupsMetricsIT {
    private static final Logger LOG = LoggerFactory.getLogger(GroupsMetricsIT.class);
    static final String PREFIX = "flink_taskmanager_job_task_operator_group_expander_";
    static final String DESERIALIZER = "flink_taskmanager_job_task_operator_deserializer_";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void servesTheFanOutMetricsAsPrometheusTextAndHealthWhileRunning(EmbeddedKafka kafka) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        ReadyTopics.create(kafka, topics, 2);
        Map<String, String> args = Map.of(
                "bootstrap-servers", kafka.bootstrapServers(),
                "topics.group-events", topics.groupEvents(),
                "topics.group-members-cdc", topics.groupMembersCdc(),
                "topics.groups-cdc", topics.groupsCdc(),
                "topics.user-events", topics.userEvents(),
                "consumer-group", topics.userEvents() + ".metrics",
                "transactional-id-prefix", topics.userEvents() + ".metrics-tx",
                "checkpoint-interval", "300ms",
                "metrics-port", "0",
                "health-port", "0");

        try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
             GroupsJobMain.Local job = GroupsJobMain.startLocal(args)) {
            assertThat(job.metricsPort()).isPresent();
            assertThat(job.healthPort()).isPresent();
            URI metrics = URI.create("http://127.0.0.1:" + job.metricsPort().getAsInt() + "/metrics");
            URI health = URI.create("http://127.0.0.1:" + job.healthPort().getAsInt() + "/health");

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                HttpResponse<String> h = get(health);
                assertThat(h.statusCode()).isEqualTo(200);
                assertThat(h.body()).isEqualTo("{\"status\":\"UP\",\"detail\":\"RUNNING\"}");
            });

            // g1 has four members; two messages from members fan out to the others. The membership
            // rows come on two partitions, independent of the messages: wait until the source has read
            // them all, but the expander may still apply a row after a message (then it fans out to
            // fewer), so the counts are checked against the job's real output, not a constant.
            for (String user : new String[] {"alice", "bob", "carol", "dave"}) {
                cdc(producer, topics, "g1", user);
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(PrometheusText.sum(get(metrics).body(), DESERIALIZER + "group_members_cdc_changes")).isEqualTo(4.0));
            Thread.sleep(300);
            send(producer, topics, new GroupEvent.Message("g1", "alice", "m1", 1_000L, "hello", null));
            send(producer, topics, new GroupEvent.Message("g1", "bob", "m2", 1_001L, "hi", null));
            producer.flush();

            Map<String, Integer> recipientsPerMessage = new HashMap<>();
            String text;
            try (KafkaConsumer<byte[], byte[]> consumer = consumer(kafka, topics.userEvents())) {
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        if (Json.read(r.value(), UserEvent.class) instanceof UserEvent.Message m && m.system() == null) {
                            recipientsPerMessage.merge(m.id(), 1, Integer::sum);
                        }
                    }
                    String now = get(metrics).body();
                    assertThat(PrometheusText.sum(now, PREFIX + "messages")).isEqualTo(2.0);
                    assertThat(recipientsPerMessage).containsOnlyKeys("m1", "m2");
                    assertThat(PrometheusText.sum(now, PREFIX + "deliveries")).as("deliveries = user events written")
                            .isEqualTo(recipientsPerMessage.values().stream().mapToInt(Integer::intValue).sum());
                });
                text = get(metrics).body();
            }
            int deliveries = recipientsPerMessage.values().stream().mapToInt(Integer::intValue).sum();
            LOG.info("recipients per message: {}", recipientsPerMessage);
            text.lines().filter(l -> l.matches("^flink_\\w*(group_expander|group_events|group_members_cdc)_.*"))
                    .forEach(l -> LOG.info("{}", l.replaceAll("\\{.*}", "{...}")));
            assertThat(PrometheusText.sum(text, PREFIX + "recipients_count")).isEqualTo(2.0);
            assertThat(PrometheusText.sum(text, PREFIX + "recipients", "quantile=\"0.99\""))
                    .isEqualTo(recipientsPerMessage.values().stream().mapToInt(Integer::intValue).max().orElseThrow());
            // Flink's reporter replaces the characters Prometheus does not allow in labels with '_'.
            assertThat(PrometheusText.sum(text, PREFIX + "deliveries", "job_name=\"pipechat_flink_groups\""))
                    .as("job_name label").isEqualTo(deliveries);
            assertThat(PrometheusText.sum(text, PREFIX + "deliveries", "operator_name=\"group_expander\""))
                    .as("operator_name label").isEqualTo(deliveries);
            assertThat(PrometheusText.sum(text, PREFIX + "rejected")).isZero();
            assertThat(PrometheusText.sum(text, PREFIX + "released")).as("every held message released")
                    .isEqualTo(PrometheusText.sum(text, PREFIX + "held"));
            assertThat(PrometheusText.sum(text, DESERIALIZER + "group_events_messages")).isEqualTo(2.0);
            assertThat(PrometheusText.sum(text, DESERIALIZER + "group_events_malformed")).isZero();
            // Meters are updated by Flink every 5 s: the deliveries over the 60 s window.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(PrometheusText.sum(get(metrics).body(), PREFIX + "deliveries_per_second"))
                            .isCloseTo(deliveries / 60.0, offset(1e-9)));

            job.client().cancel().get();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                HttpResponse<String> h = get(health);
                assertThat(h.statusCode()).isEqualTo(503);
                assertThat(h.body()).startsWith("{\"status\":\"DOWN\"");
            });
        }
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void cdc(KafkaProducer<byte[], byte[]> producer, Topics topics, String group, String user) {
        GroupsTraffic.cdc(producer, topics, group, user, ChangeEventDeserializerTest.event("c", null,
                ChangeEventDeserializerTest.row(group, user, "member")));
    }
}
