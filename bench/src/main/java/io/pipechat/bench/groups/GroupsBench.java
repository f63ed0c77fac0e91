package io.pipechat.bench.groups;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.bench.load.Accounting;
import io.pipechat.bench.load.Fleet;
import io.pipechat.bench.load.LatencyTimeline;
import io.pipechat.bench.load.OpenModelPacer;
import io.pipechat.bench.load.Percentiles;
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
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code groups}: {@code --groups} groups of {@code --members} users each (created through
 * {@code POST /v1/groups}, every member connected), {@code --senders} senders per group sending
 * at a total target rate (open model). Reports deliveries per second, the latency of each
 * member's delivery and of the last member's (send to the message reaching the whole group), and
 * the accounting of every delivery. Before measuring, one probe message per group must reach every
 * member (membership travels MariaDB, CDC, Kafka, the Flink job), up to {@code --ready-timeout}.
 */
@Command(name = "groups", mixinStandardHelpOptions = true,
        description = "Group fan-out: deliveries per second and send-to-last-member latency")
public final class GroupsBench implements Callable<Integer> {
    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = {"-g", "--groups"}, defaultValue = "4", description = "groups (default: ${DEFAULT-VALUE})")
    int groups;

    @Option(names = {"-m", "--members"}, defaultValue = "100", description = "members per group, at most 1024 (default: ${DEFAULT-VALUE})")
    int members;

    @Option(names = "--senders", defaultValue = "5", description = "senders per group (default: ${DEFAULT-VALUE})")
    int senders;

    @Option(names = {"-r", "--rate"}, defaultValue = "20", description = "group messages per second, all groups (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = {"-d", "--duration"}, defaultValue = "20", description = "measured seconds (default: ${DEFAULT-VALUE})")
    double duration;

    @Option(names = "--drain", defaultValue = "20", description = "seconds to wait for the last deliveries (default: ${DEFAULT-VALUE})")
    double drain;

    @Option(names = "--connect-rate", defaultValue = "500", description = "connections per second (default: ${DEFAULT-VALUE})")
    double connectRate;

    @Option(names = "--ready-timeout", defaultValue = "90", description = "seconds for the membership to arrive (default: ${DEFAULT-VALUE})")
    double readyTimeout;

    private volatile Accounting accounting;
    private volatile LatencyTimeline each;
    private volatile LatencyTimeline last;
    private final Map<String, Long> errors = new ConcurrentHashMap<>();
    private final AtomicLong lastDelivery = new AtomicLong();

    @Override
    public Integer call() throws Exception {
        if (members < 2 || members > 1024) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--members must be 2..1024");
        }
        senders = Math.min(senders, members);
        String prefix = run.prefix("groups");
        int users = groups * members;
        try (Target target = run.open(); Fleet fleet = new Fleet(target, run.sourceAddresses, run.threads)) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "groups");
            result.put("machine", Results.machine(target));
            List<String> names = new ArrayList<>();
            List<VirtualUser> all = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                names.add(prefix + "-" + i);
                all.add(fleet.newUser(prefix + "-" + i, "bench", this::onFrame));
            }
            List<String> tokens = target.tokens(names, 32);
            String[] groupIds = new String[groups];
            Accounting.Audience[] audiences = new Accounting.Audience[groups];
            long tg = System.nanoTime();
            for (int g = 0; g < groups; g++) {
                int[] idx = new int[members];
                for (int j = 0; j < members; j++) {
                    idx[j] = g * members + j;
                }
                groupIds[g] = target.createGroup(tokens.get(g * members), prefix + "-group-" + g,
                        names.subList(g * members + 1, (g + 1) * members));
                audiences[g] = Accounting.Audience.group(idx, users);
            }
            double groupSeconds = (System.nanoTime() - tg) / 1e9;
            Fleet.ConnectResult c = fleet.connectAll(all, tokens, connectRate, 256, Duration.ofSeconds(60));
            fleet.startAcks(Duration.ofMillis(50));
            if (c.failed() > 0) {
                System.err.println("connect failures: " + c.failures());
            }
            int[] counters = new int[users];
            // readiness: one probe per group reaches every member
            long r0 = System.nanoTime();
            boolean ready = false;
            while (!ready && System.nanoTime() - r0 < readyTimeout * 1e9) {
                accounting = new Accounting(users);
                each = new LatencyTimeline("probe", r0);
                last = new LatencyTimeline("probe-last", r0);
                for (int g = 0; g < groups; g++) {
                    int sender = g * members;
                    long key = Accounting.key(sender, counters[sender]++);
                    accounting.expect(key, audiences[g], System.nanoTime());
                    all.get(sender).send(groupSend(key, groupIds[g]));
                }
                long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < wait && accounting.outstanding() > 0) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
                ready = accounting.outstanding() == 0;
            }
            double readySeconds = (System.nanoTime() - r0) / 1e9;
            if (!ready) {
                throw new IllegalStateException("group membership did not reach the fan-out within " + readyTimeout + " s");
            }
            Thread.sleep(1000); // late probe duplicates (retries) out of the way
            errors.clear();

            long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            Accounting acc = new Accounting(users);
            LatencyTimeline eachTl = new LatencyTimeline("send -> each member", t0);
            LatencyTimeline lastTl = new LatencyTimeline("send -> last member", t0);
            accounting = acc;
            each = eachTl;
            last = lastTl;
            lastDelivery.set(0);
            ScheduledFuture<?> ticker = fleet.timer().scheduleAtFixedRate(() -> {
                long now = System.nanoTime();
                eachTl.tick(now);
                lastTl.tick(now);
            }, 1, 1, TimeUnit.SECONDS);
            ProcStats.Meter meter = ProcStats.meter(target.serverPid());
            OpenModelPacer pacer = OpenModelPacer.forDuration(t0, rate, duration);
            long[] lag = new long[1];
            SplittableRandom random = new SplittableRandom(run.seed);
            Thread pacerThread = new Thread(() -> {
                long k = 0;
                while (k < pacer.total()) {
                    long now = System.nanoTime();
                    for (long due = pacer.dueBy(now); k < due; k++) {
                        long intended = pacer.intendedNanos(k);
                        lag[0] = Math.max(lag[0], now - intended);
                        int g = random.nextInt(groups);
                        int sender = g * members + random.nextInt(senders);
                        long key = Accounting.key(sender, counters[sender]++);
                        acc.expect(key, audiences[g], intended);
                        all.get(sender).send(groupSend(key, groupIds[g]));
                    }
                    if (k < pacer.total()) {
                        long wait = pacer.intendedNanos(k) - System.nanoTime();
                        if (wait > 0) {
                            LockSupport.parkNanos(Math.min(wait, 1_000_000));
                        }
                    }
                }
            }, "bench-pacer");
            pacerThread.start();
            pacerThread.join();
            long sendEnd = System.nanoTime();
            long deadline = sendEnd + (long) (drain * 1e9);
            while (System.nanoTime() < deadline && (acc.outstanding() > 0 || acc.unconfirmedMessages() > 0)) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            ProcStats.Cpu cpu = meter.stop();
            ticker.cancel(false);
            long end = System.nanoTime();
            eachTl.tick(end);
            lastTl.tick(end);
            Accounting.Summary summary = acc.summary();
            long ld = lastDelivery.get();
            double deliverySeconds = ld > t0 ? (ld - t0) / 1e9 : Double.NaN;
            double deliveriesPerSecond = summary.delivered() / deliverySeconds;
            Percentiles pe = Percentiles.of(eachTl.total());
            Percentiles pl = Percentiles.of(lastTl.total());

            result.put("groups", groups);
            result.put("members", members);
            result.put("senders_per_group", senders);
            result.put("connected", c.connected());
            result.put("group_create_seconds", groupSeconds);
            result.put("membership_ready_seconds", readySeconds);
            result.put("target_rate", rate);
            result.put("achieved_send_rate", pacer.total() / ((sendEnd - t0) / 1e9));
            result.put("deliveries_per_second", deliveriesPerSecond);
            result.put("generator_max_lag_ms", lag[0] / 1e6);
            result.put("send_to_each_member", pe.toMap());
            result.put("send_to_last_member", pl.toMap());
            result.put("accounting", summary.toMap());
            result.put("errors", new TreeMap<>(errors));
            result.put("cpu", Results.cpuMap(cpu));
            result.put("timeline_last_member", lastTl.points());
            List<String> table = new ArrayList<>();
            table.add(String.format("%d groups x %d members (%d connected), %d senders per group, %s", groups, members,
                    c.connected(), senders, target.isEmbedded() ? "embedded stack" : target.httpBase()));
            table.add(String.format("groups created in %.1f s; membership reached the fan-out after %.1f s", groupSeconds,
                    readySeconds));
            table.add(String.format("rate: target %.0f msg/s, deliveries %.0f/s over %.1f s; generator max lag %.1f ms", rate,
                    deliveriesPerSecond, deliverySeconds, lag[0] / 1e6));
            table.add(Percentiles.header());
            table.add(pe.row("send -> each member"));
            table.add(pl.row("send -> last member"));
            table.add(summary.table());
            if (!errors.isEmpty()) {
                table.add("errors: " + errors);
            }
            table.add(Results.cpuRow(cpu));
            Results.write(run, System.out, "groups: " + groups + " x " + members + ", " + (long) rate + " msg/s", result, table,
                    List.of(eachTl, lastTl));
            return summary.clean() ? 0 : 1;
        }
    }

    private static String groupSend(long key, String group) {
        return "{\"type\":\"send\",\"id\":\"" + Accounting.wireId(key) + "\",\"to\":{\"group\":\"" + group
                + "\"},\"body\":\"group message\"}";
    }

    private void onFrame(VirtualUser u, String type, JsonNode f, long now) {
        Accounting acc = accounting;
        if (acc == null) {
            return;
        }
        switch (type) {
            case "msg" -> {
                if (f.has("system")) {
                    return; // the group's creation and membership, told to its members: not load
                }
                Accounting.Delivery d = acc.delivered(u.index(), f.path("seq").asLong(), Accounting.parseId(f.path("id").asText(null)),
                        now);
                if (d.counted()) {
                    each.record(d.latencyNanos());
                    if (d.last()) {
                        last.record(d.latencyNanos());
                    }
                    lastDelivery.accumulateAndGet(now, Math::max);
                }
            }
            case "sent" -> acc.sent(Accounting.parseId(f.path("id").asText(null)), now);
            case "error" -> acc.error(f, errors);
            default -> {
            }
        }
    }
}
