package io.pipechat.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.bench.BenchRun;
import io.pipechat.protocol.Json;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code soak} for a few seconds against the whole stack started in-process: with users dropping off
 * and coming back and group messages among the direct ones, the accounting must be clean, and the
 * memory samples and their verdict must be in the result. No timing or memory figure is asserted.
 */
class SoakIT {
    @TempDir
    Path dir;

    @Test
    void aShortSoakWithReconnectsAndGroupsLosesNothingAndSamplesMemory() throws Exception {
        Path out = dir.resolve("soak.json");
        BenchRun run = BenchRun.of("soak", "--embedded", "-u", "24", "-r", "24", "-d", "12", "--groups", "2",
                "--group-size", "4", "--group-share", "0.5", "--reconnects-per-second", "2", "--offline", "1",
                "--sample-interval", "2", "--warmup", "2", "--drain", "30", "--out", out.toString());
        assertThat(run.exitCode()).as(run.out()).isZero();
        JsonNode r = Json.MAPPER.readTree(out.toFile());
        assertThat(r.at("/accounting/clean").asBoolean()).as(run.out()).isTrue();
        assertThat(r.at("/accounting/lost").asLong()).isZero();
        assertThat(r.at("/accounting/delivered").asLong()).isPositive();
        assertThat(r.at("/group_messages").asLong()).isPositive();
        assertThat(r.at("/reconnects").asLong()).as("users came back").isPositive();
        assertThat(r.at("/aborted_connections").asLong()).as("some without a close handshake").isPositive();
        assertThat(r.at("/samples").size()).isGreaterThanOrEqualTo(3);
        assertThat(r.at("/samples/0/heap_after_gc_bytes").asDouble()).isPositive();
        assertThat(r.at("/samples/0/rss_bytes").asDouble()).isPositive();
        assertThat(r.at("/memory/heap_after_gc/samples").asInt()).isPositive();
        assertThat(r.at("/memory/rss/slope_bytes_per_hour").isNumber()).isTrue();
        assertThat(run.out()).contains("heap after GC", "RSS", "CLEAN");
    }
}
