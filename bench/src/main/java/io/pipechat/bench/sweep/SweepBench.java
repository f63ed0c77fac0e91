package io.pipechat.bench.sweep;

import io.pipechat.bench.direct.DirectLoad;
import io.pipechat.bench.load.Fleet;
import io.pipechat.bench.load.LatencyTimeline;
import io.pipechat.bench.load.Results;
import io.pipechat.bench.load.RunOptions;
import io.pipechat.bench.load.Target;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sweep}: the {@code direct} load on one set of connections at rising rates
 * ({@code --start-rate}, times {@code --factor} each step), {@code --step-seconds} each, until a
 * step fails: p99 above {@code --p99-ms}, deliveries below 90% of the target rate, or an accounting
 * that is not clean. The sustainable maximum is the highest rate that passed.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Raise the direct rate step by step until p99 passes a bound: the sustainable maximum")
public final class SweepBench implements Callable<Integer> {
    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = {"-u", "--users"}, defaultValue = "1000", description = "connected users (default: ${DEFAULT-VALUE})")
    int users;

    @Option(names = "--start-rate", defaultValue = "250", description = "first rate, messages/s (default: ${DEFAULT-VALUE})")
    double startRate;

    @Option(names = "--factor", defaultValue = "1.5", description = "rate multiplier per step (default: ${DEFAULT-VALUE})")
    double factor;

    @Option(names = "--max-rate", defaultValue = "100000", description = "stop after this rate (default: ${DEFAULT-VALUE})")
    double maxRate;

    @Option(names = "--step-seconds", defaultValue = "10", description = "seconds per step (default: ${DEFAULT-VALUE})")
    double stepSeconds;

    @Option(names = "--p99-ms", defaultValue = "500", description = "p99 bound of send -> msg in ms (default: ${DEFAULT-VALUE})")
    double p99Bound;

    @Option(names = "--drain", defaultValue = "10", description = "seconds to wait for a step's last deliveries (default: ${DEFAULT-VALUE})")
    double drain;

    @Option(names = "--body-bytes", defaultValue = "32", description = "message body size (default: ${DEFAULT-VALUE})")
    int bodyBytes;

    @Override
    public Integer call() {
        try (Target target = run.open(); DirectLoad load = new DirectLoad(target, run, run.prefix("sweep"), users, bodyBytes)) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "sweep");
            result.put("machine", Results.machine(target));
            Fleet.ConnectResult c = load.connect(500);
            result.put("users", users);
            result.put("connected", c.connected());
            result.put("p99_bound_ms", p99Bound);
            load.run(Math.min(startRate, 200), 3, drain); // warm the path up
            List<Map<String, Object>> steps = new ArrayList<>();
            List<String> table = new ArrayList<>();
            table.add(String.format("users %d (connected %d), %.0f s per step, p99 bound %.0f ms, %s", users, c.connected(),
                    stepSeconds, p99Bound, target.isEmbedded() ? "embedded stack" : target.httpBase()));
            table.add(String.format("%9s %9s %10s %9s %9s %9s %6s %6s %6s  %s", "target/s", "sent/s", "deliver/s", "p50 ms",
                    "p99 ms", "max ms", "lost", "gen%", "srv%", "verdict"));
            double sustainable = 0;
            List<LatencyTimeline> lastTimelines = List.of();
            for (double rate = startRate; rate <= maxRate; rate *= factor) {
                if (rate / c.connected() > 40) {
                    table.add(String.format("stopped: %.0f msg/s needs more than %d users (edge frame limit 50/s each)", rate,
                            c.connected()));
                    break;
                }
                DirectLoad.Phase p = load.run(rate, stepSeconds, drain);
                lastTimelines = p.timelines();
                String verdict;
                if (!p.accounting().clean()) {
                    verdict = "FAIL: accounting (lost " + p.accounting().lost() + ")";
                } else if (p.endToEnd().p99Ms() > p99Bound) {
                    verdict = "FAIL: p99 above bound";
                } else if (p.deliveredPerSecond() < 0.9 * rate) {
                    verdict = "FAIL: deliveries below 90% of target";
                } else {
                    verdict = "ok";
                    sustainable = rate;
                }
                Map<String, Object> step = p.toMap();
                step.put("verdict", verdict);
                steps.add(step);
                table.add(String.format("%9.0f %9.0f %10.0f %9.1f %9.1f %9.1f %6d %6.0f %6.0f  %s", rate, p.achievedSendRate(),
                        p.deliveredPerSecond(), p.endToEnd().p50Ms(), p.endToEnd().p99Ms(), p.endToEnd().maxMs(),
                        p.accounting().lost(), p.cpu().generatorPct(), p.cpu().serverPct(), verdict));
                System.err.println(table.getLast());
                if (!verdict.equals("ok")) {
                    break;
                }
            }
            table.add(String.format("sustainable maximum: %.0f messages/s with p99 <= %.0f ms", sustainable, p99Bound));
            result.put("steps", steps);
            result.put("sustainable_rate", sustainable);
            Results.write(run, System.out, "sweep: direct rate until p99 > " + (long) p99Bound + " ms", result, table,
                    lastTimelines);
            return 0;
        }
    }
}
