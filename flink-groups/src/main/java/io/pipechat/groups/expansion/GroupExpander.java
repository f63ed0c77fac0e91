package io.pipechat.groups.expansion;

import io.pipechat.groups.membership.MembershipChange;
import io.pipechat.groups.types.JsonTypeInfo;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
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
 * from the {@code group_members} change stream (input 2). Both inputs are keyed by group id.
 *
 * <p>Keyed state, per group:
 * <ul>
 *   <li>{@code members}: {@code MapState<user id, role>}. A {@code Joined} change puts, a {@code Left}
 *       removes; the last removal leaves no entry (heap and RocksDB backends keep no empty map),
 *       so a deleted group leaves no state behind once nothing is held.</li>
 *   <li>{@code held}: {@code ListState<Held>}, the queue of messages not yet expanded, in arrival
 *       order. A message waits here while its sender is not (yet) a member: membership and
 *       messages come on different topics, so a message from a user added a moment ago can
 *       overtake the change that adds them, by as much as the change stream lags. It leaves the
 *       queue when its sender becomes a member (expanded then) or when it is rejected (one
 *       {@link UserEvent.Rejected} with {@code not_member} to the sender). Cleared when empty.</li>
 * </ul>
 *
 * <p>When a held message is rejected: the membership has to have been read up to the message's
 * time, not merely for a while. The job gives both inputs event time: a membership change's is its
 * database commit time ({@link MembershipChange#committed()}), a message's is its {@code ts} (the
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
 * Timers belong to the head of the queue only (the rest waits behind it anyway): a processing-time
 * timer at {@code queued + hold}; once that passed, an event-time timer at {@code ts} and a
 * processing-time timer at {@code queued + max-hold}. When the head leaves, its timers are deleted
 * and the next head's registered. A {@code Joined} with messages held registers one more
 * processing-time timer, {@code settle} later (see the constructor).
 *
 * <p>Order: per group, messages are expanded (or rejected) in the order they were accepted, that
 * is, the order of {@code chat.group-events}' partition. While any message is held, later messages
 * of the same group queue behind it, even from members: a group's conversation never reorders,
 * at the price of delaying that group, in the rare race above, until the sender's membership
 * arrives or the head is rejected (normally {@code hold}; longer while the change stream lags,
 * at most {@code max-hold}). Each message is expanded with the membership as it is when it leaves
 * the queue: a member removed before that no longer receives it, and a member added before that
 * does.
 *
 * <p>Cost: one {@code members} lookup per message, then one iteration over the members: linear in
 * group size. The sender never receives its own message.
 *
 * <p>Metrics, group {@code group_expander}, per subtask: counters {@code messages} (expanded),
 * {@code deliveries} (user events out), {@code held}, {@code released} (held, then expanded),
 * {@code rejected}, {@code rejected_at_max_hold} (of those, rejected by {@code max-hold} before the
 * watermark reached them: a sign of a stalled change stream); meters {@code messages_per_second}
 * and {@code deliveries_per_second} (the fan-out rate), both over the last {@value #RATE_SECONDS}
 * s; histogram {@code recipients} (user events per expanded message, the last
 * {@value #RECIPIENTS_WINDOW} messages: one {@code update} per message, percentiles computed only
 * when a reporter reads it). With Flink's Prometheus reporter they are
 * {@code flink_taskmanager_job_task_operator_group_expander_<name>}, labelled with
 * {@code job_name}, {@code operator_name}, {@code subtask_index}, ...
 */
public final class GroupExpander
        extends KeyedCoProcessFunction<String, GroupEvent.Message, MembershipChange, UserEvent> {
    private static final long serialVersionUID = 1L;
    /** Time span of the rate meters. */
    public static final int RATE_SECONDS = 60;
    /** Messages the {@code recipients} histogram keeps. */
    public static final int RECIPIENTS_WINDOW = 1024;

    private final long holdMillis;
    private final long maxHoldMillis;
    private final long settleMillis;

    private transient MapState<String, String> members;
    private transient ListState<Held> held;
    private transient Counter messages;
    private transient Counter deliveries;
    private transient Counter heldCount;
    private transient Counter released;
    private transient Counter rejected;
    private transient Counter rejectedAtMaxHold;
    private transient Histogram recipients;

    /**
     * @param hold    how long a message from a non-member waits for its sender's membership at
     *                least (and until the membership stream has been read up to its time)
     * @param maxHold how long it waits at most, whatever the membership stream's progress
     * @param settle  how long held messages wait after a membership change before they are
     *                released, so that the other rows of the same change (a new group's members
     *                arrive one row at a time, from different partitions) are applied first
     */
    public GroupExpander(Duration hold, Duration maxHold, Duration settle) {
        if (hold.isNegative() || settle.isNegative() || maxHold.compareTo(hold) < 0) {
            throw new IllegalArgumentException("hold and settle must not be negative and max-hold not below hold: "
                    + hold + ", " + maxHold + ", " + settle);
        }
        this.holdMillis = hold.toMillis();
        this.maxHoldMillis = maxHold.toMillis();
        this.settleMillis = settle.toMillis();
    }

    @Override
    public void open(OpenContext openContext) {
        members = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("members", Types.STRING, Types.STRING));
        held = getRuntimeContext().getListState(
                new ListStateDescriptor<>("held", JsonTypeInfo.of(Held.class)));
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("group_expander");
        messages = metrics.counter("messages");
        deliveries = metrics.counter("deliveries");
        heldCount = metrics.counter("held");
        released = metrics.counter("released");
        rejected = metrics.counter("rejected");
        rejectedAtMaxHold = metrics.counter("rejected_at_max_hold");
        metrics.meter("messages_per_second", new MeterView(messages, RATE_SECONDS));
        metrics.meter("deliveries_per_second", new MeterView(deliveries, RATE_SECONDS));
        recipients = metrics.histogram("recipients", new DescriptiveStatisticsHistogram(RECIPIENTS_WINDOW));
    }

    @Override
    public void processElement1(GroupEvent.Message message, Context ctx, Collector<UserEvent> out) throws Exception {
        boolean queueEmpty = !held.get().iterator().hasNext();
        if (queueEmpty && members.contains(message.from())) {
            expand(message, out);
            return;
        }
        long now = ctx.timerService().currentProcessingTime();
        Held entry = new Held(message, now + holdMillis);
        held.add(entry);
        heldCount.inc();
        if (queueEmpty) {
            registerTimers(entry, now, ctx);
        }
    }

    @Override
    public void processElement2(MembershipChange change, Context ctx, Collector<UserEvent> out) throws Exception {
        switch (change) {
            case MembershipChange.Joined joined -> {
                members.put(joined.user(), joined.role());
                if (held.get().iterator().hasNext()) {
                    if (settleMillis == 0) {
                        drain(ctx, out);
                    } else {
                        ctx.timerService().registerProcessingTimeTimer(
                                ctx.timerService().currentProcessingTime() + settleMillis);
                    }
                }
            }
            case MembershipChange.Left left -> members.remove(left.user());
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<UserEvent> out) throws Exception {
        drain(ctx, out);
    }

    /**
     * Takes messages off the head of the queue while their sender is a member (expanded) or they
     * are due for rejection (see the class comment); stops at the first that must keep waiting,
     * and makes sure that one has the timers that will wake it.
     */
    private void drain(Context ctx, Collector<UserEvent> out) throws Exception {
        List<Held> queue = new ArrayList<>();
        held.get().forEach(queue::add);
        if (queue.isEmpty()) {
            return;
        }
        long now = ctx.timerService().currentProcessingTime();
        long watermark = ctx.timerService().currentWatermark();
        int done = 0;
        while (done < queue.size()) {
            Held head = queue.get(done);
            if (members.contains(head.message().from())) {
                released.inc();
                expand(head.message(), out);
            } else if (head.deadline() <= now && watermark >= head.message().ts()) {
                reject(head.message(), out);
            } else if (maxDeadline(head) <= now) {
                rejectedAtMaxHold.inc();
                reject(head.message(), out);
            } else {
                break;
            }
            done++;
        }
        if (done > 0) {
            deleteTimers(queue.get(0), ctx);
            if (done == queue.size()) {
                held.clear();
            } else {
                held.update(queue.subList(done, queue.size()));
            }
        }
        if (done < queue.size()) {
            registerTimers(queue.get(done), now, ctx);
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

    private void reject(GroupEvent.Message message, Collector<UserEvent> out) {
        rejected.inc();
        out.collect(new UserEvent.Rejected(message.from(), message.id(), ErrorCode.NOT_MEMBER,
                "not a member of " + message.group(), message.ts()));
    }
}
