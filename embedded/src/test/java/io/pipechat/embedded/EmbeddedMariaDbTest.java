package io.pipechat.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedMariaDbTest {

    @Test
    void runsWithRowBinlogAndKeepsDataAcrossARestartOnTheSameDirectory(@TempDir Path dir) throws Exception {
        EmbeddedMariaDb.Config config = EmbeddedMariaDb.Config.defaults().withDataDir(dir);
        long pid;
        try (EmbeddedMariaDb db = EmbeddedMariaDb.start(config)) {
            try (Connection c = connect(db); Statement s = c.createStatement()) {
                assertThat(variables(s)).containsEntry("log_bin", "ON")
                        .containsEntry("binlog_format", "ROW")
                        .containsEntry("binlog_row_image", "FULL")
                        .containsEntry("server_id", "1")
                        .containsEntry("have_ssl", "DISABLED");
                s.execute("CREATE TABLE kept (id INT PRIMARY KEY)");
                s.execute("INSERT INTO kept VALUES (42)");
            }
            pid = Long.parseLong(Files.readString(dir.resolve("tmp/mariadbd.pid")).trim());
            assertThat(ProcessHandle.of(pid)).isPresent();
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(dir.resolve("data")).isNotEmptyDirectory();

        try (EmbeddedMariaDb db = EmbeddedMariaDb.start(config);
             Connection c = connect(db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM kept")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(42);
        }
    }

    @Test
    void temporaryServerLeavesNoDirectoryAndNoProcess() throws Exception {
        Path root;
        long pid;
        try (EmbeddedMariaDb db = EmbeddedMariaDb.start()) {
            root = db.dataDir();
            pid = Long.parseLong(Files.readString(root.resolve("tmp/mariadbd.pid")).trim());
            try (Connection c = connect(db); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT DATABASE(), @@character_set_database")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("chat");
                assertThat(rs.getString(2)).isEqualTo("utf8mb4");
            }
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(root).doesNotExist();
    }

    @Test
    void stopsAServerLeftBehindOnItsDirectoryBeforeStarting(@TempDir Path dir) throws Exception {
        EmbeddedMariaDb.Config config = EmbeddedMariaDb.Config.defaults().withDataDir(dir);
        // a server whose JVM "died": never closed before the next start on the same directory
        EmbeddedMariaDb abandoned = EmbeddedMariaDb.start(config);
        long abandonedPid = Long.parseLong(Files.readString(dir.resolve("tmp/mariadbd.pid")).trim());
        try (EmbeddedMariaDb db = EmbeddedMariaDb.start(config);
             Connection c = connect(db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
            assertThat(ProcessHandle.of(abandonedPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        } finally {
            abandoned.close();
        }
    }

    private static Connection connect(EmbeddedMariaDb db) throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    }

    private static Map<String, String> variables(Statement s) throws SQLException {
        Map<String, String> vars = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery("SHOW GLOBAL VARIABLES WHERE Variable_name IN "
                + "('log_bin','binlog_format','binlog_row_image','server_id','have_ssl')")) {
            while (rs.next()) {
                vars.put(rs.getString(1), rs.getString(2));
            }
        }
        return vars;
    }
}
