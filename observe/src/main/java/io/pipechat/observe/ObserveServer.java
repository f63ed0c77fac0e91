package io.pipechat.observe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operator endpoints of a service without a web server of its own (router, notifier, CDC), on
 * the JDK's HTTP server: {@code GET /health} answers 200 {@code {"status":"UP",...}} while the
 * service works and 503 otherwise (for orchestrators' health checks); {@code GET /metrics} is the
 * Prometheus text of the service's Micrometer registry. The edge and the asset service serve the
 * same through Helidon's {@code /observe/health} and {@code /observe/metrics}.
 */
public final class ObserveServer implements AutoCloseable {

    /** What {@code /health} says: up or not, and a short detail (a state name). */
    public record Health(boolean up, String detail) {
    }

    private final HttpServer server;

    private ObserveServer(HttpServer server) {
        this.server = server;
    }

    /** @param port 0 for a free one */
    public static ObserveServer start(String host, int port, PrometheusMeterRegistry registry, Supplier<Health> health) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/health", exchange -> {
                Health h = health.get();
                reply(exchange, h.up() ? 200 : 503, "application/json",
                        "{\"status\":\"" + (h.up() ? "UP" : "DOWN") + "\",\"detail\":\"" + h.detail() + "\"}");
            });
            server.createContext("/metrics", exchange ->
                    reply(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
            server.start();
            return new ObserveServer(server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
