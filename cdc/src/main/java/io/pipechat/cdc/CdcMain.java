package io.pipechat.cdc;

import io.pipechat.schema.Schema;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Runs the CDC engine alone: {@code java -cp ... io.pipechat.cdc.CdcMain}. Configuration from system
 * properties ({@code -Dcdc.db.host=db}) or environment variables ({@code CDC_DB_HOST=db}), keys as in
 * {@link CdcConfig}; {@code cdc.migrate=false} skips the schema migrations that otherwise run first
 * (idempotent, safe beside other services running them). Stops cleanly on SIGTERM/Ctrl-C; exits with
 * status 1 when the engine fails, so a supervisor restarts it.
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
        try {
            config = CdcConfig.from(CdcMain::setting, debeziumOverrides());
            migrate = !"false".equalsIgnoreCase(setting("cdc.migrate"));
        } catch (IllegalArgumentException e) {
            System.err.println("bad configuration: " + e.getMessage());
            System.exit(2);
            return;
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
        CdcEngine engine = CdcEngine.start(config);
        CountDownLatch hookDone = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            engine.close();
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

    /** System property {@code key}, else environment variable {@code KEY} with dots and dashes as underscores. */
    static String setting(String key) {
        String value = System.getProperty(key);
        if (value == null) {
            value = System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        return value;
    }

    private static Map<String, String> debeziumOverrides() {
        String prefix = "cdc.debezium.";
        Map<String, String> out = new HashMap<>();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(prefix))
                .forEach(k -> out.put(k.substring(prefix.length()), System.getProperty(k)));
        return out;
    }
}
