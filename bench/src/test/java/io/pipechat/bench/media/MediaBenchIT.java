package io.pipechat.bench.media;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.bench.BenchMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The media scenario runs end to end against an in-process server (no timing asserted). */
class MediaBenchIT {
    @Test
    void embeddedRunPrintsMediansAndSucceeds() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = new CommandLine(new BenchMain()).execute("media", "--embedded", "--size-mib", "1",
                    "--count", "2", "--warmup", "0");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        assertThat(out).contains("upload   PUT", "download GET", "dedup HEAD of stored blob", "MiB/s");
    }

    @Test
    void withoutCredentialsItRefusesToRun() {
        int code = new CommandLine(new BenchMain()).execute("media", "--url", "http://127.0.0.1:1");
        assertThat(code).isEqualTo(2);
    }
}
