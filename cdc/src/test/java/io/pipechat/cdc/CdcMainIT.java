package io.pipechat.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.embedded.testing.PrometheusText;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * CdcMain as its own process: configured by environment variables, migrates, streams, serves /health and
 * /metrics, stops on SIGTERM; exits 1 when its HTTP port is taken.
 */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
class CdcMainIT {
    private static final Pattern BOUND = Pattern.compile("/health and /metrics on http://127\\.0\\.0\\.1:(\\d+)");
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void migratesAnEmptyDatabaseStreamsItAndStopsCleanlyOnSigterm(EmbeddedKafka kafka, EmbeddedMariaDb db,
                                                                  @TempDir Path dir) throws Exception {
        String database = MariaDbExtension.uniqueDatabase(db);
        Path log = dir.resolve("cdc-main.log");
        ProcessBuilder pb = cdcMain(log);
        Map<String, String> env = pb.environment();
        env.put("CDC_HTTP_HOST", "127.0.0.1");
        env.put("CDC_HTTP_PORT", "0");
        env.put("CDC_DB_HOST", db.host());
        env.put("CDC_DB_PORT", Integer.toString(db.port()));
        env.put("CDC_DB_DATABASE", database);
        env.put("CDC_DB_SERVER_ID", "5499");
        env.put("CDC_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("CDC_TOPIC_PREFIX", "main");
        env.put("CDC_NAME", "cdc-main-it");
        env.put("CDC_OFFSETS_TOPIC", "main.offsets");
        env.put("CDC_HISTORY_TOPIC", "main.history");
        Process process = pb.start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> BOUND.matcher(Files.readString(log)).find());
            Matcher bound = BOUND.matcher(Files.readString(log));
            assertThat(bound.find()).isTrue();
            String base = "http://127.0.0.1:" + bound.group(1);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> get(base + "/health").statusCode() == 200);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> get(base + "/health").body().contains("STREAMING"));
            String topic = "main." + database + ".group_members";
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
                try (var admin = kafka.admin()) {
                    return admin.listTopics().names().get().contains(topic);
                }
            });
            try (TopicReader members = new TopicReader(kafka.bootstrapServers(), topic);
                 Connection c = DriverManager.getConnection(db.jdbcUrl(database), db.user(), db.password());
                 Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM flyway_schema_history WHERE success")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).as("every migration of the schema module").isEqualTo(3);
                }
                s.execute("INSERT INTO chat_groups (id, name, created_by, created_at) VALUES ('g1', 'Main', 'ann', NOW(3))");
                s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g1', 'ann', 'admin', NOW(3))");
                assertThat(members.awaitCount(1, Duration.ofSeconds(60)).get(0).key())
                        .isEqualTo("{\"group_id\":\"g1\",\"user_id\":\"ann\"}");
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String metrics = get(base + "/metrics").body();
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_events_total",
                        "op=\"create\",table=\"group_members\"")).hasValue(1);
                assertThat(PrometheusText.value(metrics, "pipechat_cdc_lag_seconds_count")).hasValue(2);
                assertThat(metrics).contains("jvm_memory_used_bytes");
            });

            process.destroy(); // SIGTERM
            assertThat(process.waitFor(40, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
            assertThat(Files.readString(log)).contains("CDC engine cdc-main-it closed after 2 change events");
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void exitsWithStatus1WhenItsHttpPortIsTaken(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("cdc-main-port.log");
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ProcessBuilder pb = cdcMain(log);
            pb.environment().put("CDC_HTTP_HOST", "127.0.0.1");
            pb.environment().put("CDC_HTTP_PORT", Integer.toString(taken.getLocalPort()));
            // nothing listens there: it must give up on the port before it gets to the database
            pb.environment().put("CDC_DB_PORT", "1");
            Process process = pb.start();
            try {
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exits").isTrue();
                assertThat(process.exitValue()).isEqualTo(1);
                assertThat(Files.readString(log)).contains("cannot serve /health and /metrics on 127.0.0.1:"
                        + taken.getLocalPort());
            } finally {
                process.destroyForcibly();
            }
        }
    }

    private static ProcessBuilder cdcMain(Path log) {
        return new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                CdcMain.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
