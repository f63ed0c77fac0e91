package io.pipechat.protocol.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.pipechat.protocol.DeviceInfo;
import java.util.List;

/**
 * A record of {@code chat.deliveries}, keyed by {@link #user()}, written to the partition of the
 * edge that holds the user's session. The edge pushes it to its local sockets. Read and written with
 * {@link DeliveryCodec}, which carries a {@link Frame}'s client frame as it is, without decoding it.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Delivery.Frame.class, name = "frame"),
        @JsonSubTypes.Type(value = Delivery.Close.class, name = "close"),
        @JsonSubTypes.Type(value = Delivery.Flushed.class, name = "flushed"),
        @JsonSubTypes.Type(value = Delivery.Devices.class, name = "devices")})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface Delivery {
    int VERSION = 1;

    String user();

    @JsonProperty("v")
    default int v() {
        return VERSION;
    }

    /**
     * Push {@code frame}, an encoded client frame (a JSON object), to {@code user}'s sessions on this
     * edge: to session {@code session}, or, when it is null, to every session that has finished its
     * mailbox flush, except those of device {@code except} (if not null: the device a message or read
     * came from, which has it already).
     */
    record Frame(String user, String session, String except,
                 @JsonRawValue @JsonDeserialize(using = RawJson.class) String frame) implements Delivery {
        public Frame(String user, String session, String frame) {
            this(user, session, null, frame);
        }

        /** A delivery of {@code frame}, encoded here (the router keeps frames encoded and does not need this). */
        public static Frame of(String user, String session, io.pipechat.protocol.frames.ServerFrame frame) {
            return new Frame(user, session, null, io.pipechat.protocol.frames.FrameCodec.encode(frame));
        }

        /** The frame as an object, for readers that look into it (tests, tools); edges do not. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public io.pipechat.protocol.frames.ServerFrame decoded() {
            return io.pipechat.protocol.Json.read(frame, io.pipechat.protocol.frames.ServerFrame.class);
        }
    }

    /** Close one session with a WebSocket close code (4409: the same device connected elsewhere). */
    record Close(String user, String session, int code, String reason) implements Delivery {
    }

    /**
     * The router has written the whole mailbox flush of {@code session} (possibly nothing) to this
     * partition. Until the edge reads this marker, frames that name no session are not for that
     * session: everything the router wrote before it is either in the flush or was acked, so a
     * session sees its flush first and then live frames, whatever the timing (PROTOCOL.md).
     * {@code deviceCount} is the number of devices the user has registered (0 from routers that do
     * not say).
     */
    record Flushed(String user, String session, int deviceCount) implements Delivery {
        public Flushed(String user, String session) {
            this(user, session, 0);
        }
    }

    /**
     * {@code user}'s registered devices: the answer to the edge's {@code DevicesQuery} named
     * {@code request}, or, with no request, news that they changed (the edge tells the user's sessions).
     */
    record Devices(String user, String request, List<DeviceInfo> devices) implements Delivery {
        public Devices {
            devices = List.copyOf(devices);
        }
    }
}
