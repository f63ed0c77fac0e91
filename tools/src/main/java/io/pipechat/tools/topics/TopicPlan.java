package io.pipechat.tools.topics;

import io.pipechat.protocol.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The production layout of pipechat's topics: {@link Topics#newTopics} (partitions, the edge count
 * of {@code chat.deliveries}, {@code chat.edges} compacted) plus what a replicated cluster needs.
 *
 * <table>
 *   <caption>Configs added per topic</caption>
 *   <tr><th>topic</th><th>cleanup</th><th>retention.ms</th><th>why</th></tr>
 *   <tr><td>chat.user-events</td><td>delete</td><td>{@code eventRetention} (35 d)</td>
 *       <td>longer than the router's 30-day mailbox retention, so a new router application id
 *       can rebuild every live mailbox by replaying the topic</td></tr>
 *   <tr><td>chat.group-events</td><td>delete</td><td>{@code eventRetention}</td><td>replay by data teams</td></tr>
 *   <tr><td>chat.deliveries</td><td>delete</td><td>24 h (from {@code Topics})</td>
 *       <td>transient; the mailbox is the durable copy</td></tr>
 *   <tr><td>chat.edges</td><td>compact</td><td>-</td><td>newest heartbeat per edge</td></tr>
 *   <tr><td>chat.push</td><td>delete</td><td>24 h</td><td>a push older than its Web Push TTL is useless</td></tr>
 *   <tr><td>cdc.chat.group_members</td><td>compact</td><td>-</td>
 *       <td>newest row per primary key: Flink can rebuild membership from the start of the topic</td></tr>
 *   <tr><td>cdc.chat.chat_groups</td><td>compact (from {@code Topics})</td><td>-</td>
 *       <td>newest row per group: name, description, icon</td></tr>
 * </table>
 * Every topic gets {@code min.insync.replicas} ({@code minIsr}; producers use {@code acks=all}, so a
 * write survives the loss of {@code replication - minIsr} brokers) and
 * {@code unclean.leader.election.enable=false}.
 *
 * @param topics         the names
 * @param partitions     partitions of every topic keyed by user or group (plan {@code chat.user-events} ahead: see docs/OPERATIONS.md)
 * @param edges          partitions of {@code chat.deliveries}: one per edge
 * @param replication    replication factor (3 in production, 1 on the embedded broker)
 * @param minIsr         {@code min.insync.replicas}, at most {@code replication}
 * @param eventRetention retention of {@code chat.user-events} and {@code chat.group-events}
 */
public record TopicPlan(Topics topics, int partitions, int edges, short replication, int minIsr, Duration eventRetention) {

    public static final Duration DEFAULT_EVENT_RETENTION = Duration.ofDays(35);
    public static final Duration PUSH_RETENTION = Duration.ofHours(24);

    public TopicPlan {
        if (partitions < 1 || edges < 1) {
            throw new IllegalArgumentException("--partitions and --edges must be >= 1");
        }
        if (replication < 1) {
            throw new IllegalArgumentException("--replication must be >= 1");
        }
        if (minIsr < 1 || minIsr > replication) {
            throw new IllegalArgumentException("--min-isr must be between 1 and the replication factor " + replication
                    + ", was " + minIsr);
        }
        if (eventRetention.isNegative() || eventRetention.isZero()) {
            throw new IllegalArgumentException("--event-retention must be positive");
        }
    }

    /** {@code min.insync.replicas} when none is given: 2 from replication 3 up (one broker may be down), else 1. */
    public static int defaultMinIsr(short replication) {
        return replication >= 3 ? 2 : 1;
    }

    /** The topics to create, with their configs. */
    public List<NewTopic> newTopics() {
        List<NewTopic> out = new ArrayList<>();
        for (NewTopic base : topics.newTopics(partitions, edges, replication)) {
            Map<String, String> configs = new HashMap<>(base.configs() == null ? Map.of() : base.configs());
            configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minIsr));
            configs.put(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, "false");
            String name = base.name();
            if (name.equals(topics.userEvents()) || name.equals(topics.groupEvents())) {
                configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(eventRetention.toMillis()));
            } else if (name.equals(topics.push())) {
                configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(PUSH_RETENTION.toMillis()));
            } else if (name.equals(topics.groupMembersCdc())) {
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            }
            out.add(new NewTopic(name, base.numPartitions(), base.replicationFactor()).configs(configs));
        }
        return out;
    }
}
