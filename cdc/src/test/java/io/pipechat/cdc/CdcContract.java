package io.pipechat.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.cdc.TopicReader.Received;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.protocol.Json;
import io.pipechat.schema.Schema;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What CDC must do, whoever runs the connector: the change events on the topics (keys, {@code op},
 * {@code before}/{@code after}, tombstones, the snapshot, the cascade pitfall) and a clean stop and
 * restart that delivers exactly the changes made meanwhile. {@link CdcIT} runs it on the embedded
 * engine ({@link CdcEngine}); module cluster-tests' {@code ConnectCdcIT} on a Kafka Connect worker
 * with the connector configured through its REST API ({@link CdcConfig#connectorConfig()}), so both
 * are held to the same bytes on the same topics.
 *
 * <p>Each test gets a database, topic prefix, connector name and server id of its own
 * ({@link #freshSetup}) on the broker of {@link KafkaExtension} and the server of {@link MariaDbExtension}.
 */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
public abstract class CdcContract {
    private static final Logger LOG = LoggerFactory.getLogger(CdcContract.class);
    protected static final Duration WAIT = Duration.ofSeconds(60);
    private static final AtomicInteger ENGINES = new AtomicInteger();

    /** A running connector; {@link #close()} stops it cleanly (its position committed). */
    public interface Capture extends AutoCloseable {
        @Override
        void close() throws Exception;
    }

    /** Starts capturing with {@code config}; returns once the connector task runs. */
    protected abstract Capture start(CdcConfig config) throws Exception;

    /** Checks after the restart test's second run wrote {@code changes} change events (tombstone included). */
    protected void afterRestart(Capture capture, int changes) {
    }

    /** Checks once the restart test stopped its second run. */
    protected void afterStop(CdcConfig config, EmbeddedKafka kafka) throws Exception {
    }

    @Test
    public void snapshotThenInsertUpdateDeleteArriveAsJsonKeyedByPrimaryKey(EmbeddedKafka kafka, EmbeddedMariaDb db)
            throws Exception {
        CdcConfig config = freshSetup(kafka, db);
        try (Connection c = connect(db, config); Statement s = c.createStatement()) {
            s.execute("INSERT INTO chat_groups (id, name, created_by, created_at)"
                    + " VALUES ('g1', 'Family', 'alice', '2026-01-02 03:04:05.678')");
            s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES"
                    + " ('g1', 'alice', 'admin', '2026-01-02 03:04:05.678'), ('g1', 'bob', 'member', NOW(3))");

            try (Capture capture = start(config);
                 TopicReader members = new TopicReader(kafka.bootstrapServers(), config.topic("group_members"));
                 TopicReader groups = new TopicReader(kafka.bootstrapServers(), config.topic("chat_groups"))) {
                List<Received> snapshot = members.awaitCount(2, WAIT);
                assertThat(snapshot).extracting(r -> op(r)).containsExactly("r", "r");
                assertThat(snapshot).extracting(Received::key).containsExactly(
                        "{\"group_id\":\"g1\",\"user_id\":\"alice\"}", "{\"group_id\":\"g1\",\"user_id\":\"bob\"}");
                JsonNode alice = json(snapshot.get(0).value());
                assertThat(alice.path("before").isNull()).isTrue();
                assertThat(alice.path("after").path("role").asText()).isEqualTo("admin");
                assertThat(alice.path("after").path("added_at").asText()).isEqualTo("2026-01-02T03:04:05.678Z");
                assertThat(alice.path("source").path("db").asText()).isEqualTo(config.database());
                assertThat(alice.path("source").path("table").asText()).isEqualTo("group_members");
                assertThat(alice.has("ts_ms")).isTrue();
                JsonNode group = json(groups.awaitCount(1, WAIT).get(0).value());
                assertThat(group.path("op").asText()).isEqualTo("r");
                assertThat(group.path("after").path("name").asText()).isEqualTo("Family");
                assertThat(group.path("after").path("created_by").asText()).isEqualTo("alice");

                // inserts, one at a time: the delay from commit to the event on Kafka
                List<Long> delaysMicros = new ArrayList<>();
                List<Long> appendMillis = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String user = "u" + i;
                    int before = members.seen().size();
                    s.execute("INSERT INTO group_members (group_id, user_id, role, added_at)"
                            + " VALUES ('g1', '" + user + "', 'member', NOW(3))");
                    long committed = System.nanoTime();
                    long committedWall = System.currentTimeMillis();
                    Received r = members.awaitCount(before + 1, WAIT).get(before);
                    delaysMicros.add((r.receivedNanos() - committed) / 1000);
                    appendMillis.add(r.timestamp() - committedWall);
                    assertThat(r.key()).isEqualTo("{\"group_id\":\"g1\",\"user_id\":\"" + user + "\"}");
                    assertThat(op(r)).isEqualTo("c");
                    if (i == 0) {
                        LOG.info("insert event on {}: key={} value={}", config.topic("group_members"), r.key(), r.value());
                        JsonNode insert = json(r.value());
                        assertThat(insert.path("before").isNull()).isTrue();
                        assertThat(insert.path("after").path("user_id").asText()).isEqualTo(user);
                        assertThat(insert.path("after").path("role").asText()).isEqualTo("member");
                    }
                }
                Collections.sort(delaysMicros);
                LOG.info("commit -> event consumed from Kafka, 20 single-row inserts: min {} ms, median {} ms, max {} ms;"
                                + " commit -> producer timestamp median {} ms",
                        delaysMicros.get(0) / 1000.0, delaysMicros.get(10) / 1000.0, delaysMicros.get(19) / 1000.0,
                        appendMillis.stream().sorted().toList().get(10));

                int before = members.seen().size();
                s.execute("UPDATE group_members SET role = 'admin' WHERE group_id = 'g1' AND user_id = 'bob'");
                Received update = members.awaitCount(before + 1, WAIT).get(before);
                assertThat(update.key()).isEqualTo("{\"group_id\":\"g1\",\"user_id\":\"bob\"}");
                assertThat(op(update)).isEqualTo("u");
                assertThat(json(update.value()).path("before").path("role").asText()).isEqualTo("member");
                assertThat(json(update.value()).path("after").path("role").asText()).isEqualTo("admin");

                s.execute("DELETE FROM group_members WHERE group_id = 'g1' AND user_id = 'u0'");
                List<Received> delete = members.awaitCount(before + 3, WAIT).subList(before + 1, before + 3);
                assertThat(delete).extracting(Received::key).containsOnly("{\"group_id\":\"g1\",\"user_id\":\"u0\"}");
                assertThat(op(delete.get(0))).isEqualTo("d");
                assertThat(json(delete.get(0).value()).path("before").path("user_id").asText()).isEqualTo("u0");
                assertThat(json(delete.get(0).value()).path("after").isNull()).isTrue();
                assertThat(delete.get(1).value()).as("tombstone").isNull();

                // InnoDB performs ON DELETE CASCADE below the binlog: deleting a group alone leaves its
                // members on the topic (the next change, g3's, arrives with nothing for g2 before it)...
                before = members.seen().size();
                s.execute("INSERT INTO chat_groups (id, name, created_by, created_at) VALUES ('g2', 'Two', 'eve', NOW(3))");
                s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g2', 'eve', 'admin', NOW(3))");
                s.execute("DELETE FROM chat_groups WHERE id = 'g2'");
                s.execute("INSERT INTO chat_groups (id, name, created_by, created_at) VALUES ('g3', 'Three', 'eve', NOW(3))");
                s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g3', 'eve', 'admin', NOW(3))");
                List<Received> cascade = members.awaitCount(before + 2, WAIT).subList(before, before + 2);
                assertThat(cascade).extracting(r -> op(r) + " " + json(r.key()).path("group_id").asText())
                        .containsExactly("c g2", "c g3");
                // ...so the group API deletes the members first, in the same transaction
                before = members.seen().size();
                c.setAutoCommit(false);
                s.execute("DELETE FROM group_members WHERE group_id = 'g3'");
                s.execute("DELETE FROM chat_groups WHERE id = 'g3'");
                c.commit();
                c.setAutoCommit(true);
                List<Received> removal = members.awaitCount(before + 2, WAIT).subList(before, before + 2);
                assertThat(removal).extracting(Received::key).containsOnly("{\"group_id\":\"g3\",\"user_id\":\"eve\"}");
                assertThat(removal).extracting(CdcIT::op).containsExactly("d", null);
                List<Received> groupEvents = groups.awaitCount(7, WAIT);
                assertThat(groupEvents).extracting(r -> op(r) + " " + json(r.key()).path("id").asText())
                        .containsExactly("r g1", "c g2", "d g2", "null g2", "c g3", "d g3", "null g3");
            }
        }
    }

    @Test
    public void restartAfterAStopDeliversExactlyTheChangesMadeWhileStopped(EmbeddedKafka kafka, EmbeddedMariaDb db)
            throws Exception {
        CdcConfig config = freshSetup(kafka, db);
        try (Connection c = connect(db, config); Statement s = c.createStatement()) {
            s.execute("INSERT INTO chat_groups (id, name, created_by, created_at) VALUES ('g1', 'Team', 'alice', NOW(3))");
            s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g1', 'alice', 'admin', NOW(3))");

            try (Capture capture = start(config);
                 TopicReader members = new TopicReader(kafka.bootstrapServers(), config.topic("group_members"))) {
                members.awaitCount(1, WAIT);
                s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g1', 'bob', 'member', NOW(3))");
                members.awaitCount(2, WAIT);
            }

            s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g1', 'carol', 'member', NOW(3))");
            s.execute("UPDATE group_members SET role = 'member' WHERE group_id = 'g1' AND user_id = 'alice'");
            s.execute("DELETE FROM group_members WHERE group_id = 'g1' AND user_id = 'bob'");

            try (Capture capture = start(config);
                 TopicReader members = new TopicReader(kafka.bootstrapServers(), config.topic("group_members"))) {
                // a last change after the restart: once it is on the topic, everything before it is too
                s.execute("INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ('g1', 'zed', 'member', NOW(3))");
                List<Received> all = members.awaitUntil(
                        seen -> seen.stream().anyMatch(r -> r.key().contains("\"zed\"")), WAIT);
                assertThat(all).extracting(r -> op(r) + " " + user(r)).containsExactly(
                        "r alice", "c bob", // first run
                        "c carol", "u alice", "d bob", "null bob", // made while stopped
                        "c zed"); // after the restart
                afterRestart(capture, 5);
            }
        }
        try (var admin = kafka.admin()) {
            assertThat(admin.listTopics().names().get()).contains(config.historyTopic());
        }
        afterStop(config, kafka);
    }

    /**
     * The pattern the group API follows to say who removed a member and why (Schema): mark the
     * row, then delete it, in one transaction; the delete event's {@code before} carries the mark.
     * A group's update carries its old and new name, description and icon.
     */
    @Test
    public void aRowMarkedBeforeItsDeleteSaysWhoAndWhyInTheDeleteEvent(EmbeddedKafka kafka, EmbeddedMariaDb db) throws Exception {
        CdcConfig config = freshSetup(kafka, db);
        try (Connection c = connect(db, config); Statement s = c.createStatement()) {
            s.execute("INSERT INTO chat_groups (id, name, created_by, changed_by) VALUES ('g1', 'Band', 'alice', 'alice')");
            s.execute("INSERT INTO group_members (group_id, user_id, role, changed_by, last_change) VALUES"
                    + " ('g1', 'alice', 'admin', 'alice', 'created'), ('g1', 'bob', 'member', 'alice', 'created')");
            try (Capture engine = start(config);
                 TopicReader members = new TopicReader(kafka.bootstrapServers(), config.topic("group_members"));
                 TopicReader groups = new TopicReader(kafka.bootstrapServers(), config.topic("chat_groups"))) {
                members.awaitCount(2, WAIT);
                groups.awaitCount(1, WAIT);

                c.setAutoCommit(false);
                s.execute("UPDATE group_members SET changed_by = 'alice', last_change = 'member_removed'"
                        + " WHERE group_id = 'g1' AND user_id = 'bob'");
                s.execute("DELETE FROM group_members WHERE group_id = 'g1' AND user_id = 'bob'");
                s.execute("UPDATE chat_groups SET description = 'Fridays', icon = '{\"id\":\"ab\"}', changed_by = 'alice'"
                        + " WHERE id = 'g1'");
                c.commit();

                List<Received> removal = members.awaitCount(5, WAIT).subList(2, 5);
                assertThat(removal).extracting(CdcContract::op).containsExactly("u", "d", null);
                JsonNode mark = json(removal.get(0).value());
                assertThat(mark.path("after").path("last_change").asText()).isEqualTo("member_removed");
                JsonNode delete = json(removal.get(1).value());
                assertThat(delete.path("before").path("changed_by").asText()).isEqualTo("alice");
                assertThat(delete.path("before").path("last_change").asText()).isEqualTo("member_removed");
                assertThat(delete.path("source").path("file").asText()).as("the binlog position system messages are named by")
                        .isNotEmpty();
                assertThat(delete.path("source").path("pos").asLong()).isPositive();
                JsonNode update = json(groups.awaitCount(2, WAIT).get(1).value());
                assertThat(update.path("op").asText()).isEqualTo("u");
                assertThat(update.path("before").path("description").isNull()).isTrue();
                assertThat(update.path("after").path("description").asText()).isEqualTo("Fridays");
                assertThat(update.path("after").path("icon").asText()).isEqualTo("{\"id\":\"ab\"}");
                assertThat(update.path("after").path("changed_by").asText()).isEqualTo("alice");
            }
        }
    }

    /** A database of its own with the schema, and topics, offsets and history of its own. */
    protected static CdcConfig freshSetup(EmbeddedKafka kafka, EmbeddedMariaDb db) {
        String database = MariaDbExtension.uniqueDatabase(db);
        Schema.migrate(db.jdbcUrl(database), db.user(), db.password());
        int n = ENGINES.incrementAndGet();
        return CdcConfig.defaults()
                .withDatabase(db.host(), db.port(), db.user(), db.password(), database)
                .withKafka(kafka.bootstrapServers())
                .withTopicPrefix("cdc" + n)
                .withServerId(5400 + n);
    }

    protected static Connection connect(EmbeddedMariaDb db, CdcConfig config) throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(config.database()), db.user(), db.password());
    }

    protected static JsonNode json(String value) {
        try {
            return Json.MAPPER.readTree(value);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + value, e);
        }
    }

    protected static String op(Received r) {
        return r.value() == null ? null : json(r.value()).path("op").asText();
    }

    protected static String user(Received r) {
        return json(r.key()).path("user_id").asText();
    }
}
