package io.pipechat.bench.offline;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.bench.Stats;
import io.pipechat.bench.load.Accounting;
import io.pipechat.bench.load.Fleet;
import io.pipechat.bench.load.LatencyTimeline;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code offline}: a user with M queued messages reconnects; how long until all of them are
 * received and acknowledged. Per round: senders (each sending at most {@code --per-sender}
 * messages at once, within the edge's per-user send burst) queue M messages to the offline
 * receiver and wait for every {@code sent}; after {@code --settle} seconds (so the router has put
 * them all in the mailbox) the receiver connects and the clock runs from the connect call to the
 * {@code welcome}, the first {@code msg}, the M-th {@code msg} and the cumulative {@code ack}
 * covering it. The receiver then disconnects. One {@link Accounting} spans all rounds, so a message
 * redelivered in a later round (its ack lost) shows as a duplicate by seq, and a missing one as lost.
 */
@picocli.CommandLine.Command(name = "offline", mixinStandardHelpOptions = true,
        description = "Reconnect of a user with M queued messages: time until all are received and acked")
public final class OfflineBench implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    RunOptions run = new RunOptions();

    @picocli.CommandLine.Option(names = {"-m", "--messages"}, defaultValue = "10000", description = "queued messages (default: ${DEFAULT-VALUE})")
    int messages;

    @picocli.CommandLine.Option(names = "--rounds", defaultValue = "3", description = "reconnects measured (default: ${DEFAULT-VALUE})")
    int rounds;

    @picocli.CommandLine.Option(names = "--per-sender", defaultValue = "100",
            description = "messages each sender sends at once, at most the edge's edge.rate.user-send-burst (100 by default) (default: ${DEFAULT-VALUE})")
    int perSender;

    @picocli.CommandLine.Option(names = "--sender-rate", defaultValue = "20",
            description = "the edge's edge.rate.user-sends-per-second: a sender's next burst waits until its bucket has refilled (default: ${DEFAULT-VALUE})")
    double senderRate;

    @picocli.CommandLine.Option(names = "--settle", defaultValue = "3", description = "seconds between the last `sent` and the reconnect (default: ${DEFAULT-VALUE})")
    double settle;

    @picocli.CommandLine.Option(names = "--timeout", defaultValue = "60", description = "seconds a round may take (default: ${DEFAULT-VALUE})")
    double timeout;

    /** One reconnect. All times in ms from the connect call. */
    record Round(int round, double welcomeMs, double firstMs, double allReceivedMs, double ackedMs, int received,
                 int reconnects, double queueSeconds) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("round", round);
            m.put("welcome_ms", welcomeMs);
            m.put("first_msg_ms", firstMs);
            m.put("all_received_ms", allReceivedMs);
            m.put("all_acked_ms", ackedMs);
            m.put("received", received);
            m.put("reconnects", reconnects);
            m.put("queueing_seconds", queueSeconds);
            return m;
        }
    }

    @Override
    public Integer call() throws Exception {
        int senders = (messages + perSender - 1) / perSender;
        String prefix = run.prefix("offline");
        try (Target target = run.open(); Fleet fleet = new Fleet(target, run.sourceAddresses, run.threads)) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "offline");
            result.put("machine", Results.machine(target));
            int receiverIndex = senders;
            Accounting accounting = new Accounting(senders + 1);
            Map<String, Long> errors = new java.util.concurrent.ConcurrentHashMap<>();
            VirtualUser.Handler senderHandler = (u, type, f, now) -> {
                switch (type) {
                    case "sent" -> accounting.sent(Accounting.parseId(f.path("id").asText(null)), now);
                    case "error" -> accounting.error(f, errors);
                    default -> {
                    }
                }
            };
            List<String> names = new ArrayList<>();
            List<VirtualUser> senderUsers = new ArrayList<>();
            for (int i = 0; i < senders; i++) {
                names.add(prefix + "-s" + i);
                senderUsers.add(fleet.newUser(prefix + "-s" + i, "bench", senderHandler));
            }
            String receiver = prefix + "-r";
            names.add(receiver);
            List<String> tokens = target.tokens(names, 32);
            Fleet.ConnectResult c = fleet.connectAll(senderUsers, tokens.subList(0, senders), 200, 64, Duration.ofSeconds(60));
            if (c.failed() > 0) {
                throw new IllegalStateException("senders failed to connect: " + c.failures());
            }
            fleet.startAcks(Duration.ofMillis(50));
            String receiverToken = tokens.get(senders);
            int[] counters = new int[senders];
            LatencyTimeline delivery = new LatencyTimeline("queued -> msg", System.nanoTime());
            List<Round> results = new ArrayList<>();
            ProcStats.Meter meter = ProcStats.meter(target.serverPid());
            for (int round = 1; round <= rounds; round++) {
                // queue M messages for the offline receiver
                long q0 = System.nanoTime();
                int left = messages;
                for (int s = 0; s < senders && left > 0; s++) {
                    VirtualUser from = senderUsers.get(s);
                    for (int j = 0; j < perSender && left > 0; j++, left--) {
                        long key = Accounting.key(s, counters[s]++);
                        accounting.expect(key, Accounting.Audience.single(receiverIndex), System.nanoTime());
                        from.send("{\"type\":\"send\",\"id\":\"" + Accounting.wireId(key) + "\",\"to\":{\"user\":\"" + receiver
                                + "\"},\"body\":\"queued message " + round + "\"}");
                    }
                }
                long deadline = System.nanoTime() + (long) (timeout * 1e9);
                while (accounting.unconfirmedMessages() > 0 && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
                double queueSeconds = (System.nanoTime() - q0) / 1e9;
                Thread.sleep((long) (settle * 1000));
                results.add(reconnect(fleet, round, receiver, receiverToken, receiverIndex, accounting, delivery, deadline
                        + (long) (settle * 1e9), queueSeconds));
                System.err.printf("round %d: %s%n", round, results.getLast());
                // let the senders' send buckets refill before the next burst (10% margin)
                long refilled = q0 + (long) (perSender / senderRate * 1.1e9);
                Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(refilled - System.nanoTime())));
            }
            ProcStats.Cpu cpu = meter.stop();
            delivery.tick(System.nanoTime());
            Accounting.Summary summary = accounting.summary();
            double[] received = results.stream().mapToDouble(Round::allReceivedMs).toArray();
            double[] acked = results.stream().mapToDouble(Round::ackedMs).toArray();
            double[] welcome = results.stream().mapToDouble(Round::welcomeMs).toArray();
            double[] first = results.stream().mapToDouble(Round::firstMs).toArray();
            result.put("messages", messages);
            result.put("senders", senders);
            result.put("rounds", results.stream().map(Round::toMap).toList());
            Map<String, Object> med = new LinkedHashMap<>();
            med.put("welcome_ms", Stats.median(welcome));
            med.put("first_msg_ms", Stats.median(first));
            med.put("all_received_ms", Stats.median(received));
            med.put("all_acked_ms", Stats.median(acked));
            med.put("messages_per_second", messages / (Stats.median(received) / 1000));
            result.put("median", med);
            result.put("accounting", summary.toMap());
            result.put("errors", errors);
            result.put("cpu", Results.cpuMap(cpu));
            List<String> table = new ArrayList<>();
            table.add(String.format("%d queued messages from %d senders, %d rounds, %s", messages, senders, results.size(),
                    target.isEmbedded() ? "embedded stack" : target.httpBase()));
            table.add(String.format("%-6s %10s %10s %14s %12s %10s", "round", "welcome", "first msg", "all received", "all acked",
                    "msg/s"));
            for (Round r : results) {
                table.add(String.format("%-6d %8.0fms %8.0fms %12.0fms %10.0fms %10.0f", r.round(), r.welcomeMs(), r.firstMs(),
                        r.allReceivedMs(), r.ackedMs(), r.received() / (r.allReceivedMs() / 1000)));
            }
            table.add(String.format("%-6s %8.0fms %8.0fms %12.0fms %10.0fms %10.0f", "median", Stats.median(welcome),
                    Stats.median(first), Stats.median(received), Stats.median(acked), messages / (Stats.median(received) / 1000)));
            table.add(Percentiles.header());
            table.add(Percentiles.of(delivery.total()).row("queued -> msg"));
            table.add(summary.table());
            if (!errors.isEmpty()) {
                table.add("errors: " + errors);
            }
            table.add(Results.cpuRow(cpu));
            Results.write(run, System.out, "offline: " + messages + " queued messages", result, table, List.of(delivery));
            return summary.clean() && results.stream().allMatch(r -> r.received() == messages) ? 0 : 1;
        }
    }

    private Round reconnect(Fleet fleet, int round, String receiver, String token, int receiverIndex, Accounting accounting,
                            LatencyTimeline delivery, long deadline, double queueSeconds) throws Exception {
        AtomicLong firstAt = new AtomicLong();
        AtomicLong allAt = new AtomicLong();
        AtomicLong lastSeq = new AtomicLong();
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        VirtualUser.Handler handler = (u, type, f, now) -> {
            if (!"msg".equals(type)) {
                return;
            }
            firstAt.compareAndSet(0, now);
            Accounting.Delivery d = accounting.delivered(receiverIndex, f.path("seq").asLong(),
                    Accounting.parseId(f.path("id").asText(null)), now);
            if (d.counted()) {
                delivery.record(d.latencyNanos());
                if (received.incrementAndGet() == messages) {
                    lastSeq.set(f.path("seq").asLong());
                    allAt.set(now);
                }
            }
        };
        long t0 = System.nanoTime();
        long welcomeAt = 0;
        int reconnects = -1;
        VirtualUser user = null;
        while (allAt.get() == 0 && System.nanoTime() < deadline) {
            if (user == null || user.closed().isDone()) {
                reconnects++;
                user = fleet.newUser(receiver, "bench", handler);
                try {
                    fleet.connect(user, token).get(30, TimeUnit.SECONDS);
                    if (welcomeAt == 0) {
                        welcomeAt = System.nanoTime();
                    }
                } catch (Exception e) {
                    System.err.println("receiver connect failed: " + e);
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        long ackedAt = 0;
        while (allAt.get() != 0 && user != null && System.nanoTime() < deadline) {
            if (user.ackedUpto() >= lastSeq.get()) {
                ackedAt = System.nanoTime();
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        // the ack is only written once its frame is out: give the socket a moment before closing
        Thread.sleep(300);
        if (user != null) {
            user.close().get(10, TimeUnit.SECONDS);
        }
        return new Round(round, ms(welcomeAt, t0), ms(firstAt.get(), t0), ms(allAt.get(), t0), ms(ackedAt, t0), received.get(),
                Math.max(0, reconnects), queueSeconds);
    }

    private static double ms(long at, long t0) {
        return at == 0 ? Double.NaN : (at - t0) / 1e6;
    }
}
