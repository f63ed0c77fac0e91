package io.pipechat.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Stats.median(new double[] {5, 1, 3})).isEqualTo(3);
        assertThat(Stats.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(Stats.median(new double[] {7})).isEqualTo(7);
        assertThat(Stats.median(new double[0])).isNaN();
    }
}
