package io.pipechat.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.edge.Edge;
import io.pipechat.edge.EdgeConfig;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.protocol.Topics;
import io.pipechat.router.Router;
import io.pipechat.router.RouterConfig;
import io.pipechat.tools.AdminMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' scaling steps of OPERATIONS.md, on a real broker with real routers and edges in this
 * JVM (nothing is killed here, so separate processes are not needed):
 * <ul>
 *   <li>adding an edge: {@code pipechat-admin topics add-edge-partitions}, then a new edge on the new
 *       partition while the router and the other edges keep running; a user on it receives messages.
 *   <li>adding a router: a second instance of the same application joins, takes over about half of
 *       the tasks, keeps standby copies of the others, and serves its users. The hand-over time (start
 *       of the second instance until it is RUNNING with its tasks assigned) is logged.
 * </ul>
 */
@ExtendWith(KafkaExtension.class)
class ScalingIT {
    private static final Logger LOG = LoggerFactory.getLogger(ScalingIT.class);
    private static final int PARTITIONS = 6;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aNewEdgeOnANewDeliveriesPartitionReceivesMessagesWithoutRestartingAnything(EmbeddedKafka kafka,
                                                                                   @TempDir Path dir) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        String prefix = topics.userEvents().substring(0, topics.userEvents().indexOf(Topics.USER_EVENTS));
        assertThat(admin("topics", "create", "--bootstrap", kafka.bootstrapServers(), "--topic-prefix", prefix,
                "--partitions", Integer.toString(PARTITIONS), "--edges", "2", "--replication", "1")).isZero();
        RouterConfig config = routerConfig("scale-edges-" + UUID.randomUUID());
        List<Edge> edges = new ArrayList<>();
        try (Router router = Router.start(config, kafka.bootstrapServers(), topics, dir.resolve("router"))) {
            edges.add(startEdge(kafka, topics, 0));
            edges.add(startEdge(kafka, topics, 1));
            assertThat(router.awaitRunning(Duration.ofSeconds(60))).isTrue();

            long grownAt = System.currentTimeMillis();
            assertThat(admin("topics", "add-edge-partitions", "--bootstrap", kafka.bootstrapServers(),
                    "--topic-prefix", prefix, "--to", "3")).isZero();
            Edge added = startEdge(kafka, topics, 2);
            edges.add(added);
            // OPERATIONS.md, adding edges step 3: new connections reach the new edge once the routers'
            // producers have refreshed their metadata (metadata.max.age.ms) after the partition was added.
            await("router producers refreshed their metadata").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> producerMetadataRefreshedAfter(router, grownAt));

            String alice = "alice-" + UUID.randomUUID().toString().substring(0, 8);
            String carol = "carol-" + UUID.randomUUID().toString().substring(0, 8);
            try (ChatClient onNewEdge = connect(added, carol); ChatClient onOldEdge = connect(edges.get(0), alice)) {
                onOldEdge.sendTo(carol, "hello-new-edge", "welcome to edge 2");
                onOldEdge.next("sent");
                JsonNode msg = onNewEdge.next("msg");
                assertThat(msg.get("id").asText()).isEqualTo("hello-new-edge");
                assertThat(msg.get("from").asText()).isEqualTo(alice);
                onNewEdge.ack(msg.get("seq").asLong());
                // and the other way round: from the new edge to a user on an old one
                onNewEdge.sendTo(alice, "reply-from-new-edge", "thanks");
                onNewEdge.next("sent");
                assertThat(onOldEdge.next("msg", f -> f.get("id").asText().equals("reply-from-new-edge"))
                        .get("from").asText()).isEqualTo(carol);
            }
            // Nothing else restarted: the same router and the same edges kept running throughout.
            assertThat(router.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(edges).allSatisfy(e -> assertThat(e.port()).isPositive());
            try (Admin admin = kafka.admin()) {
                assertThat(admin.describeTopics(List.of(topics.deliveries())).allTopicNames().get()
                        .get(topics.deliveries()).partitions()).hasSize(3);
            }
        } finally {
            edges.forEach(Edge::close);
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aSecondRouterTakesOverHalfTheTasksWithStandbysAndServesItsUsers(EmbeddedKafka kafka, @TempDir Path dir)
            throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        String prefix = topics.userEvents().substring(0, topics.userEvents().indexOf(Topics.USER_EVENTS));
        assertThat(admin("topics", "create", "--bootstrap", kafka.bootstrapServers(), "--topic-prefix", prefix,
                "--partitions", Integer.toString(PARTITIONS), "--edges", "1", "--replication", "1")).isZero();
        RouterConfig config = routerConfig("scale-routers-" + UUID.randomUUID());
        Edge edge = startEdge(kafka, topics, 0);
        Router second = null;
        try (Router first = Router.start(config, kafka.bootstrapServers(), topics, dir.resolve("router-1"))) {
            assertThat(first.awaitRunning(Duration.ofSeconds(60))).isTrue();
            // State worth restoring: messages to users who are offline stay in their mailboxes.
            int users = 24;
            int perUser = 40;
            try (ChatClient sender = connect(edge, "sender")) {
                for (int u = 0; u < users; u++) {
                    for (int k = 0; k < perUser; k++) {
                        sender.sendTo("offline-" + u, "m-" + u + "-" + k, "x".repeat(64));
                    }
                    sender.next("sent", perUser);
                }
            }
            try (Admin admin = kafka.admin()) {
                String group = config.applicationId();
                String topic = topics.userEvents();
                await("first router owns every task").atMost(Duration.ofSeconds(60))
                        .until(() -> RouterGroup.counts(admin, group, topic).values().stream().toList(),
                                l -> l.equals(List.of(PARTITIONS)));

                Set<String> before = RouterGroup.partitions(admin, group, topic).keySet();
                long start = System.nanoTime();
                second = Router.start(config, kafka.bootstrapServers(), topics, dir.resolve("router-2"));
                await("two routers share the tasks").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                        .until(() -> RouterGroup.counts(admin, group, topic).size() == 2);
                Router joined = second;
                await("second router running").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
                        .until(() -> joined.state() == KafkaStreams.State.RUNNING
                                && first.state() == KafkaStreams.State.RUNNING);
                long handOverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                // Read the split from a stable group of two (a follow-up rebalance may be under way).
                Map<String, Set<Integer>> stable = await("stable group of two").atMost(Duration.ofSeconds(60))
                        .until(() -> RouterGroup.partitions(admin, group, topic), m -> m.size() == 2);
                Map<String, Integer> split = new HashMap<>();
                stable.forEach((member, partitions) -> split.put(member, partitions.size()));
                Set<Integer> moved = stable.entrySet().stream()
                        .filter(e -> !before.contains(e.getKey())).flatMap(e -> e.getValue().stream())
                        .collect(Collectors.toSet());
                long changelog = changelogOffsets(admin, config.applicationId(), moved);
                String figure = "hand-over " + handOverMs + " ms (second instance start -> RUNNING with its tasks), tasks "
                        + split.values() + ", changelog offsets of the moved tasks " + changelog + ", mailbox "
                        + users * perUser + " messages";
                LOG.info("second router: {}", figure);
                Files.createDirectories(Path.of("target", "cluster-it"));
                Files.writeString(Path.of("target", "cluster-it", "router-handover.txt"), figure + "\n");
                assertThat(moved).as("the second instance's tasks").isNotEmpty();
                assertThat(split.values()).as("about half the tasks each").allSatisfy(n -> assertThat(n).isBetween(2, 4));
                assertThat(split.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(PARTITIONS);

                // Standby replicas: each instance keeps a copy of the tasks it does not run, so both state
                // directories end up with every task's directory.
                await("standby copies of every task on both instances").atMost(Duration.ofSeconds(60))
                        .until(() -> taskDirs(dir.resolve("router-1"), config.applicationId()).size() >= PARTITIONS
                                && taskDirs(dir.resolve("router-2"), config.applicationId()).size() >= PARTITIONS);
            }
            // Every offline user now connects and gets its mailbox; the users cover every partition, so
            // the second instance serves some of them from the state it restored.
            assertThat(IntStream.range(0, users).map(u -> partitionOf("offline-" + u)).boxed().collect(Collectors.toSet()))
                    .hasSize(PARTITIONS);
            int served = 0;
            for (int u = 0; u < users; u++) {
                try (ChatClient c = connect(edge, "offline-" + u)) {
                    List<JsonNode> msgs = c.next("msg", perUser);
                    assertThat(msgs).extracting(m -> m.get("id").asText()).containsExactlyElementsOf(expectedIds(u, perUser));
                    served++;
                    c.ack(msgs.getLast().get("seq").asLong());
                }
            }
            assertThat(served).isEqualTo(users);
        } finally {
            if (second != null) {
                second.close();
            }
            edge.close();
        }
    }

    private static List<String> expectedIds(int user, int perUser) {
        List<String> ids = new ArrayList<>();
        for (int k = 0; k < perUser; k++) {
            ids.add("m-" + user + "-" + k);
        }
        return ids;
    }

    /** The partition Kafka's default partitioner gives this key (as the edge's producer does). */
    private static int partitionOf(String user) {
        return Utils.toPositive(Utils.murmur2(user.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    private static RouterConfig routerConfig(String applicationId) {
        Map<String, String> settings = Map.of("router.application-id", applicationId, "router.standby-replicas", "1");
        return RouterConfig.from(settings::get);
    }

    private static Edge startEdge(EmbeddedKafka kafka, Topics topics, int partition) {
        Map<String, String> settings = new HashMap<>(EdgeConfig.topicKeys(topics));
        settings.put("server.port", "0");
        settings.put("kafka.bootstrap-servers", kafka.bootstrapServers());
        settings.put("edge.partition", Integer.toString(partition));
        settings.put("edge.dev-mode", "true");
        settings.put("edge.rate.frames-per-second", "1000");
        settings.put("edge.rate.burst", "2000");
        // one sender queues 960 messages for the offline users at once
        settings.put("edge.rate.user-sends-per-second", "1000");
        settings.put("edge.rate.user-send-burst", "2000");
        return Edge.start(Edge.config(settings));
    }

    private static ChatClient connect(Edge edge, String user) {
        String base = "http://127.0.0.1:" + edge.port();
        ChatClient c = ChatClient.connect(base, ChatClient.devToken(base, user), "d1");
        assertThat(c.next().get("type").asText()).isEqualTo("welcome");
        return c;
    }

    /** True when every producer of the router has fetched metadata since {@code epochMillis}. */
    private static boolean producerMetadataRefreshedAfter(Router router, long epochMillis) {
        long now = System.currentTimeMillis();
        List<Double> ages = new ArrayList<>();
        for (Map.Entry<MetricName, ? extends Metric> e : router.metrics().entrySet()) {
            if (e.getKey().name().equals("metadata-age") && e.getKey().group().equals("producer-metrics")) {
                ages.add(((Number) e.getValue().metricValue()).doubleValue());
            }
        }
        return !ages.isEmpty() && ages.stream().allMatch(ageSeconds -> now - (long) (ageSeconds * 1000) > epochMillis);
    }

    /** Sum of the end offsets of the router's changelog partitions {@code partitions}: what a new owner restores. */
    private static long changelogOffsets(Admin admin, String applicationId, Set<Integer> partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (String t : admin.listTopics().names().get()) {
            if (t.startsWith(applicationId + "-") && t.endsWith("-changelog")) {
                partitions.forEach(p -> latest.put(new TopicPartition(t, p), OffsetSpec.latest()));
            }
        }
        return admin.listOffsets(latest).all().get().values().stream().mapToLong(ListOffsetsResultInfo::offset).sum();
    }

    private static Set<String> taskDirs(Path stateDir, String applicationId) throws java.io.IOException {
        Path app = stateDir.resolve(applicationId);
        if (!Files.isDirectory(app)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.list(app)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("\\d+_\\d+")).collect(Collectors.toSet());
        }
    }

    private static int admin(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = AdminMain.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        LOG.info("pipechat-admin {} -> {}\n{}{}", String.join(" ", args), rc, out, err);
        return rc;
    }
}
