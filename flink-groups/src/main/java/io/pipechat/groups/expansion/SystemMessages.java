package io.pipechat.groups.expansion;

import io.pipechat.protocol.SystemEvent;
import io.pipechat.protocol.events.UserEvent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The system messages of one change of a group: one {@link UserEvent.Message} per recipient, with
 * the {@link SystemEvent} and neither body nor media, from the user who made the change.
 *
 * <p>The id is {@code sys:} and 32 hex digits of SHA-256 over the change's origin in the database's
 * log, the event and the member concerned: the same change read twice (Debezium after a crash, the
 * job after a restart from a checkpoint) makes the same id, and the router keeps one copy per
 * recipient (it de-duplicates by recipient, sender and id).
 */
final class SystemMessages {
    static final String ID_PREFIX = "sys:";

    private SystemMessages() {
    }

    static String id(String origin, SystemEvent event) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String basis = origin + "|" + event.event() + "|" + (event.user() == null ? "" : event.user());
            byte[] hash = sha.digest(basis.getBytes(StandardCharsets.UTF_8));
            return ID_PREFIX + HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * The message for {@code recipient}; the sender is who made the change, or the member concerned
     * when the change does not say who made it.
     */
    static UserEvent.Message to(String recipient, String group, long ts, String id, SystemEvent event) {
        String from = event.by() != null ? event.by() : event.user();
        return UserEvent.Message.system(recipient, from, id, group, ts, event);
    }
}
