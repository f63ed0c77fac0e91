package io.pipechat.compose;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * The test push service of the compose check (deploy/ci/docker-compose.ci.yml, service {@code push-sink}):
 * it plays the browser vendor's push service for subscriptions whose endpoint is
 * {@code http://127.0.0.1:<port>/push/<name>}, answers every POST there with 201 as RFC 8030 says, and
 * keeps what it got. {@code GET /received} lists each request as JSON (path, the Web Push headers, the
 * body in base64) for {@link ComposeCheck} to verify and decrypt. Port from {@code PUSH_SINK_PORT}
 * (default 9700). Records live in memory only: the sink lives as long as one compose run.
 */
public final class PushSink {
    private static final List<String> HEADERS = List.of("Authorization", "Content-Encoding", "TTL", "Urgency", "Topic",
            "Content-Type");

    private PushSink() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PUSH_SINK_PORT", "9700"));
        List<ObjectNode> received = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/push/", exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("POST")) {
                    answer(exchange, 405, "{\"error\":\"POST only\"}");
                    return;
                }
                ObjectNode r = Json.MAPPER.createObjectNode();
                r.put("path", exchange.getRequestURI().getPath());
                ObjectNode headers = r.putObject("headers");
                for (String h : HEADERS) {
                    String v = exchange.getRequestHeaders().getFirst(h);
                    if (v != null) {
                        headers.put(h.toLowerCase(), v);
                    }
                }
                r.put("body", Base64.getEncoder().encodeToString(exchange.getRequestBody().readAllBytes()));
                received.add(r);
                System.out.println("push received at " + r.get("path").asText());
                exchange.getResponseHeaders().set("Location", exchange.getRequestURI().getPath() + "/" + received.size());
                answer(exchange, 201, "");
            }
        });
        server.createContext("/received", exchange -> {
            try (exchange) {
                ArrayNode list = Json.MAPPER.createArrayNode();
                list.addAll(received);
                answer(exchange, 200, list.toString());
            }
        });
        server.start();
        System.out.println("push sink listening on port " + port);
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
    }
}
