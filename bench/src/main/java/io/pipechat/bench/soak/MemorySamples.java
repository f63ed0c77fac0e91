package io.pipechat.bench.soak;

import io.pipechat.bench.load.ProcStats;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's memory over a run: heap in use right after a full GC, and resident set size, sampled
 * every so often, and whether they stay flat.
 *
 * <p>Heap after GC: with the server in this JVM ({@code --embedded}) a GC here (so the generator's
 * live objects count too: a few MB); for another process ({@code --pid}) {@code jcmd <pid> GC.run}
 * and then {@code GC.heap_info}; without a pid it is not measured. RSS from {@code /proc/<pid>/status}.
 *
 * <p>Flat: the least-squares slope over the samples after the warm-up, times that window, grows by
 * less than {@code tolerance} of the mean (and less than an absolute floor, so that a small heap's
 * jitter does not count as growth). Fewer than {@value #MIN_SAMPLES} samples after the warm-up say
 * nothing either way.
 */
final class MemorySamples {
    static final int MIN_SAMPLES = 5;
    /** A heap area's "used NNNK" in {@code jcmd GC.heap_info} (G1: one; Parallel and Serial: one per generation; ZGC: M). */
    private static final Pattern USED = Pattern.compile("used (\\d+)([KMG])\\b");

    /** One sample; NaN where not measured. */
    record Sample(double seconds, double heapAfterGcBytes, double rssBytes, long delivered, int connected) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seconds", seconds);
            m.put("heap_after_gc_bytes", heapAfterGcBytes);
            m.put("rss_bytes", rssBytes);
            m.put("delivered", delivered);
            m.put("connected", connected);
            return m;
        }
    }

    /** The verdict on one series: growth over the measured window, and whether that is flat. */
    record Trend(String name, int samples, double first, double last, double min, double max, double mean,
                 double slopePerHour, double growth, Boolean flat) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("samples", samples);
            m.put("first_bytes", first);
            m.put("last_bytes", last);
            m.put("min_bytes", min);
            m.put("max_bytes", max);
            m.put("mean_bytes", mean);
            m.put("slope_bytes_per_hour", slopePerHour);
            m.put("growth_over_window_bytes", growth);
            m.put("flat", flat);
            return m;
        }

        String row() {
            if (samples == 0) {
                return String.format("%-14s not measured", name);
            }
            return String.format("%-14s %9.1f %9.1f %9.1f %9.1f %+12.1f %+10.1f   %s", name, mb(first), mb(last), mb(min), mb(max),
                    mb(slopePerHour), mb(growth), flat == null ? "too few samples" : flat ? "FLAT" : "GROWING");
        }

        static String header() {
            return String.format("%-14s %9s %9s %9s %9s %12s %10s   %s", "MB", "first", "last", "min", "max", "slope/h",
                    "growth", "verdict");
        }
    }

    private final long pid;
    private final boolean sameProcess;
    private final List<Sample> samples = new ArrayList<>();

    MemorySamples(long pid) {
        this.pid = pid;
        this.sameProcess = pid == ProcessHandle.current().pid();
    }

    synchronized Sample sample(double seconds, long delivered, int connected) {
        Sample s = new Sample(seconds, heapAfterGc(), pid > 0 ? ProcStats.rss(pid) : Double.NaN, delivered, connected);
        samples.add(s);
        return s;
    }

    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    private double heapAfterGc() {
        if (sameProcess) {
            var memory = ManagementFactory.getMemoryMXBean();
            memory.gc();
            return memory.getHeapMemoryUsage().getUsed();
        }
        if (pid <= 0) {
            return Double.NaN;
        }
        try {
            jcmd("GC.run");
            return heapUsed(jcmd("GC.heap_info"));
        } catch (IOException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** The bytes in use in the heap areas of a {@code GC.heap_info} answer (metaspace left out), or NaN. */
    static double heapUsed(String heapInfo) {
        double used = 0;
        boolean found = false;
        for (String line : heapInfo.split("\n")) {
            if (line.contains("Metaspace") || line.contains("class space")) {
                continue;
            }
            Matcher m = USED.matcher(line);
            if (m.find()) {
                used += Long.parseLong(m.group(1)) * switch (m.group(2)) {
                    case "K" -> 1024.0;
                    case "M" -> 1024.0 * 1024;
                    default -> 1024.0 * 1024 * 1024;
                };
                found = true;
            }
        }
        return found ? used : Double.NaN;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** The trends of heap after GC and RSS over the samples taken after {@code warmupSeconds}. */
    synchronized List<Trend> trends(double warmupSeconds, double tolerance, double heapFloorBytes, double rssFloorBytes) {
        List<Sample> window = samples.stream().filter(s -> s.seconds() >= warmupSeconds).toList();
        return List.of(trend("heap after GC", window, Sample::heapAfterGcBytes, tolerance, heapFloorBytes),
                trend("RSS", window, Sample::rssBytes, tolerance, rssFloorBytes));
    }

    static Trend trend(String name, List<Sample> window, java.util.function.ToDoubleFunction<Sample> value, double tolerance,
                       double floorBytes) {
        List<double[]> points = new ArrayList<>();
        for (Sample s : window) {
            double v = value.applyAsDouble(s);
            if (!Double.isNaN(v)) {
                points.add(new double[] {s.seconds(), v});
            }
        }
        int n = points.size();
        if (n == 0) {
            return new Trend(name, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, null);
        }
        double mx = 0;
        double my = 0;
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (double[] p : points) {
            mx += p[0] / n;
            my += p[1] / n;
            min = Math.min(min, p[1]);
            max = Math.max(max, p[1]);
        }
        double sxy = 0;
        double sxx = 0;
        for (double[] p : points) {
            sxy += (p[0] - mx) * (p[1] - my);
            sxx += (p[0] - mx) * (p[0] - mx);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx; // bytes per second
        double span = points.getLast()[0] - points.getFirst()[0];
        double growth = slope * span;
        Boolean flat = n < MIN_SAMPLES ? null : growth <= Math.max(tolerance * my, floorBytes);
        return new Trend(name, n, points.getFirst()[1], points.getLast()[1], min, max, my, slope * 3600, growth, flat);
    }

    private static double mb(double bytes) {
        return bytes / (1024 * 1024);
    }
}
