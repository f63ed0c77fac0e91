package io.pipechat.tools.replay;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Which records a replay keeps. All given conditions must hold:
 * <ul>
 *   <li>{@code keys}: the record key (UTF-8) is one of them ({@code --user}: every topic is keyed by
 *       user except {@code chat.group-events} and {@code chat.edges});
 *   <li>{@code group}: the JSON value names the group in {@code group} (a {@code chat.group-events}
 *       message, a receipt through a group) or {@code to.group} (a group message expanded into
 *       {@code chat.user-events}, typing in a group);
 *   <li>{@code fields}: each dotted path of the JSON value ({@code type}, {@code to.user}) has the text.
 * </ul>
 * A value that is not JSON matches only when no group or field condition is given.
 *
 * @param keys   accepted keys; empty = any
 * @param group  the group id, or null
 * @param fields dotted JSON path to the expected text
 */
public record RecordFilter(List<String> keys, String group, Map<String, String> fields) {

    public RecordFilter {
        keys = List.copyOf(keys);
        fields = Map.copyOf(fields);
    }

    public static RecordFilter all() {
        return new RecordFilter(List.of(), null, Map.of());
    }

    /** Whether the value must be parsed at all. */
    public boolean needsValue() {
        return group != null || !fields.isEmpty();
    }

    /** @param value the parsed JSON value, or null when it is not JSON (or a tombstone) */
    public boolean test(ConsumerRecord<byte[], byte[]> record, JsonNode value) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (!keys.isEmpty() && !keys.contains(key)) {
            return false;
        }
        if (group != null) {
            boolean named = value != null && (group.equals(text(value, "group")) || group.equals(text(value, "to.group")));
            if (!named) {
                return false;
            }
        }
        for (Map.Entry<String, String> f : fields.entrySet()) {
            if (value == null || !Objects.equals(f.getValue(), text(value, f.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** The text at a dotted path ({@code to.group}); numbers and booleans as their JSON text; null if absent. */
    static String text(JsonNode node, String path) {
        JsonNode n = node;
        for (String part : Arrays.asList(path.split("\\."))) {
            n = n == null ? null : n.get(part);
        }
        return n == null || n.isNull() || n.isContainerNode() ? null : n.asText();
    }
}
