package io.pipechat.groups.changes;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.Json;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Debezium change events of {@code group_members}, as the MySQL connector writes them, into changes. */
public class ChangeEventDeserializerTest {
    final Map<String, Counter> counters = new HashMap<>();
    final ChangeEventDeserializer deserializer = new ChangeEventDeserializer();
    final List<GroupChange> out = new ArrayList<>();

    @BeforeEach
    void open() {
        deserializer.open(new DeserializationSchema.InitializationContext() {
            @Override
            public MetricGroup getMetricGroup() {
                return new CountingGroup(counters);
            }

            @Override
            public UserCodeClassLoader getUserCodeClassLoader() {
                return SimpleUserCodeClassLoader.create(getClass().getClassLoader());
            }
        });
    }

    public static Map<String, Object> row(String group, String user, String role) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("group_id", group);
        row.put("user_id", user);
        row.put("role", role);
        row.put("added_at", "2026-11-28T03:00:00Z");
        return row;
    }

    /** A change event value as Debezium's JSON converter writes it with schemas disabled, without {@code source.ts_ms}. */
    public static byte[] event(String op, Map<String, Object> before, Map<String, Object> after) {
        return event(op, before, after, GroupChange.UNKNOWN);
    }

    /** The same with the commit time {@code source.ts_ms} (unless {@link GroupChange#UNKNOWN}). */
    public static byte[] event(String op, Map<String, Object> before, Map<String, Object> after, long committed) {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("before", before);
        value.put("after", after);
        Map<String, Object> source = new LinkedHashMap<>(Map.of("connector", "mysql", "db", "chat", "table",
                "group_members", "snapshot", op.equals("r") ? "true" : "false"));
        if (committed != GroupChange.UNKNOWN) {
            source.put("ts_ms", committed);
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

    public static List<GroupChange> parse(byte[] value) throws Exception {
        return ChangeEventDeserializer.parse(value);
    }

    void deserialize(byte[] value) {
        byte[] key = Json.bytes(Map.of("group_id", "g1", "user_id", "alice"));
        deserializer.deserialize(new ConsumerRecord<>("cdc.chat.group_members", 0, 0L, key, value),
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

    long count(String name) {
        return counters.get(name).getCount();
    }

    @Test
    void snapshotInsertUpdateAndDeleteApply() {
        deserialize(event("r", null, row("g1", "alice", "admin")));
        deserialize(event("c", null, row("g1", "bob", "member")));
        deserialize(event("u", row("g1", "bob", "member"), row("g1", "bob", "admin")));
        deserialize(event("d", row("g1", "bob", "admin"), null));

        assertThat(out).containsExactly(
                new GroupChange.Joined("g1", "alice", "admin"),
                new GroupChange.Joined("g1", "bob", "member"),
                new GroupChange.Joined("g1", "bob", "admin"),
                new GroupChange.Left("g1", "bob"));
        assertThat(count("changes")).isEqualTo(4);
        assertThat(count("tombstones")).isZero();
        assertThat(count("malformed")).isZero();
    }

    @Test
    void keyChangingUpdateIsALeaveThenAJoin() {
        deserialize(update("g1", "bob", "g2", "bob"));
        assertThat(out).containsExactly(new GroupChange.Left("g1", "bob"),
                new GroupChange.Joined("g2", "bob", "member"));
    }

    @Test
    void theCommitTimeIsSourceTsMs() {
        deserialize(event("c", null, row("g1", "bob", "member"), 1_764_300_000_000L));
        deserialize(update("g1", "bob", "g2", "bob"));
        deserialize(event("d", row("g2", "bob", "member"), null, 1_764_300_002_000L));

        assertThat(out).containsExactly(
                new GroupChange.Joined("g1", "bob", "member", 1_764_300_000_000L),
                new GroupChange.Left("g1", "bob"),
                new GroupChange.Joined("g2", "bob", "member"),
                new GroupChange.Left("g2", "bob", 1_764_300_002_000L));
        assertThat(out.get(1).committed()).as("no source.ts_ms: the envelope's ts_ms is not the commit")
                .isEqualTo(GroupChange.UNKNOWN);
    }

    @Test
    void changesKeepTheirCommitTimeThroughTheJobsJsonSerializer() throws Exception {
        var serializer = new io.pipechat.groups.types.JsonTypeSerializer<>(GroupChange.class);
        for (GroupChange change : List.of(new GroupChange.Joined("g1", "bob", "admin", 1_234L),
                new GroupChange.Left("g1", "bob", 5_678L), new GroupChange.Joined("g1", "bob", "member"))) {
            var buffer = new org.apache.flink.core.memory.DataOutputSerializer(64);
            serializer.serialize(change, buffer);
            assertThat(serializer.deserialize(new org.apache.flink.core.memory.DataInputDeserializer(buffer.getCopyOfBuffer())))
                    .isEqualTo(change);
        }
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
        deserialize("{\"op\":\"t\",\"before\":null,\"after\":null}".getBytes(StandardCharsets.UTF_8));

        assertThat(out).isEmpty();
        assertThat(count("malformed")).isEqualTo(6);
    }

    @Test
    void readsTheEnvelopeWithSchemaToo() {
        String withSchema = "{\"schema\":{\"type\":\"struct\"},\"payload\":"
                + new String(event("c", null, row("g1", "carol", "member")), StandardCharsets.UTF_8) + "}";
        deserialize(withSchema.getBytes(StandardCharsets.UTF_8));
        assertThat(out).containsExactly(new GroupChange.Joined("g1", "carol", "member"));
    }

    /** A metric group that keeps its counters so the test can read them. */
    static final class CountingGroup extends UnregisteredMetricsGroup {
        private final Map<String, Counter> counters;

        CountingGroup(Map<String, Counter> counters) {
            this.counters = counters;
        }

        @Override
        public Counter counter(String name) {
            return counters.computeIfAbsent(name, n -> new SimpleCounter());
        }

        @Override
        public MetricGroup addGroup(String name) {
            return this;
        }
    }
}
