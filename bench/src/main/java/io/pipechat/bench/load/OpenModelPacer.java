package io.pipechat.bench.load;

/**
 * Open-model pacing: send {@code k} (0-based) is due at {@code start + k / rate}, whether or not
 * earlier sends have completed. Latency is measured from this intended time, so a generator that
 * falls behind (GC, a saturated core) shows up as latency instead of silently lowering the rate
 * (the "coordinated omission" of closed-loop generators).
 *
 * @param startNanos   {@link System#nanoTime()} of send 0
 * @param ratePerSecond target sends per second, positive
 * @param total        sends in the run
 */
public record OpenModelPacer(long startNanos, double ratePerSecond, long total) {
    public OpenModelPacer {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate must be positive: " + ratePerSecond);
        }
        if (total < 0) {
            throw new IllegalArgumentException("total must not be negative: " + total);
        }
    }

    /** A pacer for {@code seconds} at {@code ratePerSecond}, starting at {@code startNanos}. */
    public static OpenModelPacer forDuration(long startNanos, double ratePerSecond, double seconds) {
        return new OpenModelPacer(startNanos, ratePerSecond, Math.round(ratePerSecond * seconds));
    }

    /** Intended send time of send {@code k}. */
    public long intendedNanos(long k) {
        return startNanos + (long) (k * 1e9 / ratePerSecond);
    }

    /** How many sends are due at {@code nowNanos} (those with an intended time at or before it), at most {@link #total}. */
    public long dueBy(long nowNanos) {
        if (nowNanos < startNanos) {
            return 0;
        }
        long due = (long) Math.floor((nowNanos - startNanos) * ratePerSecond / 1e9) + 1;
        // floating point: correct the estimate so exactly the sends with intended time <= now count
        while (due > 0 && intendedNanos(due - 1) > nowNanos) {
            due--;
        }
        while (due < total && intendedNanos(due) <= nowNanos) {
            due++;
        }
        return Math.min(due, total);
    }

    /** Intended end: the time of the last send. */
    public long endNanos() {
        return total == 0 ? startNanos : intendedNanos(total - 1);
    }
}
