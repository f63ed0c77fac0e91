package io.pipechat.groups;

import static io.pipechat.groups.GroupsTraffic.cdc;
import static io.pipechat.groups.GroupsTraffic.consumer;
import static io.pipechat.groups.GroupsTraffic.pollFor;
import static io.pipechat.groups.GroupsTraffic.producer;
import static io.pipechat.groups.GroupsTraffic.send;
import static io.pipechat.groups.changes.ChangeEventDeserializerTest.event;
import static io.pipechat.groups.changes.ChangeEventDeserializerTest.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hold follows the membership stream, not the wall clock, on a mini cluster with a real broker:
 * with {@code hold} 1 s, a new group's first message whose membership rows reach the CDC topic 3 s
 * later (committed before the message was sent) is delivered, not rejected; a non-member's message
 * waits past its hold until a change committed after it has been read, and is rejected then.
 * Change events carry {@code source.ts_ms} like Debezium's, in whole seconds as MariaDB's. Parallelism
 * 2, so the watermark passes through several subtasks and channels.
 */
@ExtendWith(KafkaExtension.class)
class MembershipLagIT {
    static final Duration HOLD = Duration.ofSeconds(1);

    @Test
    void aMembershipThatLagsBeyondTheHoldStillReleasesTheMessage(EmbeddedKafka kafka, @TempDir Path dataDir)
            throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        ReadyTopics.create(kafka, topics, 2);
        GroupsConfig config = GroupsTraffic.config(kafka, topics)
                .withHold(HOLD, Duration.ofMinutes(2), Duration.ofSeconds(60))
                .withCheckpointInterval(Duration.ofMillis(300))
                // Two partitions of group-events, two expander subtasks, one CDC partition read by
                // one source subtask: no partition or subtask without data may stall the watermark.
                .withParallelism(2);

        try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
             KafkaConsumer<byte[], byte[]> consumer = consumer(kafka, topics.userEvents())) {
            long longAgo = seconds(System.currentTimeMillis() - 60_000);
            cdc(producer, topics, "g1", "alice", event("r", null, row("g1", "alice", "admin"), longAgo));
            cdc(producer, topics, "g1", "bob", event("r", null, row("g1", "bob", "member"), longAgo));
            producer.flush();
            List<UserEvent> seen = new ArrayList<>();

            try (EmbeddedGroupsJob job = EmbeddedGroupsJob.start(config, dataDir)) {
                // The job is up and has read g1's membership once bob receives one of alice's messages
                // (one sent while only alice's row was read reaches nobody).
                await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
                    send(producer, topics, new GroupEvent.Message("g1", "alice", "a" + seen.size() + "-" + System.nanoTime(),
                            System.currentTimeMillis(), "hi", null));
                    producer.flush();
                    pollFor(consumer, seen, Duration.ofMillis(700));
                    assertThat(seen).anySatisfy(e -> assertThat(e.user()).isEqualTo("bob"));
                });

                // A change of another group, committed a while ago: the change stream is live (not
                // idle), and read up to a time before the next message.
                cdc(producer, topics, "g0", "zed", event("c", null, row("g0", "zed", "member"),
                        seconds(System.currentTimeMillis() - 10_000)));
                producer.flush();

                // erin creates g2 (commit at `created`) and sends at once; Debezium lags 3 s, 3 x hold.
                long created = seconds(System.currentTimeMillis());
                GroupEvent.Message first = new GroupEvent.Message("g2", "erin", "e1", System.currentTimeMillis(),
                        "first in g2", null);
                send(producer, topics, first);
                producer.flush();
                pollFor(consumer, seen, Duration.ofSeconds(3));
                assertThat(seen).as("neither delivered nor rejected while the membership lags").noneMatch(
                        e -> "e1".equals(id(e)));
                cdc(producer, topics, "g2", "erin", event("c", null, row("g2", "erin", "admin"), created));
                cdc(producer, topics, "g2", "frank", event("c", null, row("g2", "frank", "member"), created));
                producer.flush();
                awaitEvent(consumer, seen, new UserEvent.Message("frank", "erin", "e1",
                        io.pipechat.protocol.Address.group("g2"), first.ts(), first.body(), null));
                assertThat(seen).noneMatch(e -> e instanceof UserEvent.Rejected);

                // A non-member: held past its hold while the membership stream has not reached its
                // time, rejected once a change committed after it was read.
                GroupEvent.Message intrusion = new GroupEvent.Message("g2", "mallory", "m1", System.currentTimeMillis(),
                        "let me in", null);
                send(producer, topics, intrusion);
                producer.flush();
                pollFor(consumer, seen, HOLD.multipliedBy(3));
                assertThat(seen).as("held past the hold").noneMatch(e -> "m1".equals(id(e)));
                cdc(producer, topics, "g0", "zed", event("d", row("g0", "zed", "member"), null,
                        seconds(intrusion.ts()) + 2_000));
                producer.flush();
                awaitEvent(consumer, seen, new UserEvent.Rejected("mallory", "m1", ErrorCode.NOT_MEMBER,
                        "not a member of g2", intrusion.ts()));
            }
        }
    }

    /** Whole seconds, truncated: MariaDB's binlog timestamps. */
    private static long seconds(long millis) {
        return millis / 1000 * 1000;
    }

    private static String id(UserEvent e) {
        return switch (e) {
            case UserEvent.Message m -> m.id();
            case UserEvent.Rejected r -> r.id();
            default -> null;
        };
    }

    private static void awaitEvent(KafkaConsumer<byte[], byte[]> consumer, List<UserEvent> seen, UserEvent expected) {
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            pollFor(consumer, seen, Duration.ofMillis(200));
            assertThat(seen).contains(expected);
        });
    }
}
