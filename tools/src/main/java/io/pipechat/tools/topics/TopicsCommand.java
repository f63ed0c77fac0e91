package io.pipechat.tools.topics;

import io.pipechat.protocol.Topics;
import io.pipechat.tools.KafkaOptions;
import io.pipechat.tools.RefusedException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pipechat-admin topics ...}: create the project's topics with their production configs
 * ({@link TopicPlan}), describe them, and grow {@code chat.deliveries} when edges are added. All three
 * are safe to repeat: {@code create} leaves existing topics alone (and says so), {@code
 * add-edge-partitions} does nothing when the topic already has the partitions and refuses to shrink.
 */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Create, describe and grow pipechat's topics.")
public final class TopicsCommand {

    /** Topic names, overridable exactly like the services' {@code topics.*} keys. */
    public static final class Names {
        @Option(names = "--topic-prefix", defaultValue = "", description = "Prefix for every topic name (test clusters).")
        String prefix;

        @Option(names = "--topic", paramLabel = "ROLE=NAME",
                description = "Override one name: user-events, group-events, deliveries, edges, push, group-members-cdc.")
        Map<String, String> overrides = new LinkedHashMap<>();

        Topics topics() {
            for (String role : overrides.keySet()) {
                if (!List.of("user-events", "group-events", "deliveries", "edges", "push", "group-members-cdc").contains(role)) {
                    throw new IllegalArgumentException("unknown topic role '" + role + "'");
                }
            }
            return Topics.from(overrides).withPrefix(prefix);
        }
    }

    @Spec
    CommandSpec spec;

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create every missing topic with its partitions and configs; existing topics are left as they are.")
    int create(@Mixin KafkaOptions kafka, @Mixin Names names,
               @Option(names = "--partitions", defaultValue = "12", description = "Partitions of the user- and group-keyed topics (default ${DEFAULT-VALUE}).") int partitions,
               @Option(names = "--edges", defaultValue = "2", description = "Partitions of chat.deliveries: one per edge (default ${DEFAULT-VALUE}).") int edges,
               @Option(names = "--replication", defaultValue = "3", description = "Replication factor (default ${DEFAULT-VALUE}).") short replication,
               @Option(names = "--min-isr", description = "min.insync.replicas (default: 2 from replication 3 up, else 1).") Integer minIsr,
               @Option(names = "--event-retention", defaultValue = "P35D", description = "Retention of chat.user-events and chat.group-events, ISO-8601 (default ${DEFAULT-VALUE}).") Duration retention)
            throws InterruptedException, ExecutionException {
        Topics topics = names.topics();
        TopicPlan plan = new TopicPlan(topics, partitions, edges, replication,
                minIsr == null ? TopicPlan.defaultMinIsr(replication) : minIsr, retention);
        PrintWriter out = spec.commandLine().getOut();
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            for (NewTopic t : plan.newTopics()) {
                if (existing.contains(t.name())) {
                    out.println("exists   " + t.name());
                } else {
                    missing.add(t);
                }
            }
            var result = admin.createTopics(missing).values();
            for (NewTopic t : missing) {
                try {
                    result.get(t.name()).get();
                    out.println("created  " + t.name() + " partitions=" + t.numPartitions() + " replication="
                            + t.replicationFactor() + " " + new java.util.TreeMap<>(t.configs()));
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    out.println("exists   " + t.name() + " (created concurrently)");
                }
            }
            awaitTopics(admin, topics.all());
            Map<String, TopicDescription> described = admin.describeTopics(topics.all()).allTopicNames().get();
            TopicDescription deliveries = described.get(topics.deliveries());
            if (deliveries.partitions().size() < edges) {
                out.println("note     " + topics.deliveries() + " has " + deliveries.partitions().size() + " partitions, fewer than --edges "
                        + edges + ": run `topics add-edge-partitions --to " + edges + "`");
            }
        }
        return 0;
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = {"Partitions, replicas, in-sync replicas and the configs that matter, per topic.",
                    "With --partitions-detail: leader, replicas, ISR, start and end offset per partition",
                    "(start-offset 0 everywhere: the topic still holds its whole history)."})
    int describe(@Mixin KafkaOptions kafka, @Mixin Names names,
                 @Option(names = "--partitions-detail", description = "One line per partition: leader, replicas, ISR, offsets.") boolean detail)
            throws InterruptedException, ExecutionException {
        Topics topics = names.topics();
        PrintWriter out = spec.commandLine().getOut();
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            Set<String> existing = admin.listTopics().names().get();
            List<String> present = topics.all().stream().filter(existing::contains).toList();
            Map<String, TopicDescription> described = admin.describeTopics(present).allTopicNames().get();
            List<ConfigResource> resources = present.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
            int missing = 0;
            for (String name : topics.all()) {
                TopicDescription d = described.get(name);
                if (d == null) {
                    out.println(name + " MISSING");
                    missing++;
                    continue;
                }
                Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name));
                int replication = d.partitions().getFirst().replicas().size();
                long underReplicated = d.partitions().stream().filter(p -> p.isr().size() < p.replicas().size()).count();
                out.println(name + " partitions=" + d.partitions().size() + " replication=" + replication
                        + " under-replicated=" + underReplicated
                        + " " + value(c, TopicConfig.CLEANUP_POLICY_CONFIG)
                        + " " + value(c, TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG)
                        + " " + value(c, TopicConfig.RETENTION_MS_CONFIG));
                if (detail) {
                    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    d.partitions().forEach(p -> {
                        earliest.put(new TopicPartition(name, p.partition()), OffsetSpec.earliest());
                        latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest());
                    });
                    var first = admin.listOffsets(earliest).all().get();
                    var end = admin.listOffsets(latest).all().get();
                    for (TopicPartitionInfo p : d.partitions()) {
                        TopicPartition tp = new TopicPartition(name, p.partition());
                        out.println("  partition " + p.partition() + " leader=" + (p.leader() == null ? "none" : p.leader().id())
                                + " replicas=" + ids(p.replicas()) + " isr=" + ids(p.isr())
                                + " start-offset=" + first.get(tp).offset() + " end-offset=" + end.get(tp).offset());
                    }
                }
            }
            return missing == 0 ? 0 : 1;
        }
    }

    @Command(name = "add-edge-partitions", mixinStandardHelpOptions = true,
            description = "Grow chat.deliveries to N partitions, one per edge; then start edges with the new indexes. Never shrinks.")
    int addEdgePartitions(@Mixin KafkaOptions kafka, @Mixin Names names,
                          @Option(names = "--to", required = true, paramLabel = "N", description = "The number of edges (partitions) wanted.") int to)
            throws InterruptedException, ExecutionException {
        Topics topics = names.topics();
        PrintWriter out = spec.commandLine().getOut();
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            String deliveries = topics.deliveries();
            int now = admin.describeTopics(List.of(deliveries)).allTopicNames().get().get(deliveries).partitions().size();
            if (to < now) {
                throw new RefusedException(deliveries + " has " + now + " partitions; Kafka cannot remove partitions and the edges "
                        + "on partitions >= " + to + " would be cut off");
            }
            if (to == now) {
                out.println(deliveries + " already has " + now + " partitions");
                return 0;
            }
            admin.createPartitions(Map.of(deliveries, NewPartitions.increaseTo(to))).all().get();
            awaitPartitions(admin, deliveries, to);
            out.println(deliveries + " grown from " + now + " to " + to + " partitions; start edges with EDGE_PARTITION="
                    + (now == to - 1 ? Integer.toString(now) : now + ".." + (to - 1)));
            return 0;
        }
    }

    /** Waits (up to 30 s) until every topic is in the metadata: services started next find them. */
    private static void awaitTopics(Admin admin, List<String> names) throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!admin.listTopics().names().get().containsAll(names)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the topics were created but the metadata does not show all of them yet");
            }
            Thread.sleep(100);
        }
    }

    /**
     * Waits (up to 30 s) until the brokers' metadata shows the new partitions, so that the edge started
     * next, and a repeated command, see them.
     */
    private static void awaitPartitions(Admin admin, String topic, int partitions) throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size() < partitions) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(topic + " was grown to " + partitions + " partitions but the metadata does not show them yet");
            }
            Thread.sleep(100);
        }
    }

    private static String value(Config config, String key) {
        ConfigEntry e = config == null ? null : config.get(key);
        return key + "=" + (e == null ? "?" : e.value());
    }

    private static String ids(List<org.apache.kafka.common.Node> nodes) {
        return nodes.stream().map(n -> Integer.toString(n.id())).collect(Collectors.joining(",", "[", "]"));
    }
}
