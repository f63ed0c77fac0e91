package io.pipechat.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pipechat.local.LocalStack;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * The system under test, reached over the public protocol only: an edge's base URL (a running
 * stack, {@code --url}) or a {@link LocalStack} started in this JVM with temporary data
 * ({@code --embedded}) and stopped by {@link #close}. Tokens come from {@code POST /v1/dev/token},
 * groups from {@code POST /v1/groups}, the edge's meters from {@code /observe/metrics}.
 */
public final class Target implements AutoCloseable {
    private final String httpBase;
    private final LocalStack stack;
    private final long serverPid;
    private final HttpClient http;

    private Target(String httpBase, LocalStack stack, long serverPid) {
        this.httpBase = httpBase.endsWith("/") ? httpBase.substring(0, httpBase.length() - 1) : httpBase;
        this.stack = stack;
        this.serverPid = serverPid;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** A running stack at {@code url}; {@code pid} (or -1) is its process, for CPU and RSS from /proc. */
    public static Target remote(String url, long pid) {
        return new Target(url, null, pid);
    }

    /** Starts the whole stack in this JVM (temporary data, free ports) with extra edge settings. */
    public static Target embedded(Map<String, String> edgeSettings) {
        LocalStack stack = LocalStack.start(LocalStack.Options.ephemeral(1).withSettings(edgeSettings));
        return new Target(stack.url(0), stack, ProcessHandle.current().pid());
    }

    public boolean isEmbedded() {
        return stack != null;
    }

    public String httpBase() {
        return httpBase;
    }

    /** The server's process id, or -1 if unknown. Embedded: this process. */
    public long serverPid() {
        return serverPid;
    }

    public URI webSocket(String token, String device) {
        String ws = httpBase.replaceFirst("^http", "ws");
        return URI.create(ws + "/v1/ws?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)
                + "&device=" + URLEncoder.encode(device, StandardCharsets.UTF_8));
    }

    /** Development tokens for {@code users}, at most {@code parallel} requests in flight; same order. */
    public List<String> tokens(List<String> users, int parallel) {
        Semaphore permits = new Semaphore(parallel);
        List<CompletableFuture<String>> futures = new ArrayList<>(users.size());
        for (String u : users) {
            permits.acquireUninterruptibly();
            HttpRequest req = HttpRequest.newBuilder(URI.create(httpBase + "/v1/dev/token"))
                    .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"user\":\"" + u + "\"}")).build();
            futures.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> permits.release())
                    .thenApply(r -> {
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("POST /v1/dev/token: HTTP " + r.statusCode() + " " + r.body());
                        }
                        return read(r.body()).path("token").asText();
                    }));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    /** Creates a group as the owner of {@code token} with {@code members}; returns its id. */
    public String createGroup(String token, String name, List<String> members) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("name", name);
        members.forEach(body.putArray("members")::add);
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(httpBase + "/v1/groups"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
        if (r.statusCode() != 201 && r.statusCode() != 200) {
            throw new IllegalStateException("POST /v1/groups: HTTP " + r.statusCode() + " " + r.body());
        }
        return read(r.body()).path("id").asText();
    }

    /**
     * The edge's meters (Prometheus text of {@code /observe/metrics}) as name{labels} to value,
     * plus the plain name (labels dropped, values summed) for convenience.
     */
    public Map<String, Double> metrics() {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(httpBase + "/observe/metrics"))
                .timeout(Duration.ofSeconds(20)).header("Accept", "text/plain").GET().build());
        Map<String, Double> out = new HashMap<>();
        if (r.statusCode() != 200) {
            return out;
        }
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            double v;
            try {
                v = Double.parseDouble(line.substring(space + 1).trim());
            } catch (NumberFormatException e) {
                continue;
            }
            String full = line.substring(0, space).trim();
            out.put(full, v);
            int brace = full.indexOf('{');
            if (brace > 0) {
                out.merge(full.substring(0, brace), v, Double::sum);
            }
        }
        return out;
    }

    private HttpResponse<String> send(HttpRequest req) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode read(String body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        http.close();
        if (stack != null) {
            stack.close();
        }
    }
}
