package io.pipechat.router.presence;

import java.util.List;

/** The value of the presence store: a user's sessions, oldest first. Never empty (deleted instead). */
public record Presence(List<Session> sessions) {
    public Presence {
        sessions = List.copyOf(sessions);
    }
}
