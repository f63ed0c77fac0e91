package io.pipechat.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemorySamplesTest {

    @Test
    void readsTheHeapInUseOfG1AndOfGenerationalCollectorsWithoutMetaspace() {
        assertThat(MemorySamples.heapUsed("""
                12026:
                garbage-first heap   total reserved 6172672K, committed 192512K, used 43901K [0x0000000687400000, 0x0000000800000000)
                 region size 4096K, 0 young (0K), 0 survivors (0K)
                 Metaspace       used 9132K, committed 9408K, reserved 1114112K
                """)).isEqualTo(43901 * 1024.0);
        assertThat(MemorySamples.heapUsed("""
                 PSYoungGen      total 113152K, used 61339K [0x0000000782700000, 0x000000078a500000, 0x0000000800000000)
                  eden space 97280K, 63% used [0x0000000782700000,0x00000007862e6f38,0x0000000788600000)
                 ParOldGen       total 258048K, used 100K [0x0000000687400000, 0x0000000697000000, 0x0000000782700000)
                 Metaspace       used 9132K, committed 9408K, reserved 1114112K
                  class space    used 1095K, committed 1216K, reserved 1048576K
                """)).isEqualTo((61339 + 100) * 1024.0);
        assertThat(MemorySamples.heapUsed(" ZHeap           used 30M, capacity 256M, max capacity 4096M")).isEqualTo(30 * 1048576.0);
        assertThat(MemorySamples.heapUsed("Unable to open socket file")).isNaN();
    }

    @Test
    void aSeriesIsFlatUnlessItGrowsByMoreThanTheToleranceOverTheWindow() {
        assertThat(trend(100, 0).flat()).isTrue();
        assertThat(trend(100, 0.2).flat()).as("+20% of the mean").isFalse();
        assertThat(trend(100, -0.3).flat()).as("shrinking").isTrue();
        assertThat(MemorySamples.trend("heap", samples(100, 0.2).subList(0, 4), MemorySamples.Sample::heapAfterGcBytes,
                0.1, 0).flat()).as("too few samples").isNull();
    }

    private static MemorySamples.Trend trend(double megabytes, double growth) {
        return MemorySamples.trend("heap", samples(megabytes, growth), MemorySamples.Sample::heapAfterGcBytes, 0.1, 0);
    }

    /** Ten samples rising linearly by {@code growth} (a share of {@code megabytes}) from first to last. */
    private static List<MemorySamples.Sample> samples(double megabytes, double growth) {
        List<MemorySamples.Sample> out = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            double v = megabytes * 1048576 * (1 + growth * i / 9);
            out.add(new MemorySamples.Sample(i * 30, v, v, 0, 0));
        }
        return out;
    }
}
