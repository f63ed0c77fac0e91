package io.pipechat.router;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pipechat.observe.ObserveServer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The router's operator endpoints ({@code router.http-port}, default 9400): {@code GET /health} is
 * 200 while Kafka Streams runs or rebalances and 503 otherwise; {@code GET /metrics} is Prometheus
 * text of Kafka Streams' metrics (consumer lag included) and of the router's own {@link RouterMeters}
 * ({@code pipechat_router_mailbox_entries} and the other mailbox gauges, routing counters).
 */
public final class RouterObserver implements AutoCloseable {
    private final ObserveServer server;
    private final KafkaStreamsMetrics binder;

    private RouterObserver(ObserveServer server, KafkaStreamsMetrics binder) {
        this.server = server;
        this.binder = binder;
    }

    public static RouterObserver start(Router router, String host, int port) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        KafkaStreamsMetrics binder = router.bindMetrics(registry);
        ObserveServer server = ObserveServer.start(host, port, registry, () -> {
            KafkaStreams.State state = router.state();
            return new ObserveServer.Health(
                    state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING, state.name());
        });
        return new RouterObserver(server, binder);
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
        binder.close();
    }
}
