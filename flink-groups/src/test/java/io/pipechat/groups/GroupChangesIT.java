package io.pipechat.groups;

import static io.pipechat.groups.GroupsTraffic.bytes;
import static io.pipechat.groups.GroupsTraffic.cdc;
import static io.pipechat.groups.GroupsTraffic.consumer;
import static io.pipechat.groups.GroupsTraffic.pollAll;
import static io.pipechat.groups.GroupsTraffic.producer;
import static io.pipechat.groups.GroupsTraffic.send;
import static io.pipechat.groups.changes.ChangeEventDeserializerTest.event;
import static io.pipechat.groups.changes.ChangeEventDeserializerTest.groupRow;
import static io.pipechat.groups.changes.ChangeEventDeserializerTest.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.groups.changes.ChangeEventDeserializer;
import io.pipechat.groups.kafka.GroupEventDeserializer;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.SystemEvent;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The job on a Flink mini cluster against a real (embedded) Kafka broker, fed as the group API,
 * Debezium and the edges feed it: system messages of membership and group changes in order with the
 * messages, typing fanned out to the members, a removed member refused at once; and a poison record
 * on each topic it reads (chat.group-events, both CDC topics) skipped, counted and logged while the
 * groups keep working.
 */
@ExtendWith(KafkaExtension.class)
class GroupChangesIT {
    private static final String DESERIALIZER = GroupsMetricsIT.DESERIALIZER;
    /** A binlog position per change, as Debezium reports them. */
    private long pos = 100;

    @Test
    void membersSeeChangesAsSystemMessagesAndPoisonRecordsStopNoGroup(EmbeddedKafka kafka, @TempDir Path dataDir)
            throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        ReadyTopics.create(kafka, topics, 2);
        // A long hold: a refusal that comes before it is the fast one for members who left.
        GroupsConfig config = GroupsTraffic.config(kafka, topics).withHold(Duration.ofSeconds(30));
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        for (Class<?> c : List.of(ChangeEventDeserializer.class, GroupEventDeserializer.class)) {
            ((Logger) LoggerFactory.getLogger(c)).addAppender(logged);
        }

        try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
             KafkaConsumer<byte[], byte[]> consumer = consumer(kafka, topics.userEvents());
             EmbeddedGroupsJob job = EmbeddedGroupsJob.start(config, dataDir, 0)) {
            long now = System.currentTimeMillis();
            // alice creates g1 with bob (the API's rows), then a poison record on every topic.
            member(producer, topics, "c", null, row("g1", "alice", "admin", "alice", "created"), now);
            member(producer, topics, "c", null, row("g1", "bob", "member", "alice", "created"), now);
            cdc(producer, topics, "g1", "x", bytes("{not json"));
            cdc(producer, topics, "g1", "x", event("c", null, row("g1", "not a user!", "member"), now));
            GroupsTraffic.groupCdc(producer, topics, "g1", bytes("[]"));
            GroupsTraffic.groupCdc(producer, topics, "g1", event("u", null, groupRow("g1", "no before", null, null, "alice"), now));
            producer.send(new ProducerRecord<>(topics.groupEvents(), bytes("g1"), bytes("garbage")));
            send(producer, topics, new GroupEvent.Message("g1", "alice", "bad id!", now, "x", null));
            producer.flush();

            List<UserEvent> seen = new ArrayList<>();
            SystemEvent createdBob = SystemEvent.member(SystemEvent.CREATED, "alice", "bob");
            awaitSeen(consumer, seen, e -> system(e, "bob", createdBob));

            // A message, then carol is added: she gets the addition, not the message before it.
            GroupEvent.Message beforeCarol = new GroupEvent.Message("g1", "alice", "m1", now, "before carol", null);
            send(producer, topics, beforeCarol);
            producer.flush();
            awaitSeen(consumer, seen, e -> e.equals(delivery("bob", beforeCarol)));
            member(producer, topics, "c", null, row("g1", "carol", "member", "alice", "member_added"), now);
            producer.flush();
            SystemEvent added = SystemEvent.member(SystemEvent.MEMBER_ADDED, "alice", "carol");
            awaitSeen(consumer, seen, e -> system(e, "carol", added));
            GroupEvent.Message afterCarol = new GroupEvent.Message("g1", "bob", "m2", now, "hi carol", null);
            send(producer, topics, afterCarol);
            producer.flush();
            awaitSeen(consumer, seen, e -> e.equals(delivery("carol", afterCarol)));

            // bob renames the group; carol types; a stranger's typing goes nowhere.
            GroupsTraffic.groupCdc(producer, topics, "g1", event("u", groupRow("g1", "friends", null, null, "alice"),
                    groupRow("g1", "Weekend", null, null, "bob"), now, "binlog.000001", pos++, 0));
            producer.send(new ProducerRecord<>(topics.groupEvents(), bytes("g1"),
                    Json.bytes(new GroupEvent.Typing("g1", "mallory", now))));
            producer.send(new ProducerRecord<>(topics.groupEvents(), bytes("g1"),
                    Json.bytes(new GroupEvent.Typing("g1", "carol", now))));
            producer.flush();
            SystemEvent renamed = new SystemEvent(SystemEvent.RENAMED, "bob", null, "Weekend", null, null);
            awaitSeen(consumer, seen, e -> system(e, "alice", renamed));
            awaitSeen(consumer, seen, e -> e.equals(new UserEvent.Typing("bob", "carol", Address.group("g1"), now)));

            // alice removes carol (the API marks the row, then deletes it); carol's next message is refused at once.
            member(producer, topics, "u", row("g1", "carol", "member", "alice", "member_added"),
                    row("g1", "carol", "member", "alice", "member_removed"), now);
            member(producer, topics, "d", row("g1", "carol", "member", "alice", "member_removed"), null, now);
            cdc(producer, topics, "g1", "carol", null);
            producer.flush();
            SystemEvent removed = SystemEvent.member(SystemEvent.MEMBER_REMOVED, "alice", "carol");
            awaitSeen(consumer, seen, e -> system(e, "carol", removed));
            send(producer, topics, new GroupEvent.Message("g1", "carol", "c1", System.currentTimeMillis(), "still here?", null));
            producer.flush();
            awaitSeen(consumer, seen, e -> e instanceof UserEvent.Rejected r && r.id().equals("c1"));
            assertThat(seen).filteredOn(e -> e instanceof UserEvent.Rejected).singleElement().satisfies(e -> {
                UserEvent.Rejected refusal = (UserEvent.Rejected) e;
                assertThat(refusal.code()).isEqualTo(ErrorCode.NOT_MEMBER);
                assertThat(refusal.message()).as("refused at once, not after the hold").isEqualTo("no longer a member of g1");
            });

            assertThat(systemMessagesOf("alice", seen)).as("in the order of the changes")
                    .containsExactly(SystemEvent.member(SystemEvent.CREATED, "alice", "alice"), added, renamed, removed);
            assertThat(systemMessagesOf("bob", seen)).containsExactly(createdBob, added, renamed, removed);
            assertThat(systemMessagesOf("carol", seen)).containsExactly(added, renamed, removed);
            assertThat(seen).as("nothing from the poison records").noneMatch(e -> e.user().equals("not a user!")
                    || e instanceof UserEvent.Message m && m.id().equals("bad id!"));
            assertThat(seen).noneMatch(e -> e instanceof UserEvent.Typing t && t.from().equals("mallory"));

            String metrics = PrometheusText.scrape("http://127.0.0.1:" + job.metricsPort().orElseThrow() + "/metrics");
            assertThat(PrometheusText.sum(metrics, DESERIALIZER + "group_members_cdc_malformed")).isEqualTo(2.0);
            assertThat(PrometheusText.sum(metrics, DESERIALIZER + "group_members_cdc_tombstones")).isEqualTo(1.0);
            assertThat(PrometheusText.sum(metrics, DESERIALIZER + "chat_groups_cdc_malformed")).isEqualTo(2.0);
            assertThat(PrometheusText.sum(metrics, DESERIALIZER + "group_events_malformed")).isEqualTo(2.0);
            assertThat(PrometheusText.sum(metrics, GroupsMetricsIT.PREFIX + "rejected_after_leaving")).isEqualTo(1.0);
            assertThat(PrometheusText.sum(metrics, GroupsMetricsIT.PREFIX + "typing_dropped")).isEqualTo(1.0);
            assertThat(logged.list).filteredOn(e -> e.getFormattedMessage().startsWith("skipping malformed"))
                    .as("each poison record logged with where it is").hasSize(6)
                    .allSatisfy(e -> assertThat(e.getFormattedMessage()).containsPattern("@\\d+"));
        } finally {
            for (Class<?> c : List.of(ChangeEventDeserializer.class, GroupEventDeserializer.class)) {
                ((Logger) LoggerFactory.getLogger(c)).detachAppender(logged);
            }
        }
    }

    /** A change event of a {@code group_members} row at the next binlog position, keyed like Debezium's. */
    private void member(KafkaProducer<byte[], byte[]> producer, Topics topics, String op, Map<String, Object> before,
                        Map<String, Object> after, long committed) {
        var row = after != null ? after : before;
        cdc(producer, topics, (String) row.get("group_id"), (String) row.get("user_id"),
                event(op, before, after, committed, "binlog.000001", pos++, 0));
    }

    private static UserEvent.Message delivery(String to, GroupEvent.Message m) {
        return new UserEvent.Message(to, m.from(), m.id(), Address.group(m.group()), m.ts(), m.body(), m.media());
    }

    private static boolean system(UserEvent e, String to, SystemEvent event) {
        return e instanceof UserEvent.Message m && m.user().equals(to) && event.equals(m.system());
    }

    private static List<SystemEvent> systemMessagesOf(String user, List<UserEvent> seen) {
        return seen.stream().filter(e -> e.user().equals(user) && GroupsTraffic.isSystem(e))
                .map(e -> ((UserEvent.Message) e).system()).toList();
    }

    private static void awaitSeen(KafkaConsumer<byte[], byte[]> consumer, List<UserEvent> seen, Predicate<UserEvent> wanted) {
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            pollAll(consumer, seen, Duration.ofMillis(200));
            assertThat(seen).anyMatch(wanted);
        });
    }
}
