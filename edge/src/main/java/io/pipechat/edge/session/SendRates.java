package io.pipechat.edge.session;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@code send} bucket per user on this edge, shared by all of the user's connections, so that
 * opening more connections does not multiply what a user may send. A bucket lives while the user
 * has a session here.
 */
public final class SendRates {
    private final Map<String, FrameRate> byUser = new ConcurrentHashMap<>();
    private final double perSecond;
    private final int burst;

    public SendRates(double perSecond, int burst) {
        this.perSecond = perSecond;
        this.burst = burst;
    }

    boolean tryAcquire(String user) {
        FrameRate bucket = byUser.computeIfAbsent(user, u -> new FrameRate(perSecond, burst));
        synchronized (bucket) {
            return bucket.tryAcquire();
        }
    }

    /** The user's last session here ended. */
    void forget(String user) {
        byUser.remove(user);
    }
}
