package io.pipechat.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConnectionAttemptsTest {

    @Test
    void bucketsOfIdleAddressesAreDroppedAndNewAddressesWaitWhileTheTableIsFull() {
        AtomicLong now = new AtomicLong();
        // Full again after 1 s unused; 2 addresses at most.
        ConnectionAttempts attempts = new ConnectionAttempts(1, 1, 2, "", false, () -> { }, now::get);
        assertThat(attempts.tryAcquire("a")).isTrue();
        assertThat(attempts.tryAcquire("b")).isTrue();
        assertThat(attempts.tryAcquire("c")).as("table full").isFalse();
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(attempts.tryAcquire("c")).as("a and b idle long enough to be dropped").isTrue();
        assertThat(attempts.trackedAddresses()).isEqualTo(1);
    }

    @Test
    void bucketsUsedRecentlyAreKept() {
        AtomicLong now = new AtomicLong();
        ConnectionAttempts attempts = new ConnectionAttempts(1, 5, 100, "", false, () -> { }, now::get);
        attempts.tryAcquire("a");
        now.addAndGet(Duration.ofSeconds(8).toNanos());
        attempts.tryAcquire("b");
        now.addAndGet(Duration.ofSeconds(3).toNanos()); // a sweep is due: a idle 11 s (> 5 s to refill), b 3 s
        attempts.tryAcquire("c");
        assertThat(attempts.trackedAddresses()).as("b and c").isEqualTo(2);
    }
}
