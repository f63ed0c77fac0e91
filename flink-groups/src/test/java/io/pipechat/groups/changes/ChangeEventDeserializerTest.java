package io.pipechat.groups.changes;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.Json;
import io.pipechat.protocol.Media;
import io.pipechat.protocol.SystemEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.Collector;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.assertj.core.api.ListAssert;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Debezium change events of {@code group_members} and {@code chat_groups}, as the MySQL and MariaDB
 * connectors write them, into changes: who did what, and where in the log.
 */
public class ChangeEventDeserializerTest {
    static final String MEMBERS_TOPIC = "cdc.chat.group_members";
    static final String GROUPS_TOPIC = "cdc.chat.chat_groups";
    final Map<String, Counter> counters = new HashMap<>();
    final ChangeEventDeserializer deserializer = new ChangeEventDeserializer(ChangeEventDeserializer.Table.GROUP_MEMBERS);
    final ChangeEventDeserializer groups = new ChangeEventDeserializer(ChangeEventDeserializer.Table.CHAT_GROUPS);
    final List<GroupChange> out = new ArrayList<>();

    @BeforeEach
    void open() {
        for (ChangeEventDeserializer d : List.of(deserializer, groups)) {
            d.open(new DeserializationSchema.InitializationContext() {
                @Override
                public MetricGroup getMetricGroup() {
                    return new CountingGroup(counters, "");
                }

                @Override
                public UserCodeClassLoader getUserCodeClassLoader() {
                    return SimpleUserCodeClassLoader.create(getClass().getClassLoader());
                }
            });
        }
    }

    public static Map<String, Object> row(String group, String user, String role) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("group_id", group);
        row.put("user_id", user);
        row.put("role", role);
        row.put("added_at", "2026-11-28T03:00:00Z");
        return row;
    }

    /** A row as the group API writes it: with who made its latest change and what it was. */
    public static Map<String, Object> row(String group, String user, String role, String changedBy, String lastChange) {
        Map<String, Object> row = row(group, user, role);
        row.put("changed_by", changedBy);
        row.put("last_change", lastChange);
        return row;
    }

    /** A {@code chat_groups} row. */
    public static Map<String, Object> groupRow(String id, String name, String description, String icon, String changedBy) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("name", name);
        row.put("created_by", "creator");
        row.put("created_at", "2026-11-28T03:00:00Z");
        row.put("description", description);
        row.put("icon", icon);
        row.put("changed_by", changedBy);
        return row;
    }

    /** A change event value as Debezium's JSON converter writes it with schemas disabled, without {@code source.ts_ms}. */
    public static byte[] event(String op, Map<String, Object> before, Map<String, Object> after) {
        return event(op, before, after, GroupChange.UNKNOWN);
    }

    /** The same with the commit time {@code source.ts_ms} (unless {@link GroupChange#UNKNOWN}). */
    public static byte[] event(String op, Map<String, Object> before, Map<String, Object> after, long committed) {
        return event(op, before, after, committed, null);
    }

    /** The same at a binlog position ({@code source.file}, {@code pos}, {@code row}; null for none). */
    public static byte[] event(String op, Map<String, Object> before, Map<String, Object> after, long committed,
                               String binlogFile, long pos, int row) {
        return event(op, before, after, committed, Map.of("file", binlogFile, "pos", pos, "row", row));
    }

    private static byte[] event(String op, Map<String, Object> before, Map<String, Object> after, long committed,
                                Map<String, Object> position) {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("before", before);
        value.put("after", after);
        Map<String, Object> source = new LinkedHashMap<>(Map.of("connector", "mysql", "db", "chat", "table",
                "group_members", "snapshot", op.equals("r") ? "true" : "false"));
        if (committed != GroupChange.UNKNOWN) {
            source.put("ts_ms", committed);
        }
        if (position != null) {
            source.putAll(position);
        }
        value.put("source", source);
        value.put("op", op);
        value.put("ts_ms", 1_764_300_000_000L);
        try {
            // Json.MAPPER leaves nulls out; Debezium writes them, so use a plain mapper here.
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] update(String oldGroup, String oldUser, String newGroup, String newUser) {
        return event("u", row(oldGroup, oldUser, "member"), row(newGroup, newUser, "member"));
    }

    /** The changes of one {@code group_members} change event. */
    public static List<GroupChange> parse(byte[] value) throws Exception {
        return ChangeEventDeserializer.parse(value);
    }

    void deserialize(byte[] value) {
        deserialize(MEMBERS_TOPIC, value);
    }

    void deserialize(String topic, byte[] value) {
        byte[] key = Json.bytes(Map.of("group_id", "g1", "user_id", "alice"));
        (topic.equals(GROUPS_TOPIC) ? groups : deserializer).deserialize(new ConsumerRecord<>(topic, 0, 0L, key, value),
                new Collector<>() {
                    @Override
                    public void collect(GroupChange record) {
                        out.add(record);
                    }

                    @Override
                    public void close() {
                    }
                });
    }

    /** The changes read, compared without their origin (see {@link #theOriginIsTheBinlogPosition}). */
    ListAssert<GroupChange> assertOut() {
        return assertThat(out).usingRecursiveFieldByFieldElementComparatorIgnoringFields("origin");
    }

    long count(String name) {
        return counters.get("group_members_cdc." + name).getCount();
    }

    long groupsCount(String name) {
        return counters.get("chat_groups_cdc." + name).getCount();
    }

    @Test
    void snapshotInsertUpdateAndDeleteApply() {
        deserialize(event("r", null, row("g1", "alice", "admin")));
        deserialize(event("c", null, row("g1", "bob", "member")));
        deserialize(event("u", row("g1", "bob", "member"), row("g1", "bob", "admin")));
        deserialize(event("d", row("g1", "bob", "admin"), null));

        assertOut().containsExactly(
                new GroupChange.Joined("g1", "alice", "admin", GroupChange.UNKNOWN, null, null, null),
                new GroupChange.Joined("g1", "bob", "member", GroupChange.UNKNOWN, null, SystemEvent.MEMBER_ADDED, null),
                new GroupChange.Joined("g1", "bob", "admin", GroupChange.UNKNOWN, null, SystemEvent.ADMIN_ADDED, null),
                new GroupChange.Left("g1", "bob", GroupChange.UNKNOWN, null, SystemEvent.MEMBER_REMOVED, null));
        assertThat(count("changes")).isEqualTo(4);
        assertThat(count("tombstones")).isZero();
        assertThat(count("malformed")).isZero();
    }

    @Test
    void rowsMarkedByTheGroupApiSayWhoDidWhat() {
        deserialize(event("c", null, row("g1", "alice", "admin", "alice", "created")));
        deserialize(event("c", null, row("g1", "bob", "member", "alice", "member_added")));
        deserialize(event("u", row("g1", "bob", "member", "alice", "member_added"), row("g1", "bob", "admin", "alice", "admin_added")));
        deserialize(event("u", row("g1", "bob", "admin", "alice", "admin_added"), row("g1", "bob", "member", "carol", "admin_removed")));
        // A removal marks the row, then deletes it: the mark is no change of its own.
        deserialize(event("u", row("g1", "bob", "member", "carol", "admin_removed"), row("g1", "bob", "member", "alice", "member_removed")));
        deserialize(event("d", row("g1", "bob", "member", "alice", "member_removed"), null));
        deserialize(event("d", row("g1", "carol", "member", "carol", "member_left"), null));
        deserialize(event("d", row("g1", "dave", "member", "alice", "group_deleted"), null));
        // Rows written before the marks: who left is told from changed_by, else a removal by someone unknown.
        deserialize(event("d", row("g1", "erin", "member", "erin", "member_added"), null));
        deserialize(event("d", row("g1", "fay", "member"), null));

        assertOut().containsExactly(
                new GroupChange.Joined("g1", "alice", "admin", GroupChange.UNKNOWN, "alice", SystemEvent.CREATED, null),
                new GroupChange.Joined("g1", "bob", "member", GroupChange.UNKNOWN, "alice", SystemEvent.MEMBER_ADDED, null),
                new GroupChange.Joined("g1", "bob", "admin", GroupChange.UNKNOWN, "alice", SystemEvent.ADMIN_ADDED, null),
                new GroupChange.Joined("g1", "bob", "member", GroupChange.UNKNOWN, "carol", SystemEvent.ADMIN_REMOVED, null),
                new GroupChange.Left("g1", "bob", GroupChange.UNKNOWN, "alice", SystemEvent.MEMBER_REMOVED, null),
                new GroupChange.Left("g1", "carol", GroupChange.UNKNOWN, "carol", SystemEvent.MEMBER_LEFT, null),
                new GroupChange.Left("g1", "dave", GroupChange.UNKNOWN, "alice", SystemEvent.GROUP_DELETED, null),
                new GroupChange.Left("g1", "erin", GroupChange.UNKNOWN, "erin", SystemEvent.MEMBER_LEFT, null),
                new GroupChange.Left("g1", "fay", GroupChange.UNKNOWN, null, SystemEvent.MEMBER_REMOVED, null));
        assertThat(count("malformed")).isZero();
    }

    @Test
    void theOriginIsTheBinlogPositionSoARereadChangeKeepsIt() {
        byte[] change = event("c", null, row("g1", "bob", "member", "alice", "member_added"), 1_000L, "binlog.000002", 4711, 1);
        deserialize(change);
        deserialize(change);
        deserialize(event("c", null, row("g1", "carol", "member", "alice", "member_added"), 1_000L, "binlog.000002", 4711, 2));

        assertThat(out).extracting(GroupChange::origin)
                .containsExactly("binlog.000002:4711:1", "binlog.000002:4711:1", "binlog.000002:4711:2");
        out.clear();
        deserialize(event("c", null, row("g1", "bob", "member"), 1_000L));
        assertThat(out.getFirst().origin()).as("without a position: commit time and row").isEqualTo("1000:c:g1:bob:member");
    }

    @Test
    void keyChangingUpdateIsALeaveThenAJoinWithoutSystemMessages() {
        deserialize(update("g1", "bob", "g2", "bob"));
        assertOut().containsExactly(new GroupChange.Left("g1", "bob"),
                new GroupChange.Joined("g2", "bob", "member"));
    }

    @Test
    void theCommitTimeIsSourceTsMs() {
        deserialize(event("r", null, row("g1", "bob", "member"), 1_764_300_000_000L));
        deserialize(update("g1", "bob", "g2", "bob"));

        assertOut().containsExactly(
                new GroupChange.Joined("g1", "bob", "member", 1_764_300_000_000L),
                new GroupChange.Left("g1", "bob"),
                new GroupChange.Joined("g2", "bob", "member"));
        assertThat(out.get(1).committed()).as("no source.ts_ms: the envelope's ts_ms is not the commit")
                .isEqualTo(GroupChange.UNKNOWN);
    }

    @Test
    void changesKeepEveryFieldThroughTheJobsJsonSerializer() throws Exception {
        var serializer = new io.pipechat.groups.types.JsonTypeSerializer<>(GroupChange.class);
        Media icon = new Media("c".repeat(64), "image/png", 12, "k", null);
        for (GroupChange change : List.of(new GroupChange.Joined("g1", "bob", "admin", 1_234L, "alice", "admin_added", "b:1:0"),
                new GroupChange.Left("g1", "bob", 5_678L, "alice", "member_removed", "b:2:0"),
                new GroupChange.Joined("g1", "bob", "member"),
                new GroupChange.Updated("g1", 9L, new SystemEvent(SystemEvent.ICON_CHANGED, "alice", null, null, null, icon), "b:3:0"))) {
            var buffer = new org.apache.flink.core.memory.DataOutputSerializer(64);
            serializer.serialize(change, buffer);
            assertThat(serializer.deserialize(new org.apache.flink.core.memory.DataInputDeserializer(buffer.getCopyOfBuffer())))
                    .isEqualTo(change);
        }
    }

    @Test
    void aGroupsUpdateIsOneChangePerFieldItChanged() {
        String icon = "{\"id\":\"" + "d".repeat(64) + "\",\"mime\":\"image/jpeg\",\"size\":99,\"key\":\"k\"}";
        deserialize(GROUPS_TOPIC, event("c", null, groupRow("g1", "Hiking", null, null, "creator")));
        deserialize(GROUPS_TOPIC, event("u", groupRow("g1", "Hiking", null, null, "creator"),
                groupRow("g1", "Hiking club", "Sundays", null, "alice"), 2_000L));
        deserialize(GROUPS_TOPIC, event("u", groupRow("g1", "Hiking club", "Sundays", null, "alice"),
                groupRow("g1", "Hiking club", null, icon, null)));
        deserialize(GROUPS_TOPIC, event("u", groupRow("g1", "Hiking club", null, icon, null),
                groupRow("g1", "Hiking club", null, icon, "bob")));
        deserialize(GROUPS_TOPIC, event("d", groupRow("g1", "Hiking club", null, icon, "bob"), null));

        Media media = new Media("d".repeat(64), "image/jpeg", 99, "k", null);
        assertOut().containsExactly(
                new GroupChange.Updated("g1", 2_000L, new SystemEvent(SystemEvent.RENAMED, "alice", null, "Hiking club", null, null), null),
                new GroupChange.Updated("g1", 2_000L, new SystemEvent(SystemEvent.DESCRIPTION_CHANGED, "alice", null, null, "Sundays", null), null),
                new GroupChange.Updated("g1", GroupChange.UNKNOWN, new SystemEvent(SystemEvent.DESCRIPTION_CHANGED, "creator", null, null, null, null), null),
                new GroupChange.Updated("g1", GroupChange.UNKNOWN, new SystemEvent(SystemEvent.ICON_CHANGED, "creator", null, null, null, media), null));
        assertThat(groupsCount("changes")).isEqualTo(4);
        assertThat(groupsCount("malformed")).isZero();
        assertThat(count("changes")).as("counted apart from the members' changes").isZero();
    }

    @Test
    void unreadableGroupEventsAreSkippedAndCountedApart() {
        deserialize(GROUPS_TOPIC, null);
        deserialize(GROUPS_TOPIC, "{\"op\":\"u\",\"after\":{\"id\":\"g1\",\"name\":\"x\"}}".getBytes(StandardCharsets.UTF_8));
        deserialize(GROUPS_TOPIC, event("u", groupRow("g1", "a", null, null, "x"), groupRow("g1", "a", null, "{not json", "x")));
        deserialize(GROUPS_TOPIC, event("u", groupRow("bad id!", "a", null, null, "x"), groupRow("bad id!", "b", null, null, "x")));
        deserialize(GROUPS_TOPIC, "[]".getBytes(StandardCharsets.UTF_8));

        assertThat(out).isEmpty();
        assertThat(groupsCount("tombstones")).isEqualTo(1);
        assertThat(groupsCount("malformed")).isEqualTo(4);
    }

    @Test
    void tombstonesAreSkippedAndCounted() {
        deserialize(null);
        assertThat(out).isEmpty();
        assertThat(count("tombstones")).isEqualTo(1);
    }

    @Test
    void malformedEventsAreSkippedAndCounted() {
        deserialize("not json".getBytes(StandardCharsets.UTF_8));
        deserialize("[1,2]".getBytes(StandardCharsets.UTF_8));
        deserialize("{\"op\":\"c\",\"after\":null}".getBytes(StandardCharsets.UTF_8));
        deserialize("{\"op\":\"x\",\"after\":{\"group_id\":\"g1\",\"user_id\":\"a\"}}".getBytes(StandardCharsets.UTF_8));
        deserialize(event("c", null, row("g1", null, "member")));
        deserialize(event("c", null, row("g1", "not a user id", "member")));
        deserialize("{\"op\":\"t\",\"before\":null,\"after\":null}".getBytes(StandardCharsets.UTF_8));

        assertThat(out).isEmpty();
        assertThat(count("malformed")).isEqualTo(7);
    }

    @Test
    void readsTheEnvelopeWithSchemaToo() {
        String withSchema = "{\"schema\":{\"type\":\"struct\"},\"payload\":"
                + new String(event("r", null, row("g1", "carol", "member")), StandardCharsets.UTF_8) + "}";
        deserialize(withSchema.getBytes(StandardCharsets.UTF_8));
        assertOut().containsExactly(new GroupChange.Joined("g1", "carol", "member"));
    }

    /** A metric group that keeps its counters, named {@code <group>.<counter>}, so the test can read them. */
    static final class CountingGroup extends UnregisteredMetricsGroup {
        private final Map<String, Counter> counters;
        private final String prefix;

        CountingGroup(Map<String, Counter> counters, String prefix) {
            this.counters = counters;
            this.prefix = prefix;
        }

        @Override
        public Counter counter(String name) {
            return counters.computeIfAbsent(prefix + name, n -> new SimpleCounter());
        }

        @Override
        public MetricGroup addGroup(String name) {
            return new CountingGroup(counters, prefix + name + ".");
        }
    }
}
