package io.pipechat.embedded.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A chat user as a real client would behave under failures: one WebSocket to one of several edges;
 * when it closes (the edge died), it reconnects to the next edge. It sends one message at a time and
 * waits for its {@code sent}; a message that got none (timeout, or the connection died) is sent again
 * with the same id (the router drops the second copy). Used by the cluster tests and the compose check,
 * where every edge sits behind one nginx address. It acks what it received every few hundred
 * milliseconds and drops {@code msg}/{@code receipt} frames whose {@code seq} it has already seen.
 *
 * <p>Recorded for the assertions: every message that got {@code sent} (with when it was first sent
 * and when {@code sent} came), every unique delivery by {@code seq}, and counters of duplicates
 * dropped, reconnections and re-sends.
 */
public final class LoadUser {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration SENT_TIMEOUT = Duration.ofSeconds(10);

    /** Prefix of a group id in {@link #sendAll}'s recipients: {@code "#g1"} is group g1. */
    public static final String GROUP = "#";

    /** A message this user sent and got {@code sent} for; {@code to} a user, or {@code #<group>}. */
    public record Sent(String id, String to, int index, long firstSendNanos, long sentNanos) {
        public boolean toGroup() {
            return to.startsWith(GROUP);
        }
    }

    /**
     * A unique (by seq) frame of this user's mailbox; {@code conversation} is the sender for a direct
     * message, {@code #<group>} for a group message.
     */
    public record Delivered(long seq, String type, String from, String id, String conversation, long atNanos) {
    }

    public final String name;
    private final List<String> edges;
    private final String token;
    private volatile int edge;
    private volatile Connection connection;
    private final Object connectLock = new Object();

    public final List<Sent> sent = new CopyOnWriteArrayList<>();
    public final Map<Long, Delivered> delivered = new ConcurrentHashMap<>();
    public final AtomicInteger duplicates = new AtomicInteger();
    public final AtomicInteger reconnects = new AtomicInteger();
    public final AtomicInteger resends = new AtomicInteger();
    private final AtomicLong maxSeq = new AtomicLong();
    private volatile long acked;
    private final Map<String, CompletableFuture<Long>> awaitingSent = new ConcurrentHashMap<>();

    /**
     * @param edges    {@code http://host:port} of every edge
     * @param firstEdge index into {@code edges} to connect to first
     */
    public LoadUser(String name, List<String> edges, int firstEdge, String token) {
        this.name = name;
        this.edges = List.copyOf(edges);
        this.edge = firstEdge;
        this.token = token;
    }

    /**
     * Sends {@code count} messages to {@code recipients(k)} (a user, or {@code #<group>}), one at a
     * time, pacing {@code gap} apart.
     */
    public void sendAll(int count, java.util.function.IntFunction<String> recipients, Duration gap, AtomicInteger progress)
            throws InterruptedException {
        sendAll(count, () -> false, recipients, gap, progress);
    }

    /** The same, going on past {@code count} while {@code more} holds. */
    public void sendAll(int count, java.util.function.BooleanSupplier more, java.util.function.IntFunction<String> recipients,
                 Duration gap, AtomicInteger progress) throws InterruptedException {
        for (int k = 0; k < count || more.getAsBoolean(); k++) {
            String to = recipients.apply(k);
            String id = name + "-" + k;
            ObjectNode f = Json.MAPPER.createObjectNode().put("type", "send").put("id", id).put("body", "m" + k);
            if (to.startsWith(GROUP)) {
                f.putObject("to").put("group", to.substring(GROUP.length()));
            } else {
                f.putObject("to").put("user", to);
            }
            String frame = f.toString();
            long first = System.nanoTime();
            for (int attempt = 0; ; attempt++) {
                if (attempt > 0) {
                    resends.incrementAndGet();
                }
                Connection c = connected();
                CompletableFuture<Long> ok = awaitingSent.computeIfAbsent(id, x -> new CompletableFuture<>());
                if (!c.send(frame)) {
                    continue;
                }
                try {
                    CompletableFuture.anyOf(ok, c.closed).get(SENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                    // no sent in time: send again (same id)
                }
                if (ok.isDone()) {
                    awaitingSent.remove(id);
                    sent.add(new Sent(id, to, k, first, ok.join()));
                    progress.incrementAndGet();
                    break;
                }
            }
            Thread.sleep(gap.toMillis());
        }
    }

    /** When the last user got its first {@code sent} after {@code at}. */
    public static long sendRecovery(Collection<LoadUser> users, long at) {
        long worst = at;
        for (LoadUser u : users) {
            worst = Math.max(worst, u.sent.stream().mapToLong(Sent::sentNanos).filter(t -> t > at).min().orElse(at));
        }
        return worst;
    }

    /** When the last user received its first message that was first sent after {@code at}. */
    public static long deliveryRecovery(Collection<LoadUser> users, long at) {
        Map<String, Long> firstSent = new HashMap<>();
        users.forEach(u -> u.sent.forEach(s -> firstSent.put(s.id(), s.firstSendNanos())));
        long worst = at;
        for (LoadUser u : users) {
            worst = Math.max(worst, u.messages().stream().filter(d -> firstSent.getOrDefault(d.id(), 0L) > at)
                    .mapToLong(Delivered::atNanos).min().orElse(at));
        }
        return worst;
    }

    /**
     * Acks and reconnects each of {@code users} every {@code period}, each on its own virtual thread,
     * until closed: one user's slow reconnection never holds up another's acks, and a user that only
     * reads (and so never reconnects on its own) comes back after its connection dropped. A failure
     * of one round is printed and the next round goes on.
     */
    public static AutoCloseable keepConnected(Collection<LoadUser> users, Duration period) {
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        for (LoadUser u : users) {
            threads.add(Thread.ofVirtual().name("keep-connected-" + u.name).start(() -> {
                while (running.get()) {
                    try {
                        u.ackAndKeepConnected();
                        Thread.sleep(period.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    } catch (Throwable t) {
                        System.err.println("keeping " + u.name + " connected failed: " + t);
                        t.printStackTrace();
                    }
                }
            }));
        }
        return () -> {
            running.set(false);
            threads.forEach(Thread::interrupt);
        };
    }

    /** Acks everything received so far (reconnecting first if the connection died). */
    public void ackAndKeepConnected() {
        Connection c;
        try {
            c = connected();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            return;
        }
        long upto = maxSeq.get();
        if (upto > acked && c.send("{\"type\":\"ack\",\"upto\":" + upto + "}")) {
            acked = upto;
        }
    }

    public void close() {
        Connection c = connection;
        if (c != null) {
            c.ws.abort();
        }
    }

    /** The open connection, or a new one: the current edge first, then the others in turn. */
    private Connection connected() throws InterruptedException {
        Connection c = connection;
        if (c != null && !c.closed.isDone()) {
            return c;
        }
        synchronized (connectLock) {
            c = connection;
            if (c != null && !c.closed.isDone()) {
                return c;
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            boolean lost = c != null;
            while (System.nanoTime() < deadline) {
                if (lost) {
                    edge = (edge + 1) % edges.size();
                }
                lost = true;
                try {
                    Connection fresh = new Connection();
                    fresh.ws = HTTP.newWebSocketBuilder()
                            .header("Authorization", "Bearer " + token)
                            .connectTimeout(Duration.ofSeconds(3))
                            .buildAsync(URI.create(edges.get(edge).replaceFirst("^http", "ws") + "/v1/ws?device=d1"), fresh)
                            .get(5, TimeUnit.SECONDS);
                    if (c != null) {
                        reconnects.incrementAndGet();
                    }
                    connection = fresh;
                    acked = 0;
                    return fresh;
                } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                    Thread.sleep(250);
                }
            }
            throw new IllegalStateException(name + " could not connect to any edge of " + edges);
        }
    }

    private void onFrame(JsonNode f) {
        String type = f.path("type").asText();
        switch (type) {
            case "sent" -> {
                CompletableFuture<Long> ok = awaitingSent.get(f.path("id").asText());
                if (ok != null) {
                    ok.complete(System.nanoTime());
                }
            }
            case "msg", "receipt" -> {
                long seq = f.path("seq").asLong();
                if (f.has("system")) {
                    // A group's creation or membership told to its members: acked with the rest, not load.
                    maxSeq.accumulateAndGet(seq, Math::max);
                    return;
                }
                String from = type.equals("msg") ? f.path("from").asText() : f.path("by").asText();
                String group = f.path("to").path("group").asText("");
                Delivered d = new Delivered(seq, type, from, f.path("id").asText(),
                        group.isEmpty() ? from : GROUP + group, System.nanoTime());
                if (delivered.putIfAbsent(seq, d) != null) {
                    duplicates.incrementAndGet();
                }
                maxSeq.accumulateAndGet(seq, Math::max);
            }
            default -> {
                // welcome, pong, typing, error: nothing to record
            }
        }
    }

    /** Its state in a line, for a failure message: the connection, seqs, acks and the last delivery. */
    public String describe() {
        Connection c = connection;
        long now = System.nanoTime();
        Delivered last = delivered.values().stream().max(java.util.Comparator.comparingLong(Delivered::atNanos)).orElse(null);
        return String.format("%s: %s to edge %d, %d reconnects, max seq %d, acked %d, %d deliveries, last %s", name,
                c == null ? "never connected" : c.closed.isDone() ? "disconnected" : "connected", edge, reconnects.get(),
                maxSeq.get(), acked, delivered.size(), last == null ? "none"
                        : last.type() + " " + last.id() + " seq " + last.seq() + " " + (now - last.atNanos()) / 1_000_000 + " ms ago");
    }

    /** Unique {@code msg} deliveries in seq order. */
    public List<Delivered> messages() {
        List<Delivered> out = new ArrayList<>(delivered.values().stream().filter(d -> d.type().equals("msg")).toList());
        out.sort(java.util.Comparator.comparingLong(Delivered::seq));
        return out;
    }

    private final class Connection implements WebSocket.Listener {
        volatile WebSocket ws;
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();

        /** Sends one frame; false (and the connection marked closed) when it cannot. */
        boolean send(String frame) {
            synchronized (this) {
                try {
                    ws.sendText(frame, true).get(5, TimeUnit.SECONDS);
                    return true;
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    ws.abort();
                    closed.complete(null);
                    return false;
                }
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    onFrame(Json.MAPPER.readTree(text.toString()));
                } catch (IOException e) {
                    // not JSON: ignored, counted nowhere (the edge never sends that)
                }
                text.setLength(0);
            }
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket w, Throwable error) {
            closed.complete(null);
        }
    }
}
