package io.pipechat.cdc;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pipechat.observe.ObserveServer;
import io.pipechat.observe.Settings;
import io.pipechat.schema.Schema;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Runs the CDC engine alone: {@code java -cp ... io.pipechat.cdc.CdcMain}. Configuration from system
 * properties ({@code -Dcdc.db.host=db}) or environment variables ({@code CDC_DB_HOST=db}), keys as in
 * {@link CdcConfig}; {@code cdc.migrate=false} skips the schema migrations that otherwise run first
 * (idempotent, safe beside other services running them). Stops cleanly on SIGTERM/Ctrl-C; exits with
 * status 1 when the engine fails, so a supervisor restarts it.
 *
 * <p>Operator endpoints on {@code cdc.http-port} (default 9402; 0 picks a free port; -1 turns them off)
 * and {@code cdc.http-host} (default {@code 0.0.0.0}), bound first, before the migrations: {@code GET
 * /health} is 200 {@code {"status":"UP","detail":"STREAMING"}} while the connector task snapshots or is
 * connected to the binlog, 503 with the reason otherwise ({@code MIGRATING}, {@code STARTING},
 * {@code CONNECTING}, {@code DISCONNECTED}, {@code STOPPING}, {@code STOPPED}, {@code FAILED}: see
 * {@link CdcEngine.State}); {@code GET /metrics} is Prometheus text: {@code pipechat_cdc_*} (see {@link CdcMetrics})
 * and the JVM's. The bound port is logged ({@code /health and /metrics on http://0.0.0.0:9402}). When the
 * port cannot be bound CdcMain exits with status 1 (a CDC nobody can health-check is not run half-way);
 * a bad setting exits with status 2.
 */
public final class CdcMain {
    static {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "cdc-logback.xml");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(CdcMain.class);

    private CdcMain() {
    }

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        CdcConfig config;
        boolean migrate;
        int httpPort;
        String httpHost;
        try {
            config = CdcConfig.from(Settings::get, debeziumOverrides());
            migrate = !"false".equalsIgnoreCase(Settings.get("cdc.migrate"));
            httpPort = Settings.httpPort("cdc.http-port", Settings.get("cdc.http-port"), DEFAULT_HTTP_PORT);
            String host = Settings.get("cdc.http-host");
            httpHost = host == null || host.isBlank() ? DEFAULT_HTTP_HOST : host.trim();
        } catch (IllegalArgumentException e) {
            System.err.println("bad configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        AtomicReference<CdcEngine> running = new AtomicReference<>();
        AtomicReference<String> phase = new AtomicReference<>(migrate ? "MIGRATING" : "STARTING");
        ObserveServer observer = null;
        if (httpPort >= 0) {
            try {
                observer = ObserveServer.start(httpHost, httpPort, registry, () -> {
                    CdcEngine e = running.get();
                    return e != null ? e.health() : new ObserveServer.Health(false, phase.get());
                });
            } catch (RuntimeException e) {
                LOG.error("cannot serve /health and /metrics on {}:{}: {}", httpHost, httpPort, e.getMessage());
                System.exit(1);
                return;
            }
            LOG.info("/health and /metrics on http://{}:{}", httpHost, observer.port());
        }
        if (migrate) {
            try {
                int applied = Schema.migrate(config.jdbcUrl(), config.dbUser(), config.dbPassword());
                LOG.info("schema of {} is current ({} migrations applied now)", config.jdbcUrl(), applied);
            } catch (RuntimeException e) {
                LOG.error("cannot migrate the schema of {}", config.jdbcUrl(), e);
                System.exit(1);
            }
        }
        phase.set("STARTING");
        CdcEngine engine;
        try {
            engine = CdcEngine.start(config, registry);
        } catch (RuntimeException e) {
            // Kafka unreachable for the topics, or a configuration Debezium rejects
            LOG.error("cannot start the CDC engine", e);
            System.exit(1);
            return;
        }
        running.set(engine);
        ObserveServer server = observer;
        CountDownLatch hookDone = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            engine.close();
            if (server != null) {
                server.close();
            }
            hookDone.countDown();
        }, "cdc-shutdown"));
        Optional<Throwable> failure = engine.stopped().join();
        if (failure.isPresent()) {
            engine.close();
            LOG.error("CDC engine failed, exiting", failure.get());
            System.exit(1);
        }
        try {
            hookDone.await(Duration.ofSeconds(40).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static final int DEFAULT_HTTP_PORT = 9402;
    static final String DEFAULT_HTTP_HOST = "0.0.0.0";

    static Map<String, String> debeziumOverrides() {
        String prefix = "cdc.debezium.";
        Map<String, String> out = new HashMap<>();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(prefix))
                .forEach(k -> out.put(k.substring(prefix.length()), System.getProperty(k)));
        return out;
    }
}
