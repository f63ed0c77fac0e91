package io.pipechat.router;

import io.pipechat.protocol.Address;
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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
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
 * deliveries, delivered receipts and push requests. Stores: see {@link RouterTopology}. The other
 * jobs of the task are {@link UserEventCheck} (what is skipped), {@link MailboxCensus} (the
 * mailbox figures) and {@link MailboxRetention} (expiry).
 *
 * <p>Guarantees, under {@code at_least_once} (see {@link Router}): after a crash, the records since
 * the task's last commit are processed again, on stores that may hold any subset of their effects
 * (each store has its own changelog). Every event is therefore applied so that a second run gives
 * the same result:
 * <ul>
 *   <li>a stored entry's seq is derived from the record's offset ({@link Counters#seqAt}): a replay
 *       stores the same frame under the same mailbox key and delivers the same frame, which the
 *       client drops by seq. Seqs are never reused and grow, with gaps (PROTOCOL.md);
 *   <li>counter arithmetic (pending, acked cursor, push time) is done once per record:
 *       {@link Counters#nextOffset} tells a replay, which only repeats the idempotent writes (mailbox
 *       put unless acked since, dedup put) and outputs;
 *   <li>the dedup store keeps the seq a (recipient, sender, id) got: the same seq again means a
 *       replay, another one a real duplicate (a client retry, a group fan-out replayed by Flink),
 *       which is dropped. Receipts are de-duplicated the same way by (sender, by, id, status), so
 *       a replayed ack's receipts reach the sender once;
 *   <li>an ack deletes the acked range from the user's first entry, so a replayed ack also deletes
 *       what a lost changelog write left, and emits a delivered receipt for every message it deletes.
 * </ul>
 * So every entry stays in the mailbox until acked or older than the retention; a new session
 * receives the whole mailbox in seq order, then {@link Delivery.Flushed}; delivery to live sessions
 * is at least once (a reconnect flushes again what was not acked). Best effort only: push requests
 * (at most one per quiet period while offline, not repeated by a replay) and the close of a session
 * replaced by the same device. A delivered receipt can be lost if a crash lands after the ack's
 * mailbox deletes reached their changelog but before the receipt reached {@code chat.user-events}
 * (both within one commit interval).
 *
 * <p>Not restored exactly by a replay: the {@code pending} count (a metric, and the number in a push
 * request), when the counters' changelog kept less of the lost commit than the mailbox's (an entry
 * stored or deleted then is counted again or not at all). It is off by at most the entries of that
 * user written within one commit interval before the crash.
 *
 * <p>"Now" is the router's wall clock ({@link ProcessorContext#currentSystemTimeMs()}): heartbeats,
 * push quiet periods, dedup windows and retention are all about elapsed real time.
 *
 * <p>Metrics, group {@code stream-pipechat-router-metrics}, per task: {@code duplicate-dropped},
 * {@code replayed}, {@code push-requested}, {@code invalid-skipped}, {@code mailbox-expired}
 * (entries; each {@code -total} and {@code -rate}). Unreadable records never reach this processor:
 * Kafka Streams skips them ({@code LogAndContinueExceptionHandler}) and counts them in the task's
 * {@code dropped-records}. Per instance: {@link RouterMeters}.
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
    private ProcessorContext<String, Object> context;
    private MailboxCensus census;
    private KeyValueStore<String, Presence> presence;
    private KeyValueStore<String, MailboxEntry> mailbox;
    private WindowStore<String, Long> dedup;
    private KeyValueStore<String, EdgeHeartbeat> edges;
    private final List<Sensor> sensors = new ArrayList<>();
    private Sensor duplicates;
    private Sensor replays;
    private Sensor pushes;
    private Sensor invalid;

    public UserEventProcessor(RouterConfig config, RouterMeters meters) {
        this.config = config;
        this.meters = meters;
        this.liveness = new Liveness(config.edgeTimeout());
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        presence = context.getStateStore(RouterTopology.PRESENCE);
        mailbox = context.getStateStore(RouterTopology.MAILBOX);
        dedup = context.getStateStore(RouterTopology.DEDUP);
        edges = context.getStateStore(RouterTopology.EDGES);
        duplicates = sensor("duplicate-dropped");
        replays = sensor("replayed");
        pushes = sensor("push-requested");
        invalid = sensor("invalid-skipped");
        Sensor expired = sensor("mailbox-expired");
        census = new MailboxCensus(context, context.getStateStore(RouterTopology.COUNTERS), meters);
        MailboxRetention retention = new MailboxRetention(config.retention(), mailbox, census, n -> {
            // The sensor's total counts record() calls, so one call per entry.
            for (int i = 0; i < n; i++) {
                expired.record();
            }
            meters.expired.add(n);
        });
        context.schedule(config.retentionInterval(), PunctuationType.WALL_CLOCK_TIME, retention::expire);
    }

    @Override
    public void process(Record<String, UserEvent> record) {
        UserEvent event = record.value();
        String problem = UserEventCheck.problem(record.key(), event);
        if (problem != null) {
            invalid.record();
            meters.invalid.increment();
            LOG.warn("skipping user event {}: {}", where(), problem);
            return;
        }
        long now = context.currentSystemTimeMs();
        switch (event) {
            case UserEvent.Message m -> onMessage(m, offset(), now);
            case UserEvent.Receipt r -> onReceipt(r, offset(), now);
            case UserEvent.Ack a -> onAck(a, offset(), now);
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
        if (census != null) {
            census.close();
        }
    }

    /** The input record's offset in its {@code chat.user-events} partition: where seqs come from. */
    private long offset() {
        return context.recordMetadata()
                .orElseThrow(() -> new IllegalStateException("a user event without record metadata"))
                .offset();
    }

    private void onMessage(UserEvent.Message m, long offset, long now) {
        String user = m.user();
        Counters c = census.get(user);
        long seq = c.seqAt(offset);
        if (!firstOrReplay(user + SEP + m.from() + SEP + m.id(), seq, now)) {
            LOG.debug("dropping duplicate message {} from {} to {}", m.id(), m.from(), user);
            return;
        }
        store(user, c, offset, new ServerFrame.Msg(seq, m.id(), m.from(), m.to(), m.ts(), m.body(), m.media(), m.system()), now);
        meters.messagesStored.increment();
    }

    /**
     * Receipts are stored and delivered like messages (PROTOCOL.md), so they survive the sender being
     * offline; one per (message, by, status), however often its ack is replayed.
     */
    private void onReceipt(UserEvent.Receipt r, long offset, long now) {
        String user = r.user();
        Counters c = census.get(user);
        long seq = c.seqAt(offset);
        if (!firstOrReplay(user + SEP + r.by() + SEP + r.id() + SEP + r.status(), seq, now)) {
            LOG.debug("dropping duplicate {} receipt of {} by {} for {}", r.status(), r.id(), r.by(), user);
            return;
        }
        store(user, c, offset, new ServerFrame.Receipt(seq, r.id(), r.by(), r.status(), r.ts(), r.group()), now);
        meters.receiptsStored.increment();
    }

    /**
     * Whether the entry that would get {@code seq} is to be stored: no other seq was stored under
     * {@code dedupKey} within the dedup window. Remembers {@code seq} under that key if so.
     */
    private boolean firstOrReplay(String dedupKey, long seq, long now) {
        try (WindowStoreIterator<Long> seen =
                     dedup.fetch(dedupKey, Math.max(0, now - config.dedupWindow().toMillis()), now)) {
            while (seen.hasNext()) {
                if (seen.next().value != seq) {
                    duplicates.record();
                    meters.duplicates.increment();
                    return false;
                }
            }
        }
        dedup.put(dedupKey, seq, now);
        return true;
    }

    /**
     * Stores {@code frame} under its seq, then delivers it to the live edges or asks for a push. For
     * a replay: the same, except that nothing is counted again, no push is asked for, and an entry
     * acked since is neither stored nor delivered again.
     */
    private void store(String user, Counters c, long offset, ServerFrame frame, long now) {
        long seq = c.seqAt(offset);
        boolean replay = c.applied(offset);
        if (replay) {
            replays.record();
            if (seq <= c.ackedUpto()) {
                return;
            }
        }
        mailbox.put(MailboxKeys.key(user, seq), new MailboxEntry(frame, now));
        Counters after = replay ? c : c.stored(offset);
        List<Session> live = liveSessions(user, now);
        if (!live.isEmpty()) {
            toEdges(user, live, frame, now);
        } else if (!replay) {
            after = maybePush(user, after, now);
        }
        if (!replay) {
            census.put(user, c, after);
        }
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

    /**
     * Deletes the user's entries up to {@code upto} (from the first one, so a replay deletes what a
     * lost changelog write left) and sends a delivered receipt for each message among them.
     */
    private void onAck(UserEvent.Ack a, long offset, long now) {
        String user = a.user();
        Counters c = census.get(user);
        boolean replay = c.applied(offset);
        long upto = Math.min(a.upto(), c.nextSeq() - 1);
        if (!replay && upto <= c.ackedUpto()) {
            return;
        }
        List<String> acked = new ArrayList<>();
        int newlyAcked = 0;     // the others' deletes were counted before, but did not reach the changelog
        String ackedBefore = MailboxKeys.key(user, c.ackedUpto());
        List<ServerFrame.Msg> messages = new ArrayList<>();
        try (KeyValueIterator<String, MailboxEntry> it =
                     mailbox.range(MailboxKeys.key(user, 0), MailboxKeys.key(user, upto))) {
            while (it.hasNext()) {
                KeyValue<String, MailboxEntry> entry = it.next();
                acked.add(entry.key);
                newlyAcked += entry.key.compareTo(ackedBefore) > 0 ? 1 : 0;
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
        if (replay) {
            replays.record();
        } else {
            census.put(user, c, c.acked(offset, newlyAcked, upto));
            meters.acked.add(newlyAcked);
        }
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

        Counters c = census.get(user);
        if (c.lastPush() != Counters.NEVER) {
            census.put(user, c, c.pushReset());
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
