package io.pipechat.edge.session;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sessions connected to this edge: user id -> session id -> session. Read by the delivery
 * consumer for every record, written on connect and disconnect.
 */
public final class Sessions {
    private final Map<String, Map<String, ClientSession>> byUser = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();

    /**
     * Adds a session and returns the session of the same user and device it replaces, if any:
     * the caller closes that one with 4409.
     */
    public Optional<ClientSession> register(ClientSession session) {
        ClientSession[] replaced = new ClientSession[1];
        byUser.compute(session.user(), (user, sessions) -> {
            Map<String, ClientSession> map = sessions == null ? new ConcurrentHashMap<>() : sessions;
            for (ClientSession other : map.values()) {
                if (other.device().equals(session.device())) {
                    replaced[0] = other;
                }
            }
            if (replaced[0] != null) {
                map.remove(replaced[0].id());
            } else {
                count.incrementAndGet();
            }
            map.put(session.id(), session);
            return map;
        });
        return Optional.ofNullable(replaced[0]);
    }

    /** Removes the session; false if it was already gone (replaced or removed before). */
    public boolean remove(ClientSession session) {
        boolean[] removed = new boolean[1];
        byUser.computeIfPresent(session.user(), (user, sessions) -> {
            removed[0] = sessions.remove(session.id(), session);
            return sessions.isEmpty() ? null : sessions;
        });
        if (removed[0]) {
            count.decrementAndGet();
        }
        return removed[0];
    }

    /**
     * A live view of the user's sessions, for the delivery consumer to iterate once per record
     * without copying (weakly consistent: a session added or removed meanwhile may or may not show).
     */
    public Collection<ClientSession> of(String user) {
        Map<String, ClientSession> sessions = byUser.get(user);
        return sessions == null ? List.of() : Collections.unmodifiableCollection(sessions.values());
    }

    /** The user's session with that id, or null. */
    public ClientSession find(String user, String sessionId) {
        Map<String, ClientSession> sessions = byUser.get(user);
        return sessions == null ? null : sessions.get(sessionId);
    }

    public int count() {
        return count.get();
    }

    public List<ClientSession> all() {
        return byUser.values().stream().flatMap(m -> m.values().stream()).toList();
    }
}
