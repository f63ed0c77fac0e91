package io.pipechat.protocol.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A record of the compacted {@code chat.edges} topic, keyed by the edge id (its delivery partition
 * as a decimal string). {@code epoch} changes on every start of the edge; {@code up} is false in
 * the last heartbeat of a clean shutdown. Sessions on an edge whose heartbeat is stale, or whose
 * epoch is older than the edge's current one, are offline.
 */
public record EdgeHeartbeat(int edge, long epoch, long ts, boolean up) {
    public static final int VERSION = 1;

    @JsonProperty("v")
    public int v() {
        return VERSION;
    }

    public static String key(int edge) {
        return Integer.toString(edge);
    }
}
