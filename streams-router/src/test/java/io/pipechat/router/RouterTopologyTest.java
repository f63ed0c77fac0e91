package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.PushRequest;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import io.pipechat.router.mailbox.Counters;
import io.pipechat.router.mailbox.MailboxEntry;
import io.pipechat.router.mailbox.MailboxKeys;
import io.pipechat.router.presence.Presence;
import java.nio.charset.StandardCharsets;
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
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router's rules, one test each, on {@link TopologyTestDriver} with the real topology, stores
 * and Kafka Streams configuration.
 *
 * <p>The driver's mock producer reports one partition for every topic, so the topology under test
 * gets a partitioner that asks the real {@link EdgePartitioner} with {@value #DELIVERY_PARTITIONS}
 * partitions and records its answer: each delivery read here is paired with the partition it was
 * sent to. {@code RouterIT} checks the partitions on a real broker.
 */
class RouterTopologyTest {
    private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    private static final int DELIVERY_PARTITIONS = 4;
    private static final long EPOCH = 1000;

    private final Topics topics = Topics.defaults();
    private final RouterConfig config = RouterConfig.defaults();
    private final List<Integer> partitionDecisions = new ArrayList<>();
    private final RouterMeters meters = new RouterMeters();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, UserEvent> events;
    private TestInputTopic<String, byte[]> rawEvents;
    private TestInputTopic<String, EdgeHeartbeat> heartbeats;
    private TestOutputTopic<String, Delivery> deliveries;
    private TestOutputTopic<String, UserEvent> receipts;
    private TestOutputTopic<String, PushRequest> pushes;
    private long now = START.toEpochMilli();

    /** A record read from {@code chat.deliveries} with the partition the router chose. */
    record Out(int partition, Delivery delivery) {
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
        events = driver.createInputTopic(topics.userEvents(), new StringSerializer(), JsonSerde.serializer());
        rawEvents = driver.createInputTopic(topics.userEvents(), new StringSerializer(), new ByteArraySerializer());
        heartbeats = driver.createInputTopic(topics.edges(), new StringSerializer(), JsonSerde.serializer());
        deliveries = driver.createOutputTopic(topics.deliveries(), new StringDeserializer(),
                JsonSerde.deserializer(Delivery.class));
        receipts = driver.createOutputTopic(topics.userEvents(), new StringDeserializer(),
                JsonSerde.deserializer(UserEvent.class));
        pushes = driver.createOutputTopic(topics.push(), new StringDeserializer(),
                JsonSerde.deserializer(PushRequest.class));
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    // ---- rules ----

    @Test
    void shouldDeliverToTheEdgeOfTheLiveSession() {
        heartbeat(2, EPOCH);
        open("bob", "phone", "s1", 2);

        send("alice", "bob", "m1", "hi bob");

        assertThat(readDeliveries()).containsExactly(
                new Out(2, new Delivery.Frame("bob", null, msg(1, "m1", "alice", "bob", "hi bob"))));
        assertThat(pushes.isEmpty()).isTrue();
    }

    @Test
    void shouldDeliverOnceToEachEdgeHoldingALiveSession() {
        heartbeat(1, EPOCH);
        heartbeat(3, EPOCH);
        open("bob", "phone", "s1", 1);
        open("bob", "laptop", "s2", 3);
        open("bob", "tablet", "s3", 3);

        send("alice", "bob", "m1", "hi");

        Delivery.Frame frame = new Delivery.Frame("bob", null, msg(1, "m1", "alice", "bob", "hi"));
        assertThat(readDeliveries()).containsExactlyInAnyOrder(new Out(1, frame), new Out(3, frame));
    }

    @Test
    void shouldKeepMessageInMailboxAndRequestPushWhenOffline() {
        send("alice", "bob", "m1", "are you there?");

        assertThat(readDeliveries()).isEmpty();
        assertThat(pushes.readValuesToList()).containsExactly(new PushRequest("bob", 1, now));
        assertThat(mailbox("bob")).containsExactly(msg(1, "m1", "alice", "bob", "are you there?"));
    }

    @Test
    void shouldRequestPushOnlyOncePerQuietPeriod() {
        send("alice", "bob", "m1", "one");
        send("alice", "bob", "m2", "two");
        advance(Duration.ofMinutes(9));
        send("carol", "bob", "m3", "three");
        assertThat(pushes.readValuesToList()).extracting(PushRequest::pending).containsExactly(1);

        advance(Duration.ofMinutes(1));
        send("alice", "bob", "m4", "four");
        assertThat(pushes.readValuesToList()).containsExactly(new PushRequest("bob", 4, now));
    }

    @Test
    void shouldRequestPushAgainAfterTheUserConnectedAndLeft() {
        send("alice", "bob", "m1", "one");
        assertThat(pushes.readValuesToList()).hasSize(1);

        heartbeat(0, EPOCH);
        open("bob", "phone", "s1", 0);
        close("bob", "phone", "s1", 0);
        send("alice", "bob", "m2", "two");

        assertThat(pushes.readValuesToList()).containsExactly(new PushRequest("bob", 2, now));
    }

    @Test
    void shouldFlushMailboxInSeqOrderWhenUserConnects() {
        send("alice", "bob", "m1", "one");
        send("carol", "bob", "c1", "two");
        send("alice", "bob", "m2", "three");
        heartbeat(1, EPOCH);

        open("bob", "phone", "s1", 1);

        assertThat(readDeliveries()).containsExactly(
                new Out(1, new Delivery.Frame("bob", "s1", msg(1, "m1", "alice", "bob", "one"))),
                new Out(1, new Delivery.Frame("bob", "s1", msg(2, "c1", "carol", "bob", "two"))),
                new Out(1, new Delivery.Frame("bob", "s1", msg(3, "m2", "alice", "bob", "three"))));
    }

    @Test
    void shouldMarkTheEndOfTheFlushOnTheSessionsEdgeAfterTheLastEntry() {
        send("alice", "bob", "m1", "one");
        send("alice", "bob", "m2", "two");
        heartbeat(2, EPOCH);

        open("bob", "phone", "s1", 2);

        assertThat(readAllDeliveries()).containsExactly(
                new Out(2, new Delivery.Frame("bob", "s1", msg(1, "m1", "alice", "bob", "one"))),
                new Out(2, new Delivery.Frame("bob", "s1", msg(2, "m2", "alice", "bob", "two"))),
                new Out(2, new Delivery.Flushed("bob", "s1")));
    }

    @Test
    void shouldMarkTheFlushOfAnEmptyMailboxToo() {
        heartbeat(1, EPOCH);

        open("bob", "phone", "s1", 1);

        assertThat(readAllDeliveries()).containsExactly(new Out(1, new Delivery.Flushed("bob", "s1")));
    }

    @Test
    void shouldNotMarkAFlushForASessionIgnoredAsStale() {
        send("alice", "bob", "m1", "one");
        heartbeat(1, EPOCH + 1);                       // edge 1 restarted since the session opened

        open("bob", "phone", "s1", 1);

        assertThat(readAllDeliveries()).isEmpty();
    }

    @Test
    void shouldFlushOnlyToTheNewSessionSoOtherDevicesGetNoDuplicates() {
        heartbeat(0, EPOCH);
        heartbeat(1, EPOCH);
        open("bob", "laptop", "s1", 0);
        send("alice", "bob", "m1", "one");
        readDeliveries();

        open("bob", "phone", "s2", 1);

        assertThat(readDeliveries()).containsExactly(
                new Out(1, new Delivery.Frame("bob", "s2", msg(1, "m1", "alice", "bob", "one"))));
    }

    @Test
    void shouldRedeliverSameSeqsOnReconnectWithoutAck() {
        send("alice", "bob", "m1", "one");
        send("alice", "bob", "m2", "two");
        heartbeat(0, EPOCH);
        heartbeat(2, EPOCH);
        open("bob", "phone", "s1", 0);
        List<Out> first = readDeliveries();
        close("bob", "phone", "s1", 0);

        open("bob", "phone", "s2", 2);

        List<ServerFrame> again = frames(readDeliveries());
        assertThat(frames(first)).containsExactly(msg(1, "m1", "alice", "bob", "one"), msg(2, "m2", "alice", "bob", "two"));
        assertThat(again).isEqualTo(frames(first));
    }

    @Test
    void shouldDeleteUpToAckAndEmitDeliveredReceipts() {
        send("alice", "bob", "m1", "direct");
        events.pipeInput("bob", new UserEvent.Message("bob", "carol", "g-1", Address.group("g1"), now, "to the group", null));
        send("alice", "bob", "m2", "later");

        ack("bob", 2);

        assertThat(receipts.readKeyValuesToList()).containsExactly(
                KeyValue.pair("alice", new UserEvent.Receipt("alice", "m1", "bob", ReceiptStatus.DELIVERED, null, now)),
                KeyValue.pair("carol", new UserEvent.Receipt("carol", "g-1", "bob", ReceiptStatus.DELIVERED, "g1", now)));
        assertThat(mailbox("bob")).containsExactly(msg(3, "m2", "alice", "bob", "later"));
        assertThat(counters("bob")).isEqualTo(new Counters(4, 2, now, 1));
        assertThat(mailbox("alice")).as("the receipt comes back through chat.user-events into the sender's mailbox")
                .containsExactly(new ServerFrame.Receipt(1, "m1", "bob", ReceiptStatus.DELIVERED, now, null));

        heartbeat(0, EPOCH);
        open("bob", "phone", "s1", 0);
        assertThat(frames(readDeliveries())).containsExactly(msg(3, "m2", "alice", "bob", "later"));
    }

    @Test
    void shouldNeverReuseSeqAfterAckAndClampAckBeyondNextSeq() {
        send("alice", "bob", "m1", "one");
        send("alice", "bob", "m2", "two");
        ack("bob", 2);
        send("alice", "bob", "m3", "three");
        assertThat(mailbox("bob")).containsExactly(msg(3, "m3", "alice", "bob", "three"));

        ack("bob", 1_000);
        assertThat(counters("bob").ackedUpto()).isEqualTo(3);
        send("alice", "bob", "m4", "four");

        assertThat(mailbox("bob")).containsExactly(msg(4, "m4", "alice", "bob", "four"));
        ack("bob", 3);
        assertThat(mailbox("bob")).hasSize(1);
    }

    @Test
    void shouldDropDuplicateSenderAndId() {
        send("alice", "bob", "m1", "hello");
        send("alice", "bob", "m1", "hello");
        send("carol", "bob", "m1", "same id, other sender");

        assertThat(mailbox("bob")).containsExactly(
                msg(1, "m1", "alice", "bob", "hello"), msg(2, "m1", "carol", "bob", "same id, other sender"));
        assertThat(routerMetric("duplicate-dropped-total")).isEqualTo(1.0);

        advance(config.dedupWindow().plusMinutes(1));
        send("alice", "bob", "m1", "hello");
        assertThat(mailbox("bob")).hasSize(3);
    }

    @Test
    void shouldStoreAndDeliverReceiptsLikeMessages() {
        events.pipeInput("alice", new UserEvent.Receipt("alice", "m1", "bob", ReceiptStatus.READ, null, now));
        assertThat(pushes.readValuesToList()).containsExactly(new PushRequest("alice", 1, now));

        heartbeat(3, EPOCH);
        open("alice", "phone", "s1", 3);
        assertThat(readDeliveries()).containsExactly(new Out(3, new Delivery.Frame("alice", "s1",
                new ServerFrame.Receipt(1, "m1", "bob", ReceiptStatus.READ, now, null))));

        events.pipeInput("alice", new UserEvent.Receipt("alice", "m2", "bob", ReceiptStatus.DELIVERED, "g1", now));
        assertThat(readDeliveries()).containsExactly(new Out(3, new Delivery.Frame("alice", null,
                new ServerFrame.Receipt(2, "m2", "bob", ReceiptStatus.DELIVERED, now, "g1"))));

        ack("alice", 2);
        assertThat(mailbox("alice")).isEmpty();
        assertThat(receipts.isEmpty()).as("acking receipts emits no receipts").isTrue();
    }

    @Test
    void shouldRouteTypingOnlyToOnlineUsers() {
        events.pipeInput("bob", new UserEvent.Typing("bob", "alice", Address.user("bob"), now));
        assertThat(readDeliveries()).isEmpty();

        heartbeat(2, EPOCH);
        open("bob", "phone", "s1", 2);
        events.pipeInput("bob", new UserEvent.Typing("bob", "alice", Address.user("bob"), now));

        assertThat(readDeliveries()).containsExactly(
                new Out(2, new Delivery.Frame("bob", null, new ServerFrame.Typing("alice", Address.user("bob")))));
        assertThat(pushes.isEmpty()).isTrue();
        assertThat(mailbox("bob")).isEmpty();
        assertThat(counters("bob")).isNull();
    }

    @Test
    void shouldSendRejectionsAsErrorFramesToOnlineUsersOnly() {
        events.pipeInput("alice", new UserEvent.Rejected("alice", "m1", ErrorCode.NOT_MEMBER, "not a member of g1", now));
        assertThat(readDeliveries()).isEmpty();

        heartbeat(1, EPOCH);
        open("alice", "phone", "s1", 1);
        events.pipeInput("alice", new UserEvent.Rejected("alice", "m2", ErrorCode.NOT_MEMBER, "not a member of g1", now));

        assertThat(readDeliveries()).containsExactly(new Out(1, new Delivery.Frame("alice", null,
                new ServerFrame.Error(ErrorCode.NOT_MEMBER, "not a member of g1", "m2"))));
        assertThat(mailbox("alice")).isEmpty();
        assertThat(pushes.isEmpty()).isTrue();
    }

    @Test
    void shouldCloseOldSessionWith4409WhenSameDeviceConnects() {
        heartbeat(0, EPOCH);
        heartbeat(1, EPOCH);
        open("bob", "phone", "s1", 0);
        open("bob", "laptop", "s2", 0);

        open("bob", "phone", "s3", 1);
        assertThat(readDeliveries()).containsExactly(
                new Out(0, new Delivery.Close("bob", "s1", 4409, "connected elsewhere")));
        assertThat(presence("bob").sessions()).extracting(s -> s.session()).containsExactly("s2", "s3");

        send("alice", "bob", "m1", "hi");
        assertThat(readDeliveries()).extracting(Out::partition).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void shouldTreatSessionsOnStaleOrRestartedEdgeAsOffline() {
        heartbeat(1, EPOCH);
        heartbeat(2, EPOCH);
        heartbeat(3, EPOCH);
        open("bob", "phone", "s1", 1);
        open("carol", "phone", "s2", 2);
        open("dave", "phone", "s3", 3);

        advance(Duration.ofSeconds(8));
        heartbeat(2, EPOCH + 1);                       // edge 2 restarted: carol's session died with it
        heartbeats.pipeInput("3", new EdgeHeartbeat(3, EPOCH, now, false)); // edge 3 shut down cleanly
        heartbeat(1, EPOCH);
        send("alice", "bob", "m1", "live");
        send("alice", "carol", "m1", "restarted");
        send("alice", "dave", "m1", "shut down");
        assertThat(readDeliveries()).containsExactly(
                new Out(1, new Delivery.Frame("bob", null, msg(1, "m1", "alice", "bob", "live"))));
        assertThat(pushes.readValuesToList()).extracting(PushRequest::user).containsExactly("carol", "dave");

        advance(config.edgeTimeout().plusSeconds(1));  // edge 1 stops beating
        send("alice", "bob", "m2", "stale");
        assertThat(readDeliveries()).isEmpty();
        assertThat(pushes.readValuesToList()).extracting(PushRequest::user).containsExactly("bob");
        assertThat(presence("bob")).as("stale sessions are dropped when seen").isNull();
        assertThat(presence("carol")).isNull();
    }

    @Test
    void shouldTrustANewSessionOnlyUntilItsEdgesFirstHeartbeatIsOverdue() {
        open("bob", "phone", "s1", 2);                // no heartbeat of edge 2 known yet
        send("alice", "bob", "m1", "early");
        assertThat(readDeliveries()).extracting(Out::partition).containsExactly(2);

        advance(config.edgeTimeout().plusSeconds(1));
        send("alice", "bob", "m2", "late");

        assertThat(readDeliveries()).isEmpty();
        assertThat(pushes.readValuesToList()).extracting(PushRequest::user).containsExactly("bob");
    }

    @Test
    void shouldDropDeliveriesForAnEdgeWithoutPartitionButKeepTheMailbox() {
        open("bob", "phone", "s1", DELIVERY_PARTITIONS + 3);

        send("alice", "bob", "m1", "lost edge");

        assertThat(deliveries.isEmpty()).isTrue();
        assertThat(mailbox("bob")).containsExactly(msg(1, "m1", "alice", "bob", "lost edge"));
        assertThat(metric("stream-task-metrics", "dropped-records-total")).as("the flush marker and the message")
                .isEqualTo(2.0);
    }

    @Test
    void shouldExpireEntriesOlderThanRetention() {
        send("alice", "bob", "m0", "older");
        send("alice", "bob", "m1", "old");
        advance(Duration.ofDays(20));
        long recent = now;
        send("alice", "bob", "m2", "recent");
        send("alice", "carol", "m3", "recent too");

        advance(Duration.ofDays(10).plusMinutes(1));

        assertThat(mailbox("bob")).extracting(f -> ((ServerFrame.Msg) f).body()).containsExactly("recent");
        assertThat(mailbox("carol")).hasSize(1);
        assertThat(counters("bob").pending()).isEqualTo(1);
        assertThat(routerMetric("mailbox-expired-total")).as("entries, not users").isEqualTo(2.0);
        assertThat(meters.expired()).isEqualTo(2);
        assertThat(meters.mailboxEntries()).isEqualTo(2).isEqualTo(mailboxSize());
        assertThat(meters.mailboxUsers()).isEqualTo(2);
        assertThat(meters.oldestStoredAt()).isEqualTo(recent);

        heartbeat(0, EPOCH);
        open("bob", "phone", "s1", 0);
        assertThat(frames(readDeliveries())).extracting(f -> ((ServerFrame.Msg) f).seq()).containsExactly(3L);
    }

    @Test
    void shouldCountMailboxEntriesUsersAndTheOldestEntryForMetrics() {
        assertThat(meters.mailboxEntries()).isZero();
        assertThat(meters.oldestStoredAt()).isEqualTo(RouterMeters.TaskMailbox.NONE);
        send("alice", "bob", "m1", "one");
        advance(Duration.ofSeconds(5));
        long later = now;
        send("alice", "bob", "m2", "two");
        send("alice", "carol", "m3", "three");

        assertThat(meters.mailboxEntries()).isEqualTo(3).isEqualTo(mailboxSize());
        assertThat(meters.mailboxUsers()).isEqualTo(2);
        assertThat(meters.messagesStored()).isEqualTo(3);

        ack("bob", 2);        // two delivered receipts go to alice's mailbox
        assertThat(meters.acked()).isEqualTo(2);
        assertThat(meters.mailboxEntries()).isEqualTo(3).isEqualTo(mailboxSize());
        assertThat(meters.mailboxUsers()).as("carol and alice").isEqualTo(2);
        assertThat(meters.pushRequests()).isEqualTo(pushes.readValuesToList().size()).isEqualTo(3);

        heartbeat(0, EPOCH);
        open("carol", "phone", "c1", 0);
        assertThat(meters.deliveries()).as("the flushed entry and the marker")
                .isEqualTo(readAllDeliveries().size()).isEqualTo(2);

        assertThat(meters.oldestStoredAt()).as("known from the first retention pass on")
                .isEqualTo(RouterMeters.TaskMailbox.NONE);
        advance(config.retentionInterval());
        assertThat(meters.oldestStoredAt()).as("bob's acked m1 no longer counts").isEqualTo(later);

        ack("carol", 1);      // a third receipt for alice
        assertThat(meters.mailboxEntries()).isEqualTo(3).isEqualTo(mailboxSize());
        assertThat(meters.mailboxUsers()).as("alice only").isEqualTo(1);
    }

    @Test
    void shouldSkipUnreadableRecords() {
        rawEvents.pipeInput("bob", "not json".getBytes(StandardCharsets.UTF_8));
        rawEvents.pipeInput("bob", "{\"v\":1,\"type\":\"no_such_type\",\"user\":\"bob\"}".getBytes(StandardCharsets.UTF_8));
        events.pipeInput("mallory", new UserEvent.Message("bob", "alice", "m0", Address.user("bob"), now, "misrouted", null));
        events.pipeInput("bob", new UserEvent.Message("bob", null, "m0", Address.user("bob"), now, "no sender", null));
        events.pipeInput("bob", (UserEvent) null);

        send("alice", "bob", "m1", "still working");

        assertThat(metric("stream-task-metrics", "dropped-records-total")).isEqualTo(2.0);
        assertThat(routerMetric("invalid-skipped-total")).isEqualTo(3.0);
        assertThat(mailbox("bob")).containsExactly(msg(1, "m1", "alice", "bob", "still working"));
    }

    @Test
    void shouldIgnoreUnreadableHeartbeatsAndKeepTheLastGoodOne() {
        heartbeat(1, EPOCH);
        open("bob", "phone", "s1", 1);
        advance(Duration.ofSeconds(8));
        driver.createInputTopic(topics.edges(), new StringSerializer(), new ByteArraySerializer())
                .pipeInput("1", "{not a heartbeat".getBytes(StandardCharsets.UTF_8));

        send("alice", "bob", "m1", "still routed");
        assertThat(readDeliveries()).extracting(Out::partition).containsExactly(1);

        advance(Duration.ofSeconds(3));               // the last good heartbeat is now 11 s old
        send("alice", "bob", "m2", "now offline");
        assertThat(readDeliveries()).isEmpty();
    }

    // ---- helpers ----

    private void heartbeat(int edge, long epoch) {
        heartbeats.pipeInput(EdgeHeartbeat.key(edge), new EdgeHeartbeat(edge, epoch, now, true));
    }

    private void open(String user, String device, String session, int edge) {
        events.pipeInput(user, new UserEvent.SessionOpened(user, device, session, edge, EPOCH, now));
    }

    private void close(String user, String device, String session, int edge) {
        events.pipeInput(user, new UserEvent.SessionClosed(user, device, session, edge, EPOCH, now));
    }

    private void send(String from, String to, String id, String body) {
        events.pipeInput(to, new UserEvent.Message(to, from, id, Address.user(to), now, body, null));
    }

    private void ack(String user, long upto) {
        events.pipeInput(user, new UserEvent.Ack(user, "phone", upto, now));
    }

    private void advance(Duration d) {
        driver.advanceWallClockTime(d);
        now += d.toMillis();
    }

    private ServerFrame.Msg msg(long seq, String id, String from, String to, String body) {
        return new ServerFrame.Msg(seq, id, from, Address.user(to), now, body, null);
    }

    /** Deliveries since the last read, without the {@link Delivery.Flushed} markers (see {@link #readAllDeliveries}). */
    private List<Out> readDeliveries() {
        return readAllDeliveries().stream().filter(o -> !(o.delivery() instanceof Delivery.Flushed)).toList();
    }

    private List<Out> readAllDeliveries() {
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

    private static List<ServerFrame> frames(List<Out> out) {
        return out.stream().map(o -> ((Delivery.Frame) o.delivery()).frame()).toList();
    }

    private List<ServerFrame> mailbox(String user) {
        KeyValueStore<String, MailboxEntry> store = driver.getKeyValueStore(RouterTopology.MAILBOX);
        List<ServerFrame> frames = new ArrayList<>();
        try (KeyValueIterator<String, MailboxEntry> it =
                     store.range(MailboxKeys.key(user, 0), MailboxKeys.key(user, Long.MAX_VALUE))) {
            it.forEachRemaining(kv -> frames.add(kv.value.frame()));
        }
        return frames;
    }

    private long mailboxSize() {
        try (KeyValueIterator<String, MailboxEntry> it =
                     driver.<String, MailboxEntry>getKeyValueStore(RouterTopology.MAILBOX).all()) {
            long n = 0;
            for (; it.hasNext(); it.next()) {
                n++;
            }
            return n;
        }
    }

    private Counters counters(String user) {
        return driver.<String, Counters>getKeyValueStore(RouterTopology.COUNTERS).get(user);
    }

    private Presence presence(String user) {
        return driver.<String, Presence>getKeyValueStore(RouterTopology.PRESENCE).get(user);
    }

    private double routerMetric(String name) {
        return metric("stream-" + UserEventProcessor.METRICS_SCOPE + "-metrics", name);
    }

    private double metric(String group, String name) {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals(group) && e.getKey().name().equals(name))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .sum();
    }
}
