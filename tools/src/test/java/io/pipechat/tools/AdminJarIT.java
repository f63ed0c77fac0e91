package io.pipechat.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.events.UserEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * pipechat-admin as the README runs it: {@code java -jar target/tools-*.jar} with its {@code lib/}
 * directory, in a JVM of its own, against a real broker. Its stdout must be only records, so that
 * {@code | jq} works; logging goes to stderr.
 */
@ExtendWith(KafkaExtension.class)
class AdminJarIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void replayToStdoutPrintsOnlyJsonRecords(EmbeddedKafka kafka) throws Exception {
        String topic = "jar" + UUID.randomUUID().toString().substring(0, 8);
        kafka.createTopics(List.of(new NewTopic(topic, 2, (short) 1)));
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new StringSerializer(), JsonSerde.<UserEvent>serializer())) {
            for (int i = 0; i < 6; i++) {
                long ts = System.currentTimeMillis();
                UserEvent e = i % 3 == 2 ? new UserEvent.Ack("alice", "phone", i, ts)
                        : new UserEvent.Message("alice", "bob", "m" + i, Address.user("alice"), ts, "hi " + i, null);
                producer.send(new ProducerRecord<>(topic, "alice", e)).get();
            }
        }

        Run run = admin("replay", "--bootstrap", kafka.bootstrapServers(), "--topic", topic, "--from-offset", "0",
                "--where", "type=message");

        assertThat(run.exit()).as(run.toString()).isZero();
        List<JsonNode> records = new ArrayList<>();
        for (String line : run.stdout()) {
            records.add(JSON.readTree(line)); // a log line here would not parse
        }
        assertThat(records).hasSize(4).allSatisfy(r -> assertThat(r.get("value").get("type").asText()).isEqualTo("message"));
        assertThat(run.stderr()).contains("replayed " + topic);
    }

    @Test
    void verboseLogsTheKafkaClientsToStderrOnly(EmbeddedKafka kafka) throws Exception {
        // Exit 1: the chat topics do not exist on this broker; describe says so on stdout.
        Run run = admin("topics", "describe", "--bootstrap", kafka.bootstrapServers(), "--verbose");

        assertThat(run.stdout()).as(run.toString()).isNotEmpty().allSatisfy(line -> assertThat(line).endsWith(" MISSING"));
        assertThat(run.stderr()).as("INFO lines of the Kafka admin client").contains("INFO", "org.apache.kafka");
    }

    private record Run(int exit, List<String> stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + String.join("\n", stdout) + "\n--- stderr\n" + stderr;
        }
    }

    private Run admin(String... args) throws IOException, InterruptedException {
        Path jar;
        try (var files = Files.list(Path.of("target"))) {
            jar = files.filter(f -> f.getFileName().toString().matches("tools-[^/]*\\.jar")
                            && !f.toString().endsWith("-tests.jar") && !f.toString().endsWith("-sources.jar"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no tools jar in target: run mvn verify"));
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("stdout").toFile())
                .redirectError(dir.resolve("stderr").toFile())
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("pipechat-admin did not exit");
        }
        return new Run(p.exitValue(),
                Files.readAllLines(dir.resolve("stdout")).stream().filter(l -> !l.isBlank()).toList(),
                Files.readString(dir.resolve("stderr")));
    }
}
