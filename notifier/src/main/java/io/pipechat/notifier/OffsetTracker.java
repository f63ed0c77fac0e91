package io.pipechat.notifier;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which offsets of {@code chat.push} may be committed while requests finish out of order. Per
 * assigned partition: the offsets polled but not finished ({@code pending}), the offset after the
 * newest polled ({@code next}) and the last committed. The committable offset is the oldest pending
 * one, or {@code next} when none is pending: everything below it is finished, so a restart resumes
 * exactly at the first request not yet finished (requests after it that did finish are sent again:
 * at-least-once, the gap being at most the in-flight window).
 *
 * <p>Entries are dropped when the partition is revoked. Not thread-safe: only the poll thread uses it.
 */
final class OffsetTracker {
    private static final class Partition {
        final TreeSet<Long> pending = new TreeSet<>();
        long next = -1;
        long committed = -1;
    }

    private final Map<TopicPartition, Partition> partitions = new HashMap<>();
    private int inFlight;

    void polled(TopicPartition tp, long offset) {
        Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
        if (p.pending.add(offset)) {
            inFlight++;
        }
        p.next = Math.max(p.next, offset + 1);
    }

    void finished(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        if (p != null && p.pending.remove(offset)) {
            inFlight--;
        }
    }

    int inFlight() {
        return inFlight;
    }

    /** The offsets to commit now: those partitions whose committable offset moved since the last commit. */
    Map<TopicPartition, OffsetAndMetadata> committable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        partitions.forEach((tp, p) -> {
            long offset = p.pending.isEmpty() ? p.next : p.pending.first();
            if (offset > p.committed) {
                out.put(tp, new OffsetAndMetadata(offset));
            }
        });
        return out;
    }

    void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> {
            Partition p = partitions.get(tp);
            if (p != null) {
                p.committed = Math.max(p.committed, o.offset());
            }
        });
    }

    void forget(Collection<TopicPartition> revoked) {
        for (TopicPartition tp : revoked) {
            Partition p = partitions.remove(tp);
            if (p != null) {
                inFlight -= p.pending.size();
            }
        }
    }
}
