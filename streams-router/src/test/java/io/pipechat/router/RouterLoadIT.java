package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.DeliveryCodec;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many users at once on the real broker: every message arrives exactly at its user's edge, with
 * the user's seqs increasing in sending order. Logs throughput and end-to-end latency (from the
 * event's {@code ts} to reading the committed delivery) for the report; asserts nothing about time.
 */
@ExtendWith(KafkaExtension.class)
class RouterLoadIT {
    private static final Logger LOG = LoggerFactory.getLogger(RouterLoadIT.class);
    private static final int EDGES = 3;
    private static final int USERS = 50;
    /**
     * Messages per user; {@code -Drouter.load.per-user=400} for a measurement on a warm JVM
     * ({@code -Drouter.load.commit-ms=20} to try another commit interval).
     */
    private static final int PER_USER = Integer.getInteger("router.load.per-user", 40);
    private static final long EPOCH = 1;
    private static final int PING_PONGS = 30;

    /** CPU time of the Kafka Streams processing threads so far (threads that died are not counted). */
    private static long streamThreadsCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().contains("StreamThread"))
                .mapToLong(t -> Math.max(0, threads.getThreadCpuTime(t.threadId())))
                .sum();
    }

    @TempDir
    Path stateDir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldDeliverEveryMessageInSeqOrderToItsUsersEdge(EmbeddedKafka kafka) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 4, EDGES);
        RouterConfig config = RouterConfig.defaults().withApplicationId("router-load-" + UUID.randomUUID())
                .withEdgeTimeout(Duration.ofMinutes(2))
                .withCommitInterval(Duration.ofMillis(Long.getLong("router.load.commit-ms", 1000)));

        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                     new StringSerializer(), JsonSerde.serializer());
             KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                     ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                     new StringDeserializer(), new ByteArrayDeserializer());
             Router router = Router.start(config, kafka.bootstrapServers(), topics, stateDir)) {
            consumer.assign(IntStream.range(0, EDGES).mapToObj(p -> new TopicPartition(topics.deliveries(), p)).toList());
            for (int edge = 0; edge < EDGES; edge++) {
                producer.send(new ProducerRecord<>(topics.edges(), EdgeHeartbeat.key(edge),
                        new EdgeHeartbeat(edge, EPOCH, System.currentTimeMillis(), true))).get();
            }
            assertThat(router.awaitRunning(Duration.ofSeconds(30))).isTrue();
            for (int u = 0; u < USERS; u++) {
                String user = "u" + u;
                producer.send(new ProducerRecord<>(topics.userEvents(), user,
                        new UserEvent.SessionOpened(user, "phone", "s" + u, u % EDGES, EPOCH, System.currentTimeMillis())));
            }
            producer.flush();

            long streamCpuBefore = streamThreadsCpuNanos();
            long start = System.currentTimeMillis();
            for (int i = 0; i < PER_USER; i++) {
                for (int u = 0; u < USERS; u++) {
                    String user = "u" + u;
                    producer.send(new ProducerRecord<>(topics.userEvents(), user, new UserEvent.Message(user, "sender",
                            "m" + i, Address.user(user), System.currentTimeMillis(), "n" + i, null)));
                }
            }
            producer.flush();

            int expected = USERS * PER_USER;
            Map<String, List<ServerFrame.Msg>> received = new HashMap<>();
            long[] latencies = new long[expected];
            int n = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(Math.max(60, PER_USER)).toNanos();
            while (n < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!(DeliveryCodec.decode(r.value()) instanceof Delivery.Frame frame)) {
                        continue;       // the flush markers of the sessions opened above
                    }
                    ServerFrame.Msg msg = (ServerFrame.Msg) frame.decoded();
                    int user = Integer.parseInt(frame.user().substring(1));
                    assertThat(r.partition()).as("edge of %s", frame.user()).isEqualTo(user % EDGES);
                    received.computeIfAbsent(frame.user(), k -> new ArrayList<>()).add(msg);
                    latencies[n++] = System.currentTimeMillis() - msg.ts();
                }
            }
            long elapsed = System.currentTimeMillis() - start;
            long streamCpu = streamThreadsCpuNanos() - streamCpuBefore;
            assertThat(n).isEqualTo(expected);
            received.forEach((user, msgs) -> {
                assertThat(msgs).extracting(ServerFrame.Msg::seq).isSorted().doesNotHaveDuplicates();
                assertThat(msgs).extracting(ServerFrame.Msg::id)
                        .containsExactlyElementsOf(IntStream.range(0, PER_USER).mapToObj(i -> "m" + i).toList());
            });
            // One message at a time, each read before the next is sent: the latency of an idle
            // pipeline, which the commit interval dominates.
            long[] idle = new long[PING_PONGS];
            for (int i = 0; i < PING_PONGS; i++) {
                long sent = System.nanoTime();
                producer.send(new ProducerRecord<>(topics.userEvents(), "u0", new UserEvent.Message("u0", "sender",
                        "p" + i, Address.user("u0"), System.currentTimeMillis(), "ping", null))).get();
                List<ServerFrame.Msg> got = new ArrayList<>();
                while (got.isEmpty() && System.nanoTime() - sent < Duration.ofSeconds(10).toNanos()) {
                    consumer.poll(Duration.ofMillis(5)).forEach(r ->
                            got.add((ServerFrame.Msg) ((Delivery.Frame) DeliveryCodec.decode(r.value())).decoded()));
                }
                idle[i] = (System.nanoTime() - sent) / 1_000_000;
                assertThat(got).extracting(ServerFrame.Msg::id).containsExactly("p" + i);
            }
            Arrays.sort(idle);
            LOG.info("router idle latency (send to committed delivery, {} one at a time): ms p50={} p90={} max={}",
                    PING_PONGS, idle[PING_PONGS / 2], idle[PING_PONGS * 9 / 10], idle[PING_PONGS - 1]);

            Arrays.sort(latencies);
            LOG.info("router load: {} messages to {} online users in {} ms ({} msg/s); latency ms p50={} p99={} max={};"
                            + " stream thread CPU {} us/message; load average {}",
                    expected, USERS, elapsed, expected * 1000L / Math.max(1, elapsed),
                    latencies[expected / 2], latencies[expected * 99 / 100], latencies[expected - 1],
                    streamCpu / 1000 / expected, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }
}
