package io.pipechat.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.events.UserEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One topic of user events (3 partitions) written once: 3 users x 20 events at known timestamps,
 * plus an aborted transaction that a {@code read_committed} replay must never show.
 */
@ExtendWith(KafkaExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplayCommandIT {
    private static final ObjectMapper PLAIN = new ObjectMapper();
    /** An hour ago, whole seconds: recent enough that the broker's retention keeps it. */
    private static final Instant T0 = Instant.now().minus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    private static final List<String> USERS = List.of("alice", "bob", "carol");
    private static final int PER_USER = 20;

    private final String topic = "replay" + UUID.randomUUID().toString().substring(0, 8);
    private EmbeddedKafka kafka;

    @BeforeAll
    void writeEvents(EmbeddedKafka kafka) throws Exception {
        this.kafka = kafka;
        kafka.createTopics(List.of(new NewTopic(topic, 3, (short) 1)));
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (var producer = new KafkaProducer<>(config, new StringSerializer(), JsonSerde.<UserEvent>serializer())) {
            for (int i = 0; i < PER_USER; i++) {
                for (String user : USERS) {
                    long ts = T0.plusSeconds(i).toEpochMilli();
                    UserEvent e = i % 5 == 4
                            ? new UserEvent.Ack(user, "phone", i, ts)
                            : new UserEvent.Message(user, "dave", user + "-" + i,
                                    i % 2 == 0 ? Address.user(user) : Address.group("g1"), ts, "hi " + i, null);
                    producer.send(new ProducerRecord<>(topic, null, ts, user, e)).get();
                }
            }
        }
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "replay-it-" + topic);
        try (var tx = new KafkaProducer<>(config, new StringSerializer(), JsonSerde.<UserEvent>serializer())) {
            tx.initTransactions();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(topic, null, T0.plusSeconds(5).toEpochMilli(), "bob",
                    new UserEvent.Message("bob", "mallory", "aborted", Address.user("bob"), 0, "never", null))).get();
            tx.abortTransaction();
        }
    }

    @Test
    void replayFromOffsetZeroWritesEveryCommittedRecordAsJsonLinesAndStops() throws Exception {
        Cli cli = Cli.run("replay", "--bootstrap", kafka.bootstrapServers(), "--topic", topic, "--from-offset", "0");
        assertThat(cli.status()).as(cli.toString()).isZero();
        List<JsonNode> lines = parse(cli.out());
        assertThat(lines).hasSize(USERS.size() * PER_USER);
        JsonNode first = lines.getFirst();
        assertThat(first.fieldNames()).toIterable().containsExactly("topic", "partition", "offset", "timestamp", "key", "value");
        assertThat(first.get("topic").asText()).isEqualTo(topic);
        assertThat(first.get("value").get("v").asInt()).isEqualTo(1);
        assertThat(first.get("value").get("user").asText()).isEqualTo(first.get("key").asText());
        assertThat(lines).noneMatch(l -> "aborted".equals(l.get("value").path("id").asText()));
        assertThat(cli.err()).contains("3 partitions, " + USERS.size() * PER_USER + " records read");
        // Per key, offsets and timestamps increase: the order of one user's events is kept.
        Map<String, List<Long>> tsByUser = new LinkedHashMap<>();
        lines.forEach(l -> tsByUser.computeIfAbsent(l.get("key").asText(), k -> new ArrayList<>()).add(l.get("timestamp").asLong()));
        tsByUser.values().forEach(ts -> assertThat(ts).isSorted().hasSize(PER_USER));
    }

    @Test
    void replayFromALaterOffsetSkipsTheStartOfEveryPartition() throws Exception {
        Cli all = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic, "--from-offset", "0", "--partition", "0");
        Cli later = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic, "--from-offset", "5", "--partition", "0");
        assertThat(later.status()).as(later.toString()).isZero();
        List<JsonNode> a = parse(all.out());
        List<JsonNode> l = parse(later.out());
        assertThat(a).isNotEmpty();
        assertThat(l).allMatch(n -> n.get("partition").asInt() == 0 && n.get("offset").asLong() >= 5);
        assertThat(l).hasSize((int) a.stream().filter(n -> n.get("offset").asLong() >= 5).count());
    }

    @Test
    void replayByTimestampFilteredByUserToAFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bob.jsonl");
        Cli cli = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic,
                "--from-timestamp", T0.plusSeconds(5).toString(), "--to-timestamp", T0.plusSeconds(9).toString(),
                "--user", "bob", "--out", out.toString());
        assertThat(cli.status()).as(cli.toString()).isZero();
        assertThat(cli.out()).isEmpty();
        List<JsonNode> lines = parse(Files.readString(out));
        assertThat(lines).extracting(n -> n.get("key").asText()).containsOnly("bob");
        assertThat(lines).extracting(n -> n.get("timestamp").asLong())
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(5, 9)
                        .mapToObj(s -> T0.plusSeconds(s).toEpochMilli()).toList());
    }

    @Test
    void filtersByGroupAndByJsonField() throws Exception {
        Cli groups = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic, "--from-offset", "0", "--group", "g1");
        assertThat(parse(groups.out())).hasSize(USERS.size() * 8)
                .allMatch(n -> n.get("value").get("to").get("group").asText().equals("g1"));
        Cli acks = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic, "--from-offset", "0",
                "--where", "type=ack", "--user", "carol");
        assertThat(parse(acks.out())).hasSize(4).allMatch(n -> n.get("value").get("type").asText().equals("ack")
                && n.get("key").asText().equals("carol"));
    }

    @Test
    void republishesIntoAnotherTopicKeepingKeysValuesTimestampsAndPerKeyOrder() throws Exception {
        String target = topic + ".v2";
        kafka.createTopics(List.of(new NewTopic(target, 5, (short) 1)));
        Cli cli = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic, "--from-offset", "0", "--to-topic", target);
        assertThat(cli.status()).as(cli.toString()).isZero();
        assertThat(cli.out()).isEmpty();

        List<ConsumerRecord<byte[], byte[]>> copied = readAll(target);
        assertThat(copied).hasSize(USERS.size() * PER_USER);
        Map<String, List<String>> idsByUser = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : copied) {
            String key = new String(r.key(), StandardCharsets.UTF_8);
            JsonNode v = PLAIN.readTree(r.value());
            assertThat(v.get("user").asText()).isEqualTo(key);
            assertThat(r.timestamp()).isEqualTo(v.get("ts").asLong());
            idsByUser.computeIfAbsent(key, k -> new ArrayList<>()).add(r.timestamp() + "");
        }
        idsByUser.values().forEach(ts -> assertThat(ts.stream().map(Long::parseLong).toList()).isSorted().hasSize(PER_USER));
    }

    /**
     * The router's seqs are offset + 1, so a copy into a topic with other partitions gives every entry
     * a new seq: each ack must then name the new seq of the message it acked.
     */
    @Test
    void renumbersAcksToTheSeqsOfTheCopyForARepartition() throws Exception {
        String source = topic + ".src";
        String target = topic + ".renumbered";
        kafka.createTopics(List.of(new NewTopic(source, 2, (short) 1), new NewTopic(target, 5, (short) 1)));
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        Map<String, String> ackedId = new HashMap<>();   // "user@upto" -> the id of the message acked
        long highestSeq = 0;
        try (var producer = new KafkaProducer<>(config, new StringSerializer(), JsonSerde.<UserEvent>serializer())) {
            for (int i = 0; i < 12; i++) {
                for (String user : USERS) {
                    long ts = T0.plusSeconds(i).toEpochMilli();
                    String id = user + "-r" + i;
                    long offset = producer.send(new ProducerRecord<>(source, null, ts, user, new UserEvent.Message(user, "dave",
                            id, Address.user(user), ts, "hi", null))).get().offset();
                    highestSeq = Math.max(highestSeq, offset + 1);
                    if (i % 3 == 2) {
                        String device = i % 2 == 0 ? "phone" : "laptop";
                        long ack = producer.send(new ProducerRecord<>(source, null, ts, user,
                                new UserEvent.Ack(user, device, offset + 1, ts))).get().offset();
                        highestSeq = Math.max(highestSeq, ack + 1);
                        ackedId.put(user + "@" + i, id);
                    }
                }
            }
        }
        Cli cli = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", source, "--from-offset", "0", "--to-topic", target,
                "--renumber-seqs");
        assertThat(cli.status()).as(cli.toString()).isZero();
        java.util.regex.Matcher printed = java.util.regex.Pattern.compile("router\\.seq-base=(\\d+)").matcher(cli.err());
        assertThat(printed.find()).as(cli.err()).isTrue();
        long base = Long.parseLong(printed.group(1));
        assertThat(base).as("every seq of the copy is above those of the source").isEqualTo(highestSeq);

        Map<String, Long> newSeqOfId = new HashMap<>();
        List<JsonNode> acks = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(target)) {
            JsonNode v = PLAIN.readTree(r.value());
            if (v.get("type").asText().equals("message")) {
                newSeqOfId.put(v.get("id").asText(), r.offset() + 1 + base);
            } else {
                acks.add(v);
            }
        }
        assertThat(acks).hasSize(ackedId.size());
        for (JsonNode ack : acks) {
            String user = ack.get("user").asText();
            String id = ackedId.entrySet().stream().filter(e -> e.getKey().startsWith(user + "@"))
                    .map(Map.Entry::getValue).filter(i -> newSeqOfId.get(i) == ack.get("upto").asLong()).findFirst().orElse(null);
            assertThat(id).as("ack %s names the new seq of a message it acked", ack).isNotNull();
        }
        Cli again = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", source, "--from-offset", "0", "--to-topic", target,
                "--renumber-seqs");
        assertThat(again.status()).as("the target is no longer empty").isEqualTo(2);
        assertThat(again.err()).contains("empty");
    }

    @Test
    void refusesToPublishIntoItselfOrIntoAMissingTopicAndNeverCreatesTopics() throws Exception {
        Cli self = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic, "--from-offset", "0", "--to-topic", topic);
        assertThat(self.status()).isEqualTo(2);
        assertThat(self.err()).contains("refused");
        Cli missing = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic, "--from-offset", "0", "--to-topic", "nope-" + topic);
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("does not exist");
        Cli both = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic, "--from-offset", "0",
                "--from-timestamp", T0.toString());
        assertThat(both.status()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        String typo = "no-such-" + topic;
        Cli unknown = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", typo, "--from-offset", "0");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.err()).contains("topic " + typo + " does not exist");
        assertThat(kafka.admin().listTopics().names().get()).as("replay never creates topics").doesNotContain(typo);
        Cli badTime = Cli.run("replay", "-b", kafka.bootstrapServers(), "-t", topic, "--from-timestamp", "yesterday");
        assertThat(badTime.status()).isEqualTo(1);
        assertThat(badTime.err()).contains("ISO-8601");
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String t) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(t).stream().map(i -> new TopicPartition(t, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private static List<JsonNode> parse(String jsonLines) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : jsonLines.lines().filter(l -> !l.isBlank()).toList()) {
            out.add(PLAIN.readTree(line));
        }
        return out;
    }
}
