package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.DeliveryCodec;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsException;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router on a real broker: at-least-once Kafka Streams, RocksDB stores, changelogs, the
 * delivery partitioner against the real partition count, and restore from the changelogs into an
 * empty state directory, as after losing a machine.
 */
@ExtendWith(KafkaExtension.class)
class RouterIT {
    private static final int EDGES = 3;
    private static final long EPOCH = 7;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dirs;

    /** A record read from {@code chat.deliveries} with the partition it was written to. */
    record Out(int partition, Delivery delivery) {
    }

    @Test
    @Timeout(90)
    void shouldRouteToEdgePartitionsAndKeepMailboxAndSeqAcrossRestoreFromChangelog(EmbeddedKafka kafka)
            throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 2, EDGES);
        // A generous edge timeout: this test sends each edge's heartbeat once.
        RouterConfig config = RouterConfig.defaults()
                .withApplicationId("router-it-" + UUID.randomUUID())
                .withEdgeTimeout(Duration.ofMinutes(2));

        try (KafkaProducer<String, Object> producer = producer(kafka);
             KafkaConsumer<String, byte[]> edges = deliveriesConsumer(kafka, topics)) {
            for (int edge = 0; edge < EDGES; edge++) {
                producer.send(new ProducerRecord<>(topics.edges(), EdgeHeartbeat.key(edge),
                        new EdgeHeartbeat(edge, EPOCH, System.currentTimeMillis(), true))).get();
            }

            // Records no router can read: they must be skipped, on the stream and in the global store.
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                    new StringSerializer(), new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(topics.edges(), "2", "{garbage".getBytes(StandardCharsets.UTF_8))).get();
                raw.send(new ProducerRecord<>(topics.userEvents(), "bob", "garbage".getBytes(StandardCharsets.UTF_8))).get();
            }

            List<ServerFrame> beforeRestart;
            try (Router first = Router.start(config, kafka.bootstrapServers(), topics, dirs.resolve("first"))) {
                assertThat(first.awaitRunning(WAIT)).isTrue();
                send(producer, topics, new UserEvent.SessionOpened("bob", "phone", "s1", 2, EPOCH, now()));
                send(producer, topics, new UserEvent.SessionOpened("carol", "phone", "c1", 1, EPOCH, now()));
                for (int i = 1; i <= 3; i++) {
                    send(producer, topics, message("alice", "bob", "m" + i, "hello " + i));
                }
                send(producer, topics, message("alice", "carol", "m1", "hi carol"));

                List<Out> out = read(edges, 4);
                assertThat(out).filteredOn(o -> o.delivery().user().equals("bob"))
                        .extracting(Out::partition).containsOnly(2);
                assertThat(out).filteredOn(o -> o.delivery().user().equals("carol"))
                        .extracting(Out::partition).containsExactly(1);
                beforeRestart = out.stream().filter(o -> o.delivery().user().equals("bob"))
                        .map(o -> ((Delivery.Frame) o.delivery()).decoded()).toList();
                assertThat(beforeRestart).extracting(f -> ((ServerFrame.Msg) f).seq()).as("increasing")
                        .isSorted().doesNotHaveDuplicates().hasSize(3);
                assertThat(first.metrics().entrySet()).anySatisfy(e -> {
                    assertThat(e.getKey().name()).isEqualTo("dropped-records-total");
                    assertThat((Double) e.getValue().metricValue()).isEqualTo(1.0);
                });
            }

            try (Router second = Router.start(config, kafka.bootstrapServers(), topics, dirs.resolve("second"))) {
                assertThat(second.awaitRunning(WAIT)).isTrue();
                send(producer, topics, new UserEvent.SessionOpened("bob", "phone", "s2", 0, EPOCH, now()));

                // Order holds within a partition only: the close and the flush go to different edges.
                List<Out> reconnect = read(edges, 4);
                assertThat(reconnect).filteredOn(o -> o.partition() == 2).containsExactly(
                        new Out(2, new Delivery.Close("bob", "s1", 4409, "connected elsewhere")));
                List<Out> flushed = reconnect.stream().filter(o -> o.partition() == 0).toList();
                assertThat(flushed).extracting(o -> ((Delivery.Frame) o.delivery()).session())
                        .containsExactly("s2", "s2", "s2");
                assertThat(flushed).extracting(o -> ((Delivery.Frame) o.delivery()).decoded())
                        .as("the restored mailbox flushes the same entries in seq order")
                        .isEqualTo(beforeRestart);

                send(producer, topics, message("alice", "bob", "m4", "after restore"));
                List<Out> next = read(edges, 1);
                assertThat(next).extracting(Out::partition).containsExactly(0);
                assertThat(((ServerFrame.Msg) ((Delivery.Frame) next.getFirst().delivery()).decoded()).seq())
                        .as("seqs keep growing after the restore")
                        .isGreaterThan(((ServerFrame.Msg) beforeRestart.getLast()).seq());

                send(producer, topics, new UserEvent.SessionOpened("alice", "laptop", "a1", 1, EPOCH, now()));
                send(producer, topics, new UserEvent.Ack("bob", "phone",
                        ((ServerFrame.Msg) ((Delivery.Frame) next.getFirst().delivery()).decoded()).seq(), now()));
                List<Out> receipts = read(edges, 4);
                assertThat(receipts).as("bob's ack comes back to alice's edge as delivered receipts")
                        .allSatisfy(o -> assertThat(o.partition()).isEqualTo(1))
                        .extracting(o -> (ServerFrame.Receipt) ((Delivery.Frame) o.delivery()).decoded())
                        .extracting(ServerFrame.Receipt::id, ServerFrame.Receipt::by, ServerFrame.Receipt::status)
                        .containsExactly(
                                tuple("m1", "bob", ReceiptStatus.DELIVERED), tuple("m2", "bob", ReceiptStatus.DELIVERED),
                                tuple("m3", "bob", ReceiptStatus.DELIVERED), tuple("m4", "bob", ReceiptStatus.DELIVERED));
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldReportTheEndWhenKafkaStreamsGivesUp(EmbeddedKafka kafka) throws Exception {
        Topics topics = KafkaExtension.uniqueTopics();
        // Everything but chat.edges: the global thread cannot start without its topic, which is fatal.
        kafka.createTopics(List.of(new NewTopic(topics.userEvents(), 2, (short) 1),
                new NewTopic(topics.deliveries(), EDGES, (short) 1), new NewTopic(topics.push(), 1, (short) 1)));
        RouterConfig config = RouterConfig.defaults().withApplicationId("router-it-" + UUID.randomUUID());

        Router router;
        try {
            router = Router.start(config, kafka.bootstrapServers(), topics, dirs.resolve("failing"));
        } catch (StreamsException e) {
            // The other way Kafka Streams reports it, when the global thread fails before start returns.
            assertThat(e).hasMessageContaining(topics.edges());
            return;
        }
        try (router) {
            assertThat(router.ended().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(KafkaStreams.State.ERROR);
        }
    }

    private static UserEvent.Message message(String from, String to, String id, String body) {
        return new UserEvent.Message(to, from, id, Address.user(to), now(), body, null);
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    private static void send(KafkaProducer<String, Object> producer, Topics topics, UserEvent event) throws Exception {
        producer.send(new ProducerRecord<>(topics.userEvents(), event.user(), event)).get();
    }

    /**
     * Reads exactly {@code n} more committed deliveries, in partition order within each partition,
     * leaving out the flush markers ({@link Delivery.Flushed}: RouterTopologyTest covers them).
     */
    private static List<Out> read(KafkaConsumer<String, byte[]> consumer, int n) {
        List<Out> out = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (out.size() < n && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                Delivery d = DeliveryCodec.decode(r.value());
                if (!(d instanceof Delivery.Flushed)) {
                    out.add(new Out(r.partition(), d));
                }
            }
        }
        assertThat(out).as("deliveries").hasSize(n);
        return out;
    }

    private static KafkaProducer<String, Object> producer(EmbeddedKafka kafka) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), JsonSerde.serializer());
    }

    /** Reads chat.deliveries like the edges do: manual assignment, committed records only. */
    private static KafkaConsumer<String, byte[]> deliveriesConsumer(EmbeddedKafka kafka, Topics topics) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
                new StringDeserializer(), new ByteArrayDeserializer());
        consumer.assign(IntStream.range(0, EDGES).mapToObj(p -> new TopicPartition(topics.deliveries(), p)).toList());
        return consumer;
    }
}
