package io.pipechat.notifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipechat.notifier.push.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryPolicyAndConfigTest {

    @Test
    void backoffDoublesWithJitterHonoursRetryAfterAndIsCapped() {
        RetryPolicy policy = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(10));
        for (int i = 0; i < 100; i++) {
            assertThat(policy.delay(1, Optional.empty())).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
            assertThat(policy.delay(3, Optional.empty())).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(4));
            assertThat(policy.delay(20, Optional.empty())).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(10));
            assertThat(policy.delay(1, Optional.of(Duration.ofSeconds(7)))).isEqualTo(Duration.ofSeconds(7));
            assertThat(policy.delay(1, Optional.of(Duration.ofHours(1)))).isEqualTo(Duration.ofSeconds(10));
        }
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultsRunTheLocalStack() {
        NotifierConfig c = NotifierConfig.defaults();

        assertThat(c.topic()).isEqualTo("chat.push");
        assertThat(c.groupId()).isEqualTo("pipechat-notifier");
        assertThat(c.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(c.vapidPublicKey()).isNull();
        assertThat(c.vapidKeyFile()).isEqualTo(Path.of("data/notifier/vapid.json"));
        assertThat(c.maxAttempts()).isEqualTo(5);
        assertThat(c.ttl()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void keysAndDurationsAreRead() {
        NotifierConfig c = NotifierConfig.from(Map.of("notifier.retry.initial-backoff", "250ms",
                "notifier.request-timeout", "PT3S", "notifier.ttl", "2h", "notifier.concurrency", "8"));

        assertThat(c.initialBackoff()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.ttl()).isEqualTo(Duration.ofHours(2));
        assertThat(c.concurrency()).isEqualTo(8);
        assertThat(io.pipechat.observe.Settings.environmentName("notifier.db.pool-size")).isEqualTo("NOTIFIER_DB_POOL_SIZE");
        assertThatThrownBy(() -> NotifierConfig.from(Map.of("notifier.ttl", "soon")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> NotifierConfig.from(Map.of("notifier.vapid.public-key", "x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both VAPID keys");
    }
}
