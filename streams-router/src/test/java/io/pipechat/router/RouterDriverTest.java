package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.DeliveryCodec;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.PushRequest;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.FrameCodec;
import io.pipechat.protocol.frames.ServerFrame;
import io.pipechat.router.state.MailboxEntry;
import io.pipechat.router.state.MailboxKeys;
import io.pipechat.router.state.Session;
import io.pipechat.router.state.UserState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness of the router's rule tests: {@link TopologyTestDriver} with the real topology, stores
 * and Kafka Streams configuration, and helpers that speak in events and deliveries.
 *
 * <p>The driver's mock producer reports one partition for every topic, so the topology under test
 * gets a partitioner that asks the real {@link EdgePartitioner} with {@value #DELIVERY_PARTITIONS}
 * partitions and records its answer: each delivery read here is paired with the partition it was
 * sent to. {@code RouterIT} checks the partitions on a real broker.
 */
abstract class RouterDriverTest {
    static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    static final int DELIVERY_PARTITIONS = 4;
    static final long EPOCH = 1000;

    final Topics topics = Topics.defaults();
    protected RouterConfig config = config();
    final List<Integer> partitionDecisions = new ArrayList<>();
    final RouterMeters meters = new RouterMeters();

    @TempDir
    Path stateDir;

    TopologyTestDriver driver;
    TestInputTopic<String, UserEvent> eventsTopic;
    TestInputTopic<String, byte[]> rawEvents;
    /** The offset of the next record of chat.user-events (the driver's topics have one partition). */
    long nextOffset;
    TestInputTopic<String, EdgeHeartbeat> heartbeats;
    TestOutputTopic<String, Delivery> deliveries;
    TestOutputTopic<String, UserEvent> receipts;
    TestOutputTopic<String, PushRequest> pushes;
    long now = START.toEpochMilli();

    /** A record read from {@code chat.deliveries} with the partition the router chose. */
    record Out(int partition, Delivery delivery) {
    }

    /** The configuration of the router under test; a test class may change it. */
    RouterConfig config() {
        return RouterConfig.defaults();
    }

    @BeforeEach
    void startDriver() {
        EdgePartitioner real = new EdgePartitioner();
        StreamPartitioner<String, Routed> recording = (topic, key, value, ignored) -> {
            Optional<Set<Integer>> decision = real.partitions(topic, key, value, DELIVERY_PARTITIONS);
            decision.get().forEach(partitionDecisions::add);
            return decision;
        };
        driver = new TopologyTestDriver(RouterTopology.build(topics, config, meters, recording),
                Router.streamsConfig(config, "localhost:1", stateDir), START);
        eventsTopic = driver.createInputTopic(topics.userEvents(), new StringSerializer(), JsonSerde.serializer());
        rawEvents = driver.createInputTopic(topics.userEvents(), new StringSerializer(), new ByteArraySerializer());
        heartbeats = driver.createInputTopic(topics.edges(), new StringSerializer(), JsonSerde.serializer());
        deliveries = driver.createOutputTopic(topics.deliveries(), new StringDeserializer(),
                (topic, bytes) -> DeliveryCodec.decode(bytes));
        receipts = driver.createOutputTopic(topics.userEvents(), new StringDeserializer(),
                JsonSerde.deserializer(UserEvent.class));
        pushes = driver.createOutputTopic(topics.push(), new StringDeserializer(),
                JsonSerde.deserializer(PushRequest.class));
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    // ---- helpers ----

    void heartbeat(int edge, long epoch) {
        heartbeats.pipeInput(EdgeHeartbeat.key(edge), new EdgeHeartbeat(edge, epoch, now, true));
    }

    void open(String user, String device, String session, int edge) {
        pipe(user, new UserEvent.SessionOpened(user, device, session, edge, EPOCH, now));
    }

    void close(String user, String device, String session, int edge) {
        pipe(user, new UserEvent.SessionClosed(user, device, session, edge, EPOCH, now));
    }

    /** @return the seq the message gets unless it is a duplicate: its offset + 1 */
    long send(String from, String to, String id, String body) {
        return pipe(to, new UserEvent.Message(to, from, id, Address.user(to), now, body, null)) + 1;
    }

    void ack(String user, long upto) {
        ack(user, "phone", upto);
    }

    void ack(String user, String device, long upto) {
        pipe(user, new UserEvent.Ack(user, device, upto, now));
    }

    /**
     * Pipes {@code event} into chat.user-events and returns its offset. The driver pipes the
     * receipts the router writes back into the same topic at once, and they take offsets too.
     */
    long pipe(String key, UserEvent event) {
        long offset = nextOffset;
        long receiptsBefore = receipts.getQueueSize();
        eventsTopic.pipeInput(key, event);
        nextOffset += 1 + receipts.getQueueSize() - receiptsBefore;
        return offset;
    }

    void pipeRaw(String key, byte[] value) {
        rawEvents.pipeInput(key, value);
        nextOffset++;
    }

    void advance(Duration d) {
        driver.advanceWallClockTime(d);
        now += d.toMillis();
    }

    ServerFrame.Msg msg(long seq, String id, String from, String to, String body) {
        return new ServerFrame.Msg(seq, id, from, Address.user(to), now, body, null);
    }

    /**
     * Deliveries since the last read, without the {@link Delivery.Flushed} markers and the
     * {@link Delivery.Devices} news (see {@link #readAllDeliveries}).
     */
    List<Out> readDeliveries() {
        return readAllDeliveries().stream()
                .filter(o -> !(o.delivery() instanceof Delivery.Flushed) && !(o.delivery() instanceof Delivery.Devices))
                .toList();
    }

    List<Out> readAllDeliveries() {
        List<TestRecord<String, Delivery>> records = deliveries.readRecordsToList();
        assertThat(partitionDecisions).hasSameSizeAs(records);
        List<Out> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            assertThat(records.get(i).key()).isEqualTo(records.get(i).value().user());
            out.add(new Out(partitionDecisions.get(i), records.get(i).value()));
        }
        partitionDecisions.clear();
        return out;
    }

    /** The delivery of {@code f} as the router writes it: the client frame encoded. */
    static Delivery.Frame frame(String user, String session, ServerFrame f) {
        return new Delivery.Frame(user, session, null, FrameCodec.encode(f));
    }

    static Delivery.Frame frame(String user, String session, String except, ServerFrame f) {
        return new Delivery.Frame(user, session, except, FrameCodec.encode(f));
    }

    static List<ServerFrame> frames(List<Out> out) {
        return out.stream().map(o -> Json.read(((Delivery.Frame) o.delivery()).frame(), ServerFrame.class)).toList();
    }

    List<ServerFrame> mailbox(String user) {
        KeyValueStore<String, MailboxEntry> store = driver.getKeyValueStore(RouterTopology.MAILBOX);
        List<ServerFrame> frames = new ArrayList<>();
        try (KeyValueIterator<String, MailboxEntry> it =
                     store.range(MailboxKeys.key(user, 0), MailboxKeys.key(user, Long.MAX_VALUE))) {
            it.forEachRemaining(kv -> frames.add(Json.read(kv.value.frame(), ServerFrame.class)));
        }
        return frames;
    }

    long mailboxSize() {
        try (KeyValueIterator<String, MailboxEntry> it =
                     driver.<String, MailboxEntry>getKeyValueStore(RouterTopology.MAILBOX).all()) {
            long n = 0;
            for (; it.hasNext(); it.next()) {
                n++;
            }
            return n;
        }
    }

    UserState state(String user) {
        return driver.<String, UserState>getKeyValueStore(RouterTopology.USERS).get(user);
    }

    List<String> sessionsOf(String user) {
        UserState st = state(user);
        return st == null ? List.of() : st.sessions().stream().map(Session::session).toList();
    }

    double routerMetric(String name) {
        return metric("stream-" + UserEventProcessor.METRICS_SCOPE + "-metrics", name);
    }

    double metric(String group, String name) {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals(group) && e.getKey().name().equals(name))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .sum();
    }
}
