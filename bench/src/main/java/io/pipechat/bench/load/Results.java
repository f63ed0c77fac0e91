package io.pipechat.bench.load;

import io.pipechat.bench.report.HtmlReport;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a scenario's result: the summary table to stdout, JSON to {@code --out}, HTML to {@code --report}. */
public final class Results {
    private Results() {
    }

    /** The machine and run context every result carries. */
    public static Map<String, Object> machine(Target target) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", Instant.now().toString());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory_total_bytes", memTotal());
        m.put("load_average_1m", ProcStats.loadAverage());
        m.put("java", Runtime.version().toString());
        m.put("generator_max_heap_bytes", Runtime.getRuntime().maxMemory());
        m.put("embedded", target.isEmbedded());
        m.put("url", target.httpBase());
        m.put("server_pid", target.serverPid());
        m.put("jvm_args", ManagementFactory.getRuntimeMXBean().getInputArguments());
        return m;
    }

    private static long memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    public static void write(RunOptions options, PrintStream out, String title, Map<String, Object> result,
                             List<String> table, List<LatencyTimeline> timelines) {
        out.println();
        out.println("== " + title);
        table.forEach(out::println);
        try {
            if (options.out != null) {
                Path parent = options.out.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(options.out.toFile(), result);
                out.println("result: " + options.out);
            }
            if (options.report != null) {
                Files.createDirectories(options.report.toAbsolutePath().getParent());
                Files.writeString(options.report, HtmlReport.render(title, table, timelines, result));
                out.println("report: " + options.report);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String cpuRow(ProcStats.Cpu cpu) {
        return String.format("cpu: generator %.0f%%, server %.0f%% of one core (2 cores = 200%%); load average %.2f",
                cpu.generatorPct(), cpu.serverPct(), cpu.loadAverage());
    }

    public static Map<String, Object> cpuMap(ProcStats.Cpu cpu) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator_pct_of_core", cpu.generatorPct());
        m.put("server_pct_of_core", cpu.serverPct());
        m.put("load_average_1m", cpu.loadAverage());
        return m;
    }
}
