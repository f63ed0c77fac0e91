package io.pipechat.router;

import io.pipechat.protocol.Ids;
import io.pipechat.protocol.events.UserEvent;

/**
 * Validation of {@code chat.user-events} records before the router applies them: a record that
 * fails is skipped (and counted) before any state is touched, so one malformed event from a buggy
 * producer cannot corrupt a user's mailbox or stop the task.
 */
final class UserEventCheck {
    private UserEventCheck() {
    }

    /** Why {@code event} (read under record key {@code key}) cannot be applied, or null if it can. */
    static String problem(String key, UserEvent event) {
        if (event == null) {
            return "no value";
        }
        if (!Ids.isUserId(event.user())) {
            return "not a user id: " + event.user();
        }
        if (!event.user().equals(key)) {
            return "record key " + key + " is not the event's user " + event.user();
        }
        return switch (event) {
            case UserEvent.Message m -> !Ids.isUserId(m.from()) ? "message without a valid sender"
                    : !Ids.isMessageId(m.id()) ? "message without a valid id"
                    : m.to() == null ? "message without to" : null;
            case UserEvent.Receipt r -> r.id() == null || r.by() == null || r.status() == null
                    ? "receipt without id, by or status" : null;
            case UserEvent.Ack a -> a.upto() < 0 ? "negative upto" : !Ids.isDevice(a.device()) ? "ack without a valid device" : null;
            case UserEvent.SessionOpened o -> o.session() == null || !Ids.isDevice(o.device()) || o.edge() < 0
                    ? "session opened without session, device or edge" : null;
            case UserEvent.SessionClosed c -> c.session() == null ? "session closed without session" : null;
            case UserEvent.Typing t -> t.from() == null ? "typing without from" : null;
            case UserEvent.Rejected r -> r.code() == null ? "rejected without code" : null;
            case UserEvent.Read r -> !Ids.isUserId(r.from()) || !Ids.isMessageId(r.id()) || r.device() == null
                    ? "read without a valid from, id or device" : null;
            case UserEvent.DeviceRemoved d -> !Ids.isDevice(d.device()) ? "device removed without a valid device" : null;
            case UserEvent.DevicesQuery q -> q.request() == null || q.edge() < 0 ? "devices query without request or edge" : null;
        };
    }
}
