package io.pipechat.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** CdcMain as its own process: configured by environment variables, migrates, streams, stops on SIGTERM. */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
class CdcMainIT {

    @Test
    void migratesAnEmptyDatabaseStreamsItAndStopsCleanlyOnSigterm(EmbeddedKafka kafka, EmbeddedMariaDb db,
                                                                  @TempDir Path dir) throws Exception {
        String database = MariaDbExtension.uniqueDatabase(db);
        Path log = dir.resolve("cdc-main.log");
        ProcessBuilder pb = new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                CdcMain.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
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
                    assertThat(rs.getInt(1)).isEqualTo(2);
                }
                s.execute("INSERT INTO chat_groups (id, name, created_by, created_at) VALUES ('g1', 'Main', 'ann', NOW(3))");
                s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g1', 'ann', 'admin', NOW(3))");
                assertThat(members.awaitCount(1, Duration.ofSeconds(60)).get(0).key())
                        .isEqualTo("{\"group_id\":\"g1\",\"user_id\":\"ann\"}");
            }

            process.destroy(); // SIGTERM
            assertThat(process.waitFor(40, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
            assertThat(Files.readString(log)).contains("CDC engine cdc-main-it closed after 2 change events");
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }
}
