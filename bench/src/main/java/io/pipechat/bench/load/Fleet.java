package io.pipechat.bench.load;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Many {@link VirtualUser}s on a few JDK HTTP clients: one per loopback source address
 * ({@code 127.0.0.1}, {@code 127.0.0.2}, ...; each gives its own ephemeral port range), sharing
 * a small executor ({@code bench-ws-*} threads) that runs every socket's callbacks, and one timer
 * thread ({@code bench-timer}) for acks and pings. The process's open-file limit is the ceiling
 * (one descriptor per socket).
 */
public final class Fleet implements AutoCloseable {
    /** How a connect phase went. */
    public record ConnectResult(int attempted, int connected, int failed, double seconds, Map<String, Integer> failures,
                                Percentiles handshake) {
    }

    private final Target target;
    private final List<HttpClient> clients = new ArrayList<>();
    private final ExecutorService executor;
    private final ScheduledExecutorService timer;
    private final List<VirtualUser> users = new ArrayList<>();
    private final VirtualUser.Counters counters = new VirtualUser.Counters();
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();

    public Fleet(Target target, int sourceAddresses, int threads) {
        this.target = target;
        this.executor = Executors.newFixedThreadPool(threads, named("bench-ws-"));
        this.timer = Executors.newSingleThreadScheduledExecutor(named("bench-timer-"));
        for (int i = 0; i < Math.max(1, sourceAddresses); i++) {
            HttpClient.Builder b = HttpClient.newBuilder().executor(executor).connectTimeout(Duration.ofSeconds(30));
            if (sourceAddresses > 1) {
                try {
                    b.localAddress(InetAddress.getByName("127.0.0." + (i + 1)));
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
            clients.add(b.build());
        }
    }

    static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public VirtualUser.Counters counters() {
        return counters;
    }

    public List<VirtualUser> users() {
        return users;
    }

    public ScheduledExecutorService timer() {
        return timer;
    }

    /** A user of this fleet (not connected yet). */
    public VirtualUser newUser(String user, String device, VirtualUser.Handler handler) {
        VirtualUser u = new VirtualUser(users.size(), user, device, counters, handler);
        users.add(u);
        return u;
    }

    /** Opens one user's socket and waits for nothing; completes with the user when {@code welcome} arrived. */
    public CompletableFuture<VirtualUser> connect(VirtualUser u, String token) {
        HttpClient c = clients.get(u.index() % clients.size());
        return c.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30))
                .buildAsync(target.webSocket(token, u.device()), u)
                .thenCompose(ws -> u.welcome()).thenApply(w -> u);
    }

    /**
     * Connects {@code users} (with {@code tokens}, same order) at {@code ratePerSecond} (open model;
     * at most {@code maxInFlight} handshakes at once), waiting up to {@code timeout} for the last.
     */
    public ConnectResult connectAll(List<VirtualUser> batch, List<String> tokens, double ratePerSecond, int maxInFlight,
                                    Duration timeout) {
        Semaphore inFlight = new Semaphore(maxInFlight);
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        LongAdder ok = new LongAdder();
        LatencyTimeline handshakes = new LatencyTimeline("handshake", System.nanoTime());
        List<CompletableFuture<?>> all = new ArrayList<>(batch.size());
        long t0 = System.nanoTime();
        OpenModelPacer pacer = new OpenModelPacer(t0, ratePerSecond, batch.size());
        for (int k = 0; k < batch.size(); k++) {
            long due = pacer.intendedNanos(k);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            inFlight.acquireUninterruptibly();
            VirtualUser u = batch.get(k);
            all.add(connect(u, tokens.get(k)).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
                inFlight.release();
                if (e == null) {
                    ok.increment();
                    handshakes.record(System.nanoTime() - due);
                } else {
                    Throwable c = e;
                    while (c.getCause() != null && c != c.getCause()) {
                        c = c.getCause();
                    }
                    String reason = c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
                    failures.merge(reason.length() > 120 ? reason.substring(0, 120) : reason, 1, Integer::sum);
                }
            }));
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // counted per connection
        }
        handshakes.tick(System.nanoTime());
        int connected = (int) ok.sum();
        return new ConnectResult(batch.size(), connected, batch.size() - connected, (System.nanoTime() - t0) / 1e9,
                new TreeMap<>(failures), Percentiles.of(handshakes.total()));
    }

    /** Every {@code every}, each connected user sends its cumulative {@code ack} if it got something new. */
    public void startAcks(Duration every) {
        tasks.add(timer.scheduleWithFixedDelay(() -> {
            for (int i = 0; i < users.size(); i++) {
                users.get(i).flushAck();
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** Pings every connected user once per {@code every}, spread evenly over the interval. */
    public void startPings(Duration every) {
        long slices = 20;
        AtomicInteger slice = new AtomicInteger();
        long period = Math.max(1, every.toMillis() / slices);
        tasks.add(timer.scheduleAtFixedRate(() -> {
            int s = (int) (slice.getAndIncrement() % slices);
            for (int i = s; i < users.size(); i += (int) slices) {
                users.get(i).ping();
            }
        }, period, period, TimeUnit.MILLISECONDS));
    }

    /** Users whose socket is open now. */
    public int openCount() {
        int n = 0;
        for (VirtualUser u : users) {
            if (u.open()) {
                n++;
            }
        }
        return n;
    }

    /** Closes every socket (waiting up to {@code wait} for the close handshakes), stops the timer and the clients. */
    public void closeAll(Duration wait) {
        tasks.forEach(t -> t.cancel(false));
        List<CompletableFuture<?>> closing = new ArrayList<>();
        for (VirtualUser u : users) {
            closing.add(u.close());
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // abort what is left
        }
        for (VirtualUser u : users) {
            if (!u.closed().isDone()) {
                u.abort();
            }
        }
    }

    @Override
    public void close() {
        closeAll(Duration.ofSeconds(10));
        timer.shutdownNow();
        clients.forEach(HttpClient::shutdownNow);
        executor.shutdownNow();
    }
}
