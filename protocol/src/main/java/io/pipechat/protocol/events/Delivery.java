package io.pipechat.protocol.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.pipechat.protocol.frames.ServerFrame;

/**
 * A record of {@code chat.deliveries}, keyed by {@link #user()}, written to the partition of the
 * edge that holds the user's session. The edge pushes it to its local sockets.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Delivery.Frame.class, name = "frame"),
        @JsonSubTypes.Type(value = Delivery.Close.class, name = "close"),
        @JsonSubTypes.Type(value = Delivery.Flushed.class, name = "flushed")})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface Delivery {
    int VERSION = 1;

    String user();

    @JsonProperty("v")
    default int v() {
        return VERSION;
    }

    /** Push {@code frame} to {@code user}'s sessions on this edge; {@code session} null means all of them. */
    record Frame(String user, String session, ServerFrame frame) implements Delivery {
    }

    /** Close one session with a WebSocket close code (4409: the same device connected elsewhere). */
    record Close(String user, String session, int code, String reason) implements Delivery {
    }

    /**
     * The router has written the whole mailbox flush of {@code session} (possibly nothing) to this
     * partition. Until the edge reads this marker, frames that name no session are not for that
     * session: everything the router wrote before it is either in the flush or was acked, so a
     * session sees its flush first and then live frames, whatever the timing (PROTOCOL.md).
     */
    record Flushed(String user, String session) implements Delivery {
    }
}
