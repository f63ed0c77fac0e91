package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterConfigTest {

    @Test
    void shouldDefaultEverySettingThatIsAbsent() {
        assertThat(RouterConfig.from(key -> null)).isEqualTo(RouterConfig.defaults());
        assertThat(RouterConfig.defaults()).isEqualTo(new RouterConfig("pipechat-router", Duration.ofDays(30),
                Duration.ofHours(24), Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10), 0,
                Duration.ofMillis(100)));
    }

    @Test
    void shouldReadShortAndIsoDurations() {
        Map<String, String> settings = Map.of(
                "router.application-id", "router-b",
                "router.retention", "7d",
                "router.dedup-window", "12h",
                "router.edge-timeout", "PT15S",
                "router.retention-interval", "30s",
                "router.push-quiet-period", "5m",
                "router.standby-replicas", "1",
                "router.commit-interval", "50ms");

        assertThat(RouterConfig.from(settings::get)).isEqualTo(new RouterConfig("router-b", Duration.ofDays(7),
                Duration.ofHours(12), Duration.ofSeconds(15), Duration.ofSeconds(30), Duration.ofMinutes(5), 1,
                Duration.ofMillis(50)));
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
    }
}
