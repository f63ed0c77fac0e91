package io.pipechat.edge.session;

/**
 * Token bucket for one connection's incoming frames: {@code rate} per second sustained, {@code
 * burst} at once. Used by one connection's reader thread only.
 */
final class FrameRate {
    private final double rate;
    private final double burst;
    private double tokens;
    private long last;

    FrameRate(double rate, int burst) {
        this.rate = rate;
        this.burst = burst;
        this.tokens = burst;
        this.last = System.nanoTime();
    }

    boolean tryAcquire() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - last) * rate / 1e9);
        last = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
