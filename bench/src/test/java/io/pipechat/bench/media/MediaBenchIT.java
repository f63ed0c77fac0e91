package io.pipechat.bench.media;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.bench.BenchRun;
import org.junit.jupiter.api.Test;

/** The media scenario runs end to end against an in-process server (no timing asserted). */
class MediaBenchIT {
    @Test
    void embeddedRunPrintsMediansAndSucceeds() {
        BenchRun run = BenchRun.of("media", "--embedded", "--size-mib", "1", "--count", "2", "--warmup", "0");
        String out = run.out();
        assertThat(run.exitCode()).as(out).isZero();
        assertThat(out).contains("upload   PUT", "download GET", "dedup HEAD of stored blob", "MiB/s");
    }

    @Test
    void withoutCredentialsItRefusesToRun() {
        assertThat(BenchRun.of("media", "--url", "http://127.0.0.1:1").exitCode()).isEqualTo(2);
    }
}
