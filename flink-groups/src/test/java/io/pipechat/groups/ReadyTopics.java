package io.pipechat.groups;

import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.protocol.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Creates a test's topics and waits until the broker leads every partition. {@code createTopics}
 * returns once the controller has the topics; a producer that writes before the broker applied that
 * gets {@code NOT_LEADER_OR_FOLLOWER}, and the idempotent producer of Kafka 4.2 can then stall for its
 * whole delivery timeout on {@code OUT_OF_ORDER_SEQUENCE_NUMBER} (seen under load). A {@code ListOffsets}
 * for every partition succeeds only on the partition leader's replica manager.
 */
final class ReadyTopics {
    private ReadyTopics() {
    }

    static void create(EmbeddedKafka kafka, Topics topics, int partitions) {
        kafka.createTopics(topics, partitions, 1);
        try (Admin admin = kafka.admin()) {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
                Map<TopicPartition, OffsetSpec> all = admin.describeTopics(topics.all()).allTopicNames().get().values().stream()
                        .flatMap(t -> t.partitions().stream().map(p -> new TopicPartition(t.name(), p.partition())))
                        .collect(Collectors.toMap(Function.identity(), tp -> OffsetSpec.latest()));
                return admin.listOffsets(all).all().get().size() == all.size();
            });
        }
    }
}
