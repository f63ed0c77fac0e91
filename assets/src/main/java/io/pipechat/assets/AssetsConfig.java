package io.pipechat.assets;

import io.helidon.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * Settings of the asset service. Every key lives under {@code assets.} in Helidon config
 * (application.yaml, system properties {@code -Dassets.port=...}, or environment variables
 * {@code ASSETS_PORT=...}):
 *
 * <pre>
 * key                default                      meaning
 * host               0.0.0.0                      listen address
 * port               8080                         listen port (0 = any free port)
 * store.dir          data/assets                  blob directory (created if missing)
 * max-bytes          104857600 (100 MiB)          largest accepted upload; larger gets 413
 * hot.requests       5                            requests within one window that make an id hot
 * hot.window         PT10S                        the request-rate window (ISO-8601 duration)
 * hot.cache-bytes    67108864 (64 MiB)            memory of the hot tier; blobs up to a quarter of it are cached
 * token.secret       (none)                       HS256 secret shared with the edge, at least 32 bytes
 * dev-mode           false                        true: a missing secret means the development secret
 * </pre>
 *
 * {@link #from(Config)} refuses to build a configuration without {@code token.secret}, or with one of
 * the {@linkplain #KNOWN_DEVELOPMENT_SECRETS published development values}, unless {@code dev-mode} is
 * true: with a public secret anyone can mint tokens and upload as anyone. {@link #defaults()} is the
 * development configuration of the embedded stack.
 */
public record AssetsConfig(
        String host,
        int port,
        Path storeDir,
        long maxBytes,
        int hotRequests,
        Duration hotWindow,
        long hotCacheBytes,
        String tokenSecret) {

    /** For development and the embedded stack only: anyone who reads this can mint tokens. */
    public static final String DEV_SECRET = io.pipechat.protocol.auth.Hs256Tokens.DEVELOPMENT_SECRET;

    /**
     * Secrets printed in this repository: the development default, the fallback the compose file used
     * to have, and the placeholder of deploy/compose-validation.env. Outside development they are refused.
     */
    public static final Set<String> KNOWN_DEVELOPMENT_SECRETS = Set.of(DEV_SECRET,
            "change-me-this-is-not-a-secret-0123456789", "compose-validation-only-not-a-secret-000000000000");

    public static final long DEFAULT_MAX_BYTES = 100L * 1024 * 1024;

    public AssetsConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("assets.port out of range: " + port);
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("assets.max-bytes must not be negative");
        }
    }

    /** The defaults listed above. */
    public static AssetsConfig defaults() {
        return new AssetsConfig("0.0.0.0", 8080, Path.of("data", "assets"), DEFAULT_MAX_BYTES, 5,
                Duration.ofSeconds(10), 64L * 1024 * 1024, DEV_SECRET);
    }

    /**
     * Reads the keys above from the {@code assets} node; missing keys take their defaults.
     *
     * @throws IllegalArgumentException without dev mode, when {@code assets.token.secret} is not set
     *                                  or is a known development value (the message says what to do)
     */
    public static AssetsConfig from(Config assets) {
        AssetsConfig d = defaults();
        boolean devMode = assets.get("dev-mode").asBoolean().orElse(false);
        String secret = assets.get("token.secret").asString().map(String::strip).filter(v -> !v.isEmpty()).orElse(null);
        if (!devMode && (secret == null || KNOWN_DEVELOPMENT_SECRETS.contains(secret))) {
            throw new IllegalArgumentException((secret == null ? "assets.token.secret is not set"
                    : "assets.token.secret is a published development value")
                    + ": set ASSETS_TOKEN_SECRET (or -Dassets.token.secret) to the edges' secret, at least 32 random"
                    + " bytes; assets.dev-mode=true allows the development secret on a developer's machine");
        }
        return new AssetsConfig(
                assets.get("host").asString().orElse(d.host()),
                assets.get("port").asInt().orElse(d.port()),
                assets.get("store.dir").asString().map(Path::of).orElse(d.storeDir()),
                assets.get("max-bytes").asLong().orElse(d.maxBytes()),
                assets.get("hot.requests").asInt().orElse(d.hotRequests()),
                assets.get("hot.window").as(Duration.class).orElse(d.hotWindow()),
                assets.get("hot.cache-bytes").asLong().orElse(d.hotCacheBytes()),
                secret != null ? secret : d.tokenSecret());
    }

    public AssetsConfig withPort(int port) {
        return new AssetsConfig(host, port, storeDir, maxBytes, hotRequests, hotWindow, hotCacheBytes, tokenSecret);
    }

    public AssetsConfig withStoreDir(Path dir) {
        return new AssetsConfig(host, port, dir, maxBytes, hotRequests, hotWindow, hotCacheBytes, tokenSecret);
    }

    public AssetsConfig withMaxBytes(long max) {
        return new AssetsConfig(host, port, storeDir, max, hotRequests, hotWindow, hotCacheBytes, tokenSecret);
    }

    public AssetsConfig withHot(int requests, Duration window, long cacheBytes) {
        return new AssetsConfig(host, port, storeDir, maxBytes, requests, window, cacheBytes, tokenSecret);
    }

    public AssetsConfig withTokenSecret(String secret) {
        return new AssetsConfig(host, port, storeDir, maxBytes, hotRequests, hotWindow, hotCacheBytes, secret);
    }

    public AssetsConfig withHost(String host) {
        return new AssetsConfig(host, port, storeDir, maxBytes, hotRequests, hotWindow, hotCacheBytes, tokenSecret);
    }
}
