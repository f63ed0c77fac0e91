package io.pipechat.router.presence;

import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.router.state.Session;
import java.time.Duration;

/**
 * Decides whether a session can receive deliveries, from its edge's newest heartbeat.
 *
 * <p>A session is live iff its edge's heartbeat has the session's epoch, says {@code up}, and is no
 * older than the timeout. A heartbeat with a newer epoch means the edge restarted since the session
 * opened: the session is gone. No heartbeat yet, or only one from an older epoch (the global store
 * lags the edge by up to a heartbeat interval): the session is live for one timeout after the
 * router saw it open, long enough for the edge's first heartbeat to arrive.
 */
public final class Liveness {
    private final long timeoutMs;

    public Liveness(Duration timeout) {
        this.timeoutMs = timeout.toMillis();
    }

    /** @param heartbeat the edge's newest heartbeat, null if none known */
    public boolean isLive(Session session, EdgeHeartbeat heartbeat, long now) {
        if (heartbeat == null || heartbeat.epoch() < session.epoch()) {
            return now - session.since() <= timeoutMs;
        }
        if (heartbeat.epoch() > session.epoch()) {
            return false;
        }
        return heartbeat.up() && now - heartbeat.ts() <= timeoutMs;
    }
}
