package io.pipechat.assets.hot;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HotTierTest {
    private final AtomicLong now = new AtomicLong();
    private final HotTier tier = new HotTier(3, Duration.ofSeconds(10), 1_000, now::get);

    @Test
    void anIdBecomesHotAtTheThresholdWithinOneWindow() {
        assertThat(tier.recordRequest("a")).isFalse();
        assertThat(tier.recordRequest("a")).isFalse();
        assertThat(tier.recordRequest("a")).isTrue();
        assertThat(tier.recordRequest("b")).isFalse();
    }

    @Test
    void requestsInAnExpiredWindowDoNotCount() {
        tier.recordRequest("a");
        tier.recordRequest("a");
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        assertThat(tier.recordRequest("a")).isFalse();
    }

    @Test
    void theCacheStaysWithinItsCapacityEvictingTheLeastRecentlyUsed() {
        tier.put("a", new byte[250]);
        tier.put("b", new byte[250]);
        tier.put("c", new byte[250]);
        tier.get("a");
        tier.put("d", new byte[250]);
        tier.put("e", new byte[250]);
        assertThat(tier.cachedBytes()).isLessThanOrEqualTo(1_000);
        assertThat(tier.get("a")).isNotNull();
        assertThat(tier.get("b")).isNull();
        assertThat(tier.get("e")).isNotNull();
    }

    @Test
    void blobsLargerThanAQuarterOfTheCapacityAreNeverCached() {
        assertThat(tier.admits(250)).isTrue();
        assertThat(tier.admits(251)).isFalse();
        tier.put("big", new byte[251]);
        assertThat(tier.get("big")).isNull();
        assertThat(tier.cachedBytes()).isZero();
    }

    @Test
    void requestTrackingStaysBoundedUnderManyDistinctIds() {
        for (int i = 0; i < 3 * HotTier.MAX_TRACKED; i++) {
            tier.recordRequest("id" + i);
            assertThat(tier.trackedIds()).isLessThanOrEqualTo(HotTier.MAX_TRACKED + 1);
        }
    }
}
