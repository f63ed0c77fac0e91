package io.pipechat.bench.report;

import io.pipechat.bench.load.LatencyTimeline;
import io.pipechat.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * A self-contained HTML page (no script, no network fetch): the summary table, latency over time
 * (p50, p99 and max per second of each {@link LatencyTimeline}) and the latency distribution
 * (percentile spectrum, x = 1/(1-q) on a log axis) as inline SVG drawn here, and the JSON result.
 * Latency axes are logarithmic: a 5 ms median and a 2 s stall fit in one chart.
 */
public final class HtmlReport {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
    private static final int W = 860;
    private static final int H = 320;
    private static final int L = 60;
    private static final int R = 20;
    private static final int T = 20;
    private static final int B = 40;

    private HtmlReport() {
    }

    public static String render(String title, List<String> table, List<LatencyTimeline> timelines, Map<String, Object> result) {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>")
                .append("<style>body{font-family:sans-serif;margin:2em;max-width:920px}pre{background:#f6f6f6;padding:1em;"
                        + "overflow:auto}svg{background:#fff;border:1px solid #ddd}text{font-size:11px}</style></head><body>");
        h.append("<h1>").append(esc(title)).append("</h1><pre>").append(esc(String.join("\n", table))).append("</pre>");
        h.append("<h2>Latency over time (ms, log scale)</h2>").append(overTime(timelines));
        h.append("<h2>Latency distribution (percentile spectrum)</h2>").append(distribution(timelines));
        try {
            h.append("<h2>Result</h2><pre>").append(esc(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(result)))
                    .append("</pre>");
        } catch (Exception e) {
            h.append("<p>result not serialisable: ").append(esc(e.toString())).append("</p>");
        }
        return h.append("</body></html>\n").toString();
    }

    /** Lines p50 (solid), p99 (dashed), max (dotted) per timeline over seconds. */
    static String overTime(List<LatencyTimeline> timelines) {
        double maxT = 1;
        double maxMs = 1;
        double minMs = Double.MAX_VALUE;
        for (LatencyTimeline tl : timelines) {
            for (LatencyTimeline.Point p : tl.points()) {
                maxT = Math.max(maxT, p.second());
                maxMs = Math.max(maxMs, p.maxMs());
                minMs = Math.min(minMs, Math.max(0.01, p.p50Ms()));
            }
        }
        Axis y = Axis.log(minMs == Double.MAX_VALUE ? 0.1 : minMs, maxMs);
        StringBuilder s = svgStart();
        grid(s, y, 0, maxT, "seconds", false);
        List<String> legend = new ArrayList<>();
        for (int i = 0; i < timelines.size(); i++) {
            LatencyTimeline tl = timelines.get(i);
            String color = COLORS[i % COLORS.length];
            List<LatencyTimeline.Point> pts = tl.points();
            polyline(s, pts.stream().map(p -> new double[] {p.second(), p.p50Ms()}).toList(), 0, maxT, y, color, "");
            polyline(s, pts.stream().map(p -> new double[] {p.second(), p.p99Ms()}).toList(), 0, maxT, y, color, "6,3");
            polyline(s, pts.stream().map(p -> new double[] {p.second(), p.maxMs()}).toList(), 0, maxT, y, color, "1,3");
            legend.add(tl.name() + " (" + color + ")");
        }
        legend(s, timelines, "solid p50, dashed p99, dotted max");
        return s.append("</svg>").toString();
    }

    /** Latency at percentile q against log10(1/(1-q)): 0 = p0, 1 = p90, 2 = p99, 3 = p99.9, ... */
    static String distribution(List<LatencyTimeline> timelines) {
        double[] qs = {0, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100};
        double maxX = 5;
        double maxMs = 1;
        double minMs = Double.MAX_VALUE;
        List<List<double[]>> series = new ArrayList<>();
        for (LatencyTimeline tl : timelines) {
            Histogram hist = tl.total();
            List<double[]> pts = new ArrayList<>();
            if (hist.getTotalCount() > 0) {
                for (double q : qs) {
                    double x = q >= 100 ? maxX : Math.min(maxX, Math.log10(1 / (1 - q / 100)));
                    double ms = Math.max(0.01, LatencyTimeline.ms(hist.getValueAtPercentile(q)));
                    pts.add(new double[] {x, ms});
                    maxMs = Math.max(maxMs, ms);
                    minMs = Math.min(minMs, ms);
                }
            }
            series.add(pts);
        }
        Axis y = Axis.log(minMs == Double.MAX_VALUE ? 0.1 : minMs, maxMs);
        StringBuilder s = svgStart();
        grid(s, y, 0, maxX, "percentile", true);
        for (int i = 0; i < series.size(); i++) {
            polyline(s, series.get(i), 0, maxX, y, COLORS[i % COLORS.length], "");
            for (double[] p : series.get(i)) {
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>",
                        x(p[0], 0, maxX), y.px(p[1]), COLORS[i % COLORS.length]));
            }
        }
        legend(s, timelines, "whole run");
        return s.append("</svg>").toString();
    }

    /** A logarithmic latency axis between two decades. */
    record Axis(double lo, double hi) {
        static Axis log(double min, double max) {
            double lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.01, min))));
            double hi = Math.pow(10, Math.ceil(Math.log10(Math.max(max, lo * 10))));
            return new Axis(lo, hi);
        }

        double px(double ms) {
            double v = Math.max(lo, Math.min(hi, ms));
            return T + (H - T - B) * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
        }
    }

    private static double x(double v, double min, double max) {
        return L + (W - L - R) * (v - min) / (max - min);
    }

    private static StringBuilder svgStart() {
        return new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W, H, W, H));
    }

    private static void grid(StringBuilder s, Axis y, double minX, double maxX, String xLabel, boolean percentiles) {
        for (double v = y.lo(); v <= y.hi() * 1.0001; v *= 10) {
            double py = y.px(v);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>", L, py, W - R, py));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>", L - 4, py + 4, fmt(v)));
        }
        int ticks = percentiles ? (int) maxX : 8;
        for (int i = 0; i <= ticks; i++) {
            double v = minX + (maxX - minX) * i / ticks;
            double px = x(v, minX, maxX);
            String label = percentiles ? new String[] {"p0", "p90", "p99", "p99.9", "p99.99", "max"}[Math.min(5, i)] : fmt(v);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>", px, T, px, H - B));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", px, H - B + 14, label));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", (L + W - R) / 2, H - 6, xLabel));
    }

    private static void polyline(StringBuilder s, List<double[]> pts, double minX, double maxX, Axis y, String color, String dash) {
        if (pts.isEmpty()) {
            return;
        }
        s.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(color).append('"');
        if (!dash.isEmpty()) {
            s.append(" stroke-dasharray=\"").append(dash).append('"');
        }
        s.append(" points=\"");
        for (double[] p : pts) {
            s.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(p[0], minX, maxX), y.px(p[1])));
        }
        s.append("\"/>");
    }

    private static void legend(StringBuilder s, List<LatencyTimeline> timelines, String note) {
        int x = L + 10;
        for (int i = 0; i < timelines.size(); i++) {
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>", x, T + 2, COLORS[i % COLORS.length], x + 14, T + 11,
                    esc(timelines.get(i).name())));
            x += 20 + 7 * timelines.get(i).name().length();
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#666\">%s</text>", x + 10, T + 11, esc(note)));
    }

    private static String fmt(double v) {
        if (v >= 1 && v == Math.rint(v)) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.2g", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
