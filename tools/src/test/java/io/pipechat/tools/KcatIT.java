package io.pipechat.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Data teams read our topics without our code: {@code kcat} (librdkafka, C) consumes topics created by
 * {@code pipechat-admin topics create} and written by our serializers, and a plain Jackson tree (no
 * pipechat class) reads every value. Skipped only where kcat is missing and {@code CI} is unset; in CI
 * a missing kcat fails the test ({@code apt-get install -y kcat}).
 */
@ExtendWith(KafkaExtension.class)
class KcatIT {
    private static final ObjectMapper PLAIN = new ObjectMapper();

    @Test
    void kcatReadsOurTopicsAsPlainJson(EmbeddedKafka kafka) throws Exception {
        String kcat = findKcat();
        String prefix = "kcat" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Topics topics = Topics.defaults().withPrefix(prefix);
        assertThat(Cli.run("topics", "create", "-b", kafka.bootstrapServers(), "--topic-prefix", prefix,
                "--partitions", "2", "--edges", "2", "--replication", "1").status()).isZero();
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), JsonSerde.serializer())) {
            producer.send(new ProducerRecord<>(topics.userEvents(), "bob",
                    new UserEvent.Message("bob", "alice", "m1", Address.user("bob"), 1, "hello ü", null))).get();
            producer.send(new ProducerRecord<>(topics.userEvents(), "bob", new UserEvent.Ack("bob", "phone", 1, 2))).get();
            producer.send(new ProducerRecord<>(topics.groupEvents(), "g1",
                    new GroupEvent.Message("g1", "alice", "m2", 3, "to the group", null))).get();
            producer.send(new ProducerRecord<>(topics.edges(), EdgeHeartbeat.key(1), new EdgeHeartbeat(1, 42, 4, true))).get();
        }

        List<JsonNode> users = consume(kcat, kafka.bootstrapServers(), topics.userEvents());
        assertThat(users).hasSize(2);
        JsonNode msg = users.stream().filter(n -> n.get("payload").get("type").asText().equals("message")).findFirst().orElseThrow();
        assertThat(msg.get("key").asText()).isEqualTo("bob");
        assertThat(msg.get("payload").get("v").asInt()).isEqualTo(1);
        assertThat(msg.get("payload").get("from").asText()).isEqualTo("alice");
        assertThat(msg.get("payload").get("body").asText()).isEqualTo("hello ü");
        assertThat(msg.get("payload").get("to").get("user").asText()).isEqualTo("bob");
        assertThat(users).anyMatch(n -> n.get("payload").get("type").asText().equals("ack")
                && n.get("payload").get("upto").asLong() == 1);

        List<JsonNode> groups = consume(kcat, kafka.bootstrapServers(), topics.groupEvents());
        assertThat(groups).singleElement().satisfies(n -> {
            assertThat(n.get("key").asText()).isEqualTo("g1");
            assertThat(n.get("payload").get("group").asText()).isEqualTo("g1");
        });
        List<JsonNode> edges = consume(kcat, kafka.bootstrapServers(), topics.edges());
        assertThat(edges).singleElement().satisfies(n -> {
            assertThat(n.get("key").asText()).isEqualTo("1");
            assertThat(n.get("payload").get("epoch").asLong()).isEqualTo(42);
        });
    }

    /**
     * {@code kcat -C -J -e}: consume from the beginning to the end, one JSON envelope per record
     * ({@code topic, partition, offset, ts, key, payload}); the payload (our value) is parsed again,
     * as a data team would, with a plain JSON parser.
     */
    private static List<JsonNode> consume(String kcat, String bootstrap, String topic) throws Exception {
        Path out = Files.createTempFile("kcat", ".jsonl");
        try {
            Process p = new ProcessBuilder(kcat, "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q",
                    "-X", "isolation.level=read_committed")
                    .redirectErrorStream(false).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("kcat did not finish reading " + topic);
            }
            assertThat(p.exitValue()).as("kcat exit status").isZero();
            List<JsonNode> records = new ArrayList<>();
            for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    ObjectNodeView envelope = new ObjectNodeView(PLAIN.readTree(line));
                    records.add(envelope.withParsedPayload());
                }
            }
            return records;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** kcat's {@code payload} is our value as a string: parse it into a tree. */
    private record ObjectNodeView(JsonNode envelope) {
        JsonNode withParsedPayload() throws Exception {
            var copy = ((com.fasterxml.jackson.databind.node.ObjectNode) envelope).deepCopy();
            copy.set("payload", PLAIN.readTree(envelope.get("payload").asText()));
            return copy;
        }
    }

    private static String findKcat() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            for (String name : List.of("kcat", "kafkacat")) {
                File f = new File(dir, name);
                if (f.canExecute()) {
                    return f.getAbsolutePath();
                }
            }
        }
        String ci = System.getenv("CI");
        if (ci != null && !ci.isBlank()) {
            fail("kcat is not installed but CI is set: install it (apt-get install -y kcat)");
        }
        assumeTrue(false, "kcat is not installed (apt-get install -y kcat); skipped outside CI");
        return null;
    }
}
