package io.pipechat.bench.direct;

import io.pipechat.bench.load.Fleet;
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
 * {@code direct}: U users each sending to random peers at a total target rate (open model), for a
 * warmup and then a measured phase; end-to-end latency (send to {@code msg}), {@code sent} latency,
 * throughput, and the accounting of every message (exit code 1 if it is not clean).
 */
@Command(name = "direct", mixinStandardHelpOptions = true,
        description = "1:1 messages between random users at a target rate: latency, throughput, accounting")
public final class DirectBench implements Callable<Integer> {
    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = {"-u", "--users"}, defaultValue = "200", description = "connected users (default: ${DEFAULT-VALUE})")
    int users;

    @Option(names = {"-r", "--rate"}, defaultValue = "500", description = "total messages per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = {"-d", "--duration"}, defaultValue = "20", description = "measured seconds (default: ${DEFAULT-VALUE})")
    double duration;

    @Option(names = "--warmup", defaultValue = "5", description = "unmeasured seconds first (default: ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--drain", defaultValue = "15", description = "seconds to wait for the last deliveries (default: ${DEFAULT-VALUE})")
    double drain;

    @Option(names = "--connect-rate", defaultValue = "500", description = "connections opened per second (default: ${DEFAULT-VALUE})")
    double connectRate;

    @Option(names = "--body-bytes", defaultValue = "32", description = "message body size (default: ${DEFAULT-VALUE})")
    int bodyBytes;

    @Option(names = "--ack-interval-ms", defaultValue = "50",
            description = "how often a user sends its cumulative ack; 0 = never (diagnostic: no receipts) (default: ${DEFAULT-VALUE})")
    long ackIntervalMs;

    @Override
    public Integer call() {
        if (rate / users > 30) {
            System.err.printf("warning: %.0f messages/s per user is near the edge's per-connection frame limit (50/s by default);"
                    + " add users%n", rate / users);
        }
        try (Target target = run.open(); DirectLoad load = new DirectLoad(target, run, run.prefix("direct"), users, bodyBytes)) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "direct");
            result.put("machine", Results.machine(target));
            Fleet.ConnectResult c = load.connect(connectRate, java.time.Duration.ofMillis(ackIntervalMs));
            result.put("ack_interval_ms", ackIntervalMs);
            result.put("users", users);
            result.put("connected", c.connected());
            result.put("connect_failures", c.failures());
            if (warmup > 0) {
                DirectLoad.Phase w = load.run(rate, warmup, drain);
                result.put("warmup_accounting", w.accounting().toMap());
            }
            DirectLoad.Phase p = load.run(rate, duration, drain);
            result.putAll(p.toMap());
            List<String> table = new ArrayList<>();
            table.add(String.format("users %d (connected %d, failed %d), body %d bytes, %s", users, c.connected(), c.failed(),
                    bodyBytes, target.isEmbedded() ? "embedded stack" : target.httpBase()));
            table.addAll(p.table());
            Results.write(run, System.out, "direct: " + users + " users, " + (long) rate + " msg/s", result, table,
                    p.timelines());
            return p.accounting().clean() ? 0 : 1;
        }
    }
}
