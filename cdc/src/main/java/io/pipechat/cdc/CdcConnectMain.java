package io.pipechat.cdc;

import io.pipechat.observe.Settings;
import io.pipechat.schema.Schema;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys the CDC connector to a Kafka Connect cluster and exits, the one-shot step of a deployment
 * where Debezium runs on Connect instead of {@link CdcMain}'s embedded engine: runs the schema
 * migrations (unless {@code cdc.migrate=false}; the tables must exist before the connector's
 * snapshot), creates the change topics compacted if missing, puts the connector's configuration
 * ({@link CdcConfig#connectorConfig()}, under {@code cdc.name}) through Connect's REST API at
 * {@code cdc.connect.url}, and waits until the connector and its task run. Idempotent: run it again
 * after changing a setting, it updates the configuration.
 *
 * <p>Configuration as {@link CdcMain} ({@code -Dcdc.db.host=db} or {@code CDC_DB_HOST=db}, keys of
 * {@link CdcConfig}, {@code cdc.debezium.*} passed through), plus {@code cdc.connect.url} (default
 * {@code http://127.0.0.1:8083}). Exit status 0 when the connector runs, 1 when it does not within
 * 2 minutes or a step fails, 2 for a bad setting.
 */
public final class CdcConnectMain {
    private static final Logger LOG = LoggerFactory.getLogger(CdcConnectMain.class);
    static final String DEFAULT_CONNECT_URL = "http://127.0.0.1:8083";

    private CdcConnectMain() {
    }

    public static void main(String[] args) {
        CdcConfig config;
        String url;
        try {
            config = CdcConfig.from(Settings::get, CdcMain.debeziumOverrides());
            String u = Settings.get("cdc.connect.url");
            url = u == null || u.isBlank() ? DEFAULT_CONNECT_URL : u.trim();
        } catch (IllegalArgumentException e) {
            System.err.println("bad configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            if (!"false".equalsIgnoreCase(Settings.get("cdc.migrate"))) {
                int applied = Schema.migrate(config.jdbcUrl(), config.dbUser(), config.dbPassword());
                LOG.info("schema of {} is current ({} migrations applied now)", config.jdbcUrl(), applied);
            }
            ConnectClient.Status status = deploy(config, url, Duration.ofMinutes(2));
            LOG.info("connector {} runs on {}: {}", config.name(), url, status);
            System.exit(0);
        } catch (RuntimeException e) {
            LOG.error("cannot deploy connector {} to {}", config.name(), url, e);
            System.exit(1);
        }
    }

    /**
     * Creates the change topics if missing, puts the connector's configuration and waits until it
     * runs (the schema must be migrated already). Returns the connector's status.
     */
    public static ConnectClient.Status deploy(CdcConfig config, String connectUrl, Duration timeout) {
        CdcEngine.createTopics(config);
        ConnectClient connect = new ConnectClient(connectUrl);
        connect.putConfig(config.name(), config.connectorConfig());
        return connect.awaitRunning(config.name(), timeout);
    }
}
