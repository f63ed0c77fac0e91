package io.pipechat.edge;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.protocol.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Configuration of an edge under test: a free port, the test's own topics, development mode. */
final class TestEdges {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private TestEdges() {
    }

    /** Settings to change further before {@code Edge.start(Edge.config(settings))}. */
    static Map<String, String> settings(EmbeddedKafka kafka, Topics topics) {
        Map<String, String> settings = new HashMap<>(EdgeConfig.topicKeys(topics));
        settings.put("server.port", "0");
        settings.put("kafka.bootstrap-servers", kafka.bootstrapServers());
        settings.put("edge.dev-mode", "true");
        return settings;
    }

    /** The same, with the group and push APIs on {@code database} of {@code db}. */
    static Map<String, String> settings(EmbeddedKafka kafka, Topics topics, EmbeddedMariaDb db, String database) {
        Map<String, String> settings = settings(kafka, topics);
        settings.put("db.url", db.jdbcUrl(database));
        settings.put("db.user", db.user());
        settings.put("db.password", db.password());
        return settings;
    }

    /**
     * Calls the edge's HTTP API at {@code base + path}, as {@code user} (a development token) or
     * without a token when {@code user} is null; {@code body} null sends none.
     */
    static HttpResponse<String> call(String base, String user, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (user != null) {
            b.header("Authorization", "Bearer " + ChatClient.devToken(base, user));
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The status of a WebSocket upgrade of {@code /v1/ws} with these headers: 101, or the refusal's. */
    static int upgradeStatus(String base, Map<String, String> headers) {
        return upgradeStatus(base, "", headers);
    }

    /** The same, with a query ({@code "?device=x"}). */
    static int upgradeStatus(String base, String query, Map<String, String> headers) {
        return upgradeStatus(HTTP, base, query, headers);
    }

    /** The same, from {@code http} (e.g. one bound to another local address). */
    static int upgradeStatus(HttpClient http, String base, String query, Map<String, String> headers) {
        WebSocket.Builder b = http.newWebSocketBuilder();
        headers.forEach(b::header);
        try {
            b.buildAsync(URI.create(base.replaceFirst("^http", "ws") + "/v1/ws" + query), new WebSocket.Listener() { })
                    .get(20, TimeUnit.SECONDS).abort();
            return 101;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                return h.getResponse().statusCode();
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }
}
