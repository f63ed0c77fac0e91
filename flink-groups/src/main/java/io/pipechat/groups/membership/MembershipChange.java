package io.pipechat.groups.membership;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One change of one row of {@code group_members}, as the job applies it: keyed by {@link #group()}.
 * Derived from a Debezium change event by {@link DebeziumMembershipDeserializer}; a snapshot read,
 * an insert and an update become {@link Joined}, a delete becomes {@link Left}, and an update that
 * changes the key columns becomes both (the old row leaves, the new one joins).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = MembershipChange.Joined.class, name = "joined"),
        @JsonSubTypes.Type(value = MembershipChange.Left.class, name = "left")})
public sealed interface MembershipChange {

    String group();

    String user();

    /** {@code user} is a member of {@code group} with {@code role} ({@code admin} or {@code member}). */
    record Joined(String group, String user, String role) implements MembershipChange {
    }

    /** {@code user} is no longer a member of {@code group}. */
    record Left(String group, String user) implements MembershipChange {
    }
}
