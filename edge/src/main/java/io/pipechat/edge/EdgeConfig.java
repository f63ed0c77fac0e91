package io.pipechat.edge;

import io.helidon.config.Config;
import io.pipechat.edge.auth.TokenConfig;
import io.pipechat.protocol.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What an edge needs to run, read from the {@code edge}, {@code kafka} and {@code topics} sections of
 * its configuration (defaults in {@code application.yaml}: they run against the embedded stack).
 *
 * @param partition         this edge's identity: the partition of {@code chat.deliveries} it consumes
 * @param bootstrapServers  Kafka
 * @param topics            topic names
 * @param tokens            how bearer tokens are checked ({@code edge.token.*}, see {@link TokenConfig})
 * @param devMode           enables {@code POST /v1/dev/token}; never in production
 * @param devTokenTtl       lifetime of dev tokens
 * @param maxFrameBytes     largest accepted client frame (a larger one gets {@code too_large})
 * @param heartbeatInterval how often the edge publishes its heartbeat to {@code chat.edges}
 * @param framesPerSecond   sustained client frame rate per connection before close 4429
 * @param frameBurst        frames a connection may send at once above the sustained rate
 * @param outboundQueue     frames queued for one slow socket before it is dropped (it reconnects and
 *                          gets its unacked messages again from the mailbox)
 * @param flushTimeout      how long a new session waits for the router's end-of-flush marker before it
 *                          is closed with 1013 (the router may be taking over the user; the client
 *                          reconnects)
 * @param allowedOrigins    web origins that may open {@code /v1/ws}, comma-separated; empty: the edge's own
 * @param maxBodyBytes      largest request body of the edge's HTTP API (413 above it)
 * @param outboundQueueChars characters queued for one slow socket before it is dropped (like outboundQueue)
 * @param writeTimeout      longest one write to a socket may block before the socket is dropped
 * @param maxConnectionsPerUser sessions of one user on this edge (the next is refused with 429)
 * @param userSendsPerSecond sustained {@code send} rate of one user over all their connections here
 * @param userSendBurst     sends one user may make at once above that rate
 */
public record EdgeConfig(int partition, String bootstrapServers, Topics topics, TokenConfig tokens, boolean devMode,
                         Duration devTokenTtl, int maxFrameBytes, Duration heartbeatInterval, double framesPerSecond,
                         int frameBurst, int outboundQueue, Duration flushTimeout, String allowedOrigins,
                         int maxBodyBytes, long outboundQueueChars, Duration writeTimeout, int maxConnectionsPerUser,
                         double userSendsPerSecond, int userSendBurst) {

    public static EdgeConfig from(Config config) {
        Config edge = config.get("edge");
        Map<String, String> topicNames = new HashMap<>();
        for (String name : List.of("user-events", "group-events", "deliveries", "edges", "push", "group-members-cdc")) {
            config.get("topics").get(name).asString().ifPresent(v -> topicNames.put(name, v));
        }
        boolean devMode = edge.get("dev-mode").asBoolean().orElse(false);
        return new EdgeConfig(
                edge.get("partition").asInt().orElse(0),
                config.get("kafka.bootstrap-servers").asString().orElse("127.0.0.1:9092"),
                Topics.from(topicNames),
                TokenConfig.from(edge.get("token"), devMode),
                devMode,
                edge.get("token.dev-ttl").as(Duration.class).orElse(Duration.ofDays(1)),
                edge.get("max-frame-bytes").asInt().orElse(64 * 1024),
                edge.get("heartbeat-interval").as(Duration.class).orElse(Duration.ofSeconds(2)),
                edge.get("rate.frames-per-second").asDouble().orElse(50.0),
                edge.get("rate.burst").asInt().orElse(200),
                edge.get("outbound-queue").asInt().orElse(4096),
                edge.get("flush-timeout").as(Duration.class).orElse(Duration.ofSeconds(15)),
                edge.get("allowed-origins").asString().orElse(""),
                edge.get("http.max-body-bytes").asInt().orElse(64 * 1024),
                edge.get("outbound-queue-chars").asLong().orElse(4L * 1024 * 1024),
                edge.get("write-timeout").as(Duration.class).orElse(Duration.ofSeconds(20)),
                edge.get("max-connections-per-user").asInt().orElse(10),
                edge.get("rate.user-sends-per-second").asDouble().orElse(20.0),
                edge.get("rate.user-send-burst").asInt().orElse(100));
    }

    /** The configuration keys that name these topics, for building a configuration in code. */
    public static Map<String, String> topicKeys(Topics t) {
        return Map.of("topics.user-events", t.userEvents(), "topics.group-events", t.groupEvents(),
                "topics.deliveries", t.deliveries(), "topics.edges", t.edges(), "topics.push", t.push(),
                "topics.group-members-cdc", t.groupMembersCdc());
    }
}
