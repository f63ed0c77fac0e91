package io.pipechat.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OpenModelPacerTest {
    @Test
    void intendedTimesAreEvenlySpacedFromTheStart() {
        OpenModelPacer p = new OpenModelPacer(1_000, 1000, 10);
        assertThat(p.intendedNanos(0)).isEqualTo(1_000);
        assertThat(p.intendedNanos(1)).isEqualTo(1_001_000);
        assertThat(p.intendedNanos(9)).isEqualTo(9_001_000);
        assertThat(p.endNanos()).isEqualTo(9_001_000);
    }

    @Test
    void dueCountsSendsWhoseTimeHasComeAndNeverMore() {
        OpenModelPacer p = new OpenModelPacer(0, 3, 100); // every 333,333,333 ns
        assertThat(p.dueBy(-1)).isZero();
        assertThat(p.dueBy(0)).isEqualTo(1);
        assertThat(p.dueBy(333_333_332)).isEqualTo(1);
        assertThat(p.dueBy(333_333_333)).isEqualTo(2);
        assertThat(p.dueBy(1_000_000_000)).isEqualTo(4);
        for (long t = 0; t < 5_000_000_000L; t += 7_777_777) {
            long due = p.dueBy(t);
            assertThat(p.intendedNanos(due - 1)).isLessThanOrEqualTo(t);
            if (due < p.total()) {
                assertThat(p.intendedNanos(due)).isGreaterThan(t);
            }
        }
    }

    @Test
    void aLaggingGeneratorOwesEverySendItMissedAndTheirIntendedTimesStayPut() {
        // the generator stalls 2 s at 500/s: on waking it owes 1001 sends, each measured from its own slot
        OpenModelPacer p = OpenModelPacer.forDuration(0, 500, 10);
        assertThat(p.total()).isEqualTo(5000);
        assertThat(p.dueBy(2_000_000_000L)).isEqualTo(1001);
        assertThat(p.intendedNanos(500)).isEqualTo(1_000_000_000L);
        assertThat(p.dueBy(Long.MAX_VALUE / 2)).as("never more than the total").isEqualTo(5000);
    }

    @Test
    void aRateMustBePositive() {
        assertThatThrownBy(() -> new OpenModelPacer(0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OpenModelPacer(0, 1, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
