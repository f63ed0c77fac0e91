package io.pipechat.protocol.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Media;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.SystemEvent;

/**
 * A record of {@code chat.user-events}, keyed by {@link #user()}: every event that changes one
 * user's state, so that one stream task sees all of it in order. JSON with {@code "v": 1} and a
 * {@code type}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = UserEvent.Message.class, name = "message"),
        @JsonSubTypes.Type(value = UserEvent.Ack.class, name = "ack"),
        @JsonSubTypes.Type(value = UserEvent.SessionOpened.class, name = "session_opened"),
        @JsonSubTypes.Type(value = UserEvent.SessionClosed.class, name = "session_closed"),
        @JsonSubTypes.Type(value = UserEvent.Receipt.class, name = "receipt"),
        @JsonSubTypes.Type(value = UserEvent.Typing.class, name = "typing"),
        @JsonSubTypes.Type(value = UserEvent.Rejected.class, name = "rejected"),
        @JsonSubTypes.Type(value = UserEvent.Read.class, name = "read"),
        @JsonSubTypes.Type(value = UserEvent.DeviceRemoved.class, name = "device_removed"),
        @JsonSubTypes.Type(value = UserEvent.DevicesQuery.class, name = "devices_query")})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface UserEvent {
    int VERSION = 1;

    /** The user whose state this event changes; the record key. */
    String user();

    @JsonProperty("v")
    default int v() {
        return VERSION;
    }

    /**
     * A message for {@code user} from {@code from}, with the sender's client message id. {@code to}
     * is {@code {"user": user}} for a direct message or the group it was sent to. {@code ts} is the
     * time the edge accepted it. {@code system} (with neither body nor media) makes it a system
     * message of group {@code to}: a change of the group, by {@code from}, written by the group job.
     *
     * <p>With a {@code device} it is the sender's own copy ({@code user == from}), for the sender's
     * other devices: {@code to} is then the original recipient and {@code device} the device that
     * sent it, which does not get the copy. {@code device} is null on every other message (also on
     * a system message whose author is the user it is for).
     */
    record Message(String user, String from, String id, Address to, long ts, String body, Media media,
                   String device, SystemEvent system) implements UserEvent {
        public Message(String user, String from, String id, Address to, long ts, String body, Media media) {
            this(user, from, id, to, ts, body, media, null, null);
        }

        public Message(String user, String from, String id, Address to, long ts, String body, Media media,
                       String device) {
            this(user, from, id, to, ts, body, media, device, null);
        }

        /** The copy of this message for its sender's other devices; {@code device} sent it. */
        public Message ownCopy(String device) {
            return new Message(from, from, id, to, ts, body, media, device, null);
        }

        @com.fasterxml.jackson.annotation.JsonIgnore
        public boolean isOwnCopy() {
            return device != null && user.equals(from);
        }

        /** The system message of {@code event} in {@code group} for {@code user}, by {@code from}. */
        public static Message system(String user, String from, String id, String group, long ts, SystemEvent event) {
            return new Message(user, from, id, Address.group(group), ts, null, null, null, event);
        }
    }

    /** {@code user}'s client has durably received everything up to {@code upto}. */
    record Ack(String user, String device, long upto, long ts) implements UserEvent {
    }

    /** A WebSocket session of {@code user} opened on edge (= delivery partition) {@code edge}. */
    record SessionOpened(String user, String device, String session, int edge, long epoch, long ts)
            implements UserEvent {
    }

    record SessionClosed(String user, String device, String session, int edge, long epoch, long ts)
            implements UserEvent {
    }

    /** Message {@code id}, sent by {@code user}, was delivered to or read by {@code by}. */
    record Receipt(String user, String id, String by, ReceiptStatus status, String group, long ts)
            implements UserEvent {
    }

    /** {@code from} is typing to {@code user} (directly, or in group {@code to}). Never stored. */
    record Typing(String user, String from, Address to, long ts) implements UserEvent {
    }

    /** A message {@code id} that {@code user} sent was refused downstream of the edge (not_member, mailbox_full). */
    record Rejected(String user, String id, ErrorCode code, String message, long ts) implements UserEvent {
    }

    /**
     * {@code user} read message {@code id} from {@code from} (through {@code group}, if any) on
     * {@code device}. Keyed by the reader: the router checks that the reader received that message,
     * then sends {@code from} a read {@link Receipt} and the reader's other devices a read sync.
     */
    record Read(String user, String from, String id, String group, String device, long ts) implements UserEvent {
    }

    /** {@code user} removed {@code device} (its ack cursor no longer holds messages in the mailbox). */
    record DeviceRemoved(String user, String device, long ts) implements UserEvent {
    }

    /**
     * The edge {@code edge} asks for {@code user}'s devices; the router
     * answers with {@code Delivery.Devices} naming {@code request} on that edge's partition.
     */
    record DevicesQuery(String user, String request, int edge, long ts) implements UserEvent {
    }
}
