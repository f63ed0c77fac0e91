package io.pipechat.bench;

import java.util.Arrays;

/**
 * Summaries of a handful of repeated rounds (medians, because a shared 2-core machine has
 * outliers). Exact over the few values given; latency distributions go to HdrHistogram instead
 * ({@link io.pipechat.bench.load.LatencyTimeline}, {@link io.pipechat.bench.load.Percentiles}).
 */
public final class Stats {
    private Stats() {
    }

    /** The middle value (the mean of the two middle ones for an even count); NaN if there is none. */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    public static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
