package io.pipechat.router;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.PushRequest;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import io.pipechat.router.mailbox.Counters;
import io.pipechat.router.mailbox.MailboxEntry;
import io.pipechat.router.mailbox.MailboxKeys;
import io.pipechat.router.presence.Liveness;
import io.pipechat.router.presence.Presence;
import io.pipechat.router.presence.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one user's events, in order, to that user's presence, mailbox and counters, and emits
 * deliveries, delivered receipts and push requests. Stores: see {@link RouterTopology}.
 *
 * <p>Guarantees (with {@code exactly_once_v2}, each input record's store writes and outputs commit
 * atomically): a stored entry gets the user's next seq, which is never reused; every entry stays in
 * the mailbox until acked or older than the retention; while the user is offline at most one push
 * request is emitted per quiet period; a new session receives the whole mailbox in seq order.
 * Delivery to live sessions is at least once (a reconnect flushes again what was not acked).
 *
 * <p>"Now" is the router's wall clock ({@link ProcessorContext#currentSystemTimeMs()}): heartbeats,
 * push quiet periods, dedup windows and retention are all about elapsed real time.
 *
 * <p>Metrics, group {@code stream-pipechat-router-metrics}, per task: {@code duplicate-dropped},
 * {@code push-requested}, {@code invalid-skipped}, {@code mailbox-expired} (entries; each
 * {@code -total} and {@code -rate}). Unreadable records never reach this processor: Kafka Streams
 * skips them ({@code LogAndContinueExceptionHandler}) and counts them in the task's
 * {@code dropped-records}. Per instance: {@link RouterMeters}, including the mailbox gauges this
 * processor keeps for its task ({@link RouterMeters.TaskMailbox}: counted from the counters store
 * from {@link #init} on, in chunks, then updated with every write to the counters store; the oldest
 * entry found by each retention pass).
 */
public final class UserEventProcessor implements Processor<String, UserEvent, String, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(UserEventProcessor.class);

    /** Close code of a session replaced by a newer one of the same device (PROTOCOL.md). */
    public static final int CLOSE_CONNECTED_ELSEWHERE = 4409;
    public static final String METRICS_SCOPE = "pipechat-router";

    private static final char SEP = '\u0000';
    private static final StringSerializer KEYS = new StringSerializer();

    private final RouterConfig config;
    private final Liveness liveness;
    private final RouterMeters meters;
    private RouterMeters.TaskMailbox tally;
    private final int countStep;
    private String countedUpTo;
    private Cancellable counting;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, Presence> presence;
    private KeyValueStore<String, MailboxEntry> mailbox;
    private KeyValueStore<String, Counters> counters;
    private WindowStore<String, Long> dedup;
    private KeyValueStore<String, EdgeHeartbeat> edges;
    private final List<Sensor> sensors = new ArrayList<>();
    private Sensor duplicates;
    private Sensor pushes;
    private Sensor invalid;
    private Sensor expired;

    /** Users counted per step of the initial mailbox count (~20-50 ms of the stream thread). */
    public static final int COUNT_CHUNK = 10_000;
    static final Duration COUNT_PERIOD = Duration.ofMillis(100);

    public UserEventProcessor(RouterConfig config, RouterMeters meters) {
        this.config = config;
        this.meters = meters;
        this.countStep = meters.countChunk;
        this.liveness = new Liveness(config.edgeTimeout());
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        presence = context.getStateStore(RouterTopology.PRESENCE);
        mailbox = context.getStateStore(RouterTopology.MAILBOX);
        counters = context.getStateStore(RouterTopology.COUNTERS);
        dedup = context.getStateStore(RouterTopology.DEDUP);
        edges = context.getStateStore(RouterTopology.EDGES);
        duplicates = sensor("duplicate-dropped");
        pushes = sensor("push-requested");
        invalid = sensor("invalid-skipped");
        expired = sensor("mailbox-expired");
        tally = meters.register(context.taskId().toString());
        countedUpTo = null;
        countChunk();
        if (!tally.complete()) {
            counting = context.schedule(COUNT_PERIOD, PunctuationType.WALL_CLOCK_TIME, t -> countChunk());
        }
        context.schedule(config.retentionInterval(), PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    /**
     * Counts the next {@code countStep} users of the counters store into this task's mailbox
     * figures ({@link RouterMeters.TaskMailbox}); the stores are restored by now (Kafka Streams
     * initialises a task's processors only once they are). The first chunk runs in {@link #init},
     * the others every {@link #COUNT_PERIOD} until done, so a big task does not wait for the count.
     */
    private void countChunk() {
        long entries = 0;
        long users = 0;
        int seen = 0;
        boolean more;
        // The smallest key after countedUpTo: that key plus the smallest character.
        try (KeyValueIterator<String, Counters> it =
                     countedUpTo == null ? counters.all() : counters.range(countedUpTo + '\u0000', null)) {
            while (seen < countStep && it.hasNext()) {
                KeyValue<String, Counters> c = it.next();
                entries += c.value.pending();
                users += c.value.pending() > 0 ? 1 : 0;
                countedUpTo = c.key;
                seen++;
            }
            more = it.hasNext();
        }
        tally.counted(countedUpTo, entries, users, !more);
        if (!more && counting != null) {
            counting.cancel();
            counting = null;
        }
    }

    @Override
    public void process(Record<String, UserEvent> record) {
        UserEvent event = record.value();
        String problem = problem(record.key(), event);
        if (problem != null) {
            invalid.record();
            meters.invalid.increment();
            LOG.warn("skipping user event {}: {}", where(), problem);
            return;
        }
        long now = context.currentSystemTimeMs();
        switch (event) {
            case UserEvent.Message m -> onMessage(m, now);
            case UserEvent.Receipt r -> onReceipt(r, now);
            case UserEvent.Ack a -> onAck(a, now);
            case UserEvent.SessionOpened o -> onSessionOpened(o, now);
            case UserEvent.SessionClosed c -> onSessionClosed(c, now);
            case UserEvent.Typing t -> toLiveEdges(t.user(), new ServerFrame.Typing(t.from(), t.to()), now);
            case UserEvent.Rejected r ->
                    toLiveEdges(r.user(), new ServerFrame.Error(r.code(), r.message(), r.id()), now);
        }
    }

    @Override
    public void close() {
        sensors.forEach(s -> context.metrics().removeSensor(s));
        sensors.clear();
        if (tally != null) {
            meters.unregister(context.taskId().toString(), tally);
        }
    }

    private void onMessage(UserEvent.Message m, long now) {
        String user = m.user();
        String dedupKey = user + SEP + m.from() + SEP + m.id();
        try (WindowStoreIterator<Long> seen =
                     dedup.fetch(dedupKey, Math.max(0, now - config.dedupWindow().toMillis()), now)) {
            if (seen.hasNext()) {
                duplicates.record();
                meters.duplicates.increment();
                LOG.debug("dropping duplicate message {} from {} to {}", m.id(), m.from(), user);
                return;
            }
        }
        Counters c = counters(user);
        long seq = c.nextSeq();
        dedup.put(dedupKey, seq, now);
        store(user, c, new ServerFrame.Msg(seq, m.id(), m.from(), m.to(), m.ts(), m.body(), m.media()), now);
        meters.messagesStored.increment();
    }

    /** Receipts are stored and delivered like messages (PROTOCOL.md), so they survive the sender being offline. */
    private void onReceipt(UserEvent.Receipt r, long now) {
        Counters c = counters(r.user());
        store(r.user(), c, new ServerFrame.Receipt(c.nextSeq(), r.id(), r.by(), r.status(), r.ts(), r.group()), now);
        meters.receiptsStored.increment();
    }

    /** Stores {@code frame} under seq {@code c.nextSeq()}, then delivers it to the live edges or asks for a push. */
    private void store(String user, Counters c, ServerFrame frame, long now) {
        mailbox.put(MailboxKeys.key(user, c.nextSeq()), new MailboxEntry(frame, now));
        Counters after = c.stored();
        List<Session> live = liveSessions(user, now);
        if (live.isEmpty()) {
            after = maybePush(user, after, now);
        } else {
            toEdges(user, live, frame, now);
        }
        putCounters(user, c, after);
    }

    private Counters maybePush(String user, Counters c, long now) {
        if (c.lastPush() != Counters.NEVER && now - c.lastPush() < config.pushQuietPeriod().toMillis()) {
            return c;
        }
        pushes.record();
        meters.pushRequests.increment();
        context.forward(new Record<>(user, new PushRequest(user, c.pending(), now), now), RouterTopology.PUSH_SINK);
        return c.pushed(now);
    }

    private void onAck(UserEvent.Ack a, long now) {
        String user = a.user();
        Counters c = counters(user);
        long upto = Math.min(a.upto(), c.nextSeq() - 1);
        if (upto <= c.ackedUpto()) {
            return;
        }
        List<String> acked = new ArrayList<>();
        List<ServerFrame.Msg> messages = new ArrayList<>();
        try (KeyValueIterator<String, MailboxEntry> it =
                     mailbox.range(MailboxKeys.key(user, c.ackedUpto() + 1), MailboxKeys.key(user, upto))) {
            while (it.hasNext()) {
                KeyValue<String, MailboxEntry> entry = it.next();
                acked.add(entry.key);
                if (entry.value.frame() instanceof ServerFrame.Msg msg) {
                    messages.add(msg);
                }
            }
        }
        acked.forEach(mailbox::delete);
        for (ServerFrame.Msg msg : messages) {
            String group = msg.to() instanceof Address.Group g ? g.group() : null;
            UserEvent receipt = new UserEvent.Receipt(msg.from(), msg.id(), user, ReceiptStatus.DELIVERED, group, now);
            context.forward(new Record<>(msg.from(), receipt, now), RouterTopology.RECEIPTS_SINK);
        }
        putCounters(user, c, c.removed(acked.size(), upto));
        meters.acked.add(acked.size());
    }

    private void onSessionOpened(UserEvent.SessionOpened o, long now) {
        String user = o.user();
        Session opened = new Session(o.device(), o.session(), o.edge(), o.epoch(), now);
        List<Session> kept = new ArrayList<>();
        Presence before = presence.get(user);
        for (Session s : before == null ? List.<Session>of() : before.sessions()) {
            if (s.session().equals(o.session())) {
                continue;
            }
            if (s.device().equals(o.device())) {
                deliver(user, s.edge(), new Delivery.Close(user, s.session(), CLOSE_CONNECTED_ELSEWHERE,
                        "connected elsewhere"), now);
                continue;
            }
            if (isLive(s, now)) {
                kept.add(s);
            }
        }
        if (!isLive(opened, now)) {
            LOG.warn("ignoring session {} of {}: edge {} epoch {} is down or restarted since", o.session(), user,
                    o.edge(), o.epoch());
            savePresence(user, kept);
            return;
        }
        kept.add(opened);
        savePresence(user, kept);

        Counters c = counters.get(user);
        if (c != null && c.lastPush() != Counters.NEVER) {
            putCounters(user, c, c.pushReset());
        }
        try (KeyValueIterator<String, MailboxEntry> it = mailbox.prefixScan(MailboxKeys.prefix(user), KEYS)) {
            while (it.hasNext()) {
                ServerFrame frame = it.next().value.frame();
                deliver(user, opened.edge(), new Delivery.Frame(user, opened.session(), frame), now);
            }
        }
        // Even after an empty flush: the edge holds back live frames for this session until it reads this.
        deliver(user, opened.edge(), new Delivery.Flushed(user, opened.session()), now);
    }

    private void onSessionClosed(UserEvent.SessionClosed closed, long now) {
        keepSessions(closed.user(), s -> !s.session().equals(closed.session()) && isLive(s, now));
    }

    /** Ephemeral frames: to every edge with a live session of {@code user}, or nowhere. */
    private void toLiveEdges(String user, ServerFrame frame, long now) {
        toEdges(user, liveSessions(user, now), frame, now);
    }

    /** One delivery of {@code frame} (to all of the user's sessions there) per edge of {@code sessions}. */
    private void toEdges(String user, List<Session> sessions, ServerFrame frame, long now) {
        if (sessions.isEmpty()) {
            return;
        }
        Delivery delivery = new Delivery.Frame(user, null, frame);
        for (int edge : edgesOf(sessions)) {
            deliver(user, edge, delivery, now);
        }
    }

    /** The user's live sessions; stale ones found on the way are dropped from presence. */
    private List<Session> liveSessions(String user, long now) {
        return keepSessions(user, s -> isLive(s, now));
    }

    /** The user's sessions that pass {@code keep}; presence is written only if that dropped any. */
    private List<Session> keepSessions(String user, Predicate<Session> keep) {
        Presence p = presence.get(user);
        if (p == null) {
            return List.of();
        }
        List<Session> kept = p.sessions().stream().filter(keep).toList();
        if (kept.size() != p.sessions().size()) {
            savePresence(user, kept);
        }
        return kept;
    }

    private boolean isLive(Session s, long now) {
        return liveness.isLive(s, edges.get(EdgeHeartbeat.key(s.edge())), now);
    }

    private void savePresence(String user, List<Session> sessions) {
        if (sessions.isEmpty()) {
            presence.delete(user);
        } else {
            presence.put(user, new Presence(sessions));
        }
    }

    private static Set<Integer> edgesOf(List<Session> sessions) {
        Set<Integer> edges = new LinkedHashSet<>();
        sessions.forEach(s -> edges.add(s.edge()));
        return edges;
    }

    private void deliver(String user, int edge, Delivery delivery, long now) {
        meters.deliveries.increment();
        context.forward(new Record<>(user, new Routed(edge, delivery), now), RouterTopology.DELIVERIES_SINK);
    }

    /** Every write to the counters store goes through here, which keeps the task's mailbox figures. */
    private void putCounters(String user, Counters before, Counters after) {
        counters.put(user, after);
        tally.changed(user, before.pending(), after.pending());
    }

    private Counters counters(String user) {
        Counters c = counters.get(user);
        return c == null ? Counters.initial() : c;
    }

    /**
     * Retention: deletes mailbox entries stored longer ago than the retention. A user's entries are
     * stored in seq order, so the scan skips to the next user at the first entry still young enough:
     * the cost is one seek per user with mail plus one step per expired entry. The first entry kept
     * of each user gives the task's oldest entry ({@link RouterMeters}) at no extra cost.
     */
    private void expire(long now) {
        long cutoff = now - config.retention().toMillis();
        long oldest = RouterMeters.TaskMailbox.NONE;
        Map<String, Integer> expiredPerUser = new HashMap<>();
        String from = null;
        boolean more = true;
        while (more) {
            more = false;
            List<String> doomed = new ArrayList<>();
            try (KeyValueIterator<String, MailboxEntry> it = from == null ? mailbox.all() : mailbox.range(from, null)) {
                while (it.hasNext()) {
                    KeyValue<String, MailboxEntry> entry = it.next();
                    if (entry.value.storedAt() < cutoff) {
                        doomed.add(entry.key);
                    } else {
                        oldest = Math.min(oldest, entry.value.storedAt());
                        from = MailboxKeys.afterUser(MailboxKeys.user(entry.key));
                        more = true;
                        break;
                    }
                }
            }
            for (String key : doomed) {
                mailbox.delete(key);
                expiredPerUser.merge(MailboxKeys.user(key), 1, Integer::sum);
            }
        }
        expiredPerUser.forEach((user, n) -> {
            Counters c = counters.get(user);
            if (c != null) {
                putCounters(user, c, c.removed(n, c.ackedUpto()));
            }
            // The sensor's total counts record() calls, so one call per entry.
            for (int i = 0; i < n; i++) {
                expired.record();
            }
            meters.expired.add(n);
        });
        tally.oldest(oldest);
        if (!expiredPerUser.isEmpty()) {
            LOG.info("retention deleted mailbox entries older than {} of {} users", config.retention(),
                    expiredPerUser.size());
        }
    }

    /** Why {@code event} cannot be applied, or null if it can. Checked before any state is touched. */
    static String problem(String key, UserEvent event) {
        if (event == null) {
            return "no value";
        }
        if (!Ids.isUserId(event.user())) {
            return "not a user id: " + event.user();
        }
        if (!event.user().equals(key)) {
            return "record key " + key + " is not the event's user " + event.user();
        }
        return switch (event) {
            case UserEvent.Message m -> !Ids.isUserId(m.from()) ? "message without a valid sender"
                    : !Ids.isMessageId(m.id()) ? "message without a valid id"
                    : m.to() == null ? "message without to" : null;
            case UserEvent.Receipt r -> r.id() == null || r.by() == null || r.status() == null
                    ? "receipt without id, by or status" : null;
            case UserEvent.Ack a -> a.upto() < 0 ? "negative upto" : null;
            case UserEvent.SessionOpened o -> o.session() == null || o.device() == null || o.edge() < 0
                    ? "session opened without session, device or edge" : null;
            case UserEvent.SessionClosed c -> c.session() == null ? "session closed without session" : null;
            case UserEvent.Typing t -> t.from() == null ? "typing without from" : null;
            case UserEvent.Rejected r -> r.code() == null ? "rejected without code" : null;
        };
    }

    private String where() {
        return context.recordMetadata()
                .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
                .orElse("(no metadata)");
    }

    private Sensor sensor(String operation) {
        Sensor s = context.metrics().addRateTotalSensor(METRICS_SCOPE, context.taskId().toString(), operation,
                Sensor.RecordingLevel.INFO);
        sensors.add(s);
        return s;
    }
}
