package io.pipechat.protocol;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Kafka topic names. The defaults are the names of ARCHITECTURE.md; every service reads the same
 * keys ({@code topics.user-events}, ...) from its configuration to override them.
 *
 * @param userEvents      {@code chat.user-events}: key user id; everything that changes one user's state
 * @param groupEvents     {@code chat.group-events}: key group id; group messages before expansion
 * @param deliveries      {@code chat.deliveries}: key user id; partition = edge
 * @param edges           {@code chat.edges}: key edge id; compacted heartbeats
 * @param push            {@code chat.push}: key user id; push requests
 * @param groupMembersCdc Debezium change events of the {@code group_members} table
 * @param groupsCdc       Debezium change events of the {@code chat_groups} table (name, description, icon)
 */
public record Topics(String userEvents, String groupEvents, String deliveries, String edges, String push,
                     String groupMembersCdc, String groupsCdc) {

    public static final String USER_EVENTS = "chat.user-events";
    public static final String GROUP_EVENTS = "chat.group-events";
    public static final String DELIVERIES = "chat.deliveries";
    public static final String EDGES = "chat.edges";
    public static final String PUSH = "chat.push";
    public static final String GROUP_MEMBERS_CDC = "cdc.chat.group_members";
    public static final String GROUPS_CDC = "cdc.chat.chat_groups";

    public static Topics defaults() {
        return new Topics(USER_EVENTS, GROUP_EVENTS, DELIVERIES, EDGES, PUSH, GROUP_MEMBERS_CDC, GROUPS_CDC);
    }

    /** Reads {@code user-events}, {@code group-events}, ... from a flat map, defaulting the missing ones. */
    public static Topics from(Map<String, String> names) {
        return new Topics(
                names.getOrDefault("user-events", USER_EVENTS),
                names.getOrDefault("group-events", GROUP_EVENTS),
                names.getOrDefault("deliveries", DELIVERIES),
                names.getOrDefault("edges", EDGES),
                names.getOrDefault("push", PUSH),
                names.getOrDefault("group-members-cdc", GROUP_MEMBERS_CDC),
                names.getOrDefault("groups-cdc", GROUPS_CDC));
    }

    /** Every topic name, in the order of ARCHITECTURE.md. */
    public List<String> all() {
        return List.of(userEvents, groupEvents, deliveries, edges, push, groupMembersCdc, groupsCdc);
    }

    /**
     * The topics with their partitions and configs. {@code chat.edges} is compacted (the newest
     * heartbeat per edge is all that matters); {@code chat.deliveries} has one partition per edge.
     */
    public List<NewTopic> newTopics(int partitions, int edges, short replication) {
        return List.of(
                new NewTopic(userEvents, partitions, replication),
                new NewTopic(groupEvents, partitions, replication),
                new NewTopic(deliveries, edges, replication)
                        .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(24 * 3600_000L))),
                new NewTopic(this.edges, 1, replication)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                new NewTopic(push, partitions, replication),
                // Keyed by (group, user) with tombstones after deletes: compaction keeps the current membership.
                // One partition: the rows of one group (a new group's creator and members, written in one
                // transaction) then reach the group job in commit order; spread over partitions by
                // (group, user), a member's row could arrive after the group's first message was expanded.
                // Membership changes are few, so one partition carries them.
                new NewTopic(groupMembersCdc, 1, replication)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                // Keyed by group: one row per group, compacted like the members.
                new NewTopic(groupsCdc, 1, replication)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
    }

    /** The same names with a prefix: lets tests share one broker without sharing topics. */
    public Topics withPrefix(String prefix) {
        return new Topics(prefix + userEvents, prefix + groupEvents, prefix + deliveries, prefix + edges,
                prefix + push, prefix + groupMembersCdc, prefix + groupsCdc);
    }
}
