package io.pipechat.groups.expansion;

import io.pipechat.groups.changes.GroupChange;
import io.pipechat.groups.types.JsonTypeInfo;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.SystemEvent;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Expands group messages (input 1) to one {@link UserEvent.Message} per member, with membership
 * from the {@code group_members} change stream (input 2, with the {@code chat_groups} changes).
 * Both inputs are keyed by group id. Also: typing (input 1) to the other members, and every change
 * of the group or its membership (input 2) as system messages to the members, in order with the
 * messages (see "System messages").
 *
 * <p>Why messages are held: membership and messages come on different topics, so a message from a
 * user added a moment ago can overtake the change that adds them, by as much as the change stream
 * lags. A message whose sender is not (yet) a member therefore waits until its sender becomes a
 * member (expanded then) or it is rejected (one {@link UserEvent.Rejected} with {@code not_member}
 * to the sender).
 *
 * <p>Keyed state, per group:
 * <ul>
 *   <li>{@code members}: {@code MapState<user id, role>}. A {@code Joined} change puts, a {@code Left}
 *       removes; the last removal leaves no entry (heap and RocksDB backends keep no empty map),
 *       so a deleted group leaves no state behind once nothing is held.</li>
 *   <li>{@code held_messages}: {@code MapState<number, Held>}, the held messages, numbered in
 *       arrival order per group.</li>
 *   <li>{@code held_queue}: {@code ValueState<HeldQueue>}, the oldest number still held (the head),
 *       the next number and the count.</li>
 *   <li>{@code held_senders}: {@code MapState<sender, SenderHeld>}, each sender's held numbers in
 *       arrival order: a sender's messages are released together, in their order, without reading
 *       anyone else's.</li>
 *   <li>{@code releasing}: {@code MapState<sender, time>}, senders with held messages who joined,
 *       and when their messages are released ({@code settle} after the join).</li>
 *   <li>{@code former_members}: {@code MapState<user id, processing time>}, who left and when; an
 *       entry is deleted by a processing-time timer {@code max-hold} after the leave.</li>
 *   <li>{@code typing}: {@code MapState<member, ts>}, when each member's typing was last fanned out;
 *       deleted when the member leaves (so at most one entry per member).</li>
 * </ul>
 * All four held states are cleared when the last held message leaves. A {@code held}
 * {@code ListState<Held>} restored from a checkpoint of the version before (one unbounded list per
 * group) is moved into them when the group's next timer fires.
 *
 * <p>Who left: a message from a user who left less than {@code max-hold} ago (and has nothing held)
 * is refused at once ({@code not_member}, "no longer a member"), without being held: the removal
 * is known, so there is nothing to wait for. (A member removed and added again within the change
 * stream's lag has the messages sent right after the new addition refused; they send them again.)
 *
 * <p>Bounds: at most {@code maxHeldPerSender} messages held per sender and {@code maxHeldPerGroup}
 * per group. A message over either bound is refused at once, without being held: {@code not_member}
 * if its sender is not a member, {@code rate_limited} if it is (a member whose own earlier messages
 * still wait for their release). Counted in {@code refused}. So a flood from a non-member costs
 * the group at most those bounds in state, and nothing in delay (below).
 *
 * <p>Order: per sender, messages are expanded (or rejected) in the order they were accepted (the
 * order of {@code chat.group-events}' partition): a message from a sender with held messages is
 * held behind them, even if the sender is a member by then. Between senders there is no waiting: a
 * member with nothing held is expanded at once, whatever the group holds for others, so no
 * non-member can delay a group's conversation. The price: in the rare race above, a new member's
 * first messages reach the group after messages that other members sent later. Each message is
 * expanded with the membership as it is when it leaves the queue: a member removed before that no
 * longer receives it, and a member added before that does.
 *
 * <p>When a held message is rejected: the membership has to have been read up to the message's
 * time, not merely for a while. The job gives both inputs event time: a membership change's is its
 * database commit time ({@link GroupChange#committed()}), a message's is its {@code ts} (the
 * edge's send time); the operator's watermark is the smaller of the two inputs' watermarks (see
 * {@code GroupsJob}: the membership watermark trails the commit times read so far, the message
 * watermark is the wall clock). {@code watermark >= ts} therefore means that every membership change
 * committed before the message was sent has been applied, or that the change stream is idle (caught
 * up: nothing new for the idleness timeout). The head of the queue is rejected once
 * <ul>
 *   <li>its {@code hold} has passed (processing time since it was queued) <b>and</b> the watermark
 *       has reached its {@code ts}; or</li>
 *   <li>its {@code max-hold} has passed (processing time since it was queued), whatever the
 *       watermark: a dead change stream must not hold a group forever.</li>
 * </ul>
 * Rejections go in arrival order (the head first; all share the same {@code hold}, so the head's
 * ends first). Timers belong to the head only: a processing-time timer at {@code queued + hold};
 * once that passed, an event-time timer at {@code ts} and a processing-time timer at
 * {@code queued + max-hold}. When the head leaves, its timers are deleted and the next head's
 * registered. A {@code Joined} of a sender with messages held registers one more processing-time
 * timer, {@code settle} later (see the constructor).
 *
 * <p>System messages: a change becomes one {@link UserEvent.Message} with a {@link SystemEvent}
 * (and neither body nor media) per recipient, written when the change is applied, so each member
 * sees it between the messages expanded before and after it. A new member's ({@code member_added})
 * and a role change ({@code admin_added}, {@code admin_removed}) go to every member, the new one
 * included; a removal or a leave to the remaining members and the one who left; a member who came
 * with the new group gets one {@code created}, and a member of a deleted group one
 * {@code group_deleted} (one each, not one per other member); name, description and icon changes
 * go to every member. Only real transitions count: a change read again (a Debezium replay), a
 * snapshot read, or the leave of a non-member makes none. A change committed more than
 * {@code systemMaxAge} before it is read is applied silently (history). Ids and senders:
 * {@link SystemMessages}.
 *
 * <p>Typing: a member's typing goes to every other member (the router delivers it to live sessions
 * only), at most once per {@code typingInterval} per member; typing from non-members is dropped.
 * Neither is ever held or stored.
 *
 * <p>Cost: one {@code held_senders} and one {@code members} lookup per message, then one iteration
 * over the members: linear in group size. Releasing or rejecting reads and deletes only the messages
 * that leave (and rewrites the sender's list of at most {@code maxHeldPerSender} numbers). The
 * sender never receives its own message.
 *
 * <p>Metrics, group {@code group_expander}, per subtask: counters {@code messages} (expanded),
 * {@code deliveries} (user events out), {@code held}, {@code released} (held, then expanded),
 * {@code rejected}, {@code rejected_at_max_hold} (of those, rejected by {@code max-hold} before the
 * watermark reached them: a sign of a stalled change stream), {@code refused} (over a bound, not
 * held; also counted in {@code rejected}), {@code rejected_after_leaving} (of the rejected, those
 * refused at once because their sender had left), {@code typing} (typing events out),
 * {@code typing_dropped}, {@code system_messages} (system messages out), {@code system_skipped}
 * (changes too old, or of no one, applied without a system message); meters {@code messages_per_second}
 * and {@code deliveries_per_second} (the fan-out rate), both over the last {@value #RATE_SECONDS}
 * s; histogram {@code recipients} (user events per expanded message, the last
 * {@value #RECIPIENTS_WINDOW} messages: one {@code update} per message, percentiles computed only
 * when a reporter reads it). With Flink's Prometheus reporter they are
 * {@code flink_taskmanager_job_task_operator_group_expander_<name>}, labelled with
 * {@code job_name}, {@code operator_name}, {@code subtask_index}, ...
 */
public final class GroupExpander
        extends KeyedCoProcessFunction<String, GroupEvent, GroupChange, UserEvent> {
    private static final long serialVersionUID = 1L;
    /** Time span of the rate meters. */
    public static final int RATE_SECONDS = 60;
    /** Messages the {@code recipients} histogram keeps. */
    public static final int RECIPIENTS_WINDOW = 1024;
    /** The name of the held-message list of versions before the bounds, read only to migrate it. */
    static final String LEGACY_HELD = "held";

    private final long holdMillis;
    private final long maxHoldMillis;
    private final long settleMillis;
    private final int maxHeldPerSender;
    private final int maxHeldPerGroup;
    private final long typingIntervalMillis;
    private final long systemMaxAgeMillis;

    private transient MapState<String, String> members;
    private transient MapState<Long, Held> held;
    private transient ValueState<HeldQueue> queue;
    private transient MapState<String, SenderHeld> heldBySender;
    private transient MapState<String, Long> releasing;
    private transient ListState<Held> legacyHeld;
    private transient MapState<String, Long> formerMembers;
    private transient MapState<String, Long> typing;
    private transient Counter messages;
    private transient Counter deliveries;
    private transient Counter heldCount;
    private transient Counter released;
    private transient Counter rejected;
    private transient Counter rejectedAtMaxHold;
    private transient Counter refused;
    private transient Counter rejectedAfterLeaving;
    private transient Counter typingOut;
    private transient Counter typingDropped;
    private transient Counter systemMessages;
    private transient Counter systemSkipped;
    private transient Histogram recipients;

    /**
     * @param hold             how long a message from a non-member waits for its sender's membership
     *                         at least (and until the membership stream has been read up to its time)
     * @param maxHold          how long it waits at most, whatever the membership stream's progress
     * @param settle           how long held messages wait after their sender joined before they are
     *                         released, so that the other rows of the same change (a new group's
     *                         members arrive one row at a time, from different partitions) are
     *                         applied first
     * @param maxHeldPerSender how many messages one sender may have held in one group
     * @param maxHeldPerGroup  how many messages one group may have held
     * @param typingInterval   how often one member's typing is fanned out at most (more is dropped)
     * @param systemMaxAge     how old a change may be (since its commit) and still become system
     *                         messages: older ones are history (a job started without state reads
     *                         the whole compacted change topic) and are applied silently
     */
    public GroupExpander(Duration hold, Duration maxHold, Duration settle, int maxHeldPerSender, int maxHeldPerGroup,
                         Duration typingInterval, Duration systemMaxAge) {
        if (hold.isNegative() || settle.isNegative() || maxHold.compareTo(hold) < 0) {
            throw new IllegalArgumentException("hold and settle must not be negative and max-hold not below hold: "
                    + hold + ", " + maxHold + ", " + settle);
        }
        if (maxHeldPerSender < 1 || maxHeldPerGroup < maxHeldPerSender) {
            throw new IllegalArgumentException("max-held-per-sender must be >= 1 and max-held-per-group not below it: "
                    + maxHeldPerSender + ", " + maxHeldPerGroup);
        }
        this.holdMillis = hold.toMillis();
        this.maxHoldMillis = maxHold.toMillis();
        this.settleMillis = settle.toMillis();
        this.maxHeldPerSender = maxHeldPerSender;
        this.maxHeldPerGroup = maxHeldPerGroup;
        this.typingIntervalMillis = typingInterval.toMillis();
        this.systemMaxAgeMillis = systemMaxAge.toMillis();
    }

    /** With the default typing interval (2 s) and system message age (1 h). */
    public GroupExpander(Duration hold, Duration maxHold, Duration settle, int maxHeldPerSender, int maxHeldPerGroup) {
        this(hold, maxHold, settle, maxHeldPerSender, maxHeldPerGroup, Duration.ofSeconds(2), Duration.ofHours(1));
    }

    @Override
    public void open(OpenContext openContext) {
        members = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("members", Types.STRING, Types.STRING));
        held = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("held_messages", Types.LONG, JsonTypeInfo.of(Held.class)));
        queue = getRuntimeContext().getState(
                new ValueStateDescriptor<>("held_queue", JsonTypeInfo.of(HeldQueue.class)));
        heldBySender = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("held_senders", Types.STRING, JsonTypeInfo.of(SenderHeld.class)));
        releasing = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("releasing", Types.STRING, Types.LONG));
        legacyHeld = getRuntimeContext().getListState(
                new ListStateDescriptor<>(LEGACY_HELD, JsonTypeInfo.of(Held.class)));
        formerMembers = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("former_members", Types.STRING, Types.LONG));
        typing = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("typing", Types.STRING, Types.LONG));
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("group_expander");
        messages = metrics.counter("messages");
        deliveries = metrics.counter("deliveries");
        heldCount = metrics.counter("held");
        released = metrics.counter("released");
        rejected = metrics.counter("rejected");
        rejectedAtMaxHold = metrics.counter("rejected_at_max_hold");
        refused = metrics.counter("refused");
        rejectedAfterLeaving = metrics.counter("rejected_after_leaving");
        typingOut = metrics.counter("typing");
        typingDropped = metrics.counter("typing_dropped");
        systemMessages = metrics.counter("system_messages");
        systemSkipped = metrics.counter("system_skipped");
        metrics.meter("messages_per_second", new MeterView(messages, RATE_SECONDS));
        metrics.meter("deliveries_per_second", new MeterView(deliveries, RATE_SECONDS));
        recipients = metrics.histogram("recipients", new DescriptiveStatisticsHistogram(RECIPIENTS_WINDOW));
    }

    @Override
    public void processElement1(GroupEvent event, Context ctx, Collector<UserEvent> out) throws Exception {
        switch (event) {
            case GroupEvent.Message message -> message(message, ctx, out);
            case GroupEvent.Typing t -> typing(t, out);
        }
    }

    private void message(GroupEvent.Message message, Context ctx, Collector<UserEvent> out) throws Exception {
        String from = message.from();
        SenderHeld own = heldBySender.get(from);
        boolean member = members.contains(from);
        if (own == null && member) {
            expand(message, out);
            return;
        }
        if (own == null && formerMembers.contains(from)) {
            rejectedAfterLeaving.inc();
            reject(message, ErrorCode.NOT_MEMBER, "no longer a member of " + message.group(), out);
            return;
        }
        HeldQueue q = queue.value();
        if (q == null) {
            q = HeldQueue.EMPTY;
        }
        if (q.size() >= maxHeldPerGroup || (own != null && own.size() >= maxHeldPerSender)) {
            refused.inc();
            reject(message, member ? ErrorCode.RATE_LIMITED : ErrorCode.NOT_MEMBER,
                    (member ? "too many messages waiting in " : "not a member of ") + message.group(), out);
            return;
        }
        long now = ctx.timerService().currentProcessingTime();
        Held entry = new Held(message, now + holdMillis);
        long number = q.next();
        held.put(number, entry);
        heldBySender.put(from, own == null ? SenderHeld.of(number) : own.plus(number));
        queue.update(q.plus(number));
        heldCount.inc();
        if (q.size() == 0) {
            registerTimers(entry, now, ctx);
        }
    }

    /**
     * Fans {@code t} out to the other members, unless its sender is no member or typed less than
     * {@code typingInterval} ago (by the edges' clock): typing is a hint, the router delivers it to
     * live sessions only, and a member typing fast must not cost a user event per member each time.
     */
    private void typing(GroupEvent.Typing t, Collector<UserEvent> out) throws Exception {
        boolean fromMember = members.contains(t.from());
        Long last = fromMember ? typing.get(t.from()) : null;
        if (!fromMember || last != null && t.ts() >= last && t.ts() - last < typingIntervalMillis) {
            typingDropped.inc();
            return;
        }
        typing.put(t.from(), t.ts());
        Address to = Address.group(t.group());
        for (String member : members.keys()) {
            if (!member.equals(t.from())) {
                typingOut.inc();
                out.collect(new UserEvent.Typing(member, t.from(), to, t.ts()));
            }
        }
    }

    @Override
    public void processElement2(GroupChange change, Context ctx, Collector<UserEvent> out) throws Exception {
        switch (change) {
            case GroupChange.Joined joined -> {
                String before = members.get(joined.user());
                members.put(joined.user(), joined.role());
                formerMembers.remove(joined.user());
                if (joined.event() != null && before == null) {
                    boolean created = SystemEvent.CREATED.equals(joined.event());
                    announce(change, SystemEvent.member(created ? SystemEvent.CREATED : SystemEvent.MEMBER_ADDED,
                            joined.by(), joined.user()), created ? List.of(joined.user()) : keys(), ctx, out);
                } else if (joined.event() != null && !before.equals(joined.role())) {
                    announce(change, SystemEvent.member("admin".equals(joined.role())
                            ? SystemEvent.ADMIN_ADDED : SystemEvent.ADMIN_REMOVED, joined.by(), joined.user()), keys(), ctx, out);
                }
                if (heldBySender.contains(joined.user())) {
                    long now = ctx.timerService().currentProcessingTime();
                    if (settleMillis == 0) {
                        HeldQueue q = queue.value();
                        Held head = held.get(q.first());
                        finish(head, release(joined.user(), q, out), ctx);
                    } else {
                        releasing.put(joined.user(), now + settleMillis);
                        ctx.timerService().registerProcessingTimeTimer(now + settleMillis);
                    }
                }
            }
            case GroupChange.Left left -> {
                if (!members.contains(left.user())) {
                    return;
                }
                members.remove(left.user());
                releasing.remove(left.user());
                typing.remove(left.user());
                long now = ctx.timerService().currentProcessingTime();
                formerMembers.put(left.user(), now);
                ctx.timerService().registerProcessingTimeTimer(now + maxHoldMillis);
                if (left.event() != null) {
                    List<String> to = SystemEvent.GROUP_DELETED.equals(left.event()) ? List.of(left.user())
                            : keysAnd(left.user());
                    announce(change, SystemEvent.member(left.event(), left.by(), left.user()), to, ctx, out);
                }
            }
            case GroupChange.Updated updated -> announce(change, updated.change(), keys(), ctx, out);
        }
    }

    /**
     * Writes the system messages of {@code change} to {@code recipients}, with the change's commit
     * time, unless the change is older than {@code systemMaxAge} (then it is history, applied
     * without a word).
     */
    private void announce(GroupChange change, SystemEvent event, Collection<String> recipients, Context ctx,
                          Collector<UserEvent> out) {
        Long timestamp = ctx.timestamp();
        long ts = change.committed() != GroupChange.UNKNOWN ? change.committed() : timestamp == null ? 0 : timestamp;
        if (ctx.timerService().currentProcessingTime() - ts > systemMaxAgeMillis
                || event.by() == null && event.user() == null) {
            systemSkipped.inc();
            return;
        }
        String id = SystemMessages.id(String.valueOf(change.origin()), event);
        for (String recipient : recipients) {
            systemMessages.inc();
            out.collect(SystemMessages.to(recipient, change.group(), ts, id, event));
        }
    }

    private List<String> keys() throws Exception {
        List<String> all = new ArrayList<>();
        members.keys().forEach(all::add);
        return all;
    }

    /** The members and {@code user}, who just left. */
    private List<String> keysAnd(String user) throws Exception {
        List<String> all = keys();
        all.add(user);
        return all;
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<UserEvent> out) throws Exception {
        forgetFormerMembers(ctx.timerService().currentProcessingTime());
        migrateLegacyHeld(out);
        HeldQueue q = queue.value();
        if (q == null) {
            return;
        }
        Held head = held.get(q.first());
        long now = ctx.timerService().currentProcessingTime();
        List<String> due = new ArrayList<>();
        for (Map.Entry<String, Long> e : releasing.entries()) {
            if (e.getValue() <= now) {
                due.add(e.getKey());
            }
        }
        for (String sender : due) {
            releasing.remove(sender);
            if (members.contains(sender) && q.size() > 0) {
                q = release(sender, q, out);
            }
        }
        finish(head, rejectDue(q, now, ctx.timerService().currentWatermark(), out), ctx);
    }

    /** Forgets who left {@code max-hold} ago or longer: their messages are held again like anyone's. */
    private void forgetFormerMembers(long now) throws Exception {
        if (formerMembers.isEmpty()) {
            return;
        }
        List<String> due = new ArrayList<>();
        for (Map.Entry<String, Long> e : formerMembers.entries()) {
            if (e.getValue() + maxHoldMillis <= now) {
                due.add(e.getKey());
            }
        }
        for (String user : due) {
            formerMembers.remove(user);
        }
    }

    /**
     * Moves messages held by a version before the bounds (one {@value #LEGACY_HELD} list per group,
     * restored from an older checkpoint) into the current queue, in their order: those whose sender
     * is a member by now are expanded. Only timers need to look: every such list came with a timer
     * of its head, restored with it, which brings the group here.
     */
    private void migrateLegacyHeld(Collector<UserEvent> out) throws Exception {
        Iterable<Held> legacy = legacyHeld.get();
        if (legacy == null || !legacy.iterator().hasNext()) {
            return;
        }
        HeldQueue q = queue.value();
        if (q == null) {
            q = HeldQueue.EMPTY;
        }
        for (Held entry : legacy) {
            String from = entry.message().from();
            SenderHeld own = heldBySender.get(from);
            if (own == null && members.contains(from)) {
                released.inc();
                expand(entry.message(), out);
                continue;
            }
            long number = q.next();
            held.put(number, entry);
            heldBySender.put(from, own == null ? SenderHeld.of(number) : own.plus(number));
            q = q.plus(number);
        }
        legacyHeld.clear();
        if (q.size() > 0) {
            queue.update(q);
        }
    }

    /**
     * Takes messages off the head of the queue while their sender is a member (released, with the
     * sender's others) or they are due for rejection (see the class comment); stops at the first
     * that must keep waiting.
     */
    private HeldQueue rejectDue(HeldQueue q, long now, long watermark, Collector<UserEvent> out) throws Exception {
        while (q.size() > 0) {
            q = skipGaps(q);
            Held head = held.get(q.first());
            String from = head.message().from();
            if (members.contains(from)) {
                q = release(from, q, out);
                continue;
            }
            boolean holdPassed = head.deadline() <= now && watermark >= head.message().ts();
            if (!holdPassed && maxDeadline(head) > now) {
                break;
            }
            if (!holdPassed) {
                rejectedAtMaxHold.inc();
            }
            reject(head.message(), ErrorCode.NOT_MEMBER, "not a member of " + head.message().group(), out);
            held.remove(q.first());
            SenderHeld rest = heldBySender.get(from).withoutOldest();
            if (rest == null) {
                heldBySender.remove(from);
            } else {
                heldBySender.put(from, rest);
            }
            q = q.minus(1);
        }
        return q;
    }

    /** Expands all of {@code sender}'s held messages, in order; the queue's head may be left on a gap. */
    private HeldQueue release(String sender, HeldQueue q, Collector<UserEvent> out) throws Exception {
        SenderHeld own = heldBySender.get(sender);
        if (own == null) {
            return q;
        }
        for (long number : own.numbers()) {
            released.inc();
            expand(held.get(number).message(), out);
            held.remove(number);
        }
        heldBySender.remove(sender);
        releasing.remove(sender);
        return q.minus(own.size());
    }

    /** Moves the head past numbers whose message was released early. Each gap is passed once. */
    private HeldQueue skipGaps(HeldQueue q) throws Exception {
        long first = q.first();
        while (!held.contains(first)) {
            first++;
        }
        return first == q.first() ? q : q.from(first);
    }

    /**
     * Stores {@code q} (or clears every held state once nothing is held) and moves the timers from
     * the former head to the current one if it changed.
     */
    private void finish(Held formerHead, HeldQueue q, Context ctx) throws Exception {
        Held head = null;
        if (q.size() == 0) {
            queue.clear();
            held.clear();
            heldBySender.clear();
            releasing.clear();
        } else {
            q = skipGaps(q);
            queue.update(q);
            head = held.get(q.first());
        }
        long now = ctx.timerService().currentProcessingTime();
        if (formerHead != null && !formerHead.equals(head)) {
            deleteTimers(formerHead, ctx);
            // Timers are told apart by time only: one that forgets a former member may have gone too.
            for (long leftAt : formerMembers.values()) {
                ctx.timerService().registerProcessingTimeTimer(leftAt + maxHoldMillis);
            }
        }
        if (head != null) {
            registerTimers(head, now, ctx);
            for (long at : releasing.values()) {
                ctx.timerService().registerProcessingTimeTimer(at);
            }
        }
    }

    private long maxDeadline(Held entry) {
        return entry.deadline() - holdMillis + maxHoldMillis;
    }

    /** The timers that wake the head of the queue: its hold, then its time and its max-hold. */
    private void registerTimers(Held head, long now, Context ctx) {
        if (now < head.deadline()) {
            ctx.timerService().registerProcessingTimeTimer(head.deadline());
            return;
        }
        if (ctx.timerService().currentWatermark() < head.message().ts()) {
            ctx.timerService().registerEventTimeTimer(head.message().ts());
        }
        ctx.timerService().registerProcessingTimeTimer(maxDeadline(head));
    }

    /** Deletes the timers {@link #registerTimers} may have set for a former head (absent ones are no-ops). */
    private void deleteTimers(Held former, Context ctx) {
        ctx.timerService().deleteProcessingTimeTimer(former.deadline());
        ctx.timerService().deleteProcessingTimeTimer(maxDeadline(former));
        ctx.timerService().deleteEventTimeTimer(former.message().ts());
    }

    private void expand(GroupEvent.Message message, Collector<UserEvent> out) throws Exception {
        messages.inc();
        Address to = Address.group(message.group());
        long sent = 0;
        for (String member : members.keys()) {
            if (!member.equals(message.from())) {
                sent++;
                out.collect(new UserEvent.Message(member, message.from(), message.id(), to, message.ts(),
                        message.body(), message.media()));
            }
        }
        deliveries.inc(sent);
        recipients.update(sent);
    }

    private void reject(GroupEvent.Message message, ErrorCode code, String reason, Collector<UserEvent> out) {
        rejected.inc();
        out.collect(new UserEvent.Rejected(message.from(), message.id(), code, reason, message.ts()));
    }
}
