package io.pipechat.router;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.DeviceInfo;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.DeliveryCodec;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.PushRequest;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import io.pipechat.router.presence.Liveness;
import io.pipechat.router.state.Device;
import io.pipechat.router.state.Entry;
import io.pipechat.router.state.EntryKind;
import io.pipechat.router.state.MailboxEntry;
import io.pipechat.router.state.MailboxKeys;
import io.pipechat.router.state.Session;
import io.pipechat.router.state.UserState;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one user's events, in order, to that user's state ({@link UserState}: devices and their ack
 * cursors, sessions, counters, the mailbox index) and mailbox, and emits deliveries, receipts and
 * push requests. Stores: see {@link RouterTopology}. The other jobs of the task are
 * {@link UserEventCheck} (what is skipped), {@link MailboxCensus} (the mailbox figures),
 * {@link MailboxRetention} (expiry) and {@link DeviceRetention} (forgetting unused devices).
 *
 * <p>Devices. A user's devices register with their first session (at most
 * {@link RouterConfig.Limits#maxDevices}; one more gets its session closed with
 * {@value #CLOSE_TOO_MANY_DEVICES}). Each device acks for itself. The first device to ack a message
 * sends its sender the {@code delivered} receipt; the entry is deleted once every device has acked it
 * (except the device it came from: a user's own messages and reads are copied to their other devices,
 * never back to the one that sent them). A new session gets, in seq order, every entry after its
 * device's cursor, in pages of {@link RouterConfig.Limits#flushPageEntries} (the next page once the
 * device has acked half of the last), then a {@link Delivery.Flushed} marker; until that marker the
 * edge gives the session nothing else, so it never sees a newer seq before an older one.
 *
 * <p>Guarantees, under {@code at_least_once} (see {@link Router}): after a crash, the records since
 * the task's last commit are processed again, on stores that may hold any part of their effects
 * (each store has its own changelog, flushed at every commit). So every event is applied so that a
 * second run gives the same result:
 * <ul>
 *   <li>a stored entry's seq is its record's offset + 1 (+ {@link RouterConfig#seqBase}, see
 *       {@link UserState#seqAt}): a replay stores
 *       the same frame under the same mailbox key and delivers the same frame, which the client drops
 *       by seq. Seqs are never reused and grow, with gaps (PROTOCOL.md);
 *   <li>counting (pending entries, index, push time) happens once per record:
 *       {@link UserState#applied} tells a replay, which only repeats the idempotent writes and outputs;
 *   <li>{@link MessageIds} keeps the seq each (recipient, sender, id) got: the same seq again is a
 *       replay, another one a real duplicate (a client retry, a group fan-out written twice), dropped;
 *   <li>a replayed ack deletes from the user's first entry up to the floor, so it also deletes what a
 *       lost mailbox flush left; a flush skips (and deletes) entries at or below the floor.
 * </ul>
 * A receipt repeated by a replay reaches its sender twice, under two seqs; receipts are idempotent
 * (PROTOCOL.md). Best effort only: push requests (at most one per quiet period while offline, not
 * repeated by a replay), closes of replaced sessions, and a receipt whose ack's state reached the
 * changelog while the receipt did not reach {@code chat.user-events} (within one commit interval).
 *
 * <p>"Now" is the router's wall clock ({@link ProcessorContext#currentSystemTimeMs()}): heartbeats,
 * push quiet periods, dedup windows and retention are all about elapsed real time.
 *
 * <p>Metrics, group {@code stream-pipechat-router-metrics}, per task: {@code duplicate-dropped},
 * {@code replayed}, {@code push-requested}, {@code invalid-skipped}, {@code mailbox-expired},
 * {@code read-refused}, {@code mailbox-full} (each {@code -total} and {@code -rate}). Unreadable
 * records never reach this processor: Kafka Streams skips them ({@code LogAndContinueExceptionHandler})
 * and counts them in the task's {@code dropped-records}. Per instance: {@link RouterMeters}.
 */
public final class UserEventProcessor implements Processor<String, UserEvent, String, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(UserEventProcessor.class);

    /** Close code of a session replaced by a newer one of the same device (PROTOCOL.md). */
    public static final int CLOSE_CONNECTED_ELSEWHERE = 4409;
    /** Close code of a session of a device that would be one too many (PROTOCOL.md). */
    public static final int CLOSE_TOO_MANY_DEVICES = 4403;
    /** Close code of the sessions of a device that was removed (PROTOCOL.md). */
    public static final int CLOSE_DEVICE_REMOVED = 4410;
    /** Close code of a session the router stopped counting as live although its edge runs (PROTOCOL.md: 1013). */
    public static final int CLOSE_TRY_AGAIN = 1013;
    public static final String METRICS_SCOPE = "pipechat-router";

    private final RouterConfig config;
    private final RouterConfig.Limits limits;
    private final Liveness liveness;
    private final RouterMeters meters;
    private ProcessorContext<String, Object> context;
    private MailboxCensus census;
    private KeyValueStore<String, MailboxEntry> mailbox;
    private MessageIds messageIds;
    private KeyValueStore<String, EdgeHeartbeat> edges;
    private final List<Sensor> sensors = new ArrayList<>();
    private Sensor duplicates;
    private Sensor replays;
    private Sensor pushes;
    private Sensor invalid;
    private Sensor readsRefused;
    private Sensor mailboxFull;

    public UserEventProcessor(RouterConfig config, RouterMeters meters) {
        this.config = config;
        this.limits = config.limits();
        this.meters = meters;
        this.liveness = new Liveness(config.edgeTimeout());
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        mailbox = context.getStateStore(RouterTopology.MAILBOX);
        messageIds = new MessageIds(context.getStateStore(RouterTopology.MESSAGE_IDS), config.dedupWindow().toMillis());
        edges = context.getStateStore(RouterTopology.EDGES);
        duplicates = sensor("duplicate-dropped");
        replays = sensor("replayed");
        pushes = sensor("push-requested");
        invalid = sensor("invalid-skipped");
        readsRefused = sensor("read-refused");
        mailboxFull = sensor("mailbox-full");
        Sensor expired = sensor("mailbox-expired");
        census = new MailboxCensus(context, context.getStateStore(RouterTopology.USERS), meters);
        MailboxRetention retention = new MailboxRetention(config.retention(), mailbox, census, n -> {
            // The sensor's total counts record() calls, so one call per entry.
            for (int i = 0; i < n; i++) {
                expired.record();
            }
            meters.expired.add(n);
        });
        DeviceRetention devices = new DeviceRetention(config.retention(), census, this::forgotten);
        context.schedule(config.retentionInterval(), PunctuationType.WALL_CLOCK_TIME, now -> {
            retention.expire(now);
            devices.sweep(now);
        });
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
        long offset = offset();
        switch (event) {
            case UserEvent.Message m -> onMessage(m, offset, now);
            case UserEvent.Receipt r -> onReceipt(r, offset, now);
            case UserEvent.Read r -> onRead(r, offset, now);
            case UserEvent.Ack a -> onAck(a, offset, now);
            case UserEvent.SessionOpened o -> onSessionOpened(o, now);
            case UserEvent.SessionClosed c -> onSessionClosed(c, now);
            case UserEvent.DeviceRemoved d -> onDeviceRemoved(d, now);
            case UserEvent.DevicesQuery q -> onDevicesQuery(q, now);
            case UserEvent.Typing t -> toLiveEdges(t.user(), null, frameBytes(new ServerFrame.Typing(t.from(), t.to())), now);
            case UserEvent.Rejected r ->
                    toLiveEdges(r.user(), null, frameBytes(new ServerFrame.Error(r.code(), r.message(), r.id())), now);
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

    private long seqAt(long offset) {
        return UserState.seqAt(offset, config.seqBase());
    }

    /** The input record's offset in its {@code chat.user-events} partition: where seqs come from. */
    private long offset() {
        return context.recordMetadata()
                .orElseThrow(() -> new IllegalStateException("a user event without record metadata"))
                .offset();
    }

    // ---- messages, receipts, reads: what goes into the mailbox

    private void onMessage(UserEvent.Message m, long offset, long now) {
        String user = m.user();
        UserState st = census.get(user);
        int pendingBefore = st.pending();
        boolean own = m.isOwnCopy();
        if (own && !st.hasOtherDevice(m.device())) {
            return; // nobody to copy it to
        }
        long seq = seqAt(offset);
        String idKey = MessageIds.key(user, m.from(), m.id());
        Long seen = messageIds.seen(idKey, now);
        if (seen != null && Math.abs(seen) != seq) {
            duplicates.record();
            meters.duplicates.increment();
            LOG.debug("dropping duplicate message {} from {} to {}", m.id(), m.from(), user);
            return;
        }
        if (seen != null && seen < 0) {
            return; // a replay of a message refused before
        }
        boolean replay = st.applied(offset);
        boolean system = m.system() != null;
        if (!replay && !own && !system && st.pending() >= limits.maxMailboxEntries()) {
            messageIds.record(idKey, -seq, now);
            mailboxFull.record();
            meters.mailboxFull.increment();
            context.forward(new Record<>(m.from(), new UserEvent.Rejected(m.from(), m.id(), ErrorCode.MAILBOX_FULL,
                    "the recipient's mailbox is full", now), now), RouterTopology.USER_EVENTS_SINK);
            st.counted(offset);
            census.put(user, pendingBefore, st);
            return;
        }
        if (seen == null) {
            messageIds.record(idKey, seq, now);
        }
        String group = m.to() instanceof Address.Group g ? g.group() : null;
        byte[] frame = frameBytes(new ServerFrame.Msg(seq, m.id(), m.from(), m.to(), m.ts(), m.body(), m.media(), m.system()));
        // A system message is not the author's message to the member: no receipt when it is acked,
        // and no push; a full mailbox still takes it (it is what the group did).
        MailboxEntry entry = own
                ? new MailboxEntry(EntryKind.OWN_MESSAGE, now, m.device(), null, null, null, frame)
                : system
                ? new MailboxEntry(EntryKind.MESSAGE, now, null, null, null, group, frame)
                : new MailboxEntry(EntryKind.MESSAGE, now, null, m.from(), m.id(), group, frame);
        store(user, st, pendingBefore, offset, seq, entry, !own && !system, now);
        meters.messagesStored.increment();
    }

    /**
     * Receipts are stored and delivered like messages (PROTOCOL.md), so they survive the sender being
     * offline. Not de-duplicated: a replayed ack sends its receipts again, which clients apply once.
     */
    private void onReceipt(UserEvent.Receipt r, long offset, long now) {
        UserState st = census.get(r.user());
        long seq = seqAt(offset);
        byte[] frame = frameBytes(new ServerFrame.Receipt(seq, r.id(), r.by(), r.status(), r.ts(), r.group()));
        store(r.user(), st, st.pending(), offset, seq,
                new MailboxEntry(EntryKind.RECEIPT, now, null, null, null, null, frame), false, now);
        meters.receiptsStored.increment();
    }

    /**
     * A read is believed only for a message the reader received (within the dedup window): then its
     * sender gets a {@code read} receipt, and the reader's other devices a read sync.
     */
    private void onRead(UserEvent.Read r, long offset, long now) {
        String user = r.user();
        Long seen = messageIds.seen(MessageIds.key(user, r.from(), r.id()), now);
        if (seen == null || seen < 0) {
            readsRefused.record();
            meters.readsRefused.increment();
            LOG.debug("{} read {} from {}, which it did not receive (lately)", user, r.id(), r.from());
            return;
        }
        context.forward(new Record<>(r.from(), new UserEvent.Receipt(r.from(), r.id(), user, ReceiptStatus.READ,
                r.group(), now), now), RouterTopology.USER_EVENTS_SINK);
        UserState st = census.get(user);
        if (st.hasOtherDevice(r.device())) {
            long seq = seqAt(offset);
            byte[] frame = frameBytes(new ServerFrame.Read(seq, r.id(), r.from(), r.group(), r.ts()));
            store(user, st, st.pending(), offset, seq,
                    new MailboxEntry(EntryKind.READ, now, r.device(), null, null, null, frame), false, now);
        }
    }

    /**
     * Stores {@code entry} under {@code seq}, then delivers it to the live sessions (but those of the
     * device it came from) or, if {@code push} and nobody is online, asks for a push. For a replay:
     * the same, except that nothing is counted again, no push is asked for, and an entry acked by
     * every device since is neither stored nor delivered again.
     */
    private void store(String user, UserState st, int pendingBefore, long offset, long seq, MailboxEntry entry,
                       boolean push, long now) {
        boolean replay = st.applied(offset);
        if (replay) {
            replays.record();
            if (seq <= st.floor()) {
                return;
            }
        }
        mailbox.put(MailboxKeys.key(user, seq), entry);
        if (!replay) {
            st.stored(entry.indexed(seq));
            st.counted(offset);
        }
        boolean live = toLiveEdges(user, st, entry.origin(), entry.frame(), now);
        if (!live && push && !replay) {
            maybePush(user, st, now);
        }
        census.put(user, pendingBefore, st);
    }

    private void maybePush(String user, UserState st, long now) {
        if (st.lastPush() != UserState.NEVER && now - st.lastPush() < config.pushQuietPeriod().toMillis()) {
            return;
        }
        pushes.record();
        meters.pushRequests.increment();
        context.forward(new Record<>(user, new PushRequest(user, st.pending(), now), now), RouterTopology.PUSH_SINK);
        st.pushed(now);
    }

    // ---- acks: receipts, deletes, flush pages

    /**
     * Advances the device's cursor; sends the {@code delivered} receipts of the messages no device had
     * acked before; deletes what every device has now acked; sends the next flush page if due.
     */
    private void onAck(UserEvent.Ack a, long offset, long now) {
        String user = a.user();
        UserState st = census.get(user);
        int pendingBefore = st.pending();
        boolean replay = st.applied(offset);
        Device device = st.device(a.device());
        boolean registered = false;
        if (device == null) {
            if (st.devices().size() >= limits.maxDevices()) {
                LOG.debug("ignoring ack of unknown device {} of {}", a.device(), user);
                return;
            }
            device = st.register(a.device(), now); // a session the router never saw open (its state was lost)
            registered = true;
        }
        long upto = Math.min(a.upto(), st.lastSeq());
        if (!replay && upto <= device.acked()) {
            if (registered) {
                census.put(user, pendingBefore, st);
            }
            return;
        }
        device.ack(upto, now);
        long receiptsUpto = st.highestAck();
        if (receiptsUpto > st.receiptedUpto()) {
            sendReceipts(user, st, st.receiptedUpto(), receiptsUpto, now);
            st.receipted(receiptsUpto);
        }
        deleteAcked(user, st, replay);
        for (Session s : st.sessions()) {
            if (s.flushing() && s.device().equals(device.name()) && s.nextPageAt() > 0 && device.acked() >= s.nextPageAt()) {
                flushPage(user, st, s, now);
            }
        }
        if (replay) {
            replays.record();
        } else {
            st.counted(offset);
        }
        census.put(user, pendingBefore, st);
    }

    /** A {@code delivered} receipt to the sender of every message with a seq in {@code (after, upto]}. */
    private void sendReceipts(String user, UserState st, long after, long upto, long now) {
        if (st.indexed()) {
            for (Entry e : st.index()) {
                if (e.kind() == EntryKind.MESSAGE && e.from() != null && e.seq() > after && e.seq() <= upto) {
                    receipt(user, e.from(), e.id(), e.group(), now);
                }
            }
            return;
        }
        try (KeyValueIterator<String, MailboxEntry> it =
                     mailbox.range(MailboxKeys.key(user, after + 1), MailboxKeys.key(user, upto))) {
            while (it.hasNext()) {
                MailboxEntry e = it.next().value;
                if (e.kind() == EntryKind.MESSAGE && e.from() != null) {
                    receipt(user, e.from(), e.id(), e.group(), now);
                }
            }
        }
    }

    private void receipt(String user, String from, String id, String group, long now) {
        context.forward(new Record<>(from, new UserEvent.Receipt(from, id, user, ReceiptStatus.DELIVERED, group, now), now),
                RouterTopology.USER_EVENTS_SINK);
    }

    /**
     * Deletes the entries every device has acked. With the index: each entry that is
     * {@link UserState#deletable}. Without it, or when {@code fromStart} (a replay may follow a lost
     * mailbox flush): a scan from the user's first entry up to the floor.
     */
    private void deleteAcked(String user, UserState st, boolean fromStart) {
        st.raiseFloor();
        int deleted = 0;
        if (st.indexed() && !fromStart) {
            for (Entry e : List.copyOf(st.index())) {
                if (st.deletable(e.seq(), e.origin())) {
                    mailbox.delete(MailboxKeys.key(user, e.seq()));
                    st.deleted(e);
                    deleted++;
                }
            }
        } else {
            List<String> doomed = new ArrayList<>();
            try (KeyValueIterator<String, MailboxEntry> it =
                         mailbox.range(MailboxKeys.key(user, 0), MailboxKeys.key(user, st.floor()))) {
                while (it.hasNext()) {
                    doomed.add(it.next().key);
                }
            }
            doomed.forEach(mailbox::delete);
            deleted = doomed.size();
            if (st.indexed()) {
                st.index().removeIf(e -> e.seq() <= st.floor());
            }
            st.deletedScanned(deleted);
        }
        meters.acked.add(deleted);
    }

    // ---- sessions and devices

    private void onSessionOpened(UserEvent.SessionOpened o, long now) {
        String user = o.user();
        UserState st = census.get(user);
        int pendingBefore = st.pending();
        List<Session> sessions = st.sessions();
        for (Session s : List.copyOf(sessions)) {
            if (s.session().equals(o.session())) {
                sessions.remove(s);
            } else if (s.device().equals(o.device())) {
                deliver(user, s.edge(), DeliveryCodec.encode(new Delivery.Close(user, s.session(), CLOSE_CONNECTED_ELSEWHERE,
                        "connected elsewhere")), now);
                sessions.remove(s);
            } else if (!isLive(s, now)) {
                dropStale(user, s, now);
                sessions.remove(s);
            }
        }
        Session opened = new Session(o.device(), o.session(), o.edge(), o.epoch(), now);
        if (!isLive(opened, now)) {
            LOG.warn("ignoring session {} of {}: edge {} epoch {} is down or restarted since", o.session(), user,
                    o.edge(), o.epoch());
            census.put(user, pendingBefore, st);
            return;
        }
        Device device = st.device(o.device());
        boolean registered = false;
        if (device == null) {
            if (st.devices().size() >= limits.maxDevices()) {
                deliver(user, o.edge(), DeliveryCodec.encode(new Delivery.Close(user, o.session(), CLOSE_TOO_MANY_DEVICES,
                        "too many devices (" + limits.maxDevices() + "): remove one first")), now);
                census.put(user, pendingBefore, st);
                return;
            }
            device = st.register(o.device(), now);
            registered = true;
        }
        device.seen(now);
        sessions.add(opened);
        st.pushReset();
        if (registered && st.devices().size() > 1) {
            devicesChanged(user, st, now);
        }
        flushPage(user, st, opened, now);
        census.put(user, pendingBefore, st);
    }

    /**
     * Sends the session the next page of its mailbox flush: the entries after what it got so far
     * (and after its device's cursor), but those that came from its own device; and the
     * {@link Delivery.Flushed} marker after the last page. Entries at or below the floor found on
     * the way (left by a lost mailbox flush) are deleted.
     */
    private void flushPage(String user, UserState st, Session s, long now) {
        Device device = st.device(s.device());
        long after = Math.max(s.flushedUpto(), device.acked());
        int pageEntries = limits.flushPageEntries();
        long[] sent = new long[pageEntries];
        int n = 0;
        long bytes = 0;
        long last = after;
        boolean more = false;
        List<String> stale = new ArrayList<>();
        try (KeyValueIterator<String, MailboxEntry> it =
                     mailbox.range(MailboxKeys.key(user, after + 1), MailboxKeys.key(user, Long.MAX_VALUE))) {
            while (it.hasNext()) {
                if (n == pageEntries || bytes >= limits.flushPageBytes()) {
                    more = true;
                    break;
                }
                KeyValue<String, MailboxEntry> kv = it.next();
                long seq = MailboxKeys.seq(kv.key);
                if (seq <= st.floor()) {
                    stale.add(kv.key);
                    continue;
                }
                last = seq;
                MailboxEntry e = kv.value;
                if (s.device().equals(e.origin())) {
                    continue;
                }
                deliver(user, s.edge(), DeliveryCodec.frame(user, s.session(), null, e.frame()), now);
                sent[n++] = seq;
                bytes += e.frame().length;
            }
        }
        stale.forEach(mailbox::delete);
        if (!stale.isEmpty()) {
            st.deletedScanned(stale.size());
        }
        if (more) {
            s.paged(last, sent[Math.max(0, n / 2 - 1)]);
        } else {
            s.paged(last, 0);
            s.flushed();
            deliver(user, s.edge(), DeliveryCodec.encode(new Delivery.Flushed(user, s.session(), st.devices().size())), now);
        }
    }

    private void onSessionClosed(UserEvent.SessionClosed closed, long now) {
        UserState st = census.get(closed.user());
        int pendingBefore = st.pending();
        st.sessions().removeIf(s -> s.session().equals(closed.session()) || !isLive(s, now) && dropStale(closed.user(), s, now));
        Device device = st.device(closed.device());
        if (device != null) {
            device.seen(now);
        }
        census.put(closed.user(), pendingBefore, st);
    }

    private void onDeviceRemoved(UserEvent.DeviceRemoved removed, long now) {
        String user = removed.user();
        UserState st = census.get(user);
        Device device = st.device(removed.device());
        if (device == null) {
            return;
        }
        int pendingBefore = st.pending();
        for (Session s : List.copyOf(st.sessions())) {
            if (s.device().equals(device.name())) {
                deliver(user, s.edge(), DeliveryCodec.encode(new Delivery.Close(user, s.session(), CLOSE_DEVICE_REMOVED,
                        "device removed")), now);
                st.sessions().remove(s);
            }
        }
        st.remove(device);
        deleteAcked(user, st, false);
        devicesChanged(user, st, now);
        census.put(user, pendingBefore, st);
    }

    /** Called by {@link DeviceRetention} after it forgot devices of {@code user}. */
    private void forgotten(String user, UserState st, long now) {
        deleteAcked(user, st, !st.indexed());
        devicesChanged(user, st, now);
    }

    private void onDevicesQuery(UserEvent.DevicesQuery q, long now) {
        UserState st = census.get(q.user());
        deliver(q.user(), q.edge(), DeliveryCodec.encode(new Delivery.Devices(q.user(), q.request(), devices(st, now))), now);
    }

    /** Tells every edge with a live session of {@code user} the new list of devices. */
    private void devicesChanged(String user, UserState st, long now) {
        byte[] news = DeliveryCodec.encode(new Delivery.Devices(user, null, devices(st, now)));
        for (int edge : edgesOf(liveSessions(user, st, null, now))) {
            deliver(user, edge, news, now);
        }
    }

    private List<DeviceInfo> devices(UserState st, long now) {
        List<DeviceInfo> list = new ArrayList<>();
        for (Device d : st.devices()) {
            boolean online = st.sessions().stream().anyMatch(s -> s.device().equals(d.name()) && isLive(s, now));
            list.add(new DeviceInfo(d.name(), d.lastSeen(), online));
        }
        return list;
    }

    // ---- delivery

    /** Ephemeral frames: to every edge with a live session of {@code user}, or nowhere. */
    private void toLiveEdges(String user, String except, byte[] frame, long now) {
        UserState st = census.get(user);
        int pendingBefore = st.pending();
        int sessions = st.sessions().size();
        toLiveEdges(user, st, except, frame, now);
        if (st.sessions().size() != sessions) {
            census.put(user, pendingBefore, st);
        }
    }

    /**
     * One delivery of {@code frame} per edge with a live session of {@code user} not of device
     * {@code except}; stale sessions found on the way are dropped from {@code st}. Whether there was any.
     */
    private boolean toLiveEdges(String user, UserState st, String except, byte[] frame, long now) {
        List<Session> live = liveSessions(user, st, except, now);
        if (live.isEmpty()) {
            return false;
        }
        byte[] delivery = DeliveryCodec.frame(user, null, except, frame);
        for (int edge : edgesOf(live)) {
            deliver(user, edge, delivery, now);
        }
        return true;
    }

    /** The user's live sessions, but those of device {@code except}; stale ones are removed from {@code st}. */
    private List<Session> liveSessions(String user, UserState st, String except, long now) {
        List<Session> sessions = st.sessions();
        if (sessions.isEmpty()) {
            return List.of();
        }
        sessions.removeIf(s -> !isLive(s, now) && dropStale(user, s, now));
        if (except == null) {
            return sessions;
        }
        List<Session> others = new ArrayList<>(sessions.size());
        for (Session s : sessions) {
            if (!s.device().equals(except)) {
                others.add(s);
            }
        }
        return others;
    }

    /**
     * A session the router stops counting as live: unless its edge restarted or shut down since (a
     * newer epoch, or a last heartbeat saying down), the edge may still run and hold the connection
     * (its heartbeats only stopped reaching the router for a while, e.g. during a broker fail-over): the
     * edge is told to close it with 1013, so that the client reconnects and gets what was stored
     * meanwhile in a proper flush; otherwise the client would get the next live frame after a gap
     * and ack over it. Always true, for {@code removeIf}.
     */
    private boolean dropStale(String user, Session s, long now) {
        EdgeHeartbeat h = edges.get(EdgeHeartbeat.key(s.edge()));
        if (h == null || h.epoch() == s.epoch() && h.up()) {
            deliver(user, s.edge(), DeliveryCodec.encode(new Delivery.Close(user, s.session(), CLOSE_TRY_AGAIN,
                    "reconnect: the server lost track of this connection")), now);
        }
        return true;
    }

    private boolean isLive(Session s, long now) {
        return liveness.isLive(s, edges.get(EdgeHeartbeat.key(s.edge())), now);
    }

    private static Set<Integer> edgesOf(List<Session> sessions) {
        Set<Integer> edges = new LinkedHashSet<>();
        sessions.forEach(s -> edges.add(s.edge()));
        return edges;
    }

    private void deliver(String user, int edge, byte[] delivery, long now) {
        meters.deliveries.increment();
        context.forward(new Record<>(user, new Routed(edge, delivery), now), RouterTopology.DELIVERIES_SINK);
    }

    private static byte[] frameBytes(ServerFrame frame) {
        return Json.bytes(frame);
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
