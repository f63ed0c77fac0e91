package io.pipechat.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.MariaDbExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mariadb.jdbc.MariaDbDataSource;

@ExtendWith(MariaDbExtension.class)
class SchemaMigrationIT {

    @Test
    void createsTheTablesOnAFreshDatabaseAndASecondRunChangesNothing(EmbeddedMariaDb db) throws Exception {
        DataSource ds = dataSource(db, MariaDbExtension.uniqueDatabase(db));

        assertThat(Schema.migrate(ds)).isEqualTo(3);
        assertThat(Schema.migrate(ds)).isZero();

        try (Connection c = ds.getConnection()) {
            assertThat(strings(c, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
                    + " AND engine = 'InnoDB' AND table_collation LIKE 'utf8mb4%' ORDER BY table_name"))
                    .containsExactly("chat_groups", "flyway_schema_history", "group_members", "group_quotas", "push_subscriptions");
            assertThat(keyColumns(c, "chat_groups", "PRIMARY")).containsExactly("id");
            assertThat(keyColumns(c, "group_members", "PRIMARY")).containsExactly("group_id", "user_id");
            assertThat(keyColumns(c, "group_members", "group_members_user_id")).containsExactly("user_id");
            assertThat(keyColumns(c, "push_subscriptions", "PRIMARY")).containsExactly("id");
            assertThat(keyColumns(c, "push_subscriptions", "push_subscriptions_user_id")).containsExactly("user_id");
            assertThat(strings(c, "SELECT CONCAT(referenced_table_name, ' ', delete_rule)"
                    + " FROM information_schema.referential_constraints"
                    + " WHERE constraint_schema = DATABASE() AND table_name = 'group_members'"))
                    .containsExactly("chat_groups CASCADE");
            assertThat(strings(c, "SELECT CONCAT(column_name, ' ', column_type, ' ', is_nullable)"
                    + " FROM information_schema.columns WHERE table_schema = DATABASE()"
                    + " AND table_name = 'group_members' ORDER BY ordinal_position"))
                    .containsExactly("group_id varchar(64) NO", "user_id varchar(64) NO", "role varchar(16) NO",
                            "added_at timestamp(3) NO", "changed_by varchar(64) YES", "last_change varchar(32) YES");
            assertThat(strings(c, "SELECT CONCAT(column_name, ' ', column_type, ' ', is_nullable)"
                    + " FROM information_schema.columns WHERE table_schema = DATABASE()"
                    + " AND table_name = 'chat_groups' ORDER BY ordinal_position"))
                    .containsExactly("id varchar(64) NO", "name varchar(255) NO", "created_by varchar(64) NO",
                            "created_at timestamp(3) NO", "description varchar(2048) YES", "icon varchar(1024) YES",
                            "changed_by varchar(64) YES");
            assertThat(keyColumns(c, "group_quotas", "PRIMARY")).containsExactly("user_id");
        }
    }

    @Test
    void keysAndCascadesBehaveAsTheGroupServiceExpects(EmbeddedMariaDb db) throws Exception {
        DataSource ds = dataSource(db, MariaDbExtension.uniqueDatabase(db));
        Schema.migrate(ds);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO chat_groups (id, name, created_by, created_at) VALUES ('g1', 'Family', 'alice', NOW(3))");
            s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES"
                    + " ('g1', 'alice', 'admin', NOW(3)), ('g1', 'bob', 'member', NOW(3))");
            // ids are exact: 'Bob' is another user than 'bob'
            s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g1', 'Bob', 'member', NOW(3))");
            assertThatThrownBy(() -> s.execute(
                    "INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g1', 'bob', 'admin', NOW(3))"))
                    .isInstanceOf(SQLIntegrityConstraintViolationException.class);
            assertThatThrownBy(() -> s.execute(
                    "INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('nope', 'bob', 'admin', NOW(3))"))
                    .isInstanceOf(SQLIntegrityConstraintViolationException.class);

            s.execute("DELETE FROM chat_groups WHERE id = 'g1'");
            assertThat(strings(c, "SELECT user_id FROM group_members")).isEmpty();

            String endpoint = "https://push.example.com/" + "x".repeat(2000);
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES (?, ?, 'key', 'secret')")) {
                insert.setString(1, "alice");
                insert.setString(2, endpoint);
                insert.executeUpdate();
                insert.setString(1, "bob");
                assertThatThrownBy(insert::executeUpdate).isInstanceOf(SQLIntegrityConstraintViolationException.class);
                insert.setString(2, endpoint + "y");
                insert.executeUpdate();
            }
            assertThat(strings(c, "SELECT user_id FROM push_subscriptions ORDER BY id")).containsExactly("alice", "bob");
        }
    }

    @Test
    void servicesStartingAtTheSameTimeApplyEachMigrationOnce(EmbeddedMariaDb db) throws Exception {
        DataSource ds = dataSource(db, MariaDbExtension.uniqueDatabase(db));
        int services = 3;
        CyclicBarrier start = new CyclicBarrier(services);
        List<CompletableFuture<Integer>> runs = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(services);
        for (int i = 0; i < services; i++) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    start.await(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return Schema.migrate(ds);
            }, threads));
        }
        threads.shutdown();
        int applied = 0;
        for (CompletableFuture<Integer> run : runs) {
            applied += run.get(60, TimeUnit.SECONDS);
        }
        assertThat(applied).isEqualTo(3);
        try (Connection c = ds.getConnection()) {
            assertThat(strings(c, "SELECT CONCAT(version, ' ', success) FROM flyway_schema_history ORDER BY installed_rank"))
                    .containsExactly("1 1", "2 1", "3 1");
        }
    }

    private static DataSource dataSource(EmbeddedMariaDb db, String database) throws SQLException {
        MariaDbDataSource ds = new MariaDbDataSource(db.jdbcUrl(database));
        ds.setUser(db.user());
        ds.setPassword(db.password());
        return ds;
    }

    private static List<String> keyColumns(Connection c, String table, String index) throws SQLException {
        return strings(c, "SELECT column_name FROM information_schema.statistics WHERE table_schema = DATABASE()"
                + " AND table_name = '" + table + "' AND index_name = '" + index + "' ORDER BY seq_in_index");
    }

    private static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
