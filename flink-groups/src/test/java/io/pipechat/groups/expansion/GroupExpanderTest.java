package io.pipechat.groups.expansion;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.groups.changes.ChangeEventDeserializerTest;
import io.pipechat.groups.changes.GroupChange;
import io.pipechat.groups.types.JsonTypeSerializer;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Media;
import io.pipechat.protocol.SystemEvent;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.time.Duration;
import java.util.List;
import io.pipechat.groups.types.JsonTypeInfo;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GroupExpander} in Flink's keyed two-input harness: output, state and timers. Members are
 * a map, so the deliveries of one message come in any order; the order between messages is checked.
 * Watermarks are set by hand: input 1's stands for the wall clock, input 2's for the membership
 * stream's progress (commit time read up to). Tests about the hold alone call {@link #caughtUp()}
 * first (the membership stream has been read past every message's time), which gives the
 * processing-time behaviour: rejected {@code hold} after arrival.
 */
class GroupExpanderTest {
    static final Duration HOLD = Duration.ofSeconds(5);
    static final Duration MAX_HOLD = Duration.ofSeconds(60);
    static final Duration SETTLE = Duration.ofMillis(500);
    /** A watermark past every test message's {@code ts}. */
    static final long CAUGHT_UP = 10_000L;
    static final int MAX_HELD_PER_SENDER = 4;
    static final int MAX_HELD_PER_GROUP = 8;
    static final Duration TYPING_INTERVAL = Duration.ofSeconds(2);
    static final Duration SYSTEM_MAX_AGE = Duration.ofHours(1);

    KeyedTwoInputStreamOperatorTestHarness<String, GroupEvent, GroupChange, UserEvent> harness;

    @BeforeEach
    void open() throws Exception {
        harness = newHarness();
        harness.open();
    }

    /** Set up with the job's output serializer (the harness would otherwise guess one from the first record). */
    static KeyedTwoInputStreamOperatorTestHarness<String, GroupEvent, GroupChange, UserEvent> newHarness()
            throws Exception {
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new GroupExpander(HOLD, MAX_HOLD, SETTLE,
                        MAX_HELD_PER_SENDER, MAX_HELD_PER_GROUP, TYPING_INTERVAL, SYSTEM_MAX_AGE)),
                GroupEvent::group, GroupChange::group, Types.STRING);
        h.setup(new JsonTypeSerializer<>(UserEvent.class));
        return h;
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    static GroupEvent.Message msg(String group, String from, String id) {
        return new GroupEvent.Message(group, from, id, 1_000L, "hello " + id, null);
    }

    /** Both inputs' watermarks past every message's time: the membership stream is caught up. */
    void caughtUp() throws Exception {
        harness.processBothWatermarks(new Watermark(CAUGHT_UP));
    }

    void join(String group, String user) throws Exception {
        harness.processElement2(new GroupChange.Joined(group, user, "member"), 0);
    }

    void leave(String group, String user) throws Exception {
        harness.processElement2(new GroupChange.Left(group, user), 0);
    }

    void send(GroupEvent.Message m) throws Exception {
        harness.processElement1(m, 0);
    }

    /** The membership changes the job's deserializer reads from one Debezium change event. */
    void changeEvent(byte[] debeziumValue) throws Exception {
        for (GroupChange change : ChangeEventDeserializerTest.parse(debeziumValue)) {
            harness.processElement2(change, 0);
        }
    }

    List<UserEvent> drainOutput() {
        List<UserEvent> out = harness.extractOutputValues();
        harness.getOutput().clear();
        return out;
    }

    static UserEvent.Message delivery(String to, GroupEvent.Message m) {
        return new UserEvent.Message(to, m.from(), m.id(), Address.group(m.group()), m.ts(), m.body(), m.media());
    }

    @Test
    void expandsToEveryMemberButTheSenderWithBodyAndMediaUnchanged() throws Exception {
        join("g1", "alice");
        join("g1", "bob");
        join("g1", "carol");
        var media = new Media("sha256-abc", "image/png", 123, "k", "cat.png");
        var m = new GroupEvent.Message("g1", "alice", "c-1", 42L, "hi all", media);
        send(m);

        assertThat(drainOutput()).containsExactlyInAnyOrder(delivery("bob", m), delivery("carol", m));
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void nonMemberIsHeldThenRejectedWhenTheHoldEnds() throws Exception {
        caughtUp();
        join("g1", "alice");
        join("g1", "bob");
        var m = msg("g1", "mallory", "m-1");
        send(m);
        assertThat(drainOutput()).isEmpty();

        harness.setProcessingTime(HOLD.toMillis() - 1);
        assertThat(drainOutput()).isEmpty();
        harness.setProcessingTime(HOLD.toMillis());

        assertThat(drainOutput()).containsExactly(new UserEvent.Rejected("mallory", "m-1", ErrorCode.NOT_MEMBER,
                "not a member of g1", m.ts()));
        assertThat(harness.numKeyedStateEntries()).as("only the members map is left").isEqualTo(1);
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void messagesBeforeTheGroupsMembershipAreReleasedInOrderOnceItArrives() throws Exception {
        var first = msg("g2", "alice", "a-1");
        var second = msg("g2", "alice", "a-2");
        send(first);
        send(second);
        assertThat(drainOutput()).isEmpty();

        harness.setProcessingTime(100);
        join("g2", "alice");
        join("g2", "bob");
        assertThat(drainOutput()).as("held for the settle time").isEmpty();
        join("g2", "carol");
        harness.setProcessingTime(100 + SETTLE.toMillis());

        List<UserEvent> out = drainOutput();
        assertThat(out).hasSize(4);
        assertThat(out.subList(0, 2)).containsExactlyInAnyOrder(delivery("bob", first), delivery("carol", first));
        assertThat(out.subList(2, 4)).containsExactlyInAnyOrder(delivery("bob", second), delivery("carol", second));
        assertThat(harness.numProcessingTimeTimers()).as("deadline timer deleted").isZero();
        assertThat(harness.numKeyedStateEntries()).as("queue cleared").isEqualTo(1);

        harness.setProcessingTime(HOLD.toMillis() * 2);
        assertThat(drainOutput()).as("nothing rejected later").isEmpty();
    }

    @Test
    void aNewMembersHeldMessageDelaysNeitherTheGroupNorOtherGroups() throws Exception {
        join("g1", "alice");
        join("g1", "bob");
        join("g3", "alice");
        join("g3", "bob");
        var fromNewMember = msg("g1", "dave", "d-1");
        var fromAlice = msg("g1", "alice", "a-1");
        var otherGroup = msg("g3", "alice", "a-3");
        send(fromNewMember);
        send(fromAlice);
        send(otherGroup);
        assertThat(drainOutput()).as("members' messages go at once, in g1 as in g3")
                .containsExactly(delivery("bob", fromAlice), delivery("bob", otherGroup));

        join("g1", "dave");
        harness.setProcessingTime(SETTLE.toMillis());

        assertThat(drainOutput()).containsExactlyInAnyOrder(delivery("alice", fromNewMember), delivery("bob", fromNewMember));
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void aNonMembersFloodNeverDelaysAMembersMessageAndItsHeldStateStaysBounded() throws Exception {
        caughtUp();
        join("g1", "alice");
        join("g1", "bob");
        List<GroupEvent.Message> flood = new java.util.ArrayList<>();
        for (int i = 0; i < MAX_HELD_PER_SENDER + 10; i++) {
            flood.add(msg("g1", "mallory", "m-" + i));
            send(flood.get(i));
        }
        assertThat(drainOutput()).as("over the bound: refused at once, not held").hasSize(10)
                .allMatch(e -> e instanceof UserEvent.Rejected r && r.code() == ErrorCode.NOT_MEMBER && r.user().equals("mallory"));

        var fromAlice = msg("g1", "alice", "a-1");
        send(fromAlice);
        assertThat(drainOutput()).as("the member's message is not queued behind the flood").containsExactly(delivery("bob", fromAlice));

        harness.setProcessingTime(HOLD.toMillis());
        assertThat(drainOutput()).as("the held ones are rejected in order").containsExactlyElementsOf(flood.subList(0, MAX_HELD_PER_SENDER)
                .stream().map(m -> (UserEvent) new UserEvent.Rejected("mallory", m.id(), ErrorCode.NOT_MEMBER, "not a member of g1", m.ts()))
                .toList());
        assertThat(harness.numKeyedStateEntries()).as("only the members map is left").isEqualTo(1);
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void manyNonMembersFillTheGroupsBoundAndAreRefusedBeyondIt() throws Exception {
        caughtUp();
        join("g1", "alice");
        join("g1", "bob");
        int senders = MAX_HELD_PER_GROUP / MAX_HELD_PER_SENDER + 1;
        for (int s = 0; s < senders; s++) {
            for (int i = 0; i < MAX_HELD_PER_SENDER; i++) {
                send(msg("g1", "mallory-" + s, "m-" + i));
            }
        }
        assertThat(drainOutput()).as("the last sender's messages find the group full")
                .hasSize(MAX_HELD_PER_SENDER).allMatch(e -> e instanceof UserEvent.Rejected r && r.user().equals("mallory-" + (senders - 1)));

        var fromAlice = msg("g1", "alice", "a-1");
        send(fromAlice);
        assertThat(drainOutput()).containsExactly(delivery("bob", fromAlice));

        harness.setProcessingTime(HOLD.toMillis());
        assertThat(drainOutput()).hasSize(MAX_HELD_PER_GROUP).allMatch(e -> e instanceof UserEvent.Rejected);
        assertThat(harness.numKeyedStateEntries()).as("only the members map is left").isEqualTo(1);
    }

    @Test
    void aJoinedSendersMessagesAreReleasedPastANonMembersHeldOnesAndKeepTheirOrder() throws Exception {
        caughtUp();
        join("g1", "alice");
        send(msg("g1", "mallory", "m-1"));
        var first = msg("g1", "dave", "d-1");
        var second = msg("g1", "dave", "d-2");
        send(first);
        harness.setProcessingTime(10);
        join("g1", "dave");
        send(second);
        assertThat(drainOutput()).as("dave's second waits behind his first").isEmpty();

        harness.setProcessingTime(10 + SETTLE.toMillis());
        assertThat(drainOutput()).containsExactly(delivery("alice", first), delivery("alice", second));

        harness.setProcessingTime(HOLD.toMillis());
        assertThat(drainOutput()).containsExactly(
                new UserEvent.Rejected("mallory", "m-1", ErrorCode.NOT_MEMBER, "not a member of g1", 1_000L));
        assertThat(harness.numKeyedStateEntries()).as("only the members map is left").isEqualTo(1);
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void aMemberWhoseOwnHeldMessagesFillTheBoundIsRateLimited() throws Exception {
        join("g1", "alice");
        for (int i = 0; i < MAX_HELD_PER_SENDER; i++) {
            send(msg("g1", "dave", "d-" + i));
        }
        join("g1", "dave");
        send(msg("g1", "dave", "d-late"));

        assertThat(drainOutput()).containsExactly(new UserEvent.Rejected("dave", "d-late", ErrorCode.RATE_LIMITED,
                "too many messages waiting in g1", 1_000L));
        harness.setProcessingTime(SETTLE.toMillis());
        assertThat(drainOutput()).hasSize(MAX_HELD_PER_SENDER);
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
    }

    @Test
    void removedMemberGetsNothingFromLaterMessagesAndLastLeaveClearsState() throws Exception {
        join("g1", "alice");
        join("g1", "bob");
        join("g1", "carol");
        var before = msg("g1", "alice", "a-1");
        send(before);
        leave("g1", "carol");
        var after = msg("g1", "alice", "a-2");
        send(after);

        List<UserEvent> out = drainOutput();
        assertThat(out).hasSize(3);
        assertThat(out.subList(0, 2)).containsExactlyInAnyOrder(delivery("bob", before), delivery("carol", before));
        assertThat(out.get(2)).isEqualTo(delivery("bob", after));

        leave("g1", "bob");
        leave("g1", "alice");
        assertThat(harness.numKeyedStateEntries()).as("who left is remembered for max-hold").isPositive();
        harness.setProcessingTime(MAX_HOLD.toMillis());
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void aRemovedSenderIsRefusedAtOnceThenForgottenAfterMaxHold() throws Exception {
        caughtUp();
        join("g1", "alice");
        join("g1", "bob");
        leave("g1", "bob");
        send(msg("g1", "bob", "b-1"));
        var toAlice = msg("g1", "carol", "c-0");
        join("g1", "carol");
        send(toAlice);

        assertThat(drainOutput()).as("refused without waiting for the hold").containsExactly(
                new UserEvent.Rejected("bob", "b-1", ErrorCode.NOT_MEMBER, "no longer a member of g1", 1_000L),
                delivery("alice", toAlice));

        harness.setProcessingTime(MAX_HOLD.toMillis());
        send(msg("g1", "bob", "b-2"));
        assertThat(drainOutput()).as("held like anyone's once forgotten").isEmpty();
        harness.setProcessingTime(MAX_HOLD.toMillis() + HOLD.toMillis());
        assertThat(drainOutput()).containsExactly(
                new UserEvent.Rejected("bob", "b-2", ErrorCode.NOT_MEMBER, "not a member of g1", 1_000L));
    }

    @Test
    void aRemovedMembersFloodIsRefusedWithoutHoldingAnything() throws Exception {
        join("g1", "alice");
        join("g1", "bob");
        leave("g1", "bob");
        for (int i = 0; i < 3 * MAX_HELD_PER_GROUP; i++) {
            send(msg("g1", "bob", "b-" + i));
        }
        var fromAlice = msg("g1", "alice", "a-1");
        join("g1", "carol");
        send(fromAlice);

        List<UserEvent> out = drainOutput();
        assertThat(out).hasSize(3 * MAX_HELD_PER_GROUP + 1).last().isEqualTo(delivery("carol", fromAlice));
        assertThat(out.subList(0, 3 * MAX_HELD_PER_GROUP)).allSatisfy(e -> assertThat(e).isInstanceOf(UserEvent.Rejected.class));
        assertThat(harness.numProcessingTimeTimers()).as("only the timer that forgets bob").isEqualTo(1);
    }

    @Test
    void stateOfAGroupWithHeldMessagesIsClearedAfterTheyAreRejected() throws Exception {
        caughtUp();
        join("g1", "alice");
        send(msg("g1", "mallory", "m-1"));
        leave("g1", "alice");
        assertThat(harness.numKeyedStateEntries()).as("held message keeps the group").isPositive();

        harness.setProcessingTime(HOLD.toMillis());

        assertThat(drainOutput()).hasSize(1).first().isInstanceOf(UserEvent.Rejected.class);
        harness.setProcessingTime(MAX_HOLD.toMillis());
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void roleUpdateKeepsOneMembership() throws Exception {
        join("g1", "alice");
        harness.processElement2(new GroupChange.Joined("g1", "bob", "member"), 0);
        harness.processElement2(new GroupChange.Joined("g1", "bob", "admin"), 0);
        var m = msg("g1", "alice", "a-1");
        send(m);
        assertThat(drainOutput()).containsExactly(delivery("bob", m));
    }

    @Test
    void keyChangingUpdateMovesTheMemberBetweenGroups() throws Exception {
        join("g1", "alice");
        join("g1", "bob");
        join("g2", "carol");
        changeEvent(ChangeEventDeserializerTest.update("g1", "bob", "g2", "bob"));
        var inG1 = msg("g1", "alice", "a-1");
        var inG2 = msg("g2", "carol", "c-1");
        send(inG1);
        send(inG2);

        assertThat(drainOutput()).as("alice alone in g1; bob now in g2").containsExactly(delivery("bob", inG2));
    }

    @Test
    void snapshotEventsBuildMembership() throws Exception {
        for (String user : List.of("alice", "bob")) {
            changeEvent(ChangeEventDeserializerTest.event("r", null, ChangeEventDeserializerTest.row("g9", user, "member")));
        }
        var m = msg("g9", "bob", "b-1");
        send(m);
        assertThat(drainOutput()).containsExactly(delivery("alice", m));
    }

    @Test
    void membersAndHeldMessagesSurviveASnapshotAndRestore() throws Exception {
        join("g1", "alice");
        join("g1", "bob");
        var held = new GroupEvent.Message("g1", "dave", "d-1", 7L, "hi", new Media("m1", "image/jpeg", 9, null, null));
        send(held);
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();

        harness = newHarness();
        harness.initializeState(snapshot);
        harness.open();
        join("g1", "dave");
        harness.setProcessingTime(SETTLE.toMillis());

        assertThat(drainOutput()).containsExactlyInAnyOrder(delivery("alice", held), delivery("bob", held));
    }

    /** Writes state as the version before the bounds did: members, and one list of held messages per group with its head's timer. */
    static final class LegacyExpander extends KeyedCoProcessFunction<String, GroupEvent.Message, GroupChange, UserEvent> {
        @Override
        public void processElement1(GroupEvent.Message m, Context ctx, Collector<UserEvent> out) throws Exception {
            getRuntimeContext().getListState(new ListStateDescriptor<>(GroupExpander.LEGACY_HELD, JsonTypeInfo.of(Held.class)))
                    .add(new Held(m, HOLD.toMillis()));
            ctx.timerService().registerProcessingTimeTimer(HOLD.toMillis());
        }

        @Override
        public void processElement2(GroupChange c, Context ctx, Collector<UserEvent> out) throws Exception {
            getRuntimeContext().getMapState(new MapStateDescriptor<>("members", Types.STRING, Types.STRING))
                    .put(((GroupChange.Joined) c).user(), "member");
        }
    }

    @Test
    void messagesHeldByTheVersionBeforeTheBoundsAreMigratedWhenTheirTimerFires() throws Exception {
        harness.close();
        var legacy = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new LegacyExpander()),
                GroupEvent.Message::group, GroupChange::group, Types.STRING);
        legacy.setup(new JsonTypeSerializer<>(UserEvent.class));
        legacy.open();
        legacy.processElement2(new GroupChange.Joined("g1", "alice", "member"), 0);
        var spam = msg("g1", "mallory", "m-1");
        var fromDave = msg("g1", "dave", "d-1");
        legacy.processElement1(spam, 0);
        legacy.processElement1(fromDave, 0);
        OperatorSubtaskState snapshot = legacy.snapshot(1L, 1L);
        legacy.close();

        harness = newHarness();
        harness.initializeState(snapshot);
        harness.open();
        caughtUp();
        join("g1", "dave");
        harness.setProcessingTime(HOLD.toMillis());

        assertThat(drainOutput()).containsExactly(delivery("alice", fromDave),
                new UserEvent.Rejected("mallory", "m-1", ErrorCode.NOT_MEMBER, "not a member of g1", spam.ts()));
        assertThat(harness.numKeyedStateEntries()).as("only the members map is left").isEqualTo(1);
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void aMembersMessageWaitsPastTheHoldUntilTheLaggingMembershipArrives() throws Exception {
        // Wall clock far ahead, membership read up to commit time 500 only: the change stream lags.
        harness.processWatermark1(new Watermark(CAUGHT_UP));
        harness.processWatermark2(new Watermark(500));
        var m = msg("g2", "erin", "e-1"); // sent at 1_000, after the group's commit at 800
        send(m);

        harness.setProcessingTime(HOLD.toMillis());
        harness.setProcessingTime(HOLD.toMillis() + 3_000);
        assertThat(drainOutput()).as("hold passed, but the membership was not read up to the message").isEmpty();
        assertThat(harness.numEventTimeTimers()).as("woken when the membership reaches ts").isEqualTo(1);

        harness.processElement2(new GroupChange.Joined("g2", "erin", "admin", 800L), 800L);
        harness.processElement2(new GroupChange.Joined("g2", "frank", "member", 800L), 800L);
        harness.processWatermark2(new Watermark(799));
        harness.setProcessingTime(HOLD.toMillis() + 3_000 + SETTLE.toMillis());

        assertThat(drainOutput()).containsExactly(delivery("frank", m));
        assertThat(harness.numProcessingTimeTimers()).as("max-hold timer deleted").isZero();
        assertThat(harness.numEventTimeTimers()).as("event-time timer deleted").isZero();
        harness.processWatermark2(new Watermark(CAUGHT_UP));
        harness.setProcessingTime(MAX_HOLD.toMillis() * 2);
        assertThat(drainOutput()).as("nothing rejected later").isEmpty();
    }

    @Test
    void aNonMembersMessageIsRejectedOnceTheHoldPassedAndTheMembershipWasReadUpToIt() throws Exception {
        harness.processWatermark1(new Watermark(CAUGHT_UP));
        harness.processWatermark2(new Watermark(500));
        join("g1", "alice");
        join("g1", "bob");
        var m = msg("g1", "mallory", "m-1");
        var fromAlice = msg("g1", "alice", "a-1");
        send(m);
        send(fromAlice);
        assertThat(drainOutput()).as("the member's message does not wait").containsExactly(delivery("bob", fromAlice));

        harness.setProcessingTime(HOLD.toMillis());
        harness.processWatermark2(new Watermark(999));
        assertThat(drainOutput()).as("membership read up to 999 < ts 1000").isEmpty();

        harness.processWatermark2(new Watermark(1_000));

        assertThat(drainOutput()).containsExactly(
                new UserEvent.Rejected("mallory", "m-1", ErrorCode.NOT_MEMBER, "not a member of g1", m.ts()));
        assertThat(harness.numProcessingTimeTimers()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).as("only the members map is left").isEqualTo(1);
    }

    @Test
    void aWatermarkPastTheMessageBeforeTheHoldEndsRejectsAtTheHold() throws Exception {
        harness.processWatermark1(new Watermark(CAUGHT_UP));
        harness.processWatermark2(new Watermark(500));
        send(msg("g1", "mallory", "m-1"));
        harness.processWatermark2(new Watermark(CAUGHT_UP));
        assertThat(drainOutput()).as("the hold has not passed").isEmpty();

        harness.setProcessingTime(HOLD.toMillis());

        assertThat(drainOutput()).hasSize(1).first().isInstanceOf(UserEvent.Rejected.class);
    }

    @Test
    void anIdleMembershipStreamDoesNotHoldBackTheRejection() throws Exception {
        harness.processWatermark2(new Watermark(500));
        harness.processWatermark1(new Watermark(CAUGHT_UP));
        send(msg("g1", "mallory", "m-1"));
        harness.setProcessingTime(HOLD.toMillis());
        assertThat(drainOutput()).isEmpty();

        // The CDC source marks its split idle after membership-idle without a record: the operator's
        // watermark is then input 1's (the wall clock) alone.
        harness.processWatermarkStatus2(WatermarkStatus.IDLE);

        assertThat(drainOutput()).hasSize(1).first().isInstanceOf(UserEvent.Rejected.class);
    }

    @Test
    void maxHoldRejectsEvenIfTheWatermarkNeverAdvances() throws Exception {
        var m = msg("g1", "mallory", "m-1");
        send(m);
        harness.setProcessingTime(HOLD.toMillis());
        harness.setProcessingTime(MAX_HOLD.toMillis() - 1);
        assertThat(drainOutput()).as("no watermark at all: the membership stream has not started").isEmpty();

        harness.setProcessingTime(MAX_HOLD.toMillis());

        assertThat(drainOutput()).containsExactly(
                new UserEvent.Rejected("mallory", "m-1", ErrorCode.NOT_MEMBER, "not a member of g1", m.ts()));
        assertThat(harness.numProcessingTimeTimers()).isZero();
        assertThat(harness.numEventTimeTimers()).as("the event-time timer at ts deleted").isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void maxHoldBelowHoldIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new GroupExpander(HOLD, HOLD.minusMillis(1), SETTLE, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new GroupExpander(HOLD, HOLD, SETTLE, 2, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- system messages ------------------------------------------------------------------------

    static GroupChange.Joined joined(String user, String role, String by, String event, String origin) {
        return new GroupChange.Joined("g1", user, role, 1_000L, by, event, origin);
    }

    static GroupChange.Left left(String user, String by, String event, String origin) {
        return new GroupChange.Left("g1", user, 1_000L, by, event, origin);
    }

    /** The system message of {@code event} (from the change at {@code origin}) for {@code to}. */
    static UserEvent.Message system(String to, String origin, SystemEvent event) {
        return UserEvent.Message.system(to, event.by() != null ? event.by() : event.user(), SystemMessages.id(origin, event),
                "g1", 1_000L, event);
    }

    void apply(GroupChange change) throws Exception {
        harness.processElement2(change, 1_000L);
    }

    @Test
    void membershipChangesReachTheMembersInOrderWithTheirMessages() throws Exception {
        apply(joined("alice", "admin", "alice", SystemEvent.CREATED, "o1"));
        apply(joined("bob", "member", "alice", SystemEvent.CREATED, "o2"));
        var beforeCarol = msg("g1", "alice", "a-1");
        send(beforeCarol);
        apply(joined("carol", "member", "alice", SystemEvent.MEMBER_ADDED, "o3"));
        var afterCarol = msg("g1", "bob", "b-1");
        send(afterCarol);
        apply(joined("bob", "admin", "alice", SystemEvent.ADMIN_ADDED, "o4"));
        apply(left("carol", "bob", SystemEvent.MEMBER_REMOVED, "o5"));
        apply(left("alice", "alice", SystemEvent.MEMBER_LEFT, "o6"));

        SystemEvent added = SystemEvent.member(SystemEvent.MEMBER_ADDED, "alice", "carol");
        SystemEvent promoted = SystemEvent.member(SystemEvent.ADMIN_ADDED, "alice", "bob");
        SystemEvent removed = SystemEvent.member(SystemEvent.MEMBER_REMOVED, "bob", "carol");
        SystemEvent leaving = SystemEvent.member(SystemEvent.MEMBER_LEFT, "alice", "alice");
        List<UserEvent> out = drainOutput();
        assertThat(out.subList(0, 3)).as("the creation: each member told once").containsExactly(
                system("alice", "o1", SystemEvent.member(SystemEvent.CREATED, "alice", "alice")),
                system("bob", "o2", SystemEvent.member(SystemEvent.CREATED, "alice", "bob")),
                delivery("bob", beforeCarol));
        assertThat(out.subList(3, 6)).as("everyone, the new member too").containsExactlyInAnyOrder(
                system("alice", "o3", added), system("bob", "o3", added), system("carol", "o3", added));
        assertThat(out.subList(6, 8)).containsExactlyInAnyOrder(delivery("alice", afterCarol), delivery("carol", afterCarol));
        assertThat(out.subList(8, 11)).containsExactlyInAnyOrder(
                system("alice", "o4", promoted), system("bob", "o4", promoted), system("carol", "o4", promoted));
        assertThat(out.subList(11, 14)).as("the removed member too").containsExactlyInAnyOrder(
                system("alice", "o5", removed), system("bob", "o5", removed), system("carol", "o5", removed));
        assertThat(out.subList(14, 16)).containsExactlyInAnyOrder(system("bob", "o6", leaving), system("alice", "o6", leaving));
        assertThat(out).hasSize(16);
    }

    @Test
    void aChangeReadAgainOrFromTheSnapshotOrOfNoOneIsNoNews() throws Exception {
        apply(joined("alice", "admin", "alice", SystemEvent.CREATED, "o1"));
        drainOutput();
        apply(joined("alice", "admin", "alice", SystemEvent.CREATED, "o1"));
        apply(joined("bob", "member", null, null, "o2"));
        apply(joined("bob", "member", "alice", SystemEvent.MEMBER_ADDED, "o3"));
        apply(left("zed", "alice", SystemEvent.MEMBER_REMOVED, "o4"));
        assertThat(drainOutput()).isEmpty();
        assertThat(SystemMessages.id("o1", SystemEvent.member(SystemEvent.CREATED, "alice", "alice")))
                .as("the same change, the same id: the router keeps one")
                .isEqualTo(SystemMessages.id("o1", SystemEvent.member(SystemEvent.CREATED, "x", "alice")))
                .isNotEqualTo(SystemMessages.id("o1", SystemEvent.member(SystemEvent.CREATED, "alice", "bob")))
                .matches("sys:[0-9a-f]{32}");
    }

    @Test
    void aChangeOlderThanTheAgeLimitIsAppliedWithoutAWord() throws Exception {
        harness.setProcessingTime(1_000L + SYSTEM_MAX_AGE.toMillis() + 1);
        apply(joined("alice", "admin", "alice", SystemEvent.CREATED, "o1"));
        apply(joined("bob", "member", "alice", SystemEvent.MEMBER_ADDED, "o2"));
        var m = msg("g1", "alice", "a-1");
        send(m);
        assertThat(drainOutput()).containsExactly(delivery("bob", m));
    }

    @Test
    void groupInfoChangesReachEveryMemberAndADeletionEachMemberOnce() throws Exception {
        join("g1", "alice");
        join("g1", "bob");
        SystemEvent renamed = new SystemEvent(SystemEvent.RENAMED, "bob", null, "Weekend", null, null);
        apply(new GroupChange.Updated("g1", 1_000L, renamed, "o1"));
        assertThat(drainOutput()).containsExactlyInAnyOrder(system("alice", "o1", renamed), system("bob", "o1", renamed));

        apply(left("alice", "bob", SystemEvent.GROUP_DELETED, "o2"));
        apply(left("bob", "bob", SystemEvent.GROUP_DELETED, "o3"));
        assertThat(drainOutput()).containsExactly(
                system("alice", "o2", SystemEvent.member(SystemEvent.GROUP_DELETED, "bob", "alice")),
                system("bob", "o3", SystemEvent.member(SystemEvent.GROUP_DELETED, "bob", "bob")));
        harness.setProcessingTime(MAX_HOLD.toMillis());
        assertThat(harness.numKeyedStateEntries()).as("a deleted group leaves nothing").isZero();
    }

    @Test
    void systemMessagesOfRealChangeEventsNameWhoDidIt() throws Exception {
        changeEvent(ChangeEventDeserializerTest.event("c", null,
                ChangeEventDeserializerTest.row("g1", "alice", "admin", "alice", "created"), 1_000L, "binlog.000001", 10, 0));
        changeEvent(ChangeEventDeserializerTest.event("c", null,
                ChangeEventDeserializerTest.row("g1", "bob", "member", "alice", "member_added"), 1_000L, "binlog.000001", 20, 0));
        drainOutput();
        changeEvent(ChangeEventDeserializerTest.event("u",
                ChangeEventDeserializerTest.row("g1", "bob", "member", "alice", "member_added"),
                ChangeEventDeserializerTest.row("g1", "bob", "member", "alice", "member_removed"), 1_000L, "binlog.000001", 30, 0));
        changeEvent(ChangeEventDeserializerTest.event("d",
                ChangeEventDeserializerTest.row("g1", "bob", "member", "alice", "member_removed"), null, 1_000L, "binlog.000001", 30, 1));
        SystemEvent removed = SystemEvent.member(SystemEvent.MEMBER_REMOVED, "alice", "bob");
        assertThat(drainOutput()).containsExactlyInAnyOrder(
                system("alice", "binlog.000001:30:1", removed), system("bob", "binlog.000001:30:1", removed));
    }

    // ---- typing ---------------------------------------------------------------------------------

    @Test
    void typingGoesToTheOtherMembersAtMostOncePerIntervalAndNeverFromStrangers() throws Exception {
        join("g1", "alice");
        join("g1", "bob");
        join("g1", "carol");
        harness.processElement1(new GroupEvent.Typing("g1", "alice", 10_000L), 0);
        harness.processElement1(new GroupEvent.Typing("g1", "alice", 11_000L), 0);
        harness.processElement1(new GroupEvent.Typing("g1", "mallory", 11_000L), 0);
        harness.processElement1(new GroupEvent.Typing("g1", "alice", 10_000L + TYPING_INTERVAL.toMillis()), 0);

        Address g1 = Address.group("g1");
        assertThat(drainOutput()).containsExactlyInAnyOrder(
                new UserEvent.Typing("bob", "alice", g1, 10_000L), new UserEvent.Typing("carol", "alice", g1, 10_000L),
                new UserEvent.Typing("bob", "alice", g1, 12_000L), new UserEvent.Typing("carol", "alice", g1, 12_000L));
        assertThat(harness.numProcessingTimeTimers()).as("typing is never held").isZero();

        leave("g1", "alice");
        harness.processElement1(new GroupEvent.Typing("g1", "alice", 20_000L), 0);
        assertThat(drainOutput()).isEmpty();
    }
}
