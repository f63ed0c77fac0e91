package io.pipechat.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pipechat.embedded.Directories;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.groups.GroupsJob;
import io.pipechat.local.cluster.EngineJars;
import io.pipechat.local.cluster.FlinkCluster;
import io.pipechat.local.cluster.FlinkJobSupervisor;
import io.pipechat.local.cluster.FlinkRest;
import io.pipechat.local.cluster.JavaProcesses;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flink-groups job on a Flink standalone session cluster ({@link FlinkCluster}: JobManager and
 * TaskManager JVMs from Maven Central's jars, RocksDB state, retained checkpoints), submitted as the
 * job jar through the REST API and kept running by {@link FlinkJobSupervisor}, against an in-process
 * broker. Membership rows are written as Debezium writes them, group messages as the edge does.
 *
 * <p>Proves, in one run: checkpoints complete with RocksDB on the TaskManager (none failed: the
 * RocksDB trap of STACK.md would fail every one); the upgrade procedure (new jar in place, stop with
 * savepoint through REST) resubmits from that savepoint and the membership lives on in the restored
 * state (a message after the upgrade reaches members whose rows the new job never reads again);
 * {@code kill -9} of the JobManager: the supervisor starts it again and resubmits from the newest
 * retained checkpoint, state intact; {@code kill -9} of the TaskManager: it is started again and
 * the job recovers by itself. Recovery times go to {@code target/cluster-it/flink/figures.txt}.
 */
class FlinkClusterIT {
    private static final Logger LOG = LoggerFactory.getLogger(FlinkClusterIT.class);
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String MEMBERSHIP_CHANGES = "flink_taskmanager_job_task_operator_deserializer_group_members_cdc_changes";

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void jobSurvivesAnUpgradeBySavepointAndKillingTheJobManagerAndTheTaskManager() throws Exception {
        Path logs = Path.of("target", "cluster-it", "flink").toAbsolutePath();
        Path dir = Files.createTempDirectory("pipechat-flink-it");
        Topics topics = Topics.defaults();
        EngineJars jars = EngineJars.locate();
        StringBuilder figures = new StringBuilder();
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             JavaProcesses processes = new JavaProcesses(logs)) {
            kafka.createTopics(topics, 2, 2);
            Path usrlib = Files.createDirectories(dir.resolve("flink/usrlib"));
            Path jobJar = usrlib.resolve("flink-groups-job.jar");
            Files.copy(jars.groupsJobJar(), jobJar);
            long t0 = System.nanoTime();
            flink = FlinkCluster.start(processes, dir.resolve("flink"), jars.flinkClasspath(), 1);
            try (FlinkJobSupervisor supervisor = new FlinkJobSupervisor(flink, GroupsJob.NAME, jobJar,
                    List.of("bootstrap-servers=" + kafka.bootstrapServers(), "parallelism=1", "settle=200ms"),
                    dir.resolve("flink/PAUSED")).start();
                 KafkaProducer<byte[], byte[]> producer = producer(kafka);
                 KafkaConsumer<byte[], byte[]> userEvents = consumer(kafka, topics.userEvents())) {
                String first = supervisor.awaitRunning(WAIT);
                figures.append(String.format("cluster up and job running %d ms after start%n", ms(System.nanoTime() - t0)));
                FlinkRest rest = flink.rest();

                for (String user : List.of("alice", "bob", "carol")) {
                    member(producer, topics, "g1", user);
                }
                producer.flush();
                // The two sources race: a message read before its group's rows would reach fewer members.
                await("the job read the membership").atMost(WAIT).until(() -> PrometheusText.value(
                        PrometheusText.scrape(flink.taskManagerMetricsUrl()), MEMBERSHIP_CHANGES).orElse(0) >= 3);
                List<UserEvent> seen = new ArrayList<>();
                assertThat(expand(producer, userEvents, topics, "alice", "m1", seen)).containsExactlyInAnyOrder("bob", "carol");
                // With the RocksDB trap of STACK.md no checkpoint would complete. The first ones may fail while
                // the tasks are still starting; none may fail after that.
                await("RocksDB checkpoints complete").atMost(WAIT).until(() -> rest.checkpoints(first).completed() >= 1);
                long failedAtStart = rest.checkpoints(first).failed();
                await("more checkpoints").atMost(WAIT).until(() -> rest.checkpoints(first).completed() >= 3);
                assertThat(rest.checkpoints(first).failed()).as("failed checkpoints once running").isEqualTo(failedAtStart);

                // Upgrade as an operator does: the new jar in place (beside, then renamed), then stop with a savepoint.
                Path next = usrlib.resolve("flink-groups-job.jar.new");
                Files.copy(jars.groupsJobJar(), next);
                Files.move(next, jobJar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                long stop = System.nanoTime();
                String savepoint = rest.stopWithSavepoint(first, flink.savepointsDir().toUri().toString(), WAIT);
                String upgraded = supervisor.awaitRunning(WAIT);
                long upgradeMs = ms(System.nanoTime() - stop);
                assertThat(upgraded).isNotEqualTo(first);
                assertThat(supervisor.events()).extracting(FlinkJobSupervisor.Event::what)
                        .anySatisfy(e -> assertThat(e).contains(upgraded).contains(Path.of(java.net.URI.create(savepoint)).toString()));
                assertThat(expand(producer, userEvents, topics, "bob", "m2", seen)).containsExactlyInAnyOrder("alice", "carol");
                figures.append(String.format("stop-with-savepoint and resubmission from %s: job running again after %d ms%n",
                        Path.of(java.net.URI.create(savepoint)).getFileName(), upgradeMs));

                await("a checkpoint of the upgraded job").atMost(WAIT).until(() -> rest.checkpoints(upgraded).completed() >= 1);
                long kill = System.nanoTime();
                flink.jobManager().kill();
                String afterJm = supervisor.awaitRunning(WAIT);
                long jmMs = ms(System.nanoTime() - kill);
                assertThat(afterJm).isNotEqualTo(upgraded);
                assertThat(supervisor.events()).extracting(FlinkJobSupervisor.Event::what)
                        .anySatisfy(e -> assertThat(e).contains(afterJm).contains(upgraded).contains("chk-"));
                long sentAfterJm = System.nanoTime();
                assertThat(expand(producer, userEvents, topics, "carol", "m3", seen)).containsExactlyInAnyOrder("alice", "bob");
                figures.append(String.format("kill -9 JobManager: restarted and job resubmitted from its newest checkpoint, "
                        + "running after %d ms; a group message then expanded in %d ms%n", jmMs, ms(System.nanoTime() - sentAfterJm)));

                await("a checkpoint of the resubmitted job").atMost(WAIT).until(() -> rest.checkpoints(afterJm).completed() >= 1);
                kill = System.nanoTime();
                flink.taskManager().kill();
                long sentDuringTm = System.nanoTime();
                assertThat(expand(producer, userEvents, topics, "alice", "m4", seen)).containsExactlyInAnyOrder("bob", "carol");
                figures.append(String.format("kill -9 TaskManager: restarted, a group message sent right after the kill "
                        + "expanded %d ms after the kill%n", ms(System.nanoTime() - kill)));
                assertThat(supervisor.awaitRunning(WAIT)).as("the same job recovers on the new TaskManager").isEqualTo(afterJm);
                assertThat(sentDuringTm).isPositive();

                // Exactly once per member after the router's de-duplication (the at-least-once sink may repeat).
                // (The members also got the group's creation as system messages: not what this counts.)
                Map<String, Long> copies = seen.stream().filter(e -> !(e instanceof UserEvent.Message m && m.system() != null))
                        .collect(Collectors.groupingBy(e -> e.user() + "/" + id(e), Collectors.counting()));
                assertThat(copies.keySet()).hasSize(8);
            }
            LOG.info("figures:\n{}", figures);
            Files.createDirectories(logs);
            Files.writeString(logs.resolve("figures.txt"), figures.toString());
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    /** Sends one group message and returns the recipients of its user events, once both others have it. */
    private static Set<String> expand(KafkaProducer<byte[], byte[]> producer, KafkaConsumer<byte[], byte[]> consumer,
                                      Topics topics, String from, String id, List<UserEvent> seen) {
        GroupEvent.Message m = new GroupEvent.Message("g1", from, id, System.currentTimeMillis(), "hello " + id, null);
        producer.send(new ProducerRecord<>(topics.groupEvents(), bytes("g1"), Json.bytes(m)));
        producer.flush();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                seen.add(Json.read(r.value(), UserEvent.class));
            }
            Set<String> to = seen.stream().filter(e -> id.equals(id(e))).map(UserEvent::user).collect(Collectors.toSet());
            if (to.size() == 2) {
                return to;
            }
        }
        throw new AssertionError("group message " + id + " not expanded within " + WAIT + "; seen " + seen
                + "; the TaskManager's counters:\n" + counters());
    }

    private static volatile FlinkCluster flink;

    /** The job's counters (messages and changes read, expanded, held, rejected) for a failure message. */
    private static String counters() {
        try {
            return PrometheusText.scrape(flink.taskManagerMetricsUrl()).lines()
                    .filter(l -> l.startsWith("flink_taskmanager_job_task_operator_group_expander")
                            || l.startsWith("flink_taskmanager_job_task_operator_deserializer"))
                    .map(l -> l.substring(0, l.indexOf('{')) + " " + l.substring(l.lastIndexOf(' ') + 1))
                    .collect(Collectors.joining("\n"));
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static String id(UserEvent e) {
        return e instanceof UserEvent.Message m ? m.id() : null;
    }

    /** A {@code group_members} insert exactly as Debezium's JSON converter writes it (no schema). */
    private static void member(KafkaProducer<byte[], byte[]> producer, Topics topics, String group, String user)
            throws Exception {
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("group_id", group);
        after.put("user_id", user);
        after.put("role", "member");
        after.put("added_at", "2026-01-02T03:04:05.678Z");
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("before", null);
        value.put("after", after);
        value.put("source", Map.of("connector", "mariadb", "db", "chat", "table", "group_members", "snapshot", "false",
                "ts_ms", System.currentTimeMillis()));
        value.put("op", "c");
        value.put("ts_ms", System.currentTimeMillis());
        ObjectMapper plain = new ObjectMapper(); // Json.MAPPER leaves nulls out; Debezium writes them
        producer.send(new ProducerRecord<>(topics.groupMembersCdc(), plain.writeValueAsBytes(Map.of("group_id", group,
                "user_id", user)), plain.writeValueAsBytes(value)));
    }

    private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(EmbeddedKafka kafka, String topic) {
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, "flink-cluster-it",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
