package io.pipechat.edge.delivery;

import io.pipechat.protocol.events.EdgeHeartbeat;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this edge's heartbeat to {@code chat.edges}. The router treats the sessions of an
 * edge whose heartbeat is stale, or whose epoch is older than the newest one, as offline: a
 * crashed edge loses nothing, its users' messages wait in their mailboxes.
 */
public final class Heartbeat implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeat.class);

    private final int edge;
    private final long epoch;
    private final EventPublisher publisher;
    private final ScheduledFuture<?> task;

    public Heartbeat(int edge, long epoch, EventPublisher publisher, ScheduledExecutorService timers, Duration every) {
        this.edge = edge;
        this.epoch = epoch;
        this.publisher = publisher;
        // The first beat is written before the edge accepts connections.
        publisher.publish(beat(true)).join();
        this.task = timers.scheduleAtFixedRate(() -> publisher.publish(beat(true)).exceptionally(e -> {
            LOG.warn("heartbeat of edge {} not written", edge, e);
            return null;
        }), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private EdgeHeartbeat beat(boolean up) {
        return new EdgeHeartbeat(edge, epoch, System.currentTimeMillis(), up);
    }

    /** Stops beating without a last word, as a crash would. */
    public void cancel() {
        task.cancel(false);
    }

    /** The last beat says the edge is down, so its sessions count as offline at once. */
    @Override
    public void close() {
        task.cancel(false);
        try {
            publisher.publish(beat(false)).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("final heartbeat of edge {} not written", edge, e);
        }
    }
}
