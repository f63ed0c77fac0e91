package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that upgrades and then never reads: the edge bounds what it queues for it (in
 * characters, not only frames) and drops the socket once a write has blocked for the write
 * timeout, instead of holding megabytes of frames for it until the idle timeout.
 */
@ExtendWith(KafkaExtension.class)
class SlowReaderIT {
    private static final int PARTITION = 8; // no other edge of this JVM: the connections gauge is its own

    @Test
    void dropsAReaderThatNeverReads(EmbeddedKafka kafka) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, PARTITION + 1);
        Map<String, String> settings = TestEdges.settings(kafka, topics);
        settings.put("edge.partition", Integer.toString(PARTITION));
        settings.put("edge.write-timeout", "PT2S");
        settings.put("edge.outbound-queue-chars", "262144");
        try (Edge edge = Edge.start(Edge.config(settings));
             var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     kafka.bootstrapServers()), new StringSerializer(), JsonSerde.<Delivery>serializer());
             Socket socket = new Socket()) {
            String base = "http://127.0.0.1:" + edge.port();
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", edge.port()));
            OutputStream out = socket.getOutputStream();
            out.write(("GET /v1/ws?device=d HTTP/1.1\r\nHost: 127.0.0.1:" + edge.port() + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Authorization: Bearer " + ChatClient.devToken(base, "sloth") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(statusLine(socket.getInputStream())).startsWith("HTTP/1.1 101");
            String edgeTag = "edge=\"" + PARTITION + "\"";
            await().atMost(Duration.ofSeconds(10)).until(() -> connections(base, edgeTag) == 1);

            String session = sessionOpened(kafka, topics.userEvents(), "sloth");
            String body = "x".repeat(50_000);
            for (int seq = 1; seq <= 300; seq++) { // 15 MB for a socket that reads nothing
                producer.send(new ProducerRecord<>(topics.deliveries(), PARTITION, "sloth", Delivery.Frame.of("sloth", session,
                        new ServerFrame.Msg(seq, "m" + seq, "x", Address.user("sloth"), 1, body, null))));
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(20)).until(() -> connections(base, edgeTag) == 0);
        }
    }

    private static double connections(String base, String edgeTag) {
        return PrometheusText.value(PrometheusText.scrape(base + "/observe/metrics"), "pipechat_edge_connections", edgeTag)
                .orElse(-1);
    }

    /** Reads the upgrade response up to its blank line and returns its first line. */
    private static String statusLine(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString().lines().findFirst().orElse("");
    }

    private static String sessionOpened(EmbeddedKafka kafka, String topic, String user) {
        var de = JsonSerde.deserializer(UserEvent.class);
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            return await().atMost(Duration.ofSeconds(10)).until(() -> {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (de.deserialize(topic, r.value().getBytes()) instanceof UserEvent.SessionOpened o && o.user().equals(user)) {
                        return o.session();
                    }
                }
                return null;
            }, s -> s != null);
        }
    }
}
