package io.pipechat.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link CdcContract} on the embedded engine ({@link CdcEngine}), and what only the engine has to get right. */
class CdcIT extends CdcContract {

    /** The engine with what it wrote, for {@link #afterRestart}. */
    private record Engine(CdcEngine engine) implements Capture {
        @Override
        public void close() {
            engine.close();
        }
    }

    @Override
    protected Capture start(CdcConfig config) {
        CdcEngine engine = CdcEngine.start(config);
        engine.awaitStarted(WAIT);
        return new Engine(engine);
    }

    @Override
    protected void afterRestart(Capture capture, int changes) {
        assertThat(((Engine) capture).engine().eventsWritten()).isEqualTo(changes);
    }

    @Override
    protected void afterStop(CdcConfig config, EmbeddedKafka kafka) throws Exception {
        try (var admin = kafka.admin()) {
            assertThat(admin.listTopics().names().get()).contains(config.offsetsTopic());
        }
        String offsetsAdmin = KafkaOffsetStore.adminClientId(config.name());
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .as("no client thread of the stopped engines is left").noneMatch(n -> n.contains(offsetsAdmin));
    }

    @Test
    void closeReturnsWhenTheEngineCannotReachTheDatabase(EmbeddedKafka kafka, EmbeddedMariaDb db) throws Exception {
        CdcConfig config = freshSetup(kafka, db);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        CdcConfig unreachable = config.withDatabase("127.0.0.1", closedPort, "root", "", config.database());
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            CdcEngine engine = CdcEngine.start(unreachable);
            try {
                assertThatThrownBy(() -> engine.awaitStarted(Duration.ofSeconds(30)))
                        .isInstanceOf(IllegalStateException.class);
                assertThat(engine.stopped().get()).hasValueSatisfying(
                        failure -> assertThat(failure).hasMessageContaining("database is unreachable"));
                assertThat(engine.isRunning()).isFalse();
            } finally {
                engine.close();
            }
        });
    }

}
