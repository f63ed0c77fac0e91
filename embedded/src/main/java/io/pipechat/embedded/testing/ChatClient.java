package io.pipechat.embedded.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A real WebSocket client of the chat protocol for tests, on the JDK's {@code java.net.http}
 * client: connects to {@code /v1/ws} with a bearer token, sends frames and waits for the frames it
 * receives, each bounded by a timeout of seconds.
 */
public final class ChatClient implements AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final WebSocket ws;
    private final BlockingQueue<JsonNode> frames;
    private final CompletableFuture<Integer> closed;

    private ChatClient(WebSocket ws, BlockingQueue<JsonNode> frames, CompletableFuture<Integer> closed) {
        this.ws = ws;
        this.frames = frames;
        this.closed = closed;
    }

    /** Asks the edge's development route for a token. */
    public static String devToken(String httpBase, String user) {
        try {
            HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create(httpBase + "/v1/dev/token"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"user\":\"" + user + "\"}"))
                    .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) {
                throw new IllegalStateException("dev token: HTTP " + res.statusCode() + " " + res.body());
            }
            return Json.MAPPER.readTree(res.body()).get("token").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static ChatClient connect(String httpBase, String token, String device) {
        BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        try {
            WebSocket ws = HTTP.newWebSocketBuilder()
                    .header("Authorization", "Bearer " + token)
                    .buildAsync(wsUri(httpBase, device), new Listener(frames, closed))
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            return new ChatClient(ws, frames, closed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot connect: " + e.getMessage(), e);
        }
    }

    /** Tries to connect with the raw Authorization header value (or none) and returns the refusal's HTTP status. */
    public static int refusedStatus(String httpBase, String authorization) {
        try {
            WebSocket.Builder b = HTTP.newWebSocketBuilder();
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            WebSocket ws = b.buildAsync(wsUri(httpBase, null), new Listener(new LinkedBlockingQueue<>(),
                    new CompletableFuture<>())).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            ws.abort();
            return 101;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            if (cause instanceof WebSocketHandshakeException h) {
                return h.getResponse().statusCode();
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    private static URI wsUri(String httpBase, String device) {
        String base = httpBase.replaceFirst("^http", "ws") + "/v1/ws";
        return URI.create(device == null ? base : base + "?device=" + URLEncoder.encode(device, StandardCharsets.UTF_8));
    }

    public void send(String text) {
        ws.sendText(text, true).join();
    }

    public void sendFrame(Object frame) {
        send(Json.write(frame));
    }

    /** Sends a direct message and returns nothing; await {@code sent} separately. */
    public void sendTo(String user, String id, String body) {
        ObjectNode f = Json.MAPPER.createObjectNode().put("type", "send").put("id", id).put("body", body);
        f.putObject("to").put("user", user);
        send(f.toString());
    }

    public void sendToGroup(String group, String id, String body) {
        ObjectNode f = Json.MAPPER.createObjectNode().put("type", "send").put("id", id).put("body", body);
        f.putObject("to").put("group", group);
        send(f.toString());
    }

    public void ack(long upto) {
        send("{\"type\":\"ack\",\"upto\":" + upto + "}");
    }

    /** The next frame, whatever its type. */
    public JsonNode next() {
        try {
            JsonNode f = frames.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (f == null) {
                throw new AssertionError("no frame within " + WAIT);
            }
            return f;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The next frame of this type, skipping others. */
    public JsonNode next(String type) {
        return next(type, f -> true);
    }

    public JsonNode next(String type, Predicate<JsonNode> matching) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                JsonNode f = frames.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (f != null && type.equals(f.path("type").asText()) && matching.test(f)) {
                    return f;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("no '" + type + "' frame within " + WAIT);
    }

    /** The next {@code n} frames of this type, in arrival order. */
    public List<JsonNode> next(String type, int n) {
        List<JsonNode> out = new ArrayList<>();
        while (out.size() < n) {
            out.add(next(type));
        }
        return out;
    }

    /** Frames of this type that arrive within {@code quiet}: for asserting that nothing more comes. */
    public List<JsonNode> drain(String type, Duration quiet) {
        List<JsonNode> out = new ArrayList<>();
        long deadline = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                JsonNode f = frames.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (f != null && type.equals(f.path("type").asText())) {
                    out.add(f);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** The close code the server closed with. */
    public int closeCode() {
        try {
            return closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("not closed within " + WAIT, e);
        }
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    /** Drops the TCP connection without a close handshake, as a crashing client would. */
    public void abort() {
        ws.abort();
    }

    @Override
    public void close() {
        if (!ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                ws.abort();
            }
        }
        ws.abort();
    }

    private static final class Listener implements WebSocket.Listener {
        private final BlockingQueue<JsonNode> frames;
        private final CompletableFuture<Integer> closed;
        private final StringBuilder text = new StringBuilder();

        Listener(BlockingQueue<JsonNode> frames, CompletableFuture<Integer> closed) {
            this.frames = frames;
            this.closed = closed;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    frames.add(Json.MAPPER.readTree(text.toString()));
                } catch (IOException e) {
                    frames.add(Json.MAPPER.createObjectNode().put("type", "unparseable").put("text", text.toString()));
                }
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(1006);
        }
    }
}
