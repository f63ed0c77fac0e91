package io.pipechat.protocol.frames;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.DeviceInfo;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Media;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.SystemEvent;
import java.util.List;

/** A frame from an edge to a client (PROTOCOL.md, "Server to client"). */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ServerFrame.Welcome.class, name = "welcome"),
        @JsonSubTypes.Type(value = ServerFrame.Sent.class, name = "sent"),
        @JsonSubTypes.Type(value = ServerFrame.Msg.class, name = "msg"),
        @JsonSubTypes.Type(value = ServerFrame.Receipt.class, name = "receipt"),
        @JsonSubTypes.Type(value = ServerFrame.Typing.class, name = "typing"),
        @JsonSubTypes.Type(value = ServerFrame.Pong.class, name = "pong"),
        @JsonSubTypes.Type(value = ServerFrame.Error.class, name = "error"),
        @JsonSubTypes.Type(value = ServerFrame.Read.class, name = "read"),
        @JsonSubTypes.Type(value = ServerFrame.Devices.class, name = "devices")})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ServerFrame {

    record Welcome(String user, String device, int edge, long ts) implements ServerFrame {
    }

    /** Message {@code id} is durably stored in Kafka. */
    record Sent(String id, long ts) implements ServerFrame {
    }

    /**
     * A message for this user; {@code seq} is this user's mailbox sequence number. With
     * {@code system} (an extension) it is a system message: a change of the group {@code to}.
     */
    record Msg(long seq, String id, String from, Address to, long ts, String body, Media media, SystemEvent system)
            implements ServerFrame {
        public Msg(long seq, String id, String from, Address to, long ts, String body, Media media) {
            this(seq, id, from, to, ts, body, media, null);
        }
    }

    /**
     * Message {@code id} that this user sent was delivered to or read by {@code by}. Stored in the
     * mailbox like a message, so it carries a {@code seq} (an extension) that the client acks.
     */
    record Receipt(long seq, String id, String by, ReceiptStatus status, long ts, String group)
            implements ServerFrame {
    }

    record Typing(String from, Address to) implements ServerFrame {
    }

    record Pong(Long ts) implements ServerFrame {
    }

    record Error(ErrorCode code, String message, String id) implements ServerFrame {
    }

    /**
     * Device sync: this user read message {@code id} from {@code from} (through {@code group}, if
     * any) on another of their devices. Stored in the mailbox like a message, with a {@code seq}.
     */
    record Read(long seq, String id, String from, String group, long ts) implements ServerFrame {
    }

    /** This user's registered devices, after one was added or removed (and on request). */
    record Devices(List<DeviceInfo> devices) implements ServerFrame {
    }
}
