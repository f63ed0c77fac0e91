package io.pipechat.router;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The router's operator endpoints on a small HTTP server ({@code router.http-port}, default 9400):
 * {@code GET /health} is 200 while Kafka Streams runs or rebalances and 503 otherwise (for
 * orchestrators' health checks); {@code GET /metrics} is Prometheus text of Kafka Streams' metrics,
 * consumer lag and the router's own counters included.
 */
public final class RouterObserver implements AutoCloseable {
    private final HttpServer server;
    private final KafkaStreamsMetrics binder;

    private RouterObserver(HttpServer server, KafkaStreamsMetrics binder) {
        this.server = server;
        this.binder = binder;
    }

    public static RouterObserver start(Router router, String host, int port) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        KafkaStreamsMetrics binder = router.bindMetrics(registry);
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/health", exchange -> {
                KafkaStreams.State state = router.state();
                boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
                reply(exchange, up ? 200 : 503, "application/json", "{\"status\":\"" + (up ? "UP" : "DOWN")
                        + "\",\"streams\":\"" + state + "\"}");
            });
            server.createContext("/metrics", exchange ->
                    reply(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
            server.start();
            return new RouterObserver(server, binder);
        } catch (IOException e) {
            binder.close();
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
        binder.close();
    }
}
