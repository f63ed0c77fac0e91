package io.pipechat.notifier.push;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded retries with exponential backoff: attempt {@code n} (1-based) that failed transiently is
 * followed, unless it was the last, by a pause of {@code initialBackoff * 2^(n-1)} scaled by a random
 * factor in [0.5, 1] (so many failed pushes do not come back at once), at least the push service's
 * {@code Retry-After}, and at most {@code maxBackoff}.
 *
 * @param maxAttempts    attempts per push, the first included (at least 1)
 * @param initialBackoff pause after the first failure
 * @param maxBackoff     longest pause, also the cap on {@code Retry-After}
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff, got " + initialBackoff
                    + " and " + maxBackoff);
        }
    }

    /** The pause after failed attempt {@code attempt} (1-based). */
    public Duration delay(int attempt, Optional<Duration> retryAfter) {
        long base = initialBackoff.toMillis() << Math.min(attempt - 1, 30);
        if (base < 0 || base > maxBackoff.toMillis()) {
            base = maxBackoff.toMillis();
        }
        long jittered = (long) (base * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()));
        long wanted = Math.max(jittered, retryAfter.map(Duration::toMillis).orElse(0L));
        return Duration.ofMillis(Math.min(wanted, maxBackoff.toMillis()));
    }
}
