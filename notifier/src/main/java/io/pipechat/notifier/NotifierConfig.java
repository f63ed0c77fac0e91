package io.pipechat.notifier;

import io.pipechat.notifier.push.EndpointPolicy;
import io.pipechat.protocol.Topics;
import java.nio.file.Path;
import io.pipechat.protocol.Durations;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the notifier needs. {@link #defaults()} runs against the embedded stack on this machine's
 * default ports; {@link #from(Function)} reads the keys below (each optional, defaults in brackets).
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><td>{@code notifier.bootstrap-servers}</td><td>Kafka [127.0.0.1:9092]</td></tr>
 *   <tr><td>{@code notifier.topic}</td><td>push requests [chat.push]</td></tr>
 *   <tr><td>{@code notifier.group-id}</td><td>consumer group [pipechat-notifier]</td></tr>
 *   <tr><td>{@code notifier.db.url}, {@code .user}, {@code .password}, {@code .pool-size}</td>
 *       <td>MySQL/MariaDB [jdbc:mariadb://127.0.0.1:3306/chat, root, empty, 4]</td></tr>
 *   <tr><td>{@code notifier.vapid.public-key}, {@code notifier.vapid.private-key}</td>
 *       <td>VAPID pair, unpadded base64url (65-byte point, 32-byte scalar) [none: key file]</td></tr>
 *   <tr><td>{@code notifier.data-dir}</td><td>holds {@code vapid.json} when no pair is configured [data/notifier]</td></tr>
 *   <tr><td>{@code notifier.vapid.subject}</td><td>VAPID {@code sub}, mailto: or https: [mailto:ops@pipechat.invalid]</td></tr>
 *   <tr><td>{@code notifier.concurrency}</td><td>pushes in flight at once [64]</td></tr>
 *   <tr><td>{@code notifier.max-in-flight-requests}</td><td>push requests being worked on before polling pauses [1000]</td></tr>
 *   <tr><td>{@code notifier.retry.max-attempts}</td><td>attempts per push [5]</td></tr>
 *   <tr><td>{@code notifier.retry.initial-backoff}, {@code .max-backoff}</td><td>[1s, 60s]</td></tr>
 *   <tr><td>{@code notifier.request-timeout}</td><td>one POST to a push service [10s]</td></tr>
 *   <tr><td>{@code notifier.ttl}</td><td>Web Push TTL; older requests are skipped [24h]</td></tr>
 *   <tr><td>{@code notifier.shutdown-grace}</td><td>how long close() waits for pushes in flight [5s]</td></tr>
 *   <tr><td>{@code notifier.allow-http-endpoints}</td><td>accept {@code http:} push endpoints, for a
 *       local test push service; browsers' push services are all https [false]</td></tr>
 *   <tr><td>{@code notifier.push.allowed-hosts}</td><td>push services the notifier may POST to, comma-separated,
 *       {@code *.} for all subdomains [{@link EndpointPolicy#DEFAULT_ALLOWED_HOSTS}]</td></tr>
 *   <tr><td>{@code notifier.push.allow-loopback}</td><td>accept endpoints on loopback addresses, for tests and
 *       development only; private, link-local and other internal addresses are always refused [false]</td></tr>
 * </table>
 * Durations: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 24h} or ISO-8601 ({@code PT10S}).
 *
 * @param vapidPublicKey  null (with {@code vapidPrivateKey} null) to use the key file under {@code dataDir}
 */
public record NotifierConfig(String bootstrapServers, String topic, String groupId,
                             String dbUrl, String dbUser, String dbPassword, int dbPoolSize,
                             String vapidPublicKey, String vapidPrivateKey, Path dataDir, String vapidSubject,
                             int concurrency, int maxInFlightRequests,
                             int maxAttempts, Duration initialBackoff, Duration maxBackoff,
                             Duration requestTimeout, Duration ttl, Duration shutdownGrace,
                             boolean allowHttpEndpoints, List<String> allowedPushHosts,
                             boolean allowLoopbackEndpoints) {

    public static final String DEFAULT_GROUP_ID = "pipechat-notifier";
    public static final String VAPID_KEY_FILE = "vapid.json";

    public NotifierConfig {
        if ((vapidPublicKey == null) != (vapidPrivateKey == null)) {
            throw new IllegalArgumentException("configure both VAPID keys or neither");
        }
        if (vapidPublicKey == null && dataDir == null) {
            throw new IllegalArgumentException("without VAPID keys a data directory is needed for the key file");
        }
        if (concurrency < 1 || maxInFlightRequests < 1 || dbPoolSize < 1) {
            throw new IllegalArgumentException("concurrency, max-in-flight-requests and db pool size must be positive");
        }
        if (ttl.isNegative() || ttl.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("ttl and request-timeout must be positive");
        }
        allowedPushHosts = List.copyOf(allowedPushHosts);
        if (allowedPushHosts.isEmpty()) {
            throw new IllegalArgumentException("notifier.push.allowed-hosts is empty: no push could be sent");
        }
    }

    public static NotifierConfig defaults() {
        return from(key -> null);
    }

    /** Reads the keys above from {@code lookup} (null = not set: the default). */
    public static NotifierConfig from(Function<String, String> lookup) {
        Function<String, String> get = key -> {
            String v = lookup.apply(key);
            return v == null || v.isBlank() ? null : v.strip();
        };
        return new NotifierConfig(
                or(get.apply("notifier.bootstrap-servers"), "127.0.0.1:9092"),
                or(get.apply("notifier.topic"), Topics.PUSH),
                or(get.apply("notifier.group-id"), DEFAULT_GROUP_ID),
                or(get.apply("notifier.db.url"), "jdbc:mariadb://127.0.0.1:3306/chat"),
                or(get.apply("notifier.db.user"), "root"),
                or(lookup.apply("notifier.db.password"), ""),
                Integer.parseInt(or(get.apply("notifier.db.pool-size"), "4")),
                get.apply("notifier.vapid.public-key"),
                get.apply("notifier.vapid.private-key"),
                Path.of(or(get.apply("notifier.data-dir"), "data/notifier")),
                or(get.apply("notifier.vapid.subject"), "mailto:ops@pipechat.invalid"),
                Integer.parseInt(or(get.apply("notifier.concurrency"), "64")),
                Integer.parseInt(or(get.apply("notifier.max-in-flight-requests"), "1000")),
                Integer.parseInt(or(get.apply("notifier.retry.max-attempts"), "5")),
                duration(or(get.apply("notifier.retry.initial-backoff"), "1s")),
                duration(or(get.apply("notifier.retry.max-backoff"), "60s")),
                duration(or(get.apply("notifier.request-timeout"), "10s")),
                duration(or(get.apply("notifier.ttl"), "24h")),
                duration(or(get.apply("notifier.shutdown-grace"), "5s")),
                Boolean.parseBoolean(or(get.apply("notifier.allow-http-endpoints"), "false")),
                hosts(get.apply("notifier.push.allowed-hosts")),
                Boolean.parseBoolean(or(get.apply("notifier.push.allow-loopback"), "false")));
    }

    /** The same settings from a map of the keys above, the rest defaulted (for code and tests). */
    public static NotifierConfig from(Map<String, String> settings) {
        return from(settings::get);
    }

    /** The endpoints the notifier may send to. */
    public EndpointPolicy endpointPolicy() {
        return new EndpointPolicy(allowedPushHosts, allowHttpEndpoints, allowLoopbackEndpoints);
    }

    /** The key file used when no VAPID pair is configured. */
    public Path vapidKeyFile() {
        return dataDir.resolve(VAPID_KEY_FILE);
    }

    /** The project's duration syntax ({@link Durations}). */
    static Duration duration(String text) {
        return Durations.parse(text);
    }

    private static List<String> hosts(String commaSeparated) {
        return commaSeparated == null ? EndpointPolicy.DEFAULT_ALLOWED_HOSTS
                : Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(h -> !h.isEmpty()).toList();
    }

    private static String or(String value, String fallback) {
        return value == null ? fallback : value;
    }
}
