package io.pipechat.bench.direct;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.bench.BenchRun;
import io.pipechat.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code direct} and {@code offline} run briefly against the whole stack started in-process
 * ({@code --embedded}); their accounting must say nothing was lost, duplicated or reordered. No
 * timing is asserted.
 */
class DirectOfflineIT {
    @TempDir
    Path dir;

    @Test
    void directAndOfflineAccountForEveryMessage() throws Exception {
        Path direct = dir.resolve("direct.json");
        Path report = dir.resolve("direct.html");
        String out = run("direct", "--embedded", "-u", "20", "-r", "100", "-d", "3", "--warmup", "1",
                "--out", direct.toString(), "--report", report.toString());
        JsonNode d = Json.MAPPER.readTree(direct.toFile());
        assertThat(d.at("/accounting/messages").asLong()).as(out).isEqualTo(300);
        assertThat(d.at("/accounting/delivered").asLong()).as(out).isEqualTo(300);
        assertThat(d.at("/accounting/lost").asLong()).as(out).isZero();
        assertThat(d.at("/accounting/duplicate_id").asLong()).isZero();
        assertThat(d.at("/accounting/reordered").asLong()).isZero();
        assertThat(d.at("/end_to_end/count").asLong()).isEqualTo(300);
        assertThat(out).contains("send -> msg", "CLEAN");
        assertThat(Files.readString(report)).contains("<svg");

        Path offline = dir.resolve("offline.json");
        out = run("offline", "--embedded", "-m", "300", "--rounds", "2", "--settle", "1", "--out", offline.toString());
        JsonNode o = Json.MAPPER.readTree(offline.toFile());
        assertThat(o.at("/accounting/delivered").asLong()).as(out).isEqualTo(600);
        assertThat(o.at("/accounting/lost").asLong()).as(out).isZero();
        assertThat(o.at("/accounting/duplicate_id").asLong()).isZero();
        assertThat(o.at("/rounds/1/received").asInt()).isEqualTo(300);
        assertThat(o.at("/median/all_received_ms").asDouble()).isPositive();
    }

    private static String run(String... args) {
        BenchRun run = BenchRun.of(args);
        assertThat(run.exitCode()).as(run.out()).isZero();
        return run.out();
    }
}
