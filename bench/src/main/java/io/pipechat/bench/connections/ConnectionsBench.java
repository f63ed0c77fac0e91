package io.pipechat.bench.connections;

import io.pipechat.bench.load.Fleet;
import io.pipechat.bench.load.ProcStats;
import io.pipechat.bench.load.Results;
import io.pipechat.bench.load.RunOptions;
import io.pipechat.bench.load.Target;
import io.pipechat.bench.load.VirtualUser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code connections}: opens N idle connections at a rate, holds them for a while with pings, and
 * reports how many were held, the failures by reason, the handshake latency, and what each
 * connection costs the server: heap (the edge's {@code memory_usedHeap_bytes} from
 * {@code /observe/metrics}, after a full GC) and RSS (from {@code /proc/<pid>/status}, embedded or
 * with {@code --pid}), measured before and after. The server's collection is triggered with
 * {@code System.gc()} when embedded and {@code jcmd <pid> GC.run} with {@code --pid}.
 *
 * <p>One process may hold 20,000 open files here: with {@code --embedded} the server's and the
 * client's sockets share them (about 9,000 connections at most); against a separate stack each
 * side holds about 19,000.
 */
@Command(name = "connections", mixinStandardHelpOptions = true,
        description = "Open N idle connections at a rate, hold them with pings; memory per connection")
public final class ConnectionsBench implements Callable<Integer> {
    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = {"-n", "--connections"}, defaultValue = "2000", description = "connections (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = {"-r", "--rate"}, defaultValue = "500", description = "connections opened per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--in-flight", defaultValue = "256", description = "handshakes in flight at most (default: ${DEFAULT-VALUE})")
    int inFlight;

    @Option(names = "--hold", defaultValue = "15", description = "seconds to hold them all (default: ${DEFAULT-VALUE})")
    double hold;

    @Option(names = "--ping-interval", defaultValue = "10", description = "seconds between pings of one connection (default: ${DEFAULT-VALUE})")
    double pingInterval;

    record Memory(double heapBytes, long rssBytes, double edgeConnections) {
    }

    @Override
    public Integer call() throws Exception {
        String prefix = run.prefix("connections");
        try (Target target = run.open(); Fleet fleet = new Fleet(target, run.sourceAddresses, run.threads)) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "connections");
            result.put("machine", Results.machine(target));
            long self = ProcessHandle.current().pid();
            List<String> names = new ArrayList<>();
            List<VirtualUser> users = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                names.add(prefix + "-" + i);
                users.add(fleet.newUser(prefix + "-" + i, "bench", null));
            }
            long tk = System.nanoTime();
            List<String> tokens = target.tokens(names, 32);
            double tokenSeconds = (System.nanoTime() - tk) / 1e9;
            Memory before = memory(target);
            long selfRss0 = ProcStats.rss(self);
            ProcStats.Meter connectCpu = ProcStats.meter(target.serverPid());
            Fleet.ConnectResult c = fleet.connectAll(users, tokens, rate, inFlight, Duration.ofSeconds(60));
            ProcStats.Cpu cpuConnect = connectCpu.stop();
            fleet.startPings(Duration.ofMillis((long) (pingInterval * 1000)));
            ProcStats.Meter holdCpu = ProcStats.meter(target.serverPid());
            long pongs0 = fleet.counters().pongs.sum();
            int minHeld = Integer.MAX_VALUE;
            long end = System.nanoTime() + (long) (hold * 1e9);
            while (System.nanoTime() < end) {
                Thread.sleep(1000);
                minHeld = Math.min(minHeld, fleet.openCount());
            }
            ProcStats.Cpu cpuHold = holdCpu.stop();
            long pongs = fleet.counters().pongs.sum() - pongs0;
            int held = fleet.openCount();
            Memory after = memory(target);
            long selfRss = ProcStats.rss(self);
            long selfFds = ProcStats.openFiles(self);
            double heapPer = held == 0 ? Double.NaN : (after.heapBytes() - before.heapBytes()) / held;
            double rssPer = held == 0 || before.rssBytes() < 0 ? Double.NaN : (after.rssBytes() - before.rssBytes()) / (double) held;
            double clientRssPer = held == 0 ? Double.NaN : (selfRss - selfRss0) / (double) held;

            result.put("requested", connections);
            result.put("rate", rate);
            result.put("connected", c.connected());
            result.put("failed", c.failed());
            result.put("failures", c.failures());
            result.put("held_at_end", held);
            result.put("min_held_during_hold", minHeld == Integer.MAX_VALUE ? held : minHeld);
            result.put("connect_seconds", c.seconds());
            result.put("token_seconds", tokenSeconds);
            result.put("handshake", c.handshake().toMap());
            result.put("pongs_during_hold", pongs);
            result.put("edge_connections_metric", after.edgeConnections());
            result.put("server_heap_before_bytes", before.heapBytes());
            result.put("server_heap_after_bytes", after.heapBytes());
            result.put("server_heap_per_connection_bytes", heapPer);
            result.put("server_rss_before_bytes", before.rssBytes());
            result.put("server_rss_after_bytes", after.rssBytes());
            result.put("server_rss_per_connection_bytes", rssPer);
            result.put("generator_rss_per_connection_bytes", target.isEmbedded() ? Double.NaN : clientRssPer);
            result.put("generator_open_files", selfFds);
            result.put("cpu_connect", Results.cpuMap(cpuConnect));
            result.put("cpu_hold", Results.cpuMap(cpuHold));

            List<String> table = new ArrayList<>();
            table.add(String.format("requested %d at %.0f/s (%s)", connections, rate,
                    target.isEmbedded() ? "embedded stack" : target.httpBase()));
            table.add(String.format("connected %d, failed %d in %.1f s; held %d at the end (min %d during %.0f s hold), edge reports %.0f",
                    c.connected(), c.failed(), c.seconds(), held, minHeld == Integer.MAX_VALUE ? held : minHeld, hold,
                    after.edgeConnections()));
            if (!c.failures().isEmpty()) {
                table.add("failures: " + c.failures());
            }
            table.add(String.format("handshake (from intended start) p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                    c.handshake().p50Ms(), c.handshake().p99Ms(), c.handshake().maxMs()));
            table.add(String.format("server heap after GC: %.1f MiB -> %.1f MiB = %.1f KiB per connection",
                    before.heapBytes() / 1048576, after.heapBytes() / 1048576, heapPer / 1024));
            table.add(String.format("server RSS: %.1f MiB -> %.1f MiB = %.1f KiB per connection%s", before.rssBytes() / 1048576.0,
                    after.rssBytes() / 1048576.0, rssPer / 1024, target.isEmbedded() ? " (includes the generator: same process)" : ""));
            table.add(target.isEmbedded()
                    ? String.format("generator: same process as the server (RSS above), %d open files for both", selfFds)
                    : String.format("generator RSS: %.1f KiB per connection, %d open files", clientRssPer / 1024, selfFds));
            table.add(String.format("pongs during hold: %d", pongs));
            table.add("while connecting: " + Results.cpuRow(cpuConnect));
            table.add("while holding:    " + Results.cpuRow(cpuHold));
            Results.write(run, System.out, "connections: " + connections + " idle", result, table, List.of());
            return held == connections ? 0 : 1;
        }
    }

    /** Heap after a full GC of the server, its RSS, and the edge's connection gauge. */
    private Memory memory(Target target) throws Exception {
        if (target.isEmbedded()) {
            System.gc();
            Thread.sleep(500);
        } else if (target.serverPid() > 0) {
            Process p = new ProcessBuilder(ProcessHandle.current().info().command().map(cmd -> cmd.replaceAll("java$", "jcmd"))
                    .orElse("jcmd"), Long.toString(target.serverPid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor(30, TimeUnit.SECONDS);
            Thread.sleep(500);
        }
        Map<String, Double> m = target.metrics();
        return new Memory(m.getOrDefault("memory_usedHeap_bytes", Double.NaN), ProcStats.rss(target.serverPid()),
                m.getOrDefault("pipechat_edge_connections", Double.NaN));
    }
}
