package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.UserEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A router that vanishes without leaving the consumer group (as after {@code kill -9}): the other
 * instance owns every task once the group coordinator drops the silent member after the router's
 * session timeout (10 s), well before Kafka's default of 45 s would have passed, and goes on routing.
 */
@ExtendWith(KafkaExtension.class)
class RouterTakeoverIT {
    private static final Logger LOG = LoggerFactory.getLogger(RouterTakeoverIT.class);
    private static final int PARTITIONS = 4;

    @Test
    @Timeout(150)
    void survivorOwnsEveryTaskWithinTheSessionTimeoutAfterAnInstanceVanishes(EmbeddedKafka kafka, @TempDir Path dirs)
            throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, PARTITIONS, 2);
        String appId = "takeover-" + UUID.randomUUID();
        RouterConfig config = RouterConfig.defaults().withApplicationId(appId);
        Router first = Router.start(config, kafka.bootstrapServers(), topics, dirs.resolve("first"));
        boolean firstClosed = false;
        try (Router second = Router.start(config, kafka.bootstrapServers(), topics, dirs.resolve("second"));
             Admin admin = kafka.admin();
             KafkaProducer<String, Object> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                     new StringSerializer(), JsonSerde.serializer())) {
            await("both instances own tasks").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> first.activeTaskCount() > 0 && second.activeTaskCount() > 0
                            && first.activeTaskCount() + second.activeTaskCount() == PARTITIONS);
            int membersBefore = members(admin, appId);

            long t0 = System.nanoTime();
            first.closeWithoutLeaving();
            firstClosed = true;
            assertThat(members(admin, appId)).as("the vanished instance is still a member: nobody told the group")
                    .isEqualTo(membersBefore);

            await("the survivor owns every task").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> second.activeTaskCount() == PARTITIONS && second.state() == KafkaStreams.State.RUNNING);
            LOG.info("survivor owned all {} tasks {} ms after the other instance vanished (session timeout {})",
                    PARTITIONS, (System.nanoTime() - t0) / 1_000_000, config.sessionTimeout());
            assertThat(members(admin, appId)).isLessThan(membersBefore);

            // It routes for users of every partition, including those the vanished one had.
            List<String> users = List.of("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8");
            for (String user : users) {
                producer.send(new ProducerRecord<>(topics.userEvents(), user, new UserEvent.Message(user, "alice",
                        "m-" + user, Address.user(user), System.currentTimeMillis(), "hi", null))).get();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> second.meters().mailboxEntries() == users.size());
        } finally {
            if (!firstClosed) {
                first.close();
            }
        }
    }

    private static int members(Admin admin, String group) throws Exception {
        return admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().size();
    }
}
