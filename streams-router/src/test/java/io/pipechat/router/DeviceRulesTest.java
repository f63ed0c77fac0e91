package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.DeviceInfo;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import io.pipechat.router.state.UserState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

/**
 * The router's rules for people with several devices ({@link RouterDriverTest}), with small limits:
 * {@value #MAX_DEVICES} devices, {@value #MAX_MAILBOX} mailbox entries, flush pages of
 * {@value #PAGE} entries.
 */
class DeviceRulesTest extends RouterDriverTest {
    static final int MAX_DEVICES = 3;
    static final int MAX_MAILBOX = 60;
    static final int PAGE = 4;

    @Override
    RouterConfig config() {
        return RouterConfig.defaults().withLimits(new RouterConfig.Limits(MAX_DEVICES, MAX_MAILBOX, PAGE, 1 << 20));
    }

    @Test
    void shouldGiveADeviceThatWasOfflineEveryMessageTheOtherAcked() {
        heartbeat(0, EPOCH);
        open("bob", "phone", "p1", 0);
        open("bob", "laptop", "l1", 0);
        close("bob", "laptop", "l1", 0);
        long s1 = send("alice", "bob", "m1", "one");
        long s2 = send("carol", "bob", "c1", "two");
        ack("bob", "phone", s2);
        assertThat(mailbox("bob")).as("the laptop has not acked them").hasSize(2);
        readAllDeliveries();

        open("bob", "laptop", "l2", 0);

        assertThat(readAllDeliveries()).containsExactly(
                new Out(0, frame("bob", "l2", msg(s1, "m1", "alice", "bob", "one"))),
                new Out(0, frame("bob", "l2", msg(s2, "c1", "carol", "bob", "two"))),
                new Out(0, new Delivery.Flushed("bob", "l2", 2)));
        ack("bob", "laptop", s2);
        assertThat(mailbox("bob")).isEmpty();
        close("bob", "laptop", "l2", 0);
        open("bob", "laptop", "l3", 0);
        assertThat(readDeliveries()).as("acked by both: nothing again").isEmpty();
    }

    @Test
    void shouldSendTheDeliveredReceiptWhenTheFirstDeviceAcks() {
        open("bob", "phone", "p1", 0);
        open("bob", "laptop", "l1", 0);
        long s1 = send("alice", "bob", "m1", "one");
        receipts.readKeyValuesToList();

        ack("bob", "laptop", s1);
        assertThat(receipts.readKeyValuesToList()).containsExactly(
                KeyValue.pair("alice", new UserEvent.Receipt("alice", "m1", "bob", ReceiptStatus.DELIVERED, null, now)));

        ack("bob", "phone", s1);
        assertThat(receipts.readKeyValuesToList()).as("once per message, not per device").isEmpty();
        assertThat(mailbox("bob")).isEmpty();
    }

    @Test
    void shouldCopyOwnMessagesToTheOtherDevicesOnly() {
        heartbeat(0, EPOCH);
        heartbeat(1, EPOCH);
        open("alice", "phone", "p1", 0);
        open("alice", "laptop", "l1", 1);
        readAllDeliveries();
        UserEvent.Message m = new UserEvent.Message("bob", "alice", "m1", Address.user("bob"), now, "hi bob", null);

        long own = pipe("alice", m.ownCopy("phone")) + 1;

        ServerFrame.Msg copy = new ServerFrame.Msg(own, "m1", "alice", Address.user("bob"), now, "hi bob", null);
        assertThat(readDeliveries()).as("to the laptop's edge; the edge leaves out the phone")
                .containsExactly(new Out(1, frame("alice", null, "phone", copy)));
        assertThat(pushes.isEmpty()).as("no push for one's own message").isTrue();
        close("alice", "laptop", "l1", 1);
        close("alice", "phone", "p1", 0);
        open("alice", "phone", "p2", 0);
        assertThat(readDeliveries()).as("the phone sent it: not in its flush").isEmpty();
        open("alice", "laptop", "l2", 1);
        assertThat(frames(readDeliveries())).containsExactly(copy);

        ack("alice", "laptop", own);
        assertThat(mailbox("alice")).as("acked by every device but the one it came from").isEmpty();
        assertThat(receipts.readKeyValuesToList()).as("no receipt for an own copy").isEmpty();
    }

    @Test
    void shouldNotKeepOwnCopiesOfAUserWithOneDevice() {
        open("alice", "phone", "p1", 0);
        pipe("alice", new UserEvent.Message("bob", "alice", "m1", Address.user("bob"), now, "hi", null).ownCopy("phone"));

        assertThat(mailbox("alice")).isEmpty();
        assertThat(readDeliveries()).isEmpty();
    }

    @Test
    void shouldSyncAReadToTheOtherDevicesAndReceiptTheSender() {
        heartbeat(0, EPOCH);
        open("bob", "phone", "p1", 0);
        open("bob", "laptop", "l1", 0);
        long s1 = send("alice", "bob", "m1", "one");
        ack("bob", "phone", s1);
        ack("bob", "laptop", s1);
        receipts.readKeyValuesToList();
        readAllDeliveries();

        long read = pipe("bob", new UserEvent.Read("bob", "alice", "m1", null, "phone", now)) + 1;

        assertThat(receipts.readKeyValuesToList()).containsExactly(
                KeyValue.pair("alice", new UserEvent.Receipt("alice", "m1", "bob", ReceiptStatus.READ, null, now)));
        assertThat(readDeliveries()).containsExactly(
                new Out(0, frame("bob", null, "phone", new ServerFrame.Read(read, "m1", "alice", null, now))));
        ack("bob", "laptop", read);
        assertThat(mailbox("bob")).isEmpty();
    }

    @Test
    void shouldRefuseAReadOfAMessageTheReaderNeverGot() {
        open("bob", "phone", "p1", 0);
        open("bob", "laptop", "l1", 0);
        send("alice", "bob", "m1", "one");
        receipts.readKeyValuesToList();

        pipe("bob", new UserEvent.Read("bob", "alice", "m2", null, "phone", now));
        pipe("bob", new UserEvent.Read("bob", "carol", "m1", null, "phone", now));

        assertThat(receipts.isEmpty()).isTrue();
        assertThat(mailbox("bob")).hasSize(1);
        assertThat(routerMetric("read-refused-total")).isEqualTo(2.0);
    }

    @Test
    void shouldCloseTheSessionOfOneDeviceTooMany() {
        heartbeat(0, EPOCH);
        for (int i = 1; i <= MAX_DEVICES; i++) {
            open("bob", "d" + i, "s" + i, 0);
        }
        readAllDeliveries();

        open("bob", "d4", "s4", 0);

        assertThat(readAllDeliveries()).containsExactly(new Out(0, new Delivery.Close("bob", "s4",
                UserEventProcessor.CLOSE_TOO_MANY_DEVICES, "too many devices (3): remove one first")));
        assertThat(state("bob").devices()).hasSize(MAX_DEVICES);
        open("bob", "d1", "s5", 0);
        assertThat(readAllDeliveries()).as("a known device connects again")
                .contains(new Out(0, new Delivery.Flushed("bob", "s5", MAX_DEVICES)));
    }

    @Test
    void shouldReleaseTheMailboxAndCloseTheSessionsOfARemovedDevice() {
        heartbeat(0, EPOCH);
        open("bob", "phone", "p1", 0);
        open("bob", "tablet", "t1", 0);
        long s1 = send("alice", "bob", "m1", "one");
        ack("bob", "phone", s1);
        assertThat(mailbox("bob")).hasSize(1);
        readAllDeliveries();

        pipe("bob", new UserEvent.DeviceRemoved("bob", "tablet", now));

        assertThat(mailbox("bob")).isEmpty();
        assertThat(readAllDeliveries()).containsExactly(
                new Out(0, new Delivery.Close("bob", "t1", UserEventProcessor.CLOSE_DEVICE_REMOVED, "device removed")),
                new Out(0, new Delivery.Devices("bob", null, List.of(new DeviceInfo("phone", now, true)))));
    }

    @Test
    void shouldAnswerADevicesQueryOnTheAskingEdge() {
        heartbeat(0, EPOCH);
        open("bob", "phone", "p1", 0);
        advance(Duration.ofMinutes(1));
        heartbeat(0, EPOCH);
        open("bob", "laptop", "l1", 0);
        close("bob", "laptop", "l1", 0);
        readAllDeliveries();

        pipe("bob", new UserEvent.DevicesQuery("bob", "q-1", 3, now));

        assertThat(readAllDeliveries()).containsExactly(new Out(3, new Delivery.Devices("bob", "q-1",
                List.of(new DeviceInfo("phone", now - 60_000, true), new DeviceInfo("laptop", now, false)))));
    }

    @Test
    void shouldForgetADeviceUnusedForTheRetention() {
        open("bob", "phone", "p1", 0);
        open("bob", "old-phone", "o1", 0);
        close("bob", "old-phone", "o1", 0);
        advance(Duration.ofDays(29));
        long s1 = send("alice", "bob", "m1", "one");
        ack("bob", "phone", s1);
        assertThat(mailbox("bob")).hasSize(1);

        advance(Duration.ofDays(1).plusMinutes(2));

        assertThat(state("bob").devices()).extracting(d -> d.name()).containsExactly("phone");
        assertThat(mailbox("bob")).as("the forgotten device held it").isEmpty();
    }

    @Test
    void shouldFlushInPagesAsTheDeviceAcksAndMarkTheEndAfterTheLast() {
        heartbeat(0, EPOCH);
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            seqs.add(send("alice", "bob", "m" + i, "message " + i));
        }

        open("bob", "phone", "p1", 0);
        List<Out> page1 = readAllDeliveries();
        assertThat(frames(page1)).extracting(f -> ((ServerFrame.Msg) f).seq()).containsExactlyElementsOf(seqs.subList(0, PAGE));
        send("carol", "bob", "live", "meanwhile");
        assertThat(readAllDeliveries()).as("live, for the edge to hold back: the flush has not ended")
                .extracting(o -> ((Delivery.Frame) o.delivery()).session()).containsExactly((String) null);

        ack("bob", "phone", seqs.get(0));
        assertThat(readAllDeliveries()).as("not yet half of the page").isEmpty();
        ack("bob", "phone", seqs.get(1));
        assertThat(frames(readAllDeliveries())).extracting(f -> ((ServerFrame.Msg) f).seq())
                .containsExactlyElementsOf(seqs.subList(PAGE, 2 * PAGE));
        ack("bob", "phone", seqs.get(PAGE + 1));
        List<Out> last = readAllDeliveries();
        assertThat(last).extracting(o -> o.delivery() instanceof Delivery.Frame f ? ((ServerFrame.Msg) f.decoded()).id() : "flushed")
                .containsExactly("m8", "m9", "live", "flushed");
    }

    @Test
    void shouldRefuseAMessageForAFullMailboxAndTellTheSender() {
        for (int i = 0; i < MAX_MAILBOX; i++) {
            send("alice", "bob", "m" + i, "x");
        }
        receipts.readKeyValuesToList();

        send("alice", "bob", "one-too-many", "x");

        assertThat(mailbox("bob")).hasSize(MAX_MAILBOX);
        assertThat(receipts.readKeyValuesToList()).containsExactly(KeyValue.pair("alice",
                new UserEvent.Rejected("alice", "one-too-many", ErrorCode.MAILBOX_FULL, "the recipient's mailbox is full", now)));
        assertThat(routerMetric("mailbox-full-total")).isEqualTo(1.0);
    }

    @Test
    void shouldStoreASystemMessageInAFullMailboxAndSendItsAuthorNoReceipt() {
        for (int i = 0; i < MAX_MAILBOX; i++) {
            send("alice", "bob", "m" + i, "x");
        }
        receipts.readKeyValuesToList();
        long sys = pipe("bob", UserEvent.Message.system("bob", "carol", "sys:1", "g1", now,
                io.pipechat.protocol.SystemEvent.member(io.pipechat.protocol.SystemEvent.MEMBER_ADDED, "carol", "bob"))) + 1;

        assertThat(mailbox("bob")).hasSize(MAX_MAILBOX + 1);
        assertThat(receipts.isEmpty()).as("not refused").isTrue();
        ack("bob", "phone", sys);
        assertThat(receipts.readKeyValuesToList()).extracting(kv -> kv.key).as("receipts to alice only")
                .hasSize(MAX_MAILBOX).containsOnly("alice");
    }

    @Test
    void shouldAckAMailboxBiggerThanItsIndexByScanning() {
        int n = UserState.INDEX_LIMIT + 8;
        List<Long> seqs = LongStream.range(0, n).mapToObj(i -> send("alice", "bob", "m" + i, "x")).toList();
        assertThat(state("bob").indexed()).isFalse();
        receipts.readKeyValuesToList();

        ack("bob", "phone", seqs.get(9));
        assertThat(receipts.readKeyValuesToList()).hasSize(10);
        assertThat(mailbox("bob")).hasSize(n - 10);

        ack("bob", "phone", seqs.getLast());
        assertThat(receipts.readKeyValuesToList()).hasSize(n - 10);
        assertThat(mailbox("bob")).isEmpty();
        assertThat(state("bob").indexed()).as("an empty mailbox is indexed again").isTrue();
        assertThat(state("bob").pending()).isZero();
        long next = send("alice", "bob", "after", "x");
        assertThat(state("bob").index()).extracting(e -> e.seq()).containsExactly(next);
    }
}
