package io.pipechat.groups.changes;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.groups.types.JsonTypeInfo;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Debezium change events of the MySQL table {@code group_members(group_id, user_id, role,
 * added_at)} (JSON converter, with or without the {@code schema}/{@code payload} wrapper) into
 * {@link GroupChange}s.
 *
 * <ul>
 *   <li>{@code op} {@code r} (snapshot) and {@code c}: {@code after} joins.</li>
 *   <li>{@code u}: {@code after} joins (a role change overwrites the role); if {@code before} has
 *       another group or user, {@code before} leaves first.</li>
 *   <li>{@code d}: {@code before} leaves.</li>
 *   <li>Tombstones (null value after a delete) are skipped and counted ({@code tombstones}); so is
 *       anything unreadable or without group and user ({@code malformed}, logged), and a truncate
 *       ({@code op} {@code t}), which names no rows. Nothing here ever throws: a bad change event
 *       must not restart the job forever.</li>
 *   <li>{@code source.ts_ms} (the commit time in the database) becomes
 *       {@link GroupChange#committed()}, {@link GroupChange#UNKNOWN} if absent (the job
 *       then uses the Kafka record's timestamp, which is later than the commit).</li>
 * </ul>
 *
 * <p>Metrics, group {@code group_members_cdc}: {@code changes}, {@code tombstones}, {@code malformed}.
 */
public final class ChangeEventDeserializer implements KafkaRecordDeserializationSchema<GroupChange> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ChangeEventDeserializer.class);
    static final String METRIC_GROUP = "group_members_cdc";

    private transient Counter changes;
    private transient Counter tombstones;
    private transient Counter malformed;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        MetricGroup metrics = context.getMetricGroup().addGroup(METRIC_GROUP);
        changes = metrics.counter("changes");
        tombstones = metrics.counter("tombstones");
        malformed = metrics.counter("malformed");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<GroupChange> out) {
        if (record.value() == null) {
            tombstones.inc();
            return;
        }
        List<GroupChange> parsed;
        try {
            parsed = parse(record.value());
        } catch (IOException | IllegalArgumentException e) {
            malformed.inc();
            LOG.warn("skipping malformed group_members change event at {}-{}@{}: {}",
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            return;
        }
        for (GroupChange change : parsed) {
            changes.inc();
            out.collect(change);
        }
    }

    /**
     * The changes one change event stands for, in the order to apply them.
     *
     * @throws IllegalArgumentException if the event is not a readable {@code group_members} change
     */
    static List<GroupChange> parse(byte[] value) throws IOException {
        JsonNode root = Json.MAPPER.readTree(value);
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (root.has("payload") && root.has("schema")) {
            root = root.get("payload");
        }
        String op = root.path("op").asText("");
        JsonNode sourceTs = root.path("source").path("ts_ms");
        long committed = sourceTs.isIntegralNumber() ? sourceTs.asLong() : GroupChange.UNKNOWN;
        List<GroupChange> changes = new ArrayList<>(2);
        switch (op) {
            case "r", "c" -> changes.add(joined(row(root, "after"), committed));
            case "u" -> {
                GroupChange.Joined after = joined(row(root, "after"), committed);
                JsonNode before = root.get("before");
                if (before != null && !before.isNull()) {
                    GroupChange.Joined old = joined(row(root, "before"), committed);
                    if (!old.group().equals(after.group()) || !old.user().equals(after.user())) {
                        changes.add(new GroupChange.Left(old.group(), old.user(), committed));
                    }
                }
                changes.add(after);
            }
            case "d" -> {
                GroupChange.Joined old = joined(row(root, "before"), committed);
                changes.add(new GroupChange.Left(old.group(), old.user(), committed));
            }
            case "t" -> throw new IllegalArgumentException("truncate names no rows; re-snapshot group_members");
            default -> throw new IllegalArgumentException("unknown op '" + op + "'");
        }
        return changes;
    }

    private static JsonNode row(JsonNode root, String field) {
        JsonNode row = root.get(field);
        if (row == null || !row.isObject()) {
            throw new IllegalArgumentException("op " + root.path("op").asText() + " without '" + field + "'");
        }
        return row;
    }

    private static GroupChange.Joined joined(JsonNode row, long committed) {
        String group = row.path("group_id").asText("");
        String user = row.path("user_id").asText("");
        if (group.isEmpty() || user.isEmpty()) {
            throw new IllegalArgumentException("row without group_id or user_id");
        }
        String role = row.path("role").asText("member");
        return new GroupChange.Joined(group, user, role.isEmpty() ? "member" : role, committed);
    }

    @Override
    public TypeInformation<GroupChange> getProducedType() {
        return JsonTypeInfo.of(GroupChange.class);
    }
}
