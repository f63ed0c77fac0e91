package io.pipechat.edge.session;

import io.helidon.config.Config;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.pipechat.edge.auth.Errors;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Connection attempts on {@code /v1/ws} per client address ({@link ClientAddresses}): a token bucket
 * each, {@code perSecond} sustained and {@code burst} at once; an attempt beyond it gets 429 before the
 * upgrade, before its token is even looked at. Every attempt counts, refused ones too, so a host that
 * keeps trying stays refused. Clients on this host (loopback) are not counted unless configured to be.
 * An HTTP filter, because the WebSocket listener is not told the peer's
 * address; Helidon runs filters before it upgrades.
 *
 * <p>Memory: a bucket that has not been used for long enough to be full again is the same as a new
 * one, so buckets idle for {@code burst / perSecond} seconds are dropped (at most every
 * {@link #SWEEP_NANOS}). Beyond {@code maxAddresses} buckets even then (a flood from very many
 * addresses) new addresses are refused as well until the old ones are swept.
 */
public final class ConnectionAttempts implements Filter {
    static final String PATH = "/v1/ws";
    private static final long SWEEP_NANOS = 10_000_000_000L;

    private record Bucket(FrameRate rate, AtomicLong lastUsed) {
    }

    private final Map<String, Bucket> byAddress = new ConcurrentHashMap<>();
    private final ClientAddresses addresses;
    private final double perSecond;
    private final int burst;
    private final int maxAddresses;
    private final long idleNanos;
    private final Runnable onRefused;
    private final boolean exemptLoopback;
    private final LongSupplier clock;
    private final AtomicLong lastSweep;

    /**
     * @param trustedProxies {@code edge.trusted-proxies}, see {@link ClientAddresses}
     * @param exemptLoopback a client on this host (the TCP peer is a loopback address, and no trusted proxy
     *                       names another client) is not counted: tests, tools and load generators
     * @param onRefused      counts a refused attempt
     */
    public ConnectionAttempts(double perSecond, int burst, int maxAddresses, String trustedProxies, boolean exemptLoopback,
                              Runnable onRefused) {
        this(perSecond, burst, maxAddresses, trustedProxies, exemptLoopback, onRefused, System::nanoTime);
    }

    /** @param clock {@link System#nanoTime()}, for when buckets are swept */
    ConnectionAttempts(double perSecond, int burst, int maxAddresses, String trustedProxies, boolean exemptLoopback,
                       Runnable onRefused, LongSupplier clock) {
        this.exemptLoopback = exemptLoopback;
        this.clock = clock;
        this.lastSweep = new AtomicLong(clock.getAsLong());
        this.addresses = ClientAddresses.of(trustedProxies);
        this.perSecond = perSecond;
        this.burst = burst;
        this.maxAddresses = maxAddresses;
        this.idleNanos = (long) (burst / perSecond * 1e9);
        this.onRefused = onRefused;
    }

    /**
     * From the edge's configuration ({@code edge} section): {@code rate.connection-attempts-per-second}
     * (default 10), {@code rate.connection-attempt-burst} (100), {@code rate.connection-attempt-addresses}
     * (100,000), {@code rate.connection-attempts-exempt-loopback} (true) and {@code trusted-proxies} (none).
     */
    public static ConnectionAttempts from(Config edge, Runnable onRefused) {
        return new ConnectionAttempts(edge.get("rate.connection-attempts-per-second").asDouble().orElse(10.0),
                edge.get("rate.connection-attempt-burst").asInt().orElse(100),
                edge.get("rate.connection-attempt-addresses").asInt().orElse(100_000),
                edge.get("trusted-proxies").asString().orElse(""),
                edge.get("rate.connection-attempts-exempt-loopback").asBoolean().orElse(true), onRefused);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (!PATH.equals(req.path().path()) || !(req.remotePeer().address() instanceof InetSocketAddress peer)) {
            chain.proceed();
            return;
        }
        InetAddress address = peer.getAddress();
        String client = addresses.clientOf(address, req.headers());
        if (exemptLoopback && address.isLoopbackAddress() && client.equals(ClientAddresses.key(address))
                || tryAcquire(client)) {
            chain.proceed();
            return;
        }
        onRefused.run();
        res.header("Retry-After", Long.toString(Math.max(1, (long) Math.ceil(1 / perSecond))));
        Errors.send(res, Status.TOO_MANY_REQUESTS_429, "rate_limited", "too many connection attempts from this address");
    }

    boolean tryAcquire(String client) {
        long now = clock.getAsLong();
        sweep(now);
        Bucket bucket = byAddress.get(client);
        if (bucket == null) {
            if (byAddress.size() >= maxAddresses) {
                return false;
            }
            bucket = byAddress.computeIfAbsent(client, c -> new Bucket(new FrameRate(perSecond, burst), new AtomicLong()));
        }
        bucket.lastUsed().set(now);
        synchronized (bucket) {
            return bucket.rate().tryAcquire();
        }
    }

    int trackedAddresses() {
        return byAddress.size();
    }

    private void sweep(long now) {
        long last = lastSweep.get();
        boolean due = now - last > SWEEP_NANOS || byAddress.size() >= maxAddresses && now - last > SWEEP_NANOS / 100;
        if (!due || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        for (Iterator<Bucket> it = byAddress.values().iterator(); it.hasNext(); ) {
            if (now - it.next().lastUsed().get() > idleNanos) {
                it.remove();
            }
        }
    }
}
