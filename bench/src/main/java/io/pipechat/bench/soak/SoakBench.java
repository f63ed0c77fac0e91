package io.pipechat.bench.soak;

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
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code soak}: the system at a steady rate for a long time (an hour by default), the way it is used:
 * direct messages between random users, a share of group messages, and users dropping off and coming
 * back all the time (half of them with a close handshake, half by cutting the connection, as a phone
 * does), so that mailboxes fill while they are away and are flushed when they return. Every message
 * is accounted for by id ({@link Accounting}: nothing may be lost, seen twice or reordered), and the
 * server's heap after GC and its RSS are sampled throughout ({@link MemorySamples}) to tell whether
 * they stay flat. Run it at about half the sustainable rate that {@code sweep} finds.
 *
 * <p>Order is checked per sender and recipient for direct messages and per sender and group for group
 * messages; between a user's direct and group messages none is promised (they travel different paths).
 *
 * <p>A user about to drop off stops sending and waits for the {@code sent} of what it sent (a message
 * whose frame never reached the edge is not the system's to deliver; after 30 s it stays online
 * instead); then it is gone for {@code --offline} seconds and connects again with the same token and
 * device. Deliveries still missing after {@code --drain} count as lost: on an overloaded machine,
 * give it longer.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Long run with reconnects and groups: nothing lost, heap after GC and RSS flat")
public final class SoakBench implements Callable<Integer> {
    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = {"-u", "--users"}, defaultValue = "1000", description = "users (default: ${DEFAULT-VALUE})")
    int users;

    @Option(names = {"-r", "--rate"}, defaultValue = "1200",
            description = "messages per second, all users: about half of what sweep sustains (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = {"-d", "--duration"}, defaultValue = "3600", description = "seconds of load (default: ${DEFAULT-VALUE})")
    double duration;

    @Option(names = "--groups", defaultValue = "4", description = "groups (default: ${DEFAULT-VALUE})")
    int groups;

    @Option(names = "--group-size", defaultValue = "10", description = "members per group; the first users are members (default: ${DEFAULT-VALUE})")
    int groupSize;

    @Option(names = "--group-share", defaultValue = "0.2",
            description = "share of the messages that a group member sends to its group (default: ${DEFAULT-VALUE})")
    double groupShare;

    @Option(names = "--reconnects-per-second", defaultValue = "1", description = "users dropping off per second (default: ${DEFAULT-VALUE})")
    double reconnectsPerSecond;

    @Option(names = "--offline", defaultValue = "2", description = "seconds a user stays away (default: ${DEFAULT-VALUE})")
    double offline;

    @Option(names = "--sample-interval", defaultValue = "30", description = "seconds between memory samples (default: ${DEFAULT-VALUE})")
    double sampleInterval;

    @Option(names = "--warmup", defaultValue = "300",
            description = "seconds before the samples that judge flatness (JIT, caches, pools fill; default: ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--tolerance", defaultValue = "0.1",
            description = "growth over the measured window, as a share of the mean, still called flat (default: ${DEFAULT-VALUE})")
    double tolerance;

    @Option(names = "--fail-if-growing", description = "exit 1 also when heap after GC or RSS grows")
    boolean failIfGrowing;

    @Option(names = "--drain", defaultValue = "60", description = "seconds to wait for the last deliveries (default: ${DEFAULT-VALUE})")
    double drain;

    @Option(names = "--ready-timeout", defaultValue = "90", description = "seconds for group membership to arrive (default: ${DEFAULT-VALUE})")
    double readyTimeout;

    private static final int ONLINE = 0;
    private static final int LEAVING = 1;
    private static final int AWAY = 2;

    private Accounting accounting;
    private LatencyTimeline latency;
    private final Map<String, Long> errors = new ConcurrentHashMap<>();
    private AtomicIntegerArray state;
    private AtomicIntegerArray inFlight;
    private AtomicReferenceArray<VirtualUser> sockets;
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong aborts = new AtomicLong();
    private final AtomicLong groupMessages = new AtomicLong();
    private final AtomicLong skippedSends = new AtomicLong();
    private final AtomicLong dropsPostponed = new AtomicLong();

    @Override
    public Integer call() throws Exception {
        groups = groupSize < 2 ? 0 : Math.min(groups, users / groupSize);
        String prefix = run.prefix("soak");
        // Group messages count under a sender number of their own (users + u): their order against u's
        // direct messages is not promised (they take another path, through the group job), only each's own.
        accounting = new Accounting(2 * users);
        state = new AtomicIntegerArray(users);
        inFlight = new AtomicIntegerArray(users);
        sockets = new AtomicReferenceArray<>(users);
        try (Target target = run.open(); Fleet fleet = new Fleet(target, run.sourceAddresses, run.threads)) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "soak");
            result.put("machine", Results.machine(target));
            List<String> names = new ArrayList<>();
            List<VirtualUser> first = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                names.add(prefix + "-" + i);
                first.add(newSocket(fleet, i, names.get(i)));
            }
            List<String> tokens = target.tokens(names, 32);
            String[] groupIds = new String[groups];
            Accounting.Audience[] audiences = new Accounting.Audience[groups * groupSize]; // by sender: the others
            for (int g = 0; g < groups; g++) {
                groupIds[g] = target.createGroup(tokens.get(g * groupSize), prefix + "-group-" + g,
                        names.subList(g * groupSize + 1, (g + 1) * groupSize));
                for (int sender = g * groupSize; sender < (g + 1) * groupSize; sender++) {
                    int[] others = new int[groupSize - 1];
                    for (int j = g * groupSize, k = 0; j < (g + 1) * groupSize; j++) {
                        if (j != sender) {
                            others[k++] = j;
                        }
                    }
                    audiences[sender] = Accounting.Audience.group(others, users);
                }
            }
            Fleet.ConnectResult connected = fleet.connectAll(first, tokens, 200, 64, Duration.ofSeconds(60));
            if (connected.failed() > 0) {
                throw new IllegalStateException("users failed to connect: " + connected.failures());
            }
            fleet.startAcks(Duration.ofMillis(50));
            fleet.startPings(Duration.ofSeconds(30));
            int[] counters = new int[2 * users];
            awaitGroupsReady(groupIds, audiences, counters);

            MemorySamples memory = new MemorySamples(target.serverPid());
            latency = new LatencyTimeline("send -> msg", System.nanoTime());
            ProcStats.Meter cpu = ProcStats.meter(target.serverPid());
            long t0 = System.nanoTime();
            // One virtual thread per user away: each mostly waits (for its sent, its time away, its connect).
            ExecutorService background = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("bench-soak-", 0).factory());
            var timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "bench-soak-timer");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleAtFixedRate(() -> latency.tick(System.nanoTime()), 1, 1, TimeUnit.SECONDS);
            SplittableRandom random = new SplittableRandom(run.seed);
            long sampleMillis = (long) (sampleInterval * 1000);
            timer.scheduleAtFixedRate(() -> {
                MemorySamples.Sample s = memory.sample((System.nanoTime() - t0) / 1e9, accounting.summary().delivered(),
                        fleet.openCount());
                System.err.printf("soak %5.0f s: heap after GC %.1f MB, RSS %.1f MB, delivered %d, connected %d%n",
                        s.seconds(), s.heapAfterGcBytes() / 1048576, s.rssBytes() / 1048576, s.delivered(), s.connected());
            }, 0, sampleMillis, TimeUnit.MILLISECONDS);
            if (reconnectsPerSecond > 0) {
                SplittableRandom leaving = random.split();
                long every = (long) (1e9 / reconnectsPerSecond);
                timer.scheduleAtFixedRate(() -> {
                    int u = leaving.nextInt(users);
                    if (state.compareAndSet(u, ONLINE, LEAVING)) {
                        boolean abort = leaving.nextBoolean();
                        background.execute(() -> dropAndReturn(fleet, u, names.get(u), tokens.get(u), abort));
                    }
                }, every, every, TimeUnit.NANOSECONDS);
            }

            OpenModelPacer pacer = OpenModelPacer.forDuration(t0, rate, duration);
            for (long k = 0; k < pacer.total(); k++) {
                long due = pacer.intendedNanos(k);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                int from = random.nextInt(users);
                if (state.get(from) != ONLINE) {
                    skippedSends.incrementAndGet(); // picked a user who is away: this send does not happen
                    continue;
                }
                int group = from / groupSize < groups ? from / groupSize : -1;
                String text;
                if (group >= 0 && random.nextDouble() < groupShare) {
                    long key = Accounting.key(users + from, counters[users + from]++);
                    String id = Accounting.wireId(key);
                    accounting.expect(key, audiences[from], due);
                    text = "{\"type\":\"send\",\"id\":\"" + id + "\",\"to\":{\"group\":\"" + groupIds[group]
                            + "\"},\"body\":\"soak\"}";
                    groupMessages.incrementAndGet();
                } else {
                    long key = Accounting.key(from, counters[from]++);
                    String id = Accounting.wireId(key);
                    int to = random.nextInt(users - 1);
                    to = to >= from ? to + 1 : to;
                    accounting.expect(key, Accounting.Audience.single(to), due);
                    text = "{\"type\":\"send\",\"id\":\"" + id + "\",\"to\":{\"user\":\"" + names.get(to) + "\"},\"body\":\"soak\"}";
                }
                inFlight.incrementAndGet(from);
                sockets.get(from).send(text);
            }
            timer.shutdownNow();
            background.shutdown();
            background.awaitTermination(60, TimeUnit.SECONDS); // the last users come back
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            long drainUntil = System.nanoTime() + (long) (drain * 1e9);
            while (accounting.outstanding() > 0 && System.nanoTime() < drainUntil) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            memory.sample((System.nanoTime() - t0) / 1e9, accounting.summary().delivered(), fleet.openCount());
            ProcStats.Cpu used = cpu.stop();
            latency.tick(System.nanoTime());

            Accounting.Summary summary = accounting.summary();
            List<MemorySamples.Trend> trends = memory.trends(Math.min(warmup, loadSeconds / 2), tolerance, 16 << 20, 64 << 20);
            boolean growing = trends.stream().anyMatch(t -> Boolean.FALSE.equals(t.flat()));
            result.put("users", users);
            result.put("rate", rate);
            result.put("duration_seconds", loadSeconds);
            result.put("groups", groups);
            result.put("group_size", groupSize);
            result.put("group_messages", groupMessages.get());
            result.put("reconnects", reconnects.get());
            result.put("aborted_connections", aborts.get());
            result.put("sends_skipped_sender_away", skippedSends.get());
            result.put("drops_postponed_unconfirmed_sends", dropsPostponed.get());
            result.put("accounting", summary.toMap());
            result.put("errors", errors);
            result.put("end_to_end", Percentiles.of(latency.total()).toMap());
            Map<String, Object> trendMap = new LinkedHashMap<>();
            trends.forEach(t -> trendMap.put(t.name().toLowerCase(java.util.Locale.ROOT).replace(' ', '_'), t.toMap()));
            result.put("memory", trendMap);
            result.put("samples", memory.samples().stream().map(MemorySamples.Sample::toMap).toList());
            result.put("cpu", Results.cpuMap(used));
            List<String> table = new ArrayList<>();
            table.add(String.format("%d users, %.0f msg/s for %.0f s (%d group messages in %d groups of %d), %d reconnects"
                            + " (%d without a close), %s", users, rate, loadSeconds, groupMessages.get(), groups, groupSize,
                    reconnects.get(), aborts.get(), target.isEmbedded() ? "embedded stack" : target.httpBase()));
            table.add(Percentiles.header());
            table.add(Percentiles.of(latency.total()).row("send -> msg"));
            table.add(summary.table());
            if (!errors.isEmpty()) {
                table.add("errors: " + errors);
            }
            table.add("memory after " + Math.min(warmup, loadSeconds / 2) + " s of warm-up, " + memory.samples().size()
                    + " samples every " + sampleInterval + " s:");
            table.add(MemorySamples.Trend.header());
            trends.forEach(t -> table.add(t.row()));
            table.add(Results.cpuRow(used));
            Results.write(run, System.out, "soak: " + rate + " msg/s for " + duration + " s", result, table, List.of(latency));
            return summary.clean() && !(failIfGrowing && growing) ? 0 : 1;
        }
    }

    private VirtualUser newSocket(Fleet fleet, int user, String name) {
        VirtualUser socket = fleet.newUser(name, "soak", (u, type, f, now) -> onFrame(user, type, f, now));
        sockets.set(user, socket);
        return socket;
    }

    private void onFrame(int user, String type, JsonNode f, long now) {
        switch (type) {
            case "sent" -> {
                long key = Accounting.parseId(f.path("id").asText(null));
                accounting.sent(key, now);
                inFlight.decrementAndGet(user);
            }
            case "error" -> {
                accounting.error(f, errors);
                if (f.hasNonNull("id")) {
                    inFlight.decrementAndGet(user);
                }
            }
            case "msg" -> {
                if (f.has("system")) {
                    return; // the group's creation and membership, told to its members: not load
                }
                Accounting.Delivery d = accounting.delivered(user, f.path("seq").asLong(),
                        Accounting.parseId(f.path("id").asText(null)), now);
                if (d.counted() && latency != null) {
                    latency.record(d.latencyNanos());
                }
            }
            default -> {
            }
        }
    }

    /** Lets user {@code u} finish what it sent, drops its connection, and brings it back after {@code --offline}. */
    private void dropAndReturn(Fleet fleet, int u, String name, String token, boolean abort) {
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (inFlight.get(u) > 0 && System.nanoTime() < until) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            if (inFlight.get(u) > 0) {
                // Its frames wait unwritten or unconfirmed (the server lags): dropping now would lose them here,
                // in the generator, and count against the system. Stay; another user drops off instead.
                dropsPostponed.incrementAndGet();
                state.set(u, ONLINE);
                return;
            }
            VirtualUser old = sockets.get(u);
            state.set(u, AWAY);
            if (abort) {
                aborts.incrementAndGet();
                old.abort();
            } else {
                old.close().get(10, TimeUnit.SECONDS);
            }
            Thread.sleep((long) (offline * 1000));
            for (int attempt = 1; ; attempt++) {
                VirtualUser back = newSocket(fleet, u, name);
                try {
                    fleet.connect(back, token).get(30, TimeUnit.SECONDS);
                    break;
                } catch (Exception e) {
                    back.abort();
                    if (attempt == 5) {
                        System.err.println("user " + name + " could not connect again: " + e);
                        return;
                    }
                    Thread.sleep(1000L * attempt); // e.g. 429 while the edge still counts the old connection
                }
            }
            reconnects.incrementAndGet();
            state.set(u, ONLINE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            System.err.println("reconnect of " + name + " failed: " + e);
        }
    }

    /** One probe per group until every member has one: membership travels the database, CDC and the group job. */
    private void awaitGroupsReady(String[] groupIds, Accounting.Audience[] audiences, int[] counters) {
        long until = System.nanoTime() + (long) (readyTimeout * 1e9);
        while (groups > 0) {
            Accounting.Summary before = accounting.summary();
            for (int g = 0; g < groups; g++) {
                int sender = g * groupSize;
                long key = Accounting.key(users + sender, counters[users + sender]++);
                accounting.expect(key, audiences[sender], System.nanoTime());
                inFlight.incrementAndGet(sender);
                sockets.get(sender).send("{\"type\":\"send\",\"id\":\"" + Accounting.wireId(key) + "\",\"to\":{\"group\":\""
                        + groupIds[g] + "\"},\"body\":\"probe\"}");
            }
            long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (accounting.outstanding() > 0 && System.nanoTime() < wait) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            Accounting.Summary after = accounting.summary();
            // Every group's probe reached all members; a probe refused (not_member: the membership had not
            // arrived yet) does not count.
            if (accounting.outstanding() == 0 && after.completed() - before.completed() == groups) {
                errors.clear();
                return;
            }
            if (System.nanoTime() > until) {
                throw new IllegalStateException("group membership did not reach the group job within " + readyTimeout + " s");
            }
        }
    }
}
