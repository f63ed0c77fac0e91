package io.pipechat.router;

import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.router.presence.EdgeHeartbeatUpdater;
import io.pipechat.router.presence.HeartbeatSerde;
import io.pipechat.router.state.MailboxEntry;
import io.pipechat.router.state.MailboxEntrySerde;
import io.pipechat.router.state.MailboxKeys;
import io.pipechat.router.state.UserState;
import io.pipechat.router.state.UserStateSerde;
import io.pipechat.router.state.WriteBackStore;
import java.time.Duration;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The router's topology (Processor API): one stateful processor, {@link UserEventProcessor}, fed by
 * {@code chat.user-events} (key = user), with a global store of edge heartbeats fed by
 * {@code chat.edges}, writing to {@code chat.deliveries} (partition = edge), back to
 * {@code chat.user-events} (receipts and refusals, key = the sender) and to {@code chat.push}.
 *
 * <pre>
 *   chat.user-events --> user-events --> router --+--> deliveries   (chat.deliveries, EdgePartitioner)
 *                                          |      +--> user-events  (chat.user-events)
 *   chat.edges ------> edges (global) .....'      +--> push         (chat.push)
 * </pre>
 *
 * <p>Stores. All are persistent RocksDB stores; all but the global one are backed by a compacted
 * changelog topic ({@code <application id>-<store>-changelog}) from which a new instance restores
 * them, and all are partitioned like {@code chat.user-events}, i.e. by user. The users store and
 * the mailbox are {@link WriteBackStore}s: what a task writes between two commits stays in memory
 * until the commit, so a value written many times reaches RocksDB and the changelog once, and a
 * mailbox entry stored and acked within one commit interval reaches neither. The router runs
 * at-least-once: after a crash each changelog may hold a different part of
 * what the records since the last commit wrote; {@link UserEventProcessor} applies those records
 * again so that any such mix ends in the same state.
 * <ul>
 *   <li>{@value #USERS} (key-value): key user id; value {@link UserState} (binary,
 *       {@link UserStateSerde}): the user's devices with their ack cursors, sessions (device, session,
 *       edge, epoch, since, flush progress), counters (highest seq, floor, receipts sent up to,
 *       pending entries, last push, offset after the last record counted) and, while the mailbox is
 *       small, an index of its entries. Never deleted: it is what keeps a user's devices (one small
 *       record per user who ever connected or received anything).
 *   <li>{@value #MAILBOX} (key-value): key {@code user \u0000 seq(19 digits)} ({@link MailboxKeys}),
 *       so one user's entries scan in seq order; value {@link MailboxEntry} (binary,
 *       {@link MailboxEntrySerde}): the stored client frame as it is delivered ({@code msg},
 *       {@code receipt} or device-sync {@code read}), what it is, where it came from, and its storage
 *       time. Deleted when every device has acked it, or by the retention punctuator once older than
 *       the retention.
 *   <li>{@value #MESSAGE_IDS} (window store, see {@link MessageIds}): key {@code recipient \u0000
 *       sender \u0000 client id}, value the seq the message got; whole segments expire after one to
 *       two dedup windows.
 *   <li>{@value #EDGES} (global key-value, no changelog: {@code chat.edges} itself is compacted and is
 *       its source): key edge id (decimal partition index); value the edge's newest
 *       {@link EdgeHeartbeat}. Deleted by a tombstone on {@code chat.edges}.
 * </ul>
 * Earlier routers kept {@code counters}, {@code presence} and {@code dedup} stores; their changelog
 * topics are no longer read (docs/OPERATIONS.md, upgrading).
 */
public final class RouterTopology {
    public static final String USERS = "users";
    public static final String MAILBOX = "mailbox";
    public static final String MESSAGE_IDS = "message-ids";
    public static final String EDGES = "edges";

    static final String SOURCE = "user-events";
    static final String PROCESSOR = "router";
    static final String DELIVERIES_SINK = "deliveries";
    static final String USER_EVENTS_SINK = "user-events-out";
    static final String PUSH_SINK = "push";

    private RouterTopology() {
    }

    /** @param meters where the processors count and report their mailboxes ({@link RouterMeters}) */
    public static Topology build(Topics topics, RouterConfig config, RouterMeters meters) {
        return build(topics, config, meters, new EdgePartitioner());
    }

    /** With another partitioner for {@code chat.deliveries}; for tests that must see its decisions. */
    static Topology build(Topics topics, RouterConfig config, RouterMeters meters,
                          StreamPartitioner<String, Routed> deliveryPartitioner) {
        Topology topology = new Topology();
        topology.addSource(SOURCE, new StringDeserializer(), JsonSerde.deserializer(UserEvent.class),
                topics.userEvents());
        topology.addProcessor(PROCESSOR, () -> new UserEventProcessor(config, meters), SOURCE);
        topology.addStateStore(usersStore(), PROCESSOR);
        topology.addStateStore(mailboxStore(), PROCESSOR);
        topology.addStateStore(messageIdsStore(config.dedupWindow()), PROCESSOR);

        topology.addSink(DELIVERIES_SINK, topics.deliveries(), new StringSerializer(), Routed.SERIALIZER,
                deliveryPartitioner, PROCESSOR);
        topology.addSink(USER_EVENTS_SINK, topics.userEvents(), new StringSerializer(),
                JsonSerde.<UserEvent>serializer(), PROCESSOR);
        topology.addSink(PUSH_SINK, topics.push(), new StringSerializer(), JsonSerde.serializer(), PROCESSOR);

        topology.addGlobalStore(edgesStore(), "edges-source", new StringDeserializer(), new ByteArrayDeserializer(),
                topics.edges(), "edges-updater", () -> new EdgeHeartbeatUpdater(EDGES));
        return topology;
    }

    private static StoreBuilder<KeyValueStore<String, UserState>> usersStore() {
        return WriteBackStore.over(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(USERS), Serdes.String(),
                new UserStateSerde()));
    }

    private static StoreBuilder<KeyValueStore<String, MailboxEntry>> mailboxStore() {
        return WriteBackStore.writeOnceKeys(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MAILBOX), Serdes.String(),
                new MailboxEntrySerde()));
    }

    private static StoreBuilder<WindowStore<String, Long>> messageIdsStore(Duration window) {
        // Window size is irrelevant (entries are read by their bucket start); it must not exceed the
        // retention, which keeps the current bucket and the one before (MessageIds). Not cached: every
        // id is written once, so a cache would only add its cost to each lookup.
        return Stores.windowStoreBuilder(
                Stores.persistentWindowStore(MESSAGE_IDS, Duration.ofMillis(MessageIds.retentionMillis(window.toMillis())),
                        Duration.ofMillis(1), false),
                Serdes.String(), Serdes.Long());
    }

    private static StoreBuilder<KeyValueStore<String, EdgeHeartbeat>> edgesStore() {
        HeartbeatSerde serde = new HeartbeatSerde();
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(EDGES), Serdes.String(), serde)
                .withLoggingDisabled();
    }
}
