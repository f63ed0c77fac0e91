package io.pipechat.groups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipechat.protocol.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;

class GroupsConfigTest {

    @Test
    void emptyMapGivesTheDefaults() {
        assertThat(GroupsConfig.from(Map.of())).isEqualTo(GroupsConfig.defaults());
        assertThat(GroupsConfig.defaults().topics()).isEqualTo(Topics.defaults());
        assertThat(GroupsConfig.defaults().hold()).isEqualTo(Duration.ofSeconds(5));
        assertThat(GroupsConfig.defaults().maxHold()).isEqualTo(Duration.ofMinutes(2));
        assertThat(GroupsConfig.defaults().membershipIdle()).isEqualTo(Duration.ofSeconds(10));
        assertThat(GroupsConfig.defaults().transactionTimeout()).isLessThan(Duration.ofMinutes(15));
        assertThat(GroupsConfig.defaults().maxHeldPerSender()).isEqualTo(64);
        assertThat(GroupsConfig.defaults().maxHeldPerGroup()).isEqualTo(1024);
        assertThat(GroupsConfig.defaults().sinkGuarantee()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
    }

    @Test
    void readsFlatKeysAndDurationsInSeveralForms() {
        GroupsConfig c = GroupsConfig.from(Map.of(
                "bootstrap-servers", "k1:9092,k2:9092",
                "topics.group-events", "x.group-events",
                "hold", "2500ms",
                "max-hold", "1min",
                "membership-idle", "45s",
                "settle", "PT1S",
                "checkpoint-interval", "3s",
                "transaction-timeout", "5min",
                "parallelism", "4",
                "restart-delay", "750"));
        assertThat(c.bootstrapServers()).isEqualTo("k1:9092,k2:9092");
        assertThat(c.topics().groupEvents()).isEqualTo("x.group-events");
        assertThat(c.topics().userEvents()).isEqualTo(Topics.USER_EVENTS);
        assertThat(c.hold()).isEqualTo(Duration.ofMillis(2500));
        assertThat(c.maxHold()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.membershipIdle()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.settle()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.checkpointInterval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.transactionTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.parallelism()).isEqualTo(4);
        assertThat(c.restartDelay()).isEqualTo(Duration.ofMillis(750));
        GroupsConfig bounds = GroupsConfig.from(Map.of("max-held-per-sender", "8", "max-held-per-group", "100"));
        assertThat(bounds.maxHeldPerSender()).isEqualTo(8);
        assertThat(bounds.maxHeldPerGroup()).isEqualTo(100);
        GroupsConfig changes = GroupsConfig.from(Map.of("typing-interval", "500ms", "system-max-age", "30min",
                "topics.groups-cdc", "x.chat_groups"));
        assertThat(changes.typingInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(changes.systemMaxAge()).isEqualTo(Duration.ofMinutes(30));
        assertThat(changes.topics().groupsCdc()).isEqualTo("x.chat_groups");
        assertThat(GroupsConfig.defaults().systemMaxAge()).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> GroupsConfig.from(Map.of("system-max-age", "-1s")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(GroupsConfig.from(Map.of("sink-guarantee", "exactly-once")).sinkGuarantee())
                .isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(GroupsConfig.from(Map.of("sink-guarantee", "At-Least-Once", "checkpoint-interval", "20min"))
                .sinkGuarantee()).as("no transaction timeout to respect").isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
    }

    @Test
    void rejectsNonsenseWithAClearMessage() {
        assertThatThrownBy(() -> GroupsConfig.from(Map.of("hold", "10s", "max-hold", "5s")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-hold");
        assertThat(GroupsConfig.defaults().withHold(Duration.ofMinutes(5)).maxHold()).isEqualTo(Duration.ofMinutes(5));
        assertThatThrownBy(() -> GroupsConfig.from(Map.of("hold", "soon")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hold: not a duration").hasMessageContaining("soon");
        assertThatThrownBy(() -> GroupsConfig.from(Map.of("parallelism", "many")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parallelism: not an integer: many");
        assertThatThrownBy(() -> GroupsConfig.from(Map.of("sink-guarantee", "none")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sink-guarantee");
        assertThatThrownBy(() -> GroupsConfig.from(Map.of("sink-guarantee", "exactly-once",
                        "transaction-timeout", "1s", "checkpoint-interval", "2s")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("transaction-timeout");
        assertThatThrownBy(() -> GroupsConfig.from(Map.of("max-held-per-sender", "10", "max-held-per-group", "5")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-held-per-group");
    }

    @Test
    void mainArgumentsAreKeyValuePairs() {
        assertThat(GroupsJobMain.parse(new String[] {"hold=1s", "--flink.state.backend.type=hashmap"}))
                .containsEntry("hold", "1s").containsEntry("flink.state.backend.type", "hashmap");
        assertThatThrownBy(() -> GroupsJobMain.parse(new String[] {"hold"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key=value");
    }
}
