package io.pipechat.cluster;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * The router's consumer group as the broker describes it: which partitions of one topic each
 * router instance holds. An instance has one consumer per stream thread, with client ids
 * {@code <instance>-StreamThread-<n>-consumer}; their partitions are merged per instance.
 */
final class RouterGroup {
    private RouterGroup() {
    }

    /** Partitions of {@code topic} per router instance; empty while the group is absent or not stable. */
    static Map<String, Set<Integer>> partitions(Admin admin, String group, String topic) throws Exception {
        ConsumerGroupDescription g = describe(admin, group);
        if (g == null || g.groupState() != GroupState.STABLE) {
            return Map.of();
        }
        Map<String, Set<Integer>> out = new HashMap<>();
        for (MemberDescription m : g.members()) {
            Set<Integer> held = out.computeIfAbsent(instance(m), k -> new HashSet<>());
            m.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(topic))
                    .forEach(tp -> held.add(tp.partition()));
        }
        return out;
    }

    /** How many partitions of {@code topic} each router instance holds; empty as {@link #partitions}. */
    static Map<String, Integer> counts(Admin admin, String group, String topic) throws Exception {
        Map<String, Integer> out = new HashMap<>();
        partitions(admin, group, topic).forEach((instance, held) -> out.put(instance, held.size()));
        return out;
    }

    static String instance(MemberDescription m) {
        return m.clientId().replaceFirst("-StreamThread-\\d+-consumer$", "");
    }

    /** The group's description, or null while it does not exist yet (no member has joined). */
    static ConsumerGroupDescription describe(Admin admin, String group) throws Exception {
        try {
            return admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return null;
            }
            throw e;
        }
    }
}
