package io.pipechat.bench.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU and memory of processes from {@code /proc} (Linux), and of this load generator's own threads.
 *
 * <p>When the stack runs in this JVM ({@code --embedded}) the process figures cover both, so the
 * generator's share is the CPU of its own threads (named {@code bench-*}, and the JDK HTTP client's
 * {@code HttpClient-*} selector threads), and the server's is the rest.
 */
public final class ProcStats {
    private static final long CLOCK_TICK_NANOS = 10_000_000L; // USER_HZ = 100 on Linux

    private ProcStats() {
    }

    /** utime + stime of process {@code pid} in nanoseconds, or -1 if unreadable. */
    public static long processCpuNanos(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "(comm) ": state is field 3, utime field 14, stime field 15 (1-based in proc(5))
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * CLOCK_TICK_NANOS;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** A {@code kB} field of {@code /proc/<pid>/status} (e.g. {@code VmRSS}) in bytes, or -1. */
    public static long statusBytes(long pid, String field) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    String v = line.substring(field.length() + 1).trim();
                    return Long.parseLong(v.split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    public static long rss(long pid) {
        return statusBytes(pid, "VmRSS");
    }

    /** Open file descriptors of {@code pid}, or -1. */
    public static long openFiles(long pid) {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** CPU nanoseconds of the live threads of this JVM that belong to the load generator. */
    public static long generatorThreadsCpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String n = t.getName();
            if (n.startsWith("bench-") || n.startsWith("HttpClient-")) {
                long c = mx.getThreadCpuTime(t.threadId());
                if (c > 0) {
                    sum += c;
                }
            }
        }
        return sum;
    }

    /** The 1-minute load average, or NaN. */
    public static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** CPU use over an interval: the generator's and the server's, in percent of one core. */
    public record Cpu(double generatorPct, double serverPct, double loadAverage) {
    }

    /** Starts measuring; {@link Meter#stop} gives the {@link Cpu} of the interval. */
    public static Meter meter(long serverPid) {
        return new Meter(serverPid);
    }

    public static final class Meter {
        private final long serverPid;
        private final boolean sameProcess;
        private final long self = ProcessHandle.current().pid();
        private final long wall0 = System.nanoTime();
        private final long gen0;
        private final long server0;
        private final long selfProc0;

        Meter(long serverPid) {
            this.serverPid = serverPid;
            this.sameProcess = serverPid == self;
            this.gen0 = generatorThreadsCpuNanos();
            this.selfProc0 = processCpuNanos(self);
            this.server0 = sameProcess ? selfProc0 : processCpuNanos(serverPid);
        }

        public Cpu stop() {
            double wall = System.nanoTime() - wall0;
            long selfProc = processCpuNanos(self) - selfProc0;
            double gen;
            double server;
            if (sameProcess) {
                long g = generatorThreadsCpuNanos() - gen0;
                gen = g;
                server = selfProc - g;
            } else {
                gen = selfProc;
                long s1 = processCpuNanos(serverPid);
                server = serverPid > 0 && s1 >= 0 ? s1 - server0 : Double.NaN;
            }
            return new Cpu(100 * gen / wall, 100 * server / wall, loadAverage());
        }
    }
}
