package io.pipechat.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.protocol.Json;
import java.net.http.WebSocket;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;

/**
 * One virtual user: one non-blocking WebSocket ({@code java.net.http}) to {@code /v1/ws}. No thread
 * of its own: frames arrive on the shared client executor, sends are queued here and written one at
 * a time (the JDK allows one outstanding send per socket), so thousands of users cost a few
 * kilobytes each, not a thread each.
 *
 * <p>It acknowledges like a real client: it remembers the highest {@code seq} of the {@code msg}
 * and {@code receipt} frames it got, and {@link #flushAck} (called by the {@link Fleet} every few
 * tens of milliseconds) sends one cumulative {@code ack} when that moved, which keeps it well
 * under the edge's per-connection frame rate.
 */
public final class VirtualUser implements WebSocket.Listener {
    /** Receives every parsed frame (on the client's executor threads; one socket's frames in order). */
    public interface Handler {
        void onFrame(VirtualUser user, String type, JsonNode frame, long nowNanos);
    }

    /** Counters shared by all users of a fleet. */
    public static final class Counters {
        public final LongAdder framesIn = new LongAdder();
        public final LongAdder framesOut = new LongAdder();
        public final LongAdder sendFailures = new LongAdder();
        public final LongAdder pongs = new LongAdder();
        public final LongAdder closedByServer = new LongAdder();
        public final LongAdder badFrames = new LongAdder();
    }

    private final int index;
    private final String user;
    private final String device;
    private final Counters counters;
    private volatile Handler handler;
    private volatile WebSocket ws;
    private final StringBuilder partial = new StringBuilder();
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private boolean sending; // guarded by queue
    private volatile long maxSeq;
    private long ackedUpto; // written by the ack flusher only
    private final CompletableFuture<JsonNode> welcome = new CompletableFuture<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();

    public VirtualUser(int index, String user, String device, Counters counters, Handler handler) {
        this.index = index;
        this.user = user;
        this.device = device;
        this.counters = counters;
        this.handler = handler;
    }

    public int index() {
        return index;
    }

    public String user() {
        return user;
    }

    public String device() {
        return device;
    }

    public void handler(Handler h) {
        this.handler = h;
    }

    public boolean open() {
        WebSocket w = ws;
        return w != null && !w.isInputClosed() && !w.isOutputClosed() && !closed.isDone();
    }

    public CompletableFuture<JsonNode> welcome() {
        return welcome;
    }

    /** Completes with the close code (or -1 on an error) when the connection ends. */
    public CompletableFuture<Integer> closed() {
        return closed;
    }

    public long maxSeq() {
        return maxSeq;
    }

    public long ackedUpto() {
        return ackedUpto;
    }

    /** Queues one text frame; frames of one user go out in the order given. */
    public void send(String text) {
        boolean start;
        synchronized (queue) {
            queue.add(text);
            start = !sending;
            sending = true;
        }
        if (start) {
            pump();
        }
    }

    private void pump() {
        while (true) {
            String next;
            synchronized (queue) {
                next = queue.poll();
                if (next == null || ws == null) {
                    sending = false;
                    return;
                }
            }
            counters.framesOut.increment();
            CompletableFuture<WebSocket> f = ws.sendText(next, true);
            if (!f.isDone()) {
                f.whenComplete((w, e) -> {
                    if (e != null) {
                        counters.sendFailures.increment();
                    }
                    pump();
                });
                return;
            }
            if (f.isCompletedExceptionally()) {
                counters.sendFailures.increment();
            }
        }
    }

    /** Sends a cumulative {@code ack} if a higher {@code seq} arrived since the last one; true if it did. */
    public boolean flushAck() {
        long upto = maxSeq;
        if (upto > ackedUpto && open()) {
            ackedUpto = upto;
            send("{\"type\":\"ack\",\"upto\":" + upto + "}");
            return true;
        }
        return false;
    }

    public void ping() {
        if (open()) {
            send("{\"type\":\"ping\",\"ts\":" + System.currentTimeMillis() + "}");
        }
    }

    /** Closes normally (1000); the returned future completes when the server answered or after the JDK gave up. */
    public CompletableFuture<?> close() {
        WebSocket w = ws;
        if (w == null || w.isOutputClosed()) {
            closed.complete(1000);
            return CompletableFuture.completedFuture(null);
        }
        return w.sendClose(WebSocket.NORMAL_CLOSURE, "").handle((x, e) -> null);
    }

    /** Drops the TCP connection at once, as a vanished phone would. */
    public void abort() {
        WebSocket w = ws;
        if (w != null) {
            w.abort();
        }
        closed.complete(-1);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        this.ws = webSocket;
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        String text;
        if (!last) {
            partial.append(data);
            webSocket.request(1);
            return null;
        }
        if (partial.isEmpty()) {
            text = data.toString();
        } else {
            partial.append(data);
            text = partial.toString();
            partial.setLength(0);
        }
        webSocket.request(1);
        long now = System.nanoTime();
        counters.framesIn.increment();
        JsonNode frame;
        try {
            frame = Json.MAPPER.readTree(text);
        } catch (Exception e) {
            counters.badFrames.increment();
            return null;
        }
        String type = frame.path("type").asText("");
        switch (type) {
            case "welcome" -> welcome.complete(frame);
            case "msg", "receipt" -> {
                long seq = frame.path("seq").asLong(0);
                if (seq > maxSeq) {
                    maxSeq = seq;
                }
            }
            case "pong" -> counters.pongs.increment();
            default -> {
            }
        }
        Handler h = handler;
        if (h != null) {
            h.onFrame(this, type, frame, now);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        counters.closedByServer.increment();
        welcome.completeExceptionally(new IllegalStateException("closed " + statusCode + " " + reason));
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        welcome.completeExceptionally(error);
        closed.complete(-1);
    }
}
