package io.pipechat.groups.changes;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.pipechat.protocol.SystemEvent;

/**
 * One change of a group as the job applies it, keyed by {@link #group()}: of a {@code group_members}
 * row ({@link Joined}, {@link Left}) or of a {@code chat_groups} row ({@link Updated}). Derived from
 * Debezium change events by {@link ChangeEventDeserializer}.
 *
 * <p>{@link #committed()} is the change's database commit time in epoch milliseconds, as Debezium
 * reports it ({@code source.ts_ms}; whole seconds on MariaDB, truncated, so never later than the
 * commit), or {@link #UNKNOWN} when the event has none. It is the change stream's event time: the
 * job's watermark on this stream says up to which commit time the membership has been read.
 *
 * <p>For the system messages: {@code by} is who made the change (null when the row does not say),
 * {@code event} which {@link SystemEvent} it shows as (null for a change that shows as none: a
 * snapshot read, which is state and not news), and {@code origin} where the change is in the
 * database's log (binlog file, position and row), the same however often the change event is
 * read: the system message's id is derived from it, so a change read twice makes identical
 * messages that the router de-duplicates.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = GroupChange.Joined.class, name = "joined"),
        @JsonSubTypes.Type(value = GroupChange.Left.class, name = "left"),
        @JsonSubTypes.Type(value = GroupChange.Updated.class, name = "updated")})
public sealed interface GroupChange {
    /** {@link #committed()} of a change event without a commit time. */
    long UNKNOWN = Long.MIN_VALUE;

    String group();

    long committed();

    /** Where the change is in the database's log; the basis of its system messages' ids. */
    String origin();

    /**
     * {@code user} is a member of {@code group} with {@code role} ({@code admin} or {@code member}):
     * a new member ({@code event} {@code created} or {@code member_added}) or a role change
     * ({@code admin_added}, {@code admin_removed}).
     */
    record Joined(String group, String user, String role, long committed, String by, String event, String origin)
            implements GroupChange {
        public Joined(String group, String user, String role, long committed) {
            this(group, user, role, committed, null, null, null);
        }

        public Joined(String group, String user, String role) {
            this(group, user, role, UNKNOWN);
        }
    }

    /**
     * {@code user} is no longer a member of {@code group}: {@code event} {@code member_left},
     * {@code member_removed} (by {@code by}) or {@code group_deleted}.
     */
    record Left(String group, String user, long committed, String by, String event, String origin)
            implements GroupChange {
        public Left(String group, String user, long committed) {
            this(group, user, committed, null, null, null);
        }

        public Left(String group, String user) {
            this(group, user, UNKNOWN);
        }
    }

    /** The group's name, description or icon changed: {@code change} says to what, and who changed it. */
    record Updated(String group, long committed, SystemEvent change, String origin) implements GroupChange {
    }
}
