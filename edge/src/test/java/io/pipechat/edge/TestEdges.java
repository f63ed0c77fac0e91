package io.pipechat.edge;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.protocol.Topics;
import java.util.HashMap;
import java.util.Map;

/** Configuration of an edge under test: a free port, the test's own topics, development mode. */
final class TestEdges {
    private TestEdges() {
    }

    /** Settings to change further before {@code Edge.start(Edge.config(settings))}. */
    static Map<String, String> settings(EmbeddedKafka kafka, Topics topics) {
        Map<String, String> settings = new HashMap<>(EdgeConfig.topicKeys(topics));
        settings.put("server.port", "0");
        settings.put("kafka.bootstrap-servers", kafka.bootstrapServers());
        settings.put("edge.dev-mode", "true");
        return settings;
    }

    /** The same, with the group and push APIs on {@code database} of {@code db}. */
    static Map<String, String> settings(EmbeddedKafka kafka, Topics topics, EmbeddedMariaDb db, String database) {
        Map<String, String> settings = settings(kafka, topics);
        settings.put("db.url", db.jdbcUrl(database));
        settings.put("db.user", db.user());
        settings.put("db.password", db.password());
        return settings;
    }
}
