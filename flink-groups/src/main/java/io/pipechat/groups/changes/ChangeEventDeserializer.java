package io.pipechat.groups.changes;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.groups.types.JsonTypeInfo;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Media;
import io.pipechat.protocol.SystemEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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
 * Reads Debezium change events of the MySQL tables {@code group_members(group_id, user_id, role,
 * added_at, changed_by, last_change)} and {@code chat_groups(id, name, created_by, ..., description,
 * icon, changed_by)} (JSON converter, with or without the {@code schema}/{@code payload} wrapper)
 * into {@link GroupChange}s; one instance reads one table's topic ({@link Table}).
 *
 * <p>{@code group_members}:
 * <ul>
 *   <li>{@code op} {@code r} (snapshot): {@code after} joins, without a system message.</li>
 *   <li>{@code c}: {@code after} joins, as {@code last_change} says ({@code created} with the new
 *       group, else {@code member_added}).</li>
 *   <li>{@code u}: {@code after} joins (a role change overwrites the role: {@code admin_added} or
 *       {@code admin_removed}); if {@code before} has another group or user, {@code before} leaves
 *       first (both without a system message: only a hand-made update moves a row). An update that
 *       only marks the row before its delete ({@code last_change} {@code member_left},
 *       {@code member_removed} or {@code group_deleted}) is no change of its own: skipped.</li>
 *   <li>{@code d}: {@code before} leaves, for the reason its {@code last_change} mark gives (without
 *       a mark: {@code member_left} if {@code changed_by} is the member, else {@code member_removed}).</li>
 * </ul>
 * {@code chat_groups}: an update becomes one {@link GroupChange.Updated} per field that differs
 * between {@code before} and {@code after} ({@code renamed}, {@code description_changed},
 * {@code icon_changed}); inserts, deletes and snapshot reads carry nothing the job needs (a new
 * group's members and a deleted group's members come as their own rows) and are skipped.
 *
 * <ul>
 *   <li>{@code by} is {@code changed_by} (null unless a valid user id; {@code chat_groups} falls back
 *       to {@code created_by}); {@code origin} is {@code source.file:pos:row}, or the commit time and
 *       key when the event has no binlog position.</li>
 *   <li>Tombstones (null value after a delete) are skipped and counted ({@code tombstones}); so is
 *       anything unreadable, without valid group and user ids, or a truncate ({@code malformed},
 *       logged with its topic, partition and offset). Nothing here ever throws: a bad change event
 *       must not restart the job forever.</li>
 *   <li>{@code source.ts_ms} (the commit time in the database) becomes
 *       {@link GroupChange#committed()}, {@link GroupChange#UNKNOWN} if absent (the job then uses the
 *       Kafka record's timestamp, which is later than the commit).</li>
 * </ul>
 *
 * <p>Metrics: group {@code group_members_cdc} or {@code chat_groups_cdc}, with {@code changes}
 * (changes read out of the events), {@code tombstones}, {@code malformed}.
 */
public final class ChangeEventDeserializer implements KafkaRecordDeserializationSchema<GroupChange> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ChangeEventDeserializer.class);

    /** The captured tables. */
    public enum Table {
        GROUP_MEMBERS,
        CHAT_GROUPS
    }

    /** The {@code last_change} marks a row gets just before its delete. */
    private static final Set<String> REMOVALS = Set.of(SystemEvent.MEMBER_LEFT, SystemEvent.MEMBER_REMOVED,
            SystemEvent.GROUP_DELETED);

    private final Table table;
    private transient Counter changes;
    private transient Counter tombstones;
    private transient Counter malformed;

    public ChangeEventDeserializer(Table table) {
        this.table = table;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        // The group names are spelled out: the monitoring files' check (tools) reads them from here.
        MetricGroup metrics = switch (table) {
            case CHAT_GROUPS -> context.getMetricGroup().addGroup("chat_groups_cdc");
            case GROUP_MEMBERS -> context.getMetricGroup().addGroup("group_members_cdc");
        };
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
            parsed = table == Table.CHAT_GROUPS ? parseGroup(record.value()) : parse(record.value());
        } catch (IOException | IllegalArgumentException e) {
            malformed.inc();
            LOG.warn("skipping malformed {} change event at {}-{}@{}: {}", table.name().toLowerCase(java.util.Locale.ROOT),
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            return;
        }
        for (GroupChange change : parsed) {
            changes.inc();
            out.collect(change);
        }
    }

    /**
     * The changes one {@code group_members} change event stands for, in the order to apply them.
     *
     * @throws IllegalArgumentException if the event is not a readable {@code group_members} change
     */
    static List<GroupChange> parse(byte[] value) throws IOException {
        JsonNode root = envelope(value);
        String op = root.path("op").asText("");
        long committed = committed(root);
        List<GroupChange> changes = new ArrayList<>(2);
        switch (op) {
            case "r" -> changes.add(joined(row(root, "after"), committed, null, origin(root)));
            case "c" -> {
                JsonNode after = row(root, "after");
                String event = SystemEvent.CREATED.equals(after.path("last_change").asText()) ? SystemEvent.CREATED
                        : SystemEvent.MEMBER_ADDED;
                changes.add(joined(after, committed, event, origin(root)));
            }
            case "u" -> {
                JsonNode after = row(root, "after");
                if (REMOVALS.contains(after.path("last_change").asText())) {
                    return changes;
                }
                JsonNode before = root.get("before");
                String event = null;
                if (before != null && before.isObject()) {
                    GroupChange.Joined old = joined(before, committed, null, null);
                    GroupChange.Joined now = joined(after, committed, null, null);
                    if (!old.group().equals(now.group()) || !old.user().equals(now.user())) {
                        changes.add(new GroupChange.Left(old.group(), old.user(), committed));
                    } else if (!old.role().equals(now.role())) {
                        event = roleEvent(now.role());
                    }
                } else {
                    event = roleEvent(after.path("role").asText());
                }
                changes.add(joined(after, committed, event, origin(root)));
            }
            case "d" -> {
                JsonNode before = row(root, "before");
                GroupChange.Joined old = joined(before, committed, null, null);
                String mark = before.path("last_change").asText();
                String event = REMOVALS.contains(mark) ? mark
                        : old.user().equals(old.by()) ? SystemEvent.MEMBER_LEFT : SystemEvent.MEMBER_REMOVED;
                changes.add(new GroupChange.Left(old.group(), old.user(), committed, old.by(), event, origin(root)));
            }
            case "t" -> throw new IllegalArgumentException("truncate names no rows; re-snapshot group_members");
            default -> throw new IllegalArgumentException("unknown op '" + op + "'");
        }
        return changes;
    }

    /**
     * The changes one {@code chat_groups} change event stands for: one per field an update changed.
     *
     * @throws IllegalArgumentException if the event is not a readable {@code chat_groups} change
     */
    static List<GroupChange> parseGroup(byte[] value) throws IOException {
        JsonNode root = envelope(value);
        String op = root.path("op").asText("");
        switch (op) {
            case "r", "c", "d" -> {
                return List.of();
            }
            case "u" -> {
            }
            case "t" -> throw new IllegalArgumentException("truncate names no rows");
            default -> throw new IllegalArgumentException("unknown op '" + op + "'");
        }
        JsonNode after = row(root, "after");
        JsonNode before = row(root, "before");
        String group = after.path("id").asText("");
        if (!Ids.isGroupId(group)) {
            throw new IllegalArgumentException("row without a valid id");
        }
        String by = user(after, "changed_by");
        by = by != null ? by : user(after, "created_by");
        long committed = committed(root);
        String origin = origin(root);
        List<GroupChange> changes = new ArrayList<>(1);
        String name = text(after, "name");
        if (name != null && !name.equals(text(before, "name"))) {
            changes.add(new GroupChange.Updated(group, committed,
                    new SystemEvent(SystemEvent.RENAMED, by, null, name, null, null), origin));
        }
        String description = text(after, "description");
        if (!Objects.equals(description, text(before, "description"))) {
            changes.add(new GroupChange.Updated(group, committed,
                    new SystemEvent(SystemEvent.DESCRIPTION_CHANGED, by, null, null, description, null), origin));
        }
        Media icon = icon(after);
        if (!Objects.equals(icon, icon(before))) {
            changes.add(new GroupChange.Updated(group, committed,
                    new SystemEvent(SystemEvent.ICON_CHANGED, by, null, null, null, icon), origin));
        }
        return changes;
    }

    private static JsonNode envelope(byte[] value) throws IOException {
        JsonNode root = Json.MAPPER.readTree(value);
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (root.has("payload") && root.has("schema")) {
            root = root.get("payload");
        }
        return root;
    }

    private static long committed(JsonNode root) {
        JsonNode sourceTs = root.path("source").path("ts_ms");
        return sourceTs.isIntegralNumber() ? sourceTs.asLong() : GroupChange.UNKNOWN;
    }

    /**
     * Where the change is in the database's log: {@code file:pos:row} of the binlog event (MySQL
     * and MariaDB), which a re-read of the same change repeats; else the commit time and the row.
     */
    private static String origin(JsonNode root) {
        JsonNode source = root.path("source");
        if (source.path("file").isTextual() && source.path("pos").isIntegralNumber()) {
            return source.path("file").asText() + ":" + source.path("pos").asLong() + ":" + source.path("row").asInt(0);
        }
        JsonNode row = root.path("after").isObject() ? root.path("after") : root.path("before");
        return source.path("ts_ms").asLong(0) + ":" + root.path("op").asText() + ":" + row.path("group_id").asText(
                row.path("id").asText()) + ":" + row.path("user_id").asText() + ":" + row.path("role").asText();
    }

    private static String roleEvent(String role) {
        return "admin".equals(role) ? SystemEvent.ADMIN_ADDED : SystemEvent.ADMIN_REMOVED;
    }

    private static JsonNode row(JsonNode root, String field) {
        JsonNode row = root.get(field);
        if (row == null || !row.isObject()) {
            throw new IllegalArgumentException("op " + root.path("op").asText() + " without '" + field + "'");
        }
        return row;
    }

    private static GroupChange.Joined joined(JsonNode row, long committed, String event, String origin) {
        String group = row.path("group_id").asText("");
        String user = row.path("user_id").asText("");
        if (!Ids.isGroupId(group) || !Ids.isUserId(user)) {
            throw new IllegalArgumentException("row without a valid group_id or user_id");
        }
        String role = row.path("role").asText("member");
        return new GroupChange.Joined(group, user, role.isEmpty() ? "member" : role, committed,
                user(row, "changed_by"), event, origin);
    }

    /** A valid user id in {@code field}, else null. */
    private static String user(JsonNode row, String field) {
        String v = text(row, field);
        return Ids.isUserId(v) ? v : null;
    }

    private static String text(JsonNode row, String field) {
        JsonNode v = row.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** The {@code icon} column: a media object as JSON, or null. */
    private static Media icon(JsonNode row) throws IOException {
        String icon = text(row, "icon");
        if (icon == null) {
            return null;
        }
        Media media = Json.MAPPER.readValue(icon, Media.class);
        if (media == null || !Ids.isMediaId(media.id())) {
            throw new IllegalArgumentException("icon is not a media object");
        }
        return media;
    }

    @Override
    public TypeInformation<GroupChange> getProducedType() {
        return JsonTypeInfo.of(GroupChange.class);
    }
}
