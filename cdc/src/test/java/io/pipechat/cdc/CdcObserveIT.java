package io.pipechat.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.observe.ObserveServer;
import io.pipechat.schema.Schema;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The engine's meters and health, read over HTTP as Prometheus and an orchestrator would. */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
class CdcObserveIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void metricsCountTheChangesAndTheirLagAndHealthIsUpWhileStreaming(EmbeddedKafka kafka, EmbeddedMariaDb db)
            throws Exception {
        CdcConfig config = freshSetup(kafka, db, "obs1", 5480);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(config.database()), db.user(), db.password());
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO chat_groups (id, name, created_by, created_at) VALUES ('g1', 'Obs', 'ann', NOW(3))");
            CdcEngine engine = CdcEngine.start(config, registry);
            try (ObserveServer server = ObserveServer.start("127.0.0.1", 0, registry, engine::health)) {
                String base = "http://127.0.0.1:" + server.port();
                engine.awaitStarted(WAIT);
                // snapshot of g1, then the binlog (Debezium's JMX metrics say which)
                Awaitility.await().atMost(WAIT).until(() -> get(base + "/health").body().contains("STREAMING"));
                HttpResponse<String> up = get(base + "/health");
                assertThat(up.statusCode()).isEqualTo(200);
                assertThat(up.body()).isEqualTo("{\"status\":\"UP\",\"detail\":\"STREAMING\"}");

                for (String user : new String[] {"ann", "bob", "cid"}) {
                    s.execute("INSERT INTO group_members (group_id, user_id, role, added_at)"
                            + " VALUES ('g1', '" + user + "', 'member', NOW(3))");
                }
                s.execute("DELETE FROM group_members WHERE group_id = 'g1' AND user_id = 'cid'");
                Awaitility.await().atMost(WAIT).until(() ->
                        PrometheusText.value(get(base + "/metrics").body(), "pipechat_cdc_events_total",
                                "op=\"tombstone\",table=\"group_members\"").orElse(0) == 1);

                String metrics = get(base + "/metrics").body();
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_events_total", "op=\"read\",table=\"chat_groups\""))
                        .hasValue(1);
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_events_total", "op=\"create\",table=\"group_members\""))
                        .hasValue(3);
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_events_total", "op=\"delete\",table=\"group_members\""))
                        .hasValue(1);
                // the three inserts and the delete were streamed from the binlog; the snapshot read has no lag
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_lag_seconds_count")).hasValue(4);
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_lag_seconds_sum").orElse(-1)).isGreaterThanOrEqualTo(0);
                assertThat(metrics).contains("pipechat_cdc_lag_seconds_bucket{le=");
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_publish_delay_seconds_count")).hasValue(5);
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_last_event_age_seconds").orElse(-1))
                        .as("a number once a change was written").isGreaterThanOrEqualTo(0);
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_state", "state=\"STREAMING\"")).hasValue(1);
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_state", "state=\"STARTING\"")).hasValue(0);
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_write_failures_total")).isEmpty();
                assertThat(engine.metrics().lagSamples()).isEqualTo(4);

                engine.close();
                HttpResponse<String> stopped = get(base + "/health");
                assertThat(stopped.statusCode()).isEqualTo(503);
                assertThat(stopped.body()).contains("STOPPED");
            } finally {
                engine.close();
            }
        }
    }

    @Test
    void healthIsDownWhileTheEngineCannotStartAndAfterItFailed(EmbeddedKafka kafka, EmbeddedMariaDb db)
            throws Exception {
        CdcConfig config = freshSetup(kafka, db, "obs2", 5481);
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        CdcConfig unreachable = config.withDatabase("127.0.0.1", closedPort, db.user(), db.password(), config.database());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        CdcEngine engine = CdcEngine.start(unreachable, registry);
        try (ObserveServer server = ObserveServer.start("127.0.0.1", 0, registry, engine::health)) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> starting = get(base + "/health");
            assertThat(starting.statusCode()).isEqualTo(503);
            assertThat(starting.body()).containsAnyOf("STARTING", "FAILED");
            engine.stopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            HttpResponse<String> failed = get(base + "/health");
            assertThat(failed.statusCode()).isEqualTo(503);
            assertThat(failed.body()).isEqualTo("{\"status\":\"DOWN\",\"detail\":\"FAILED\"}");
            assertThat(PrometheusText.value(get(base + "/metrics").body(), "pipechat_cdc_state", "state=\"FAILED\"")).hasValue(1);
        } finally {
            engine.close();
        }
    }

    @Test
    void aChangeKafkaRefusesCountsAsAWriteFailureAndTheEngineIsDown(EmbeddedKafka kafka, EmbeddedMariaDb db)
            throws Exception {
        CdcConfig config = freshSetup(kafka, db, "obs3", 5482);
        // the change topic exists already and takes only records smaller than any change event
        try (var admin = kafka.admin()) {
            admin.createTopics(config.changeTopics().stream().map(t -> new NewTopic(t, 1, (short) 1)
                    .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "64"))).toList()).all().get();
        }
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(config.database()), db.user(), db.password());
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO chat_groups (id, name, created_by, created_at) VALUES ('g1', 'Big', 'ann', NOW(3))");
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        CdcEngine engine = CdcEngine.start(config, registry);
        try (ObserveServer server = ObserveServer.start("127.0.0.1", 0, registry, engine::health)) {
            String base = "http://127.0.0.1:" + server.port();
            assertThat(engine.stopped().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isPresent();
            assertThat(PrometheusText.value(get(base + "/metrics").body(), "pipechat_cdc_write_failures_total",
                    "table=\"chat_groups\"")).hasValue(1);
            assertThat(PrometheusText.value(get(base + "/metrics").body(), "pipechat_cdc_events_total",
                    "op=\"read\",table=\"chat_groups\"")).isEmpty();
            assertThat(get(base + "/health").statusCode()).isEqualTo(503);
            assertThat(engine.eventsWritten()).isZero();
        } finally {
            engine.close();
        }
    }

    @Test
    void healthIsDownWhileTheBinlogConnectionIsLostAndUpAgainOnceDebeziumReconnects(EmbeddedKafka kafka,
                                                                                   EmbeddedMariaDb db) throws Exception {
        // Debezium's binlog client checks its connection, and reconnects, every 2 s instead of every minute
        CdcConfig config = freshSetup(kafka, db, "obs4", 5483)
                .withDebezium(Map.of("connect.keep.alive.interval.ms", "2000"));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        CdcEngine engine = CdcEngine.start(config, registry);
        try (ObserveServer server = ObserveServer.start("127.0.0.1", 0, registry, engine::health);
             Connection c = DriverManager.getConnection(db.jdbcUrl(config.database()), db.user(), db.password());
             Statement s = c.createStatement()) {
            String base = "http://127.0.0.1:" + server.port();
            engine.awaitStarted(WAIT);
            Awaitility.await().atMost(WAIT).until(() -> get(base + "/health").body().contains("STREAMING"));

            // the server drops the binlog connection (the only replica thread: other tests' engines are closed)
            List<Long> dumps = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT ID FROM information_schema.PROCESSLIST"
                    + " WHERE COMMAND LIKE 'Binlog Dump%'")) {
                while (rs.next()) {
                    dumps.add(rs.getLong(1));
                }
            }
            assertThat(dumps).hasSize(1);
            s.execute("KILL " + dumps.get(0));
            HttpResponse<String> down = Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
                    .until(() -> get(base + "/health"), r -> r.statusCode() == 503);
            assertThat(down.body()).isEqualTo("{\"status\":\"DOWN\",\"detail\":\"DISCONNECTED\"}");

            Awaitility.await().atMost(WAIT).until(() -> get(base + "/health").statusCode() == 200);
            assertThat(get(base + "/health").body()).isEqualTo("{\"status\":\"UP\",\"detail\":\"STREAMING\"}");
            assertThat(engine.isRunning()).isTrue();
            s.execute("INSERT INTO chat_groups (id, name, created_by, created_at) VALUES ('g9', 'Back', 'ann', NOW(3))");
            Awaitility.await().atMost(WAIT).until(() -> PrometheusText.value(get(base + "/metrics").body(),
                    "pipechat_cdc_events_total", "op=\"create\",table=\"chat_groups\"").orElse(0) == 1);
        } finally {
            engine.close();
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static CdcConfig freshSetup(EmbeddedKafka kafka, EmbeddedMariaDb db, String prefix, long serverId) {
        String database = MariaDbExtension.uniqueDatabase(db);
        Schema.migrate(db.jdbcUrl(database), db.user(), db.password());
        return CdcConfig.defaults()
                .withDatabase(db.host(), db.port(), db.user(), db.password(), database)
                .withKafka(kafka.bootstrapServers())
                .withTopicPrefix(prefix)
                .withServerId(serverId);
    }
}
