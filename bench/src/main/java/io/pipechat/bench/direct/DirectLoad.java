package io.pipechat.bench.direct;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.bench.load.Accounting;
import io.pipechat.bench.load.Fleet;
import io.pipechat.bench.load.LatencyTimeline;
import io.pipechat.bench.load.OpenModelPacer;
import io.pipechat.bench.load.Percentiles;
import io.pipechat.bench.load.ProcStats;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The 1:1 load: {@code users} connected virtual users; in a phase, sends at a total target rate
 * (open model), each from a random user to a random other user. Every send is registered with the
 * phase's {@link Accounting} before it leaves; {@code sent}, {@code msg} and {@code error} frames
 * are matched to it by id. Latency is measured from the intended send time. Used by {@code direct}
 * (warmup + one measured phase) and {@code sweep} (rising rates on the same connections).
 */
public final class DirectLoad implements AutoCloseable {
    /** One phase's figures. */
    public record Phase(double targetRate, double seconds, double achievedSendRate, double deliveredPerSecond,
                        Accounting.Summary accounting, Percentiles endToEnd, Percentiles sent, double maxLagMs,
                        ProcStats.Cpu cpu, Map<String, Long> errors, List<LatencyTimeline> timelines) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target_rate", targetRate);
            m.put("seconds", seconds);
            m.put("achieved_send_rate", achievedSendRate);
            m.put("delivered_per_second", deliveredPerSecond);
            m.put("generator_max_lag_ms", maxLagMs);
            m.put("end_to_end", endToEnd.toMap());
            m.put("sent", sent.toMap());
            m.put("accounting", accounting.toMap());
            m.put("errors", errors);
            m.put("cpu", io.pipechat.bench.load.Results.cpuMap(cpu));
            m.put("timeline_e2e", timelines.getFirst().points());
            return m;
        }

        public List<String> table() {
            List<String> t = new ArrayList<>();
            t.add(String.format("rate: target %.0f/s, sent %.0f/s, delivered %.0f/s over %.1f s; generator max lag %.1f ms",
                    targetRate, achievedSendRate, deliveredPerSecond, seconds, maxLagMs));
            t.add(Percentiles.header());
            t.add(endToEnd.row("send -> msg"));
            t.add(sent.row("send -> sent"));
            t.add(accounting.table());
            if (!errors.isEmpty()) {
                t.add("errors: " + errors);
            }
            t.add(io.pipechat.bench.load.Results.cpuRow(cpu));
            return t;
        }
    }

    private final Target target;
    private final Fleet fleet;
    private final String prefix;
    private final int users;
    private final int bodyBytes;
    private final SplittableRandom random;
    private final int[] counters;
    private final List<VirtualUser> connected = new ArrayList<>();
    private volatile PhaseState current;

    private static final class PhaseState {
        final Accounting accounting;
        final LatencyTimeline e2e;
        final LatencyTimeline sent;
        final Map<String, Long> errors = new ConcurrentHashMap<>();
        final AtomicLong lastDelivery = new AtomicLong();

        PhaseState(int users, long t0) {
            accounting = new Accounting(users);
            e2e = new LatencyTimeline("send -> msg", t0);
            sent = new LatencyTimeline("send -> sent", t0);
        }
    }

    public DirectLoad(Target target, RunOptions options, String prefix, int users, int bodyBytes) {
        this.target = target;
        this.fleet = new Fleet(target, options.sourceAddresses, options.threads);
        this.prefix = prefix;
        this.users = users;
        this.bodyBytes = bodyBytes;
        this.random = new SplittableRandom(options.seed);
        this.counters = new int[users];
    }

    public String user(int i) {
        return prefix + "-" + i;
    }

    /** Gets tokens and opens every user's socket; starts the ack flusher. */
    public Fleet.ConnectResult connect(double rate) {
        return connect(rate, Duration.ofMillis(50));
    }

    /** As {@link #connect(double)}, acknowledging every {@code ackInterval} (zero: never ack, a diagnostic). */
    public Fleet.ConnectResult connect(double rate, Duration ackInterval) {
        List<String> names = new ArrayList<>();
        List<VirtualUser> batch = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            names.add(user(i));
            batch.add(fleet.newUser(user(i), "bench", this::onFrame));
        }
        List<String> tokens = target.tokens(names, 32);
        Fleet.ConnectResult r = fleet.connectAll(batch, tokens, rate, 256, Duration.ofSeconds(60));
        for (VirtualUser u : batch) {
            if (u.open()) {
                connected.add(u);
            }
        }
        if (!ackInterval.isZero()) {
            fleet.startAcks(ackInterval);
        }
        return r;
    }

    public int connectedCount() {
        return connected.size();
    }

    public Fleet fleet() {
        return fleet;
    }

    private void onFrame(VirtualUser u, String type, JsonNode frame, long now) {
        PhaseState s = current;
        if (s == null) {
            return;
        }
        switch (type) {
            case "msg" -> {
                long key = Accounting.parseId(frame.path("id").asText(null));
                Accounting.Delivery d = s.accounting.delivered(u.index(), frame.path("seq").asLong(), key, now);
                if (d.counted()) {
                    s.e2e.record(d.latencyNanos());
                    s.lastDelivery.accumulateAndGet(now, Math::max);
                }
            }
            case "sent" -> {
                long l = s.accounting.sent(Accounting.parseId(frame.path("id").asText(null)), now);
                if (l >= 0) {
                    s.sent.record(l);
                }
            }
            case "error" -> s.accounting.error(frame, s.errors);
            default -> {
            }
        }
    }

    /**
     * Sends at {@code rate} for {@code seconds}, then waits up to {@code drainSeconds} for every
     * delivery; returns the phase's figures.
     */
    public Phase run(double rate, double seconds, double drainSeconds) {
        if (connected.size() < 2) {
            throw new IllegalStateException("fewer than 2 users connected");
        }
        long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        PhaseState s = new PhaseState(users, t0);
        current = s;
        ScheduledFuture<?> ticker = fleet.timer().scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            s.e2e.tick(now);
            s.sent.tick(now);
        }, 1, 1, TimeUnit.SECONDS);
        ProcStats.Meter meter = ProcStats.meter(target.serverPid());
        OpenModelPacer pacer = OpenModelPacer.forDuration(t0, rate, seconds);
        long[] lag = new long[1];
        long[] sentCount = new long[1];
        Thread pacerThread = new Thread(() -> pace(pacer, s, lag, sentCount), "bench-pacer");
        pacerThread.start();
        try {
            pacerThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long sendEnd = System.nanoTime();
        long deadline = sendEnd + (long) (drainSeconds * 1e9);
        while (System.nanoTime() < deadline && (s.accounting.outstanding() > 0 || s.accounting.unconfirmedMessages() > 0)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        ProcStats.Cpu cpu = meter.stop();
        ticker.cancel(false);
        long end = System.nanoTime();
        s.e2e.tick(end);
        s.sent.tick(end);
        Accounting.Summary summary = s.accounting.summary();
        double sendSeconds = (sendEnd - t0) / 1e9;
        long lastDelivery = s.lastDelivery.get();
        double deliverySeconds = lastDelivery > t0 ? (lastDelivery - t0) / 1e9 : Double.NaN;
        return new Phase(rate, seconds, sentCount[0] / Math.max(sendSeconds, 1e-9),
                summary.delivered() / deliverySeconds, summary, Percentiles.of(s.e2e.total()),
                Percentiles.of(s.sent.total()), lag[0] / 1e6, cpu, new TreeMap<>(s.errors), List.of(s.e2e, s.sent));
    }

    private void pace(OpenModelPacer pacer, PhaseState s, long[] maxLag, long[] sentCount) {
        StringBuilder body = new StringBuilder(bodyBytes);
        for (int i = 0; i < bodyBytes; i++) {
            body.append((char) ('a' + i % 26));
        }
        String bodyJson = body.toString();
        int n = connected.size();
        long k = 0;
        while (k < pacer.total()) {
            long now = System.nanoTime();
            long due = pacer.dueBy(now);
            for (; k < due; k++) {
                long intended = pacer.intendedNanos(k);
                maxLag[0] = Math.max(maxLag[0], now - intended);
                int a = random.nextInt(n);
                int b = random.nextInt(n - 1);
                if (b >= a) {
                    b++;
                }
                VirtualUser from = connected.get(a);
                VirtualUser to = connected.get(b);
                long key = Accounting.key(from.index(), counters[from.index()]++);
                s.accounting.expect(key, Accounting.Audience.single(to.index()), intended);
                from.send("{\"type\":\"send\",\"id\":\"" + Accounting.wireId(key) + "\",\"to\":{\"user\":\""
                        + to.user() + "\"},\"body\":\"" + bodyJson + "\"}");
                sentCount[0]++;
            }
            if (k < pacer.total()) {
                long wait = pacer.intendedNanos(k) - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(Math.min(wait, 1_000_000));
                }
            }
        }
    }

    @Override
    public void close() {
        fleet.close();
    }
}
