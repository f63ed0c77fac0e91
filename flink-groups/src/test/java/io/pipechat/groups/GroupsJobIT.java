package io.pipechat.groups;

import static io.pipechat.groups.GroupsTraffic.bytes;
import static io.pipechat.groups.GroupsTraffic.cdc;
import static io.pipechat.groups.GroupsTraffic.consumer;
import static io.pipechat.groups.GroupsTraffic.pollFor;
import static io.pipechat.groups.GroupsTraffic.producer;
import static io.pipechat.groups.GroupsTraffic.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.groups.changes.ChangeEventDeserializerTest;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a Flink mini cluster against a real (embedded) Kafka broker: Debezium-shaped change
 * events and group messages in, user events out, read {@code read_committed}; then exactly once
 * across a cancel and a restart from the retained checkpoint, with messages in flight. The
 * restarted job serves its metrics through Flink's Prometheus reporter.
 */
@ExtendWith(KafkaExtension.class)
class GroupsJobIT {

    @Test
    void expandsGroupMessagesExactlyOnceAcrossARestartFromCheckpoint(EmbeddedKafka kafka, @TempDir Path dataDir)
            throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        ReadyTopics.create(kafka, topics, 2);
        GroupsConfig config = GroupsTraffic.config(kafka, topics)
                .withHold(Duration.ofSeconds(2))
                .withCheckpointInterval(Duration.ofMillis(300))
                .withSinkGuarantee(DeliveryGuarantee.EXACTLY_ONCE);

        try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
             KafkaConsumer<byte[], byte[]> consumer = consumer(kafka, topics.userEvents())) {
            // Membership as Debezium writes it: snapshot, inserts, a delete with its tombstone, garbage.
            // g1's rows in order on one partition, the first sender's last: whether alice's first
            // message is read before her row (held until she joins) or after it, bob and carol are
            // members by then (rows of one group on two partitions could let alice's row overtake theirs).
            cdc(producer, topics, 0, "g1", "bob", ChangeEventDeserializerTest.event("r", null,
                    ChangeEventDeserializerTest.row("g1", "bob", "member")));
            cdc(producer, topics, 0, "g1", "carol", ChangeEventDeserializerTest.event("c", null,
                    ChangeEventDeserializerTest.row("g1", "carol", "member")));
            cdc(producer, topics, 0, "g1", "alice", ChangeEventDeserializerTest.event("r", null,
                    ChangeEventDeserializerTest.row("g1", "alice", "admin")));
            cdc(producer, topics, "g0", "zed", ChangeEventDeserializerTest.event("c", null,
                    ChangeEventDeserializerTest.row("g0", "zed", "member")));
            cdc(producer, topics, "g0", "zed", ChangeEventDeserializerTest.event("d",
                    ChangeEventDeserializerTest.row("g0", "zed", "member"), null));
            cdc(producer, topics, "g0", "zed", null);
            cdc(producer, topics, "g0", "zed", bytes("{not json"));
            producer.send(new ProducerRecord<>(topics.groupEvents(), bytes("g1"), bytes("garbage")));
            producer.send(new ProducerRecord<>(topics.groupEvents(), bytes("g1"), null));
            send(producer, topics, message("alice", "first"));
            send(producer, topics, message("mallory", "intruder"));
            producer.flush();

            List<UserEvent> seen = new ArrayList<>();
            Set<String> expected = new HashSet<>(Set.of("bob/first", "carol/first", "mallory/intruder:rejected"));

            try (EmbeddedGroupsJob job = EmbeddedGroupsJob.start(config, dataDir)) {
                assertThat(job.restoredFrom()).isEmpty();
                awaitAll(consumer, seen, expected);
                assertThat(seen).contains(new UserEvent.Rejected("mallory", "intruder", ErrorCode.NOT_MEMBER,
                        "not a member of g1", 1_000L));

                // A new group whose first message overtakes its membership: held, then released.
                send(producer, topics, new GroupEvent.Message("g2", "erin", "e1", 2_000L, "first in g2", null));
                producer.flush();
                Thread.sleep(200);
                cdc(producer, topics, "g2", "erin", ChangeEventDeserializerTest.event("c", null,
                        ChangeEventDeserializerTest.row("g2", "erin", "admin")));
                cdc(producer, topics, "g2", "frank", ChangeEventDeserializerTest.event("c", null,
                        ChangeEventDeserializerTest.row("g2", "frank", "member")));
                producer.flush();
                expected.add("frank/e1");
                awaitAll(consumer, seen, expected);

                for (int i = 0; i < 40; i++) {
                    send(producer, topics, message(i % 2 == 0 ? "alice" : "bob", "a" + i));
                    expected.addAll(recipients(i % 2 == 0 ? "alice" : "bob", "a" + i));
                }
                producer.flush();
                awaitAll(consumer, seen, expected);

                // Cancel with messages in flight: some are in an open transaction, some not read yet.
                for (int i = 0; i < 40; i++) {
                    send(producer, topics, message("carol", "b" + i));
                    expected.addAll(recipients("carol", "b" + i));
                }
                producer.flush();
                Thread.sleep(150);
                assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
            }

            for (int i = 0; i < 40; i++) {
                send(producer, topics, message("alice", "c" + i));
                expected.addAll(recipients("alice", "c" + i));
            }
            producer.flush();

            try (EmbeddedGroupsJob job = EmbeddedGroupsJob.start(config, dataDir, 0)) {
                assertThat(job.restoredFrom()).as("restored from the retained checkpoint").isPresent();
                awaitAll(consumer, seen, expected);
                // This run expanded at least the 40 c-messages, each to the 2 other members of g1.
                String metrics = PrometheusText.scrape("http://127.0.0.1:" + job.metricsPort().orElseThrow() + "/metrics");
                double messages = PrometheusText.sum(metrics, GroupsMetricsIT.PREFIX + "messages");
                assertThat(messages).isGreaterThanOrEqualTo(40);
                assertThat(PrometheusText.sum(metrics, GroupsMetricsIT.PREFIX + "deliveries")).isEqualTo(2 * messages);
                // Anything written twice would be committed by now: one more checkpoint's worth of polling.
                pollFor(consumer, seen, Duration.ofSeconds(2));
                assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
            }
        }
    }

    private static void awaitAll(KafkaConsumer<byte[], byte[]> consumer, List<UserEvent> seen, Set<String> expected) {
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            pollFor(consumer, seen, Duration.ofMillis(200));
            assertThat(keys(seen)).containsAll(expected);
        });
        assertThat(keys(seen)).containsExactlyInAnyOrderElementsOf(expected);
        Map<String, Long> counts = seen.stream().map(GroupsJobIT::key)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(counts).as("every user event exactly once").allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1));
    }

    private static Set<String> keys(List<UserEvent> seen) {
        return seen.stream().map(GroupsJobIT::key).collect(Collectors.toSet());
    }

    private static String key(UserEvent e) {
        return switch (e) {
            case UserEvent.Message m -> m.user() + "/" + m.id();
            case UserEvent.Rejected r -> r.user() + "/" + r.id() + ":rejected";
            default -> e.toString();
        };
    }

    private static Set<String> recipients(String from, String id) {
        return Set.of("alice", "bob", "carol").stream().filter(u -> !u.equals(from))
                .map(u -> u + "/" + id).collect(Collectors.toSet());
    }

    private static GroupEvent.Message message(String from, String id) {
        return new GroupEvent.Message("g1", from, id, 1_000L, "body of " + id, null);
    }
}
