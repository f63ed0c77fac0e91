package io.pipechat.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatencyTimelineTest {
    @Test
    void percentilesComeFromTheHistogramWithinItsPrecision() {
        LatencyTimeline t = new LatencyTimeline("e2e", 0);
        for (int ms = 1; ms <= 1000; ms++) {
            t.record(ms * 1_000_000L);
        }
        t.tick(1_000_000_000L);
        Percentiles p = Percentiles.of(t.total());
        assertThat(p.count()).isEqualTo(1000);
        assertThat(p.p50Ms()).isCloseTo(500, within(0.5));
        assertThat(p.p99Ms()).isCloseTo(990, within(1.0));
        assertThat(p.p999Ms()).isCloseTo(999, within(1.0));
        assertThat(p.maxMs()).isCloseTo(1000, within(1.0));
    }

    @Test
    void eachTickIsOnePointOfTheTimelineAndTheTotalAddsThemUp() {
        LatencyTimeline t = new LatencyTimeline("e2e", 0);
        for (int i = 0; i < 100; i++) {
            t.record(5_000_000L);
        }
        t.tick(1_000_000_000L);
        t.tick(2_000_000_000L); // an empty second draws no point
        t.record(2_000_000_000L);
        t.tick(3_000_000_000L);
        assertThat(t.points()).hasSize(2);
        assertThat(t.points().get(0).p99Ms()).isCloseTo(5, within(0.01));
        assertThat(t.points().get(1).second()).isEqualTo(3.0);
        assertThat(t.points().get(1).maxMs()).isCloseTo(2000, within(2.0));
        assertThat(t.total().getTotalCount()).isEqualTo(101);
    }

    @Test
    void anEmptyHistogramHasNoPercentiles() {
        assertThat(Percentiles.of(new LatencyTimeline("x", 0).total()).p99Ms()).isNaN();
    }
}
