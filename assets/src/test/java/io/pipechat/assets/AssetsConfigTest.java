package io.pipechat.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AssetsConfigTest {

    @Test
    void missingKeysTakeTheDocumentedDefaultsInDevMode() {
        AssetsConfig c = AssetsConfig.from(Config.just(ConfigSources.create(Map.of("assets.dev-mode", "true")))
                .get("assets"));
        assertThat(c).isEqualTo(AssetsConfig.defaults());
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.maxBytes()).isEqualTo(100L * 1024 * 1024);
        assertThat(c.hotRequests()).isEqualTo(5);
        assertThat(c.hotWindow()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.hotCacheBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(c.storeDir()).isEqualTo(Path.of("data", "assets"));
    }

    @Test
    void everyDocumentedKeyIsRead() {
        Config config = Config.just(ConfigSources.create(Map.of(
                "assets.host", "127.0.0.1",
                "assets.port", "9090",
                "assets.store.dir", "/var/blobs",
                "assets.max-bytes", "1000",
                "assets.hot.requests", "7",
                "assets.hot.window", "PT1M",
                "assets.hot.cache-bytes", "4096",
                "assets.token.secret", "s".repeat(32))));
        assertThat(AssetsConfig.from(config.get("assets"))).isEqualTo(new AssetsConfig("127.0.0.1", 9090,
                Path.of("/var/blobs"), 1000, 7, Duration.ofMinutes(1), 4096, "s".repeat(32)));
    }

    @Test
    void withoutDevModeAMissingSecretIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> AssetsConfig.from(Config.empty().get("assets")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("assets.token.secret is not set").hasMessageContaining("ASSETS_TOKEN_SECRET");
        assertThatThrownBy(() -> AssetsConfig.from(assets(Map.of("assets.token.secret", "  "))))
                .hasMessageContaining("assets.token.secret is not set");
    }

    @Test
    void withoutDevModeThePublishedDevelopmentSecretsAreRefused() {
        for (String published : List.of(AssetsConfig.DEV_SECRET, "change-me-this-is-not-a-secret-0123456789")) {
            assertThatThrownBy(() -> AssetsConfig.from(assets(Map.of("assets.token.secret", published))))
                    .as(published).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("assets.token.secret is a published development value");
        }
        assertThat(AssetsConfig.from(assets(Map.of("assets.token.secret", AssetsConfig.DEV_SECRET,
                "assets.dev-mode", "true"))).tokenSecret()).isEqualTo(AssetsConfig.DEV_SECRET);
    }

    private static Config assets(Map<String, String> settings) {
        return Config.just(ConfigSources.create(settings)).get("assets");
    }

    @Test
    void outOfRangePortsAreRefused() {
        assertThatThrownBy(() -> AssetsConfig.defaults().withPort(70000)).isInstanceOf(IllegalArgumentException.class);
    }
}
