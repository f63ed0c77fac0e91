package io.pipechat.groups.changes;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One change of one row of {@code group_members}, as the job applies it: keyed by {@link #group()}.
 * Derived from a Debezium change event by {@link ChangeEventDeserializer}; a snapshot read,
 * an insert and an update become {@link Joined}, a delete becomes {@link Left}, and an update that
 * changes the key columns becomes both (the old row leaves, the new one joins).
 *
 * <p>{@link #committed()} is the change's database commit time in epoch milliseconds, as Debezium
 * reports it ({@code source.ts_ms}; whole seconds on MariaDB, truncated, so never later than the
 * commit), or {@link #UNKNOWN} when the event has none. It is the membership stream's event time:
 * the job's watermark on this stream says up to which commit time the membership has been read.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = GroupChange.Joined.class, name = "joined"),
        @JsonSubTypes.Type(value = GroupChange.Left.class, name = "left")})
public sealed interface GroupChange {
    /** {@link #committed()} of a change event without a commit time. */
    long UNKNOWN = Long.MIN_VALUE;

    String group();

    String user();

    long committed();

    /** {@code user} is a member of {@code group} with {@code role} ({@code admin} or {@code member}). */
    record Joined(String group, String user, String role, long committed) implements GroupChange {
        public Joined(String group, String user, String role) {
            this(group, user, role, UNKNOWN);
        }
    }

    /** {@code user} is no longer a member of {@code group}. */
    record Left(String group, String user, long committed) implements GroupChange {
        public Left(String group, String user) {
            this(group, user, UNKNOWN);
        }
    }
}
