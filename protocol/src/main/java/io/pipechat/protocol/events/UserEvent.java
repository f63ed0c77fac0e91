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
        @JsonSubTypes.Type(value = UserEvent.Rejected.class, name = "rejected")})
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
     */
    record Message(String user, String from, String id, Address to, long ts, String body, Media media,
                   SystemEvent system) implements UserEvent {
        public Message(String user, String from, String id, Address to, long ts, String body, Media media) {
            this(user, from, id, to, ts, body, media, null);
        }

        /** The system message of {@code event} in {@code group} for {@code user}, by {@code from}. */
        public static Message system(String user, String from, String id, String group, long ts, SystemEvent event) {
            return new Message(user, from, id, Address.group(group), ts, null, null, event);
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

    /** A message {@code id} that {@code user} sent was refused downstream of the edge (not_member). */
    record Rejected(String user, String id, ErrorCode code, String message, long ts) implements UserEvent {
    }
}
