package io.pipechat.bench.load;

import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The summary every scenario prints of an HdrHistogram of microseconds: count, p50, p99, p99.9, max (ms). */
public record Percentiles(long count, double p50Ms, double p90Ms, double p99Ms, double p999Ms, double maxMs, double meanMs) {
    public static Percentiles of(Histogram h) {
        if (h.getTotalCount() == 0) {
            return new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        return new Percentiles(h.getTotalCount(), LatencyTimeline.ms(h.getValueAtPercentile(50)),
                LatencyTimeline.ms(h.getValueAtPercentile(90)), LatencyTimeline.ms(h.getValueAtPercentile(99)),
                LatencyTimeline.ms(h.getValueAtPercentile(99.9)), LatencyTimeline.ms(h.getMaxValue()),
                h.getMean() / 1000.0);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", count);
        m.put("p50_ms", p50Ms);
        m.put("p90_ms", p90Ms);
        m.put("p99_ms", p99Ms);
        m.put("p999_ms", p999Ms);
        m.put("max_ms", maxMs);
        m.put("mean_ms", meanMs);
        return m;
    }

    /** One table row: {@code name  count  p50  p99  p99.9  max}. */
    public String row(String name) {
        return String.format("%-22s %9d %9.1f %9.1f %9.1f %9.1f", name, count, p50Ms, p99Ms, p999Ms, maxMs);
    }

    public static String header() {
        return String.format("%-22s %9s %9s %9s %9s %9s", "latency (ms)", "count", "p50", "p99", "p99.9", "max");
    }
}
