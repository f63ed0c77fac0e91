package io.pipechat.tools.replay;

import java.time.Instant;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Where a replay starts and stops, applied to every partition of the topic (or one of them).
 *
 * @param fromOffset    start at this offset in each partition (clamped to what the log still holds), or
 * @param fromTimestamp start at the first record with a timestamp at or after this instant
 * @param toTimestamp   stop before the first record with a timestamp after this instant; null = the end
 *                      offsets (last stable offsets under {@code read_committed}) taken when the replay starts
 * @param partition     only this partition, or all
 */
public record ReplayRange(Long fromOffset, Instant fromTimestamp, Instant toTimestamp, OptionalInt partition) {

    public ReplayRange {
        if ((fromOffset == null) == (fromTimestamp == null)) {
            throw new IllegalArgumentException("give exactly one of --from-offset and --from-timestamp");
        }
        if (fromOffset != null && fromOffset < 0) {
            throw new IllegalArgumentException("--from-offset must be >= 0");
        }
        if (toTimestamp != null && fromTimestamp != null && toTimestamp.isBefore(fromTimestamp)) {
            throw new IllegalArgumentException("--to-timestamp is before --from-timestamp");
        }
        Objects.requireNonNull(partition, "partition");
    }

    public static ReplayRange fromOffset(long offset) {
        return new ReplayRange(offset, null, null, OptionalInt.empty());
    }

    public static ReplayRange fromTimestamp(Instant from, Instant to) {
        return new ReplayRange(null, from, to, OptionalInt.empty());
    }
}
