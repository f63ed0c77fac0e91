package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.protocol.Topics;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The idle timeout drops silent connections but never one whose client pings. */
@ExtendWith(KafkaExtension.class)
class IdleConnectionIT {
    private static Edge edge;
    private static String base;

    @BeforeAll
    static void start(EmbeddedKafka kafka) {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, 1);
        Map<String, String> settings = TestEdges.settings(kafka, topics);
        settings.put("server.idle-connection-timeout", "PT2S");
        settings.put("server.idle-connection-period", "PT0.5S");
        edge = Edge.start(Edge.config(settings));
        base = "http://127.0.0.1:" + edge.port();
    }

    @AfterAll
    static void stop() {
        edge.close();
    }

    @Test
    void keepsAPingingClientAndDropsASilentOne() throws InterruptedException {
        try (ChatClient pinging = ChatClient.connect(base, ChatClient.devToken(base, "pinger"), "default");
             ChatClient silent = ChatClient.connect(base, ChatClient.devToken(base, "sleeper"), "default")) {
            pinging.next("welcome");
            silent.next("welcome");
            for (int i = 0; i < 12; i++) {
                Thread.sleep(500);
                pinging.send("{\"type\":\"ping\",\"ts\":" + i + "}");
                assertThat(pinging.next("pong").get("ts").asLong()).isEqualTo(i);
            }
            assertThat(silent.isClosed()).isTrue();
            assertThat(pinging.isClosed()).isFalse();
        }
    }
}
