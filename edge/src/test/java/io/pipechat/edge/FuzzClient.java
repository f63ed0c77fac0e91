package io.pipechat.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client that sends whatever it is told, the way the JDK's client lets it: whole text
 * frames, text and binary fragments, pings. It keeps every frame it receives, in order, and the close
 * code of the server (1006 when the connection broke without one).
 */
final class FuzzClient implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(20);

    final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    /** One client (so one selector thread) per connection: a connection busy with large frames delays no other. */
    private final HttpClient http = HttpClient.newHttpClient();
    private final WebSocket ws;

    FuzzClient(String httpBase, String token, String device) {
        try {
            ws = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(URI.create(httpBase.replaceFirst("^http", "ws") + "/v1/ws?device=" + device), new Listener())
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            http.shutdownNow();
            throw new IllegalStateException("cannot connect as " + device + ": " + e, e);
        }
    }

    /**
     * Sends a text frame (a fragment unless {@code last}); false if the connection is gone. One send at
     * a time: the JDK's client refuses a send while another is pending.
     */
    synchronized boolean text(String text, boolean last) {
        return await(ws.sendText(text, last));
    }

    synchronized boolean binary(byte[] data, boolean last) {
        return await(ws.sendBinary(ByteBuffer.wrap(data), last));
    }

    synchronized boolean ping(byte[] data) {
        return await(ws.sendPing(ByteBuffer.wrap(data)));
    }

    private boolean await(CompletableFuture<WebSocket> sent) {
        try {
            sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return false; // closed by the server, or broken
        }
    }

    /** The next frame received within {@code wait}, or null. */
    JsonNode poll(Duration wait) throws InterruptedException {
        return frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (!ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // gone already
            }
        }
        ws.abort();
        http.shutdownNow();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                JsonNode frame;
                try {
                    frame = Json.MAPPER.readTree(text.toString());
                } catch (IOException e) {
                    frame = Json.MAPPER.createObjectNode().put("type", "unparseable").put("text", text.toString());
                }
                text.setLength(0);
                received.add(frame);
                frames.add(frame);
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
            received.add(Json.MAPPER.createObjectNode().put("type", "binary-from-server"));
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            closed.complete(1006);
        }
    }
}
