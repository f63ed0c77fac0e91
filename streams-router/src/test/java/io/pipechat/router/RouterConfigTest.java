package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class RouterConfigTest {

    @Test
    void shouldDefaultEverySettingThatIsAbsent() {
        assertThat(RouterConfig.from(key -> null)).isEqualTo(RouterConfig.defaults());
        assertThat(RouterConfig.defaults()).isEqualTo(new RouterConfig("pipechat-router", Duration.ofDays(30),
                Duration.ofHours(24), Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10), 0,
                Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(3), Duration.ofSeconds(15),
                new RouterConfig.Limits(8, 50_000, 1_000, 1 << 20), 0));
    }

    @Test
    void shouldReadShortAndIsoDurations() {
        Map<String, String> settings = Map.ofEntries(
                Map.entry("router.application-id", "router-b"),
                Map.entry("router.retention", "7d"),
                Map.entry("router.dedup-window", "12h"),
                Map.entry("router.edge-timeout", "PT15S"),
                Map.entry("router.retention-interval", "30s"),
                Map.entry("router.push-quiet-period", "5m"),
                Map.entry("router.standby-replicas", "1"),
                Map.entry("router.commit-interval", "50ms"),
                Map.entry("router.session-timeout", "20s"),
                Map.entry("router.heartbeat-interval", "5s"),
                Map.entry("router.admin-timeout", "30s"),
                Map.entry("router.max-devices", "3"),
                Map.entry("router.max-mailbox-entries", "100"),
                Map.entry("router.flush-page-entries", "10"),
                Map.entry("router.flush-page-bytes", "4096"),
                Map.entry("router.seq-base", "1000000"));

        assertThat(RouterConfig.from(settings::get)).isEqualTo(new RouterConfig("router-b", Duration.ofDays(7),
                Duration.ofHours(12), Duration.ofSeconds(15), Duration.ofSeconds(30), Duration.ofMinutes(5), 1,
                Duration.ofMillis(50), Duration.ofSeconds(20), Duration.ofSeconds(5), Duration.ofSeconds(30),
                new RouterConfig.Limits(3, 100, 10, 4096), 1_000_000));
    }

    @Test
    void shouldNameTheKeyOfAnUnreadableValue() {
        assertThatThrownBy(() -> RouterConfig.from(Map.of("router.edge-timeout", "soon")::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("router.edge-timeout");
        assertThatThrownBy(() -> RouterConfig.from(Map.of("router.commit-interval", "0s")::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("router.commit-interval");
        assertThatThrownBy(() -> RouterConfig.from(Map.of("router.standby-replicas", "-1")::get))
                .hasMessageContaining("router.standby-replicas");
        assertThatThrownBy(() -> RouterConfig.from(Map.of("router.heartbeat-interval", "10s")::get))
                .as("a heartbeat interval not shorter than the session timeout")
                .hasMessageContaining("router.heartbeat-interval");
    }

    @Test
    void shouldPassFailureDetectionAndAdminTimeoutsToKafkaStreams() {
        Properties p = Router.streamsConfig(RouterConfig.defaults(), "localhost:9092", Path.of("state"));
        assertThat(p).containsEntry("main.consumer.session.timeout.ms", "10000")
                .containsEntry("main.consumer.heartbeat.interval.ms", "3000")
                .containsEntry("admin.default.api.timeout.ms", "15000")
                .containsEntry("admin.request.timeout.ms", "10000")
                .containsEntry("admin.metadata.max.age.ms", "10000");
        StreamsConfig streams = new StreamsConfig(p);
        assertThat(streams.getMainConsumerConfigs("group", "client", 0))
                .containsEntry("session.timeout.ms", "10000")
                .containsEntry("heartbeat.interval.ms", "3000");
        assertThat(streams.getAdminConfigs("client"))
                .containsEntry("default.api.timeout.ms", "15000")
                .containsEntry("request.timeout.ms", "10000");

        Properties shortAdmin = Router.streamsConfig(RouterConfig.from(Map.of("router.admin-timeout", "4s")::get),
                "localhost:9092", Path.of("state"));
        assertThat(shortAdmin).as("request.timeout.ms may not exceed default.api.timeout.ms")
                .containsEntry("admin.request.timeout.ms", "4000")
                .containsEntry("admin.default.api.timeout.ms", "4000");
    }
}
