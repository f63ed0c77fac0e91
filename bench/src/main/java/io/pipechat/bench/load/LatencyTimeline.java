package io.pipechat.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latencies of one kind (e.g. send to {@code msg}), recorded from any thread into an HdrHistogram
 * {@link Recorder} in microseconds (3 significant digits), and cut into one-second intervals by
 * {@link #tick} so the report can draw latency over time. {@link #total()} is the whole run.
 */
public final class LatencyTimeline {
    /** One interval: seconds since the start, how many values, and their percentiles in milliseconds. */
    public record Point(double second, long count, double p50Ms, double p99Ms, double maxMs) {
    }

    private final String name;
    private final long startNanos;
    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final List<Point> points = new ArrayList<>();
    private Histogram spare;

    public LatencyTimeline(String name, long startNanos) {
        this.name = name;
        this.startNanos = startNanos;
    }

    public String name() {
        return name;
    }

    /** Records one latency; negative values (clock races) count as 1 microsecond. */
    public void record(long latencyNanos) {
        recorder.recordValue(Math.max(1, TimeUnit.NANOSECONDS.toMicros(latencyNanos)));
    }

    /** Closes the current interval (call about once a second, and once at the end). */
    public synchronized void tick(long nowNanos) {
        Histogram interval = recorder.getIntervalHistogram(spare);
        total.add(interval);
        if (interval.getTotalCount() > 0) {
            points.add(new Point((nowNanos - startNanos) / 1e9, interval.getTotalCount(),
                    ms(interval.getValueAtPercentile(50)), ms(interval.getValueAtPercentile(99)),
                    ms(interval.getMaxValue())));
        }
        spare = interval;
    }

    /** The whole run so far (up to the last {@link #tick}); a copy. */
    public synchronized Histogram total() {
        return total.copy();
    }

    public synchronized List<Point> points() {
        return List.copyOf(points);
    }

    public static double ms(long micros) {
        return micros / 1000.0;
    }
}
