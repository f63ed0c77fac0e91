package io.pipechat.router;

import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each delivery to the partition of {@code chat.deliveries} that its edge consumes (partition
 * index = edge index). A delivery for an edge the topic has no partition for (a misconfigured edge)
 * is dropped and logged: the frame stays in the mailbox and is flushed when the user reconnects to a
 * valid edge. Kafka Streams counts the drop in the task's {@code dropped-records} metric.
 */
public final class EdgePartitioner implements StreamPartitioner<String, Routed> {
    private static final Logger LOG = LoggerFactory.getLogger(EdgePartitioner.class);

    @Override
    public Optional<Set<Integer>> partitions(String topic, String user, Routed routed, int numPartitions) {
        if (routed.edge() < 0 || routed.edge() >= numPartitions) {
            LOG.warn("dropping delivery for user {}: edge {} has no partition in {} ({} partitions)",
                    user, routed.edge(), topic, numPartitions);
            return Optional.of(Set.of());
        }
        return Optional.of(Set.of(routed.edge()));
    }
}
