package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.PushRequest;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import io.pipechat.router.state.UserState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

/**
 * The router's rules for one device per user, one test each ({@link RouterDriverTest}); the rules
 * for several devices are {@link DeviceRulesTest}.
 */
class RouterTopologyTest extends RouterDriverTest {

    @Test
    void shouldDeliverToTheEdgeOfTheLiveSession() {
        heartbeat(2, EPOCH);
        open("bob", "phone", "s1", 2);

        long seq = send("alice", "bob", "m1", "hi bob");

        assertThat(readDeliveries()).containsExactly(
                new Out(2, frame("bob", null, msg(seq, "m1", "alice", "bob", "hi bob"))));
        assertThat(pushes.isEmpty()).isTrue();
    }

    @Test
    void shouldDeliverOnceToEachEdgeHoldingALiveSession() {
        heartbeat(1, EPOCH);
        heartbeat(3, EPOCH);
        open("bob", "phone", "s1", 1);
        open("bob", "laptop", "s2", 3);
        open("bob", "tablet", "s3", 3);

        long seq = send("alice", "bob", "m1", "hi");

        Delivery.Frame frame = frame("bob", null, msg(seq, "m1", "alice", "bob", "hi"));
        assertThat(readDeliveries()).containsExactlyInAnyOrder(new Out(1, frame), new Out(3, frame));
    }

    @Test
    void shouldKeepMessageInMailboxAndRequestPushWhenOffline() {
        long seq = send("alice", "bob", "m1", "are you there?");

        assertThat(readDeliveries()).isEmpty();
        assertThat(pushes.readValuesToList()).containsExactly(new PushRequest("bob", 1, now));
        assertThat(mailbox("bob")).containsExactly(msg(seq, "m1", "alice", "bob", "are you there?"));
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
        long s1 = send("alice", "bob", "m1", "one");
        long s2 = send("carol", "bob", "c1", "two");
        long s3 = send("alice", "bob", "m2", "three");
        heartbeat(1, EPOCH);

        open("bob", "phone", "s1", 1);

        assertThat(s1).isLessThan(s2).isLessThan(s3);
        assertThat(readDeliveries()).containsExactly(
                new Out(1, frame("bob", "s1", msg(s1, "m1", "alice", "bob", "one"))),
                new Out(1, frame("bob", "s1", msg(s2, "c1", "carol", "bob", "two"))),
                new Out(1, frame("bob", "s1", msg(s3, "m2", "alice", "bob", "three"))));
    }

    @Test
    void shouldMarkTheEndOfTheFlushOnTheSessionsEdgeAfterTheLastEntry() {
        long s1 = send("alice", "bob", "m1", "one");
        long s2 = send("alice", "bob", "m2", "two");
        heartbeat(2, EPOCH);

        open("bob", "phone", "s1", 2);

        assertThat(readAllDeliveries()).containsExactly(
                new Out(2, frame("bob", "s1", msg(s1, "m1", "alice", "bob", "one"))),
                new Out(2, frame("bob", "s1", msg(s2, "m2", "alice", "bob", "two"))),
                new Out(2, new Delivery.Flushed("bob", "s1", 1)));
    }

    @Test
    void shouldMarkTheFlushOfAnEmptyMailboxToo() {
        heartbeat(1, EPOCH);

        open("bob", "phone", "s1", 1);

        assertThat(readAllDeliveries()).containsExactly(new Out(1, new Delivery.Flushed("bob", "s1", 1)));
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
        long seq = send("alice", "bob", "m1", "one");
        readDeliveries();

        open("bob", "phone", "s2", 1);

        assertThat(readDeliveries()).containsExactly(
                new Out(1, frame("bob", "s2", msg(seq, "m1", "alice", "bob", "one"))));
    }

    @Test
    void shouldRedeliverSameSeqsOnReconnectWithoutAck() {
        long s1 = send("alice", "bob", "m1", "one");
        long s2 = send("alice", "bob", "m2", "two");
        heartbeat(0, EPOCH);
        heartbeat(2, EPOCH);
        open("bob", "phone", "s1", 0);
        List<Out> first = readDeliveries();
        close("bob", "phone", "s1", 0);

        open("bob", "phone", "s2", 2);

        List<ServerFrame> again = frames(readDeliveries());
        assertThat(frames(first)).containsExactly(msg(s1, "m1", "alice", "bob", "one"), msg(s2, "m2", "alice", "bob", "two"));
        assertThat(again).isEqualTo(frames(first));
    }

    @Test
    void shouldDeleteUpToAckAndEmitDeliveredReceipts() {
        send("alice", "bob", "m1", "direct");
        long s2 = pipe("bob", new UserEvent.Message("bob", "carol", "g-1", Address.group("g1"), now, "to the group", null)) + 1;
        long s3 = send("alice", "bob", "m2", "later");

        ack("bob", s2);
        long aliceReceipt = nextOffset - 1;     // seq of the first of the two receipts, at offset nextOffset - 2

        assertThat(receipts.readKeyValuesToList()).containsExactly(
                KeyValue.pair("alice", new UserEvent.Receipt("alice", "m1", "bob", ReceiptStatus.DELIVERED, null, now)),
                KeyValue.pair("carol", new UserEvent.Receipt("carol", "g-1", "bob", ReceiptStatus.DELIVERED, "g1", now)));
        assertThat(mailbox("bob")).containsExactly(msg(s3, "m2", "alice", "bob", "later"));
        UserState bob = state("bob");
        assertThat(bob.lastSeq()).isEqualTo(s3);
        assertThat(bob.device("phone").acked()).isEqualTo(s2);
        assertThat(bob.floor()).isEqualTo(s2);
        assertThat(bob.receiptedUpto()).isEqualTo(s2);
        assertThat(bob.pending()).isEqualTo(1);
        assertThat(bob.index()).extracting(e -> e.seq()).containsExactly(s3);
        assertThat(mailbox("alice")).as("the receipt comes back through chat.user-events into the sender's mailbox")
                .containsExactly(new ServerFrame.Receipt(aliceReceipt, "m1", "bob", ReceiptStatus.DELIVERED, now, null));

        heartbeat(0, EPOCH);
        open("bob", "phone", "s1", 0);
        assertThat(frames(readDeliveries())).containsExactly(msg(s3, "m2", "alice", "bob", "later"));
    }

    @Test
    void shouldNeverReuseSeqAfterAckAndClampAckBeyondNextSeq() {
        send("alice", "bob", "m1", "one");
        long s2 = send("alice", "bob", "m2", "two");
        ack("bob", s2);
        long s3 = send("alice", "bob", "m3", "three");
        assertThat(s3).isGreaterThan(s2);
        assertThat(mailbox("bob")).containsExactly(msg(s3, "m3", "alice", "bob", "three"));

        ack("bob", 1_000);
        assertThat(state("bob").device("phone").acked()).isEqualTo(s3);
        long s4 = send("alice", "bob", "m4", "four");

        assertThat(mailbox("bob")).containsExactly(msg(s4, "m4", "alice", "bob", "four"));
        ack("bob", s3);
        assertThat(mailbox("bob")).hasSize(1);
    }

    @Test
    void shouldDropDuplicateSenderAndId() {
        long s1 = send("alice", "bob", "m1", "hello");
        send("alice", "bob", "m1", "hello");
        long s3 = send("carol", "bob", "m1", "same id, other sender");

        assertThat(mailbox("bob")).containsExactly(
                msg(s1, "m1", "alice", "bob", "hello"), msg(s3, "m1", "carol", "bob", "same id, other sender"));
        assertThat(routerMetric("duplicate-dropped-total")).isEqualTo(1.0);

        advance(config.dedupWindow().multipliedBy(2).plusMinutes(1));
        send("alice", "bob", "m1", "hello");
        assertThat(mailbox("bob")).as("remembered for one to two windows").hasSize(3);
    }

    @Test
    void shouldStoreAndDeliverReceiptsLikeMessages() {
        long s1 = pipe("alice", new UserEvent.Receipt("alice", "m1", "bob", ReceiptStatus.READ, null, now)) + 1;
        assertThat(pushes.isEmpty()).as("a receipt asks for no push").isTrue();

        heartbeat(3, EPOCH);
        open("alice", "phone", "s1", 3);
        assertThat(readDeliveries()).containsExactly(new Out(3, frame("alice", "s1",
                new ServerFrame.Receipt(s1, "m1", "bob", ReceiptStatus.READ, now, null))));

        long s2 = pipe("alice", new UserEvent.Receipt("alice", "m2", "bob", ReceiptStatus.DELIVERED, "g1", now)) + 1;
        assertThat(readDeliveries()).containsExactly(new Out(3, frame("alice", null,
                new ServerFrame.Receipt(s2, "m2", "bob", ReceiptStatus.DELIVERED, now, "g1"))));

        long s3 = pipe("alice", new UserEvent.Receipt("alice", "m2", "bob", ReceiptStatus.DELIVERED, "g1", now)) + 1;
        assertThat(frames(readDeliveries())).as("the same receipt again (a replayed ack) is delivered; clients apply it once")
                .containsExactly(new ServerFrame.Receipt(s3, "m2", "bob", ReceiptStatus.DELIVERED, now, "g1"));

        ack("alice", s3);
        assertThat(mailbox("alice")).isEmpty();
        assertThat(receipts.isEmpty()).as("acking receipts emits no receipts").isTrue();
    }

    @Test
    void shouldRouteTypingOnlyToOnlineUsers() {
        pipe("bob", new UserEvent.Typing("bob", "alice", Address.user("bob"), now));
        assertThat(readDeliveries()).isEmpty();

        heartbeat(2, EPOCH);
        open("bob", "phone", "s1", 2);
        pipe("bob", new UserEvent.Typing("bob", "alice", Address.user("bob"), now));

        assertThat(readDeliveries()).containsExactly(
                new Out(2, frame("bob", null, new ServerFrame.Typing("alice", Address.user("bob")))));
        assertThat(pushes.isEmpty()).isTrue();
        assertThat(mailbox("bob")).isEmpty();
        assertThat(state("bob").pending()).isZero();
    }

    @Test
    void shouldSendRejectionsAsErrorFramesToOnlineUsersOnly() {
        pipe("alice", new UserEvent.Rejected("alice", "m1", ErrorCode.NOT_MEMBER, "not a member of g1", now));
        assertThat(readDeliveries()).isEmpty();

        heartbeat(1, EPOCH);
        open("alice", "phone", "s1", 1);
        pipe("alice", new UserEvent.Rejected("alice", "m2", ErrorCode.NOT_MEMBER, "not a member of g1", now));

        assertThat(readDeliveries()).containsExactly(new Out(1, frame("alice", null,
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
        assertThat(sessionsOf("bob")).containsExactly("s2", "s3");

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
        long live = send("alice", "bob", "m1", "live");
        send("alice", "carol", "m1", "restarted");
        send("alice", "dave", "m1", "shut down");
        assertThat(readDeliveries()).containsExactly(
                new Out(1, frame("bob", null, msg(live, "m1", "alice", "bob", "live"))));
        assertThat(pushes.readValuesToList()).extracting(PushRequest::user).containsExactly("carol", "dave");

        advance(config.edgeTimeout().plusSeconds(1));  // edge 1 stops beating
        send("alice", "bob", "m2", "stale");
        assertThat(readDeliveries()).as("edge 1 may still hold the connection: it is to close it, the client to reconnect")
                .containsExactly(new Out(1, new Delivery.Close("bob", "s1", 1013, "reconnect: the server lost track of this connection")));
        assertThat(pushes.readValuesToList()).extracting(PushRequest::user).containsExactly("bob");
        assertThat(sessionsOf("bob")).as("stale sessions are dropped when seen").isEmpty();
        assertThat(sessionsOf("carol")).isEmpty();
    }

    @Test
    void shouldTrustANewSessionOnlyUntilItsEdgesFirstHeartbeatIsOverdue() {
        open("bob", "phone", "s1", 2);                // no heartbeat of edge 2 known yet
        send("alice", "bob", "m1", "early");
        assertThat(readDeliveries()).extracting(Out::partition).containsExactly(2);

        advance(config.edgeTimeout().plusSeconds(1));
        send("alice", "bob", "m2", "late");

        assertThat(readDeliveries()).extracting(o -> o.delivery().getClass().getSimpleName()).containsExactly("Close");
        assertThat(pushes.readValuesToList()).extracting(PushRequest::user).containsExactly("bob");
    }

    @Test
    void shouldDropDeliveriesForAnEdgeWithoutPartitionButKeepTheMailbox() {
        open("bob", "phone", "s1", DELIVERY_PARTITIONS + 3);

        long seq = send("alice", "bob", "m1", "lost edge");

        assertThat(deliveries.isEmpty()).isTrue();
        assertThat(mailbox("bob")).containsExactly(msg(seq, "m1", "alice", "bob", "lost edge"));
        assertThat(metric("stream-task-metrics", "dropped-records-total")).as("the flush marker and the message")
                .isEqualTo(2.0);
    }

    @Test
    void shouldExpireEntriesOlderThanRetention() {
        send("alice", "bob", "m0", "older");
        send("alice", "bob", "m1", "old");
        advance(Duration.ofDays(20));
        long recent = now;
        long kept = send("alice", "bob", "m2", "recent");
        send("alice", "carol", "m3", "recent too");

        advance(Duration.ofDays(10).plusMinutes(1));

        assertThat(mailbox("bob")).extracting(f -> ((ServerFrame.Msg) f).body()).containsExactly("recent");
        assertThat(mailbox("carol")).hasSize(1);
        assertThat(state("bob").pending()).isEqualTo(1);
        assertThat(routerMetric("mailbox-expired-total")).as("entries, not users").isEqualTo(2.0);
        assertThat(meters.expired()).isEqualTo(2);
        assertThat(meters.mailboxEntries()).isEqualTo(2).isEqualTo(mailboxSize());
        assertThat(meters.mailboxUsers()).isEqualTo(2);
        assertThat(meters.oldestStoredAt()).isEqualTo(recent);

        heartbeat(0, EPOCH);
        open("bob", "phone", "s1", 0);
        assertThat(frames(readDeliveries())).extracting(f -> ((ServerFrame.Msg) f).seq()).containsExactly(kept);
    }

    @Test
    void shouldCountMailboxEntriesUsersAndTheOldestEntryForMetrics() {
        assertThat(meters.mailboxEntries()).isZero();
        assertThat(meters.oldestStoredAt()).isEqualTo(RouterMeters.TaskMailbox.NONE);
        send("alice", "bob", "m1", "one");
        advance(Duration.ofSeconds(5));
        long later = now;
        long bobs = send("alice", "bob", "m2", "two");
        long carols = send("alice", "carol", "m3", "three");

        assertThat(meters.mailboxEntries()).isEqualTo(3).isEqualTo(mailboxSize());
        assertThat(meters.mailboxUsers()).isEqualTo(2);
        assertThat(meters.messagesStored()).isEqualTo(3);

        ack("bob", bobs);     // two delivered receipts go to alice's mailbox
        assertThat(meters.acked()).isEqualTo(2);
        assertThat(meters.mailboxEntries()).isEqualTo(3).isEqualTo(mailboxSize());
        assertThat(meters.mailboxUsers()).as("carol and alice").isEqualTo(2);
        assertThat(meters.pushRequests()).as("bob's and carol's, none for receipts")
                .isEqualTo(pushes.readValuesToList().size()).isEqualTo(2);

        heartbeat(0, EPOCH);
        open("carol", "phone", "c1", 0);
        assertThat(meters.deliveries()).as("the flushed entry and the marker")
                .isEqualTo(readAllDeliveries().size()).isEqualTo(2);

        assertThat(meters.oldestStoredAt()).as("known from the first retention pass on")
                .isEqualTo(RouterMeters.TaskMailbox.NONE);
        advance(config.retentionInterval());
        assertThat(meters.oldestStoredAt()).as("bob's acked m1 no longer counts").isEqualTo(later);

        ack("carol", carols); // a third receipt for alice
        assertThat(meters.mailboxEntries()).isEqualTo(3).isEqualTo(mailboxSize());
        assertThat(meters.mailboxUsers()).as("alice only").isEqualTo(1);
    }

    @Test
    void shouldSkipUnreadableRecords() {
        pipeRaw("bob", "not json".getBytes(StandardCharsets.UTF_8));
        pipeRaw("bob", "{\"v\":1,\"type\":\"no_such_type\",\"user\":\"bob\"}".getBytes(StandardCharsets.UTF_8));
        pipe("mallory", new UserEvent.Message("bob", "alice", "m0", Address.user("bob"), now, "misrouted", null));
        pipe("bob", new UserEvent.Message("bob", null, "m0", Address.user("bob"), now, "no sender", null));
        pipe("bob", null);

        long seq = send("alice", "bob", "m1", "still working");

        assertThat(metric("stream-task-metrics", "dropped-records-total")).isEqualTo(2.0);
        assertThat(routerMetric("invalid-skipped-total")).isEqualTo(3.0);
        assertThat(mailbox("bob")).containsExactly(msg(seq, "m1", "alice", "bob", "still working"));
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
        assertThat(readDeliveries()).extracting(o -> o.delivery().getClass().getSimpleName()).containsExactly("Close");
    }

}
