package io.pipechat.edge;

import io.helidon.config.Config;
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
 * @param tokenSecret       HS256 secret for bearer tokens (at least 32 bytes)
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
 */
public record EdgeConfig(int partition, String bootstrapServers, Topics topics, String tokenSecret, boolean devMode,
                         Duration devTokenTtl, int maxFrameBytes, Duration heartbeatInterval, double framesPerSecond,
                         int frameBurst, int outboundQueue, Duration flushTimeout) {

    public static EdgeConfig from(Config config) {
        Config edge = config.get("edge");
        Map<String, String> topicNames = new HashMap<>();
        for (String name : List.of("user-events", "group-events", "deliveries", "edges", "push", "group-members-cdc")) {
            config.get("topics").get(name).asString().ifPresent(v -> topicNames.put(name, v));
        }
        return new EdgeConfig(
                edge.get("partition").asInt().orElse(0),
                config.get("kafka.bootstrap-servers").asString().orElse("127.0.0.1:9092"),
                Topics.from(topicNames),
                edge.get("token.secret").asString().orElse(DEV_SECRET),
                edge.get("dev-mode").asBoolean().orElse(false),
                edge.get("token.dev-ttl").as(Duration.class).orElse(Duration.ofDays(1)),
                edge.get("max-frame-bytes").asInt().orElse(64 * 1024),
                edge.get("heartbeat-interval").as(Duration.class).orElse(Duration.ofSeconds(2)),
                edge.get("rate.frames-per-second").asDouble().orElse(50.0),
                edge.get("rate.burst").asInt().orElse(200),
                edge.get("outbound-queue").asInt().orElse(4096),
                edge.get("flush-timeout").as(Duration.class).orElse(Duration.ofSeconds(15)));
    }

    /** The secret of the development default; production configurations must set their own. */
    public static final String DEV_SECRET = io.pipechat.protocol.auth.Hs256Tokens.DEVELOPMENT_SECRET;

    /** The configuration keys that name these topics, for building a configuration in code. */
    public static Map<String, String> topicKeys(Topics t) {
        return Map.of("topics.user-events", t.userEvents(), "topics.group-events", t.groupEvents(),
                "topics.deliveries", t.deliveries(), "topics.edges", t.edges(), "topics.push", t.push(),
                "topics.group-members-cdc", t.groupMembersCdc());
    }
}
