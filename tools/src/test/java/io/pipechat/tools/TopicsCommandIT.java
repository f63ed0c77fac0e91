package io.pipechat.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.protocol.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class TopicsCommandIT {

    private static String prefix() {
        return "ops" + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    @Test
    void createMakesEveryTopicWithItsPartitionsAndConfigsAndIsIdempotent(EmbeddedKafka kafka) throws Exception {
        String prefix = prefix();
        Topics topics = Topics.defaults().withPrefix(prefix);
        Cli first = Cli.run("topics", "create", "--bootstrap", kafka.bootstrapServers(), "--topic-prefix", prefix,
                "--partitions", "3", "--edges", "2", "--replication", "1");
        assertThat(first.status()).as(first.toString()).isZero();
        assertThat(first.out().lines().filter(l -> l.startsWith("created"))).hasSize(7);

        Map<String, TopicDescription> d = kafka.admin().describeTopics(topics.all()).allTopicNames().get();
        assertThat(d.get(topics.userEvents()).partitions()).hasSize(3);
        assertThat(d.get(topics.groupEvents()).partitions()).hasSize(3);
        assertThat(d.get(topics.deliveries()).partitions()).hasSize(2);
        assertThat(d.get(topics.edges()).partitions()).hasSize(1);
        assertThat(d.get(topics.push()).partitions()).hasSize(3);

        Map<ConfigResource, Config> c = kafka.admin().describeConfigs(topics.all().stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).all().get();
        assertThat(config(c, topics.edges(), TopicConfig.CLEANUP_POLICY_CONFIG)).isEqualTo("compact");
        assertThat(config(c, topics.groupMembersCdc(), TopicConfig.CLEANUP_POLICY_CONFIG)).isEqualTo("compact");
        assertThat(config(c, topics.groupsCdc(), TopicConfig.CLEANUP_POLICY_CONFIG)).isEqualTo("compact");
        assertThat(config(c, topics.userEvents(), TopicConfig.CLEANUP_POLICY_CONFIG)).isEqualTo("delete");
        assertThat(config(c, topics.userEvents(), TopicConfig.RETENTION_MS_CONFIG))
                .isEqualTo(Long.toString(Duration.ofDays(35).toMillis()));
        assertThat(config(c, topics.deliveries(), TopicConfig.RETENTION_MS_CONFIG))
                .isEqualTo(Long.toString(Duration.ofHours(24).toMillis()));
        for (String t : topics.all()) {
            assertThat(config(c, t, TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG)).as(t).isEqualTo("1");
            assertThat(config(c, t, TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG)).as(t).isEqualTo("false");
        }

        Cli again = Cli.run("topics", "create", "--bootstrap", kafka.bootstrapServers(), "--topic-prefix", prefix,
                "--partitions", "3", "--edges", "2", "--replication", "1");
        assertThat(again.status()).as(again.toString()).isZero();
        assertThat(again.out().lines().filter(l -> l.startsWith("exists"))).hasSize(7);
        assertThat(again.out()).doesNotContain("created");
    }

    @Test
    void describeListsEveryTopicAndFailsWhenOneIsMissing(EmbeddedKafka kafka) {
        String prefix = prefix();
        Topics topics = Topics.defaults().withPrefix(prefix);
        Cli missing = Cli.run("topics", "describe", "--bootstrap", kafka.bootstrapServers(), "--topic-prefix", prefix);
        assertThat(missing.status()).as(missing.toString()).isEqualTo(1);
        assertThat(missing.out()).contains(topics.userEvents() + " MISSING");

        assertThat(Cli.run("topics", "create", "--bootstrap", kafka.bootstrapServers(), "--topic-prefix", prefix,
                "--partitions", "4", "--edges", "3", "--replication", "1").status()).isZero();
        Cli described = Cli.run("topics", "describe", "--bootstrap", kafka.bootstrapServers(), "--topic-prefix", prefix,
                "--partitions-detail");
        assertThat(described.status()).as(described.toString()).isZero();
        assertThat(described.out())
                .contains(topics.userEvents() + " partitions=4 replication=1 under-replicated=0 cleanup.policy=delete min.insync.replicas=1")
                .contains(topics.deliveries() + " partitions=3 ")
                .contains(topics.edges() + " partitions=1 replication=1 under-replicated=0 cleanup.policy=compact")
                .contains("  partition 2 leader=")
                .containsPattern("partition 0 leader=\\d+ replicas=\\[\\d+] isr=\\[\\d+] start-offset=0 end-offset=0");
    }

    @Test
    void addEdgePartitionsGrowsDeliveriesOnlyAndRefusesToShrink(EmbeddedKafka kafka) throws Exception {
        String prefix = prefix();
        Topics topics = Topics.defaults().withPrefix(prefix);
        String bootstrap = kafka.bootstrapServers();
        assertThat(Cli.run("topics", "create", "-b", bootstrap, "--topic-prefix", prefix, "--partitions", "2", "--edges", "2",
                "--replication", "1").status()).isZero();

        Cli grown = Cli.run("topics", "add-edge-partitions", "-b", bootstrap, "--topic-prefix", prefix, "--to", "4");
        assertThat(grown.status()).as(grown.toString()).isZero();
        assertThat(grown.out()).contains("grown from 2 to 4", "EDGE_PARTITION=2..3");
        Map<String, TopicDescription> d = kafka.admin().describeTopics(topics.all()).allTopicNames().get();
        assertThat(d.get(topics.deliveries()).partitions()).hasSize(4);
        assertThat(d.get(topics.userEvents()).partitions()).as("nothing else changes").hasSize(2);

        Cli same = Cli.run("topics", "add-edge-partitions", "-b", bootstrap, "--topic-prefix", prefix, "--to", "4");
        assertThat(same.status()).as(same.toString()).isZero();
        assertThat(same.out()).contains("already has 4 partitions");

        Cli shrink = Cli.run("topics", "add-edge-partitions", "-b", bootstrap, "--topic-prefix", prefix, "--to", "3");
        assertThat(shrink.status()).as(shrink.toString()).isEqualTo(2);
        assertThat(shrink.err()).contains("refused", "has 4 partitions");
        assertThat(kafka.admin().describeTopics(List.of(topics.deliveries())).allTopicNames().get()
                .get(topics.deliveries()).partitions()).hasSize(4);
    }

    @Test
    void badSettingsAreRefusedWithAMessageAndCreateNothing(EmbeddedKafka kafka) throws Exception {
        String prefix = prefix();
        Cli bad = Cli.run("topics", "create", "-b", kafka.bootstrapServers(), "--topic-prefix", prefix,
                "--replication", "1", "--min-isr", "2");
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.err()).contains("--min-isr must be between 1 and the replication factor 1");
        Cli unknownRole = Cli.run("topics", "create", "-b", kafka.bootstrapServers(), "--topic-prefix", prefix,
                "--replication", "1", "--topic", "nope=x");
        assertThat(unknownRole.status()).isEqualTo(1);
        assertThat(unknownRole.err()).contains("unknown topic role 'nope'");
        assertThat(kafka.admin().listTopics().names().get()).noneMatch(t -> t.startsWith(prefix));
    }

    private static String config(Map<ConfigResource, Config> configs, String topic, String key) {
        return configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic)).get(key).value();
    }
}
