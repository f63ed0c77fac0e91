package io.pipechat.edge.session;

import io.helidon.webserver.ConnectionContext;
import io.helidon.websocket.WsSession;
import io.pipechat.protocol.frames.FrameCodec;
import io.pipechat.protocol.frames.ServerFrame;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's WebSocket on this edge, with its own outbound queue drained by its own virtual
 * thread: a slow or stalled socket blocks only itself, never the delivery consumer or other users.
 * A socket whose queue overflows (in frames or in characters) is closed with 1013 (try again later);
 * the client reconnects and the router flushes its unacked mailbox again, so nothing is lost. A
 * socket whose peer stopped reading blocks its writer: {@link #writeStuck} tells the edge's
 * watchdog, which {@link #abort}s it, so that neither the queue nor the socket is held for long.
 *
 * <p>A new session is <em>flushing</em> until the router's {@code Delivery.Flushed} marker for it
 * arrives: until then it takes only frames that name it (its mailbox flush), not the frames sent to
 * all of the user's sessions. Everything the router wrote before the marker is in the flush or was
 * acked, so the client sees its flush first and live frames after it, never a newer {@code seq}
 * before an older one (which it would take for a duplicate, and ack over the gap).
 */
public final class ClientSession {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSession.class);
    public static final int CLOSE_SLOW_CONSUMER = 1013;

    private sealed interface Outbound {
    }

    private record Text(String text) implements Outbound {
    }

    private record Close(int code, String reason) implements Outbound {
    }

    private final String id;
    private final String user;
    private final String device;
    private final WsSession ws;
    private final BlockingQueue<Outbound> queue;
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean flushing = true;
    /** {@link System#nanoTime()} of the last frame of this session's mailbox flush (or its start). */
    private volatile long flushProgress = System.nanoTime();
    /** The user's registered devices as the router last said (0 until it did). */
    private volatile int deviceCount;
    private final AtomicLong queuedChars = new AtomicLong();
    private final long maxQueuedChars;
    /** {@link System#nanoTime()} when the write in progress began; 0 while none is. */
    private volatile long writingSince;
    private final Runnable onFrameOut;
    private final Runnable onAbort;
    private final Thread writer;
    /** The server's thread that reads this connection (the session is made in onOpen, on it); it ends with the connection. */
    private final Thread reader = Thread.currentThread();

    public ClientSession(String id, String user, String device, WsSession ws, int queueSize, long maxQueuedChars,
                         Runnable onFrameOut, Runnable onAbort) {
        this.id = id;
        this.onAbort = onAbort;
        this.maxQueuedChars = maxQueuedChars;
        this.user = user;
        this.device = device;
        this.ws = ws;
        // Linked, not array-backed: an array of queueSize slots per connection would cost 16 KiB
        // of heap for each of many mostly idle sockets.
        this.queue = new LinkedBlockingQueue<>(queueSize);
        this.onFrameOut = onFrameOut;
        this.writer = Thread.ofVirtual().name("ws-out-" + user + "-" + id).start(this::drain);
    }

    public String id() {
        return id;
    }

    public String user() {
        return user;
    }

    public String device() {
        return device;
    }

    /** True until the router's marker says this session's mailbox flush is complete. */
    public boolean flushing() {
        return flushing;
    }

    /** The router's marker arrived: frames for all of the user's sessions are for this one too from now on. */
    public void flushed(int devices) {
        deviceCount = devices;
        flushing = false;
    }

    /** A frame of this session's mailbox flush arrived: the flush is making progress. */
    public void flushProgress() {
        flushProgress = System.nanoTime();
    }

    /** Nanoseconds since the flush last made progress. */
    public long sinceFlushProgress(long nowNanos) {
        return nowNanos - flushProgress;
    }

    /** How many devices the user has registered, as the router last said. */
    public int deviceCount() {
        return deviceCount;
    }

    public void deviceCount(int devices) {
        deviceCount = devices;
    }

    public void send(ServerFrame frame) {
        sendText(FrameCodec.encode(frame));
    }

    /** Queues an already encoded frame; never blocks the caller. */
    public void sendText(String text) {
        if (closing.get()) {
            return;
        }
        if (queuedChars.addAndGet(text.length()) > maxQueuedChars || !queue.offer(new Text(text))) {
            LOG.warn("closing slow session {} of {}: {} frames, {} characters queued", id, user, queue.size(),
                    queuedChars.get());
            closeNow(CLOSE_SLOW_CONSUMER, "too slow");
        }
    }

    /** Closes after the frames already queued have been written. */
    public void close(int code, String reason) {
        if (closing.compareAndSet(false, true) && !queue.offer(new Close(code, reason))) {
            closeNow(code, reason);
        }
    }

    /** Stops the writer; called when the socket is gone. */
    public void terminate() {
        closing.set(true);
        writer.interrupt();
    }

    /**
     * True if one write, or the close handshake, has been pending for longer than {@code timeoutNanos}:
     * the peer stopped reading.
     */
    public boolean writeStuck(long nowNanos, long timeoutNanos) {
        long since = writingSince;
        return since != 0 && nowNanos - since > timeoutNanos;
    }

    /**
     * True once the connection is over without the session having been told: Helidon reports neither a
     * client that drops the TCP connection without a close frame nor a connection it drops itself for a
     * protocol error (1002, 1009) to the listener. Its reading thread has ended then.
     */
    public boolean connectionGone() {
        return !reader.isAlive();
    }

    /** Drops the queue and the connection at once, without a close handshake the peer would not read. */
    public void abort() {
        closing.set(true);
        queue.clear();
        queuedChars.set(0);
        writer.interrupt();
        try {
            if (ws.socketContext() instanceof ConnectionContext connection) {
                // Closing the socket ends the blocked write, and the connection's reader with it.
                connection.serverSocket().close();
            } else {
                ws.terminate();
            }
        } catch (RuntimeException e) {
            LOG.debug("aborting session {} of {}", id, user, e);
        }
        // The connection may never report its end (no close frame will come): end the session here.
        onAbort.run();
    }

    private void closeNow(int code, String reason) {
        closing.set(true);
        queue.clear();
        queuedChars.set(0);
        queue.offer(new Close(code, reason));
    }

    private void drain() {
        try {
            while (true) {
                Outbound next = queue.take();
                switch (next) {
                    case Text t -> {
                        writingSince = System.nanoTime() | 1; // never 0
                        ws.send(t.text(), true);
                        writingSince = 0;
                        queuedChars.addAndGet(-t.text().length());
                        onFrameOut.run();
                    }
                    case Close c -> {
                        // Until the peer answers the close (and the session ends), this counts as a write
                        // in progress: a peer that reads nothing never answers, and the watchdog drops it.
                        writingSince = System.nanoTime() | 1;
                        ws.close(c.code(), c.reason());
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            // the socket is gone
        } catch (RuntimeException e) {
            LOG.debug("write to session {} of {} failed", id, user, e);
            try {
                ws.terminate();
            } catch (RuntimeException ignored) {
                // already closed
            }
        }
    }
}
