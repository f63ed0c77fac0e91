package io.pipechat.tools.replay;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.utils.Utils;

/**
 * Keeps acks meaningful when {@code chat.user-events} is copied into a topic with another partition
 * count. The router derives a mailbox entry's seq from its record's offset ({@code offset + 1}), so in
 * the new topic every entry gets a new seq, and an ack's {@code upto}, written against the old seqs,
 * must be renumbered too: to the new seq of the user's last record at or below the old {@code upto}.
 *
 * <p>The copy's seqs must also stay above every seq clients saw (they drop a seq they have seen):
 * the router on the copy runs with {@code router.seq-base} = {@link #newBase}, the old base plus the
 * source's highest end offset, and the renumbered acks include it.
 *
 * <p>New offsets are known without asking the broker: the target topic starts empty, this copy is its
 * only writer, and each record goes to the partition Kafka's default partitioner picks for its key
 * ({@link #partition}), so the n-th record sent to a partition gets offset n. Per user it remembers
 * (old seq, new seq) of every record, minus those below the lowest ack of the user's devices.
 */
final class SeqRenumbering {
    private final int partitions;
    private final long oldBase;
    private final long newBase;
    private final long[] nextOffset;
    private final Map<String, UserSeqs> users = new HashMap<>();

    /**
     * @param partitions the target's partition count
     * @param oldBase    the {@code router.seq-base} of the router on the source (0 unless it is a copy itself)
     * @param newBase    the {@code router.seq-base} the router on the target will run with
     */
    SeqRenumbering(int partitions, long oldBase, long newBase) {
        this.partitions = partitions;
        this.oldBase = oldBase;
        this.newBase = newBase;
        this.nextOffset = new long[partitions];
    }

    long newBase() {
        return newBase;
    }

    /** The target partition of a record with this key: Kafka's default partitioner for keyed records. */
    int partition(byte[] key) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }

    /**
     * Records that {@code user}'s record at {@code oldOffset} of the source is copied to
     * {@code partition}; returns its offset there.
     */
    long copied(String user, long oldOffset, int partition) {
        long newOffset = nextOffset[partition]++;
        users.computeIfAbsent(user, u -> new UserSeqs()).add(oldOffset + 1 + oldBase, newOffset + 1 + newBase);
        return newOffset;
    }

    /** The new {@code upto} of an ack of {@code user}'s {@code device} (call before {@link #copied} for the ack). */
    long renumberAck(String user, String device, long upto) {
        UserSeqs s = users.get(user);
        return s == null ? 0 : s.renumber(device, upto);
    }

    /** One user's (old seq, new seq) pairs in old-seq order, and the last ack of each device. */
    private static final class UserSeqs {
        private long[] oldSeqs = new long[8];
        private long[] newSeqs = new long[8];
        private int size;
        private final Map<String, Long> lastAck = new HashMap<>();

        void add(long oldSeq, long newSeq) {
            if (size == oldSeqs.length) {
                oldSeqs = Arrays.copyOf(oldSeqs, size * 2);
                newSeqs = Arrays.copyOf(newSeqs, size * 2);
            }
            oldSeqs[size] = oldSeq;
            newSeqs[size++] = newSeq;
        }

        long renumber(String device, long upto) {
            int i = Arrays.binarySearch(oldSeqs, 0, size, upto);
            int at = i >= 0 ? i : -i - 2;
            long renumbered = at < 0 ? 0 : newSeqs[at];
            lastAck.merge(device, upto, Math::max);
            prune();
            return renumbered;
        }

        /** Forgets pairs below every device's last ack: no later ack of this user can need them. */
        private void prune() {
            long lowest = lastAck.values().stream().mapToLong(Long::longValue).min().orElse(0);
            int i = Arrays.binarySearch(oldSeqs, 0, size, lowest);
            int keepFrom = Math.max(0, i >= 0 ? i : -i - 2);
            if (keepFrom > size / 2 && keepFrom > 0) {
                System.arraycopy(oldSeqs, keepFrom, oldSeqs, 0, size - keepFrom);
                System.arraycopy(newSeqs, keepFrom, newSeqs, 0, size - keepFrom);
                size -= keepFrom;
            }
        }
    }
}
