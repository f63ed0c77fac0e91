package io.pipechat.groups;

import static io.pipechat.groups.GroupsTraffic.cdc;
import static io.pipechat.groups.GroupsTraffic.consumer;
import static io.pipechat.groups.GroupsTraffic.pollFor;
import static io.pipechat.groups.GroupsTraffic.producer;
import static io.pipechat.groups.GroupsTraffic.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.groups.changes.ChangeEventDeserializerTest;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default at-least-once sink on a Flink mini cluster against a real (embedded) Kafka broker:
 * user events are visible as soon as they are expanded, with no checkpoint in between (the periodic
 * checkpoint is 5 min away) and no Kafka transaction; a restart from the retained checkpoint
 * writes the events expanded after it again, each identical to its first copy, so the router's
 * de-duplication key (recipient, sender, client id) matches and it drops the copy.
 */
@ExtendWith(KafkaExtension.class)
class AtLeastOnceRestartIT {

    @Test
    void writesWithoutWaitingForACheckpointAndRepeatsIdenticalEventsAfterARestart(EmbeddedKafka kafka,
                                                                                   @TempDir Path dataDir) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        ReadyTopics.create(kafka, topics, 2);
        GroupsConfig config = GroupsTraffic.config(kafka, topics)
                .withHold(Duration.ofSeconds(2))
                .withCheckpointInterval(Duration.ofMinutes(5));
        assertThat(config.sinkGuarantee()).as("the default").isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);

        try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
             KafkaConsumer<byte[], byte[]> consumer = consumer(kafka, topics.userEvents());
             Admin admin = kafka.admin()) {
            // On one partition, the first sender's row last (see GroupsJobIT).
            for (String user : List.of("bob", "carol", "alice")) {
                cdc(producer, topics, 0, "g1", user, ChangeEventDeserializerTest.event("c", null,
                        ChangeEventDeserializerTest.row("g1", user, "member")));
            }
            sendAll(producer, topics, "alice", "a");
            List<UserEvent> seen = new ArrayList<>();

            try (EmbeddedGroupsJob job = EmbeddedGroupsJob.start(config, dataDir)) {
                awaitCounts(consumer, seen, Map.of("a", 1L));
                job.checkpoint();
                sendAll(producer, topics, "bob", "b");
                awaitCounts(consumer, seen, Map.of("a", 1L, "b", 1L));
                assertThat(transactionsOf(admin, config)).as("no Kafka transaction in at-least-once mode").isEmpty();
            }

            try (EmbeddedGroupsJob job = EmbeddedGroupsJob.start(config, dataDir)) {
                assertThat(job.restoredFrom()).as("restored from the triggered checkpoint").isPresent();
                awaitCounts(consumer, seen, Map.of("a", 1L, "b", 2L));
                assertThat(transactionsOf(admin, config)).isEmpty();
            }

            Map<UserEvent, Long> copies = seen.stream()
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(copies).as("every repeated event is identical to its first copy: same recipient, "
                    + "sender, id and group").hasSize(2 * MESSAGES * 2);
            copies.forEach((event, n) -> {
                var m = (UserEvent.Message) event;
                assertThat(m.to()).isEqualTo(io.pipechat.protocol.Address.group("g1"));
                assertThat(n).as(m.user() + "/" + m.id()).isEqualTo(m.id().startsWith("b") ? 2L : 1L);
            });
            System.out.printf("at-least-once restart: %d user events read, %d of them repeated%n",
                    seen.size(), seen.size() - copies.size());
        }
    }

    private static final int MESSAGES = 10;

    private static void sendAll(KafkaProducer<byte[], byte[]> producer, Topics topics, String from, String prefix) {
        for (int i = 0; i < MESSAGES; i++) {
            send(producer, topics, new GroupEvent.Message("g1", from, prefix + i, 1_000L + i, "body " + i, null));
        }
        producer.flush();
    }

    /** Waits until each message of every prefix reached each of its 2 recipients exactly {@code copies} times. */
    private static void awaitCounts(KafkaConsumer<byte[], byte[]> consumer, List<UserEvent> seen,
                                    Map<String, Long> copies) {
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            pollFor(consumer, seen, Duration.ofMillis(200));
            Map<String, Long> perPrefix = seen.stream().collect(Collectors.groupingBy(
                    e -> ((UserEvent.Message) e).id().substring(0, 1), Collectors.counting()));
            Map<String, Long> wanted = copies.entrySet().stream().collect(Collectors.toMap(
                    Map.Entry::getKey, e -> e.getValue() * MESSAGES * 2));
            assertThat(perPrefix).isEqualTo(wanted);
        });
    }

    private static List<String> transactionsOf(Admin admin, GroupsConfig config) throws Exception {
        return admin.listTransactions().all().get().stream().map(TransactionListing::transactionalId)
                .filter(id -> id.startsWith(config.transactionalIdPrefix())).toList();
    }
}
