package io.pipechat.notifier;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notifier as the service image runs it: its jar and its runtime dependencies only (no test
 * scope), in a JVM of its own, configured by environment variables. It logs through logback, in the
 * format {@code LOG_FORMAT} asks for. The database is unreachable, so it logs why it cannot start and
 * exits with status 1.
 */
class NotifierLoggingIT {

    @TempDir
    Path dataDir;

    @Test
    void logsJsonLinesWhenLogFormatIsJsonAndExitsNonZeroWhenItCannotStart() throws Exception {
        Run run = runMain(Map.of("LOG_FORMAT", "json"));

        assertThat(run.exit()).isEqualTo(NotifierMain.FAILED);
        assertThat(run.stdout()).as("log lines on stdout").isNotEmpty();
        List<JsonNode> events = new ArrayList<>();
        for (String line : run.stdout()) {
            events.add(Json.MAPPER.readTree(line)); // throws on a line that is not JSON
        }
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("level").asText()).isEqualTo("ERROR");
            assertThat(e.get("loggerName").asText()).isEqualTo(NotifierMain.class.getName());
            assertThat(e.get("formattedMessage").asText()).isEqualTo("the notifier cannot start");
            assertThat(e.get("throwable").get("className").asText()).isNotBlank();
        });
    }

    @Test
    void logsPlainLinesByDefault() throws Exception {
        Run run = runMain(Map.of());

        assertThat(run.exit()).isEqualTo(NotifierMain.FAILED);
        assertThat(run.stdout()).anySatisfy(line ->
                assertThat(line).contains("ERROR", "io.pipechat.notifier.NotifierMain", "the notifier cannot start"));
    }

    private record Run(int exit, List<String> stdout, String stderr) {
    }

    private Run runMain(Map<String, String> env) throws IOException, InterruptedException {
        Path target = Path.of("target");
        String jar;
        try (var files = Files.list(target)) {
            jar = files.map(Path::toString)
                    .filter(f -> f.matches(".*/notifier-[^/]*\\.jar") && !f.endsWith("-tests.jar") && !f.endsWith("-sources.jar"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no notifier jar in target: run mvn verify"));
        }
        String classpath = jar + java.io.File.pathSeparator
                + Files.readString(target.resolve("runtime-classpath.txt")).strip();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, NotifierMain.class.getName())
                .redirectOutput(dataDir.resolve("stdout").toFile())
                .redirectError(dataDir.resolve("stderr").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("NOTIFIER_") || k.startsWith("LOG_"));
        pb.environment().putAll(env);
        pb.environment().put("NOTIFIER_DB_URL", "jdbc:mariadb://127.0.0.1:1/chat?connectTimeout=2000");
        pb.environment().put("NOTIFIER_DATA_DIR", dataDir.toString());
        pb.environment().put("NOTIFIER_HTTP_PORT", "-1");
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("the notifier did not exit");
        }
        List<String> out = Files.readAllLines(dataDir.resolve("stdout")).stream().filter(l -> !l.isBlank()).toList();
        String err = Files.readString(dataDir.resolve("stderr"));
        System.out.println("stdout:\n" + String.join("\n", out) + "\nstderr:\n" + err);
        return new Run(p.exitValue(), out, err);
    }
}
