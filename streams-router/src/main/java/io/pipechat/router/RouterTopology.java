package io.pipechat.router;

import io.pipechat.protocol.Json;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.router.mailbox.Counters;
import io.pipechat.router.mailbox.MailboxEntry;
import io.pipechat.router.presence.EdgeHeartbeatUpdater;
import io.pipechat.router.presence.Presence;
import java.io.IOException;
import java.time.Duration;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
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
 * {@code chat.user-events} (delivered receipts, key = the sender) and to {@code chat.push}.
 *
 * <pre>
 *   chat.user-events --> user-events --> router --+--> deliveries   (chat.deliveries, EdgePartitioner)
 *                                          |      +--> receipts     (chat.user-events)
 *   chat.edges ------> edges (global) .....'      +--> push         (chat.push)
 * </pre>
 *
 * <p>Stores. All are persistent RocksDB stores; all but the global one are backed by a compacted
 * changelog topic ({@code <application id>-<store>-changelog}) from which a new instance restores
 * them, and all are partitioned like {@code chat.user-events}, i.e. by user. The router runs
 * at-least-once: after a crash each changelog may hold a different part of what the records since
 * the last commit wrote; {@link UserEventProcessor} applies those records again so that any such
 * mix ends in the same state.
 * <ul>
 *   <li>{@value #PRESENCE} (key-value): key user id; value {@link Presence}, the user's sessions
 *       (device, session, edge, epoch, since). A session is removed when it closes, when the same
 *       device opens another one, or when it is found stale (its edge's heartbeat is old or from a
 *       newer epoch) while handling any event of that user; the entry is deleted with its last session.
 *   <li>{@value #MAILBOX} (key-value): key {@code user \u0000 seq(19 digits)}
 *       ({@link io.pipechat.router.mailbox.MailboxKeys}), so one user's entries scan in seq order;
 *       value {@link MailboxEntry}: the stored {@code msg} or {@code receipt} frame and its storage
 *       time. Deleted when the user acks its seq, or by the retention punctuator once older than
 *       the retention.
 *   <li>{@value #COUNTERS} (key-value): key user id; value {@link Counters}: highest seq stored,
 *       acked cursor, last push time, pending count, and the offset after the last message, receipt
 *       or ack applied (what tells a replay after a crash from a new record). Never deleted: it is
 *       what keeps seqs growing for a user (one small record per user who ever received anything).
 *   <li>{@value #DEDUP} (window store, retention = dedup window): key {@code recipient \u0000 sender
 *       \u0000 client id} for a message, {@code sender \u0000 by \u0000 id \u0000 status} for a
 *       receipt, stored at the router wall-clock time of acceptance; value the seq it got (the same
 *       seq again is a replay of that record, another seq a duplicate). Whole segments expire with
 *       the retention.
 *   <li>{@value #EDGES} (global key-value, no changelog: {@code chat.edges} itself is compacted and is
 *       its source): key edge id (decimal partition index); value the edge's newest
 *       {@link EdgeHeartbeat}. Deleted by a tombstone on {@code chat.edges}.
 * </ul>
 */
public final class RouterTopology {
    public static final String PRESENCE = "presence";
    public static final String MAILBOX = "mailbox";
    public static final String COUNTERS = "counters";
    public static final String DEDUP = "dedup";
    public static final String EDGES = "edges";

    static final String SOURCE = "user-events";
    static final String PROCESSOR = "router";
    static final String DELIVERIES_SINK = "deliveries";
    static final String RECEIPTS_SINK = "receipts";
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
        topology.addStateStore(presenceStore(), PROCESSOR);
        topology.addStateStore(mailboxStore(), PROCESSOR);
        topology.addStateStore(countersStore(), PROCESSOR);
        topology.addStateStore(dedupStore(config.dedupWindow()), PROCESSOR);

        topology.addSink(DELIVERIES_SINK, topics.deliveries(), new StringSerializer(), Routed.SERIALIZER,
                deliveryPartitioner, PROCESSOR);
        topology.addSink(RECEIPTS_SINK, topics.userEvents(), new StringSerializer(),
                JsonSerde.<UserEvent>serializer(), PROCESSOR);
        topology.addSink(PUSH_SINK, topics.push(), new StringSerializer(), JsonSerde.serializer(), PROCESSOR);

        topology.addGlobalStore(edgesStore(), "edges-source", new StringDeserializer(), new ByteArrayDeserializer(),
                topics.edges(), "edges-updater", () -> new EdgeHeartbeatUpdater(EDGES));
        return topology;
    }

    private static StoreBuilder<KeyValueStore<String, Presence>> presenceStore() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PRESENCE), Serdes.String(),
                JsonSerde.of(Presence.class));
    }

    private static StoreBuilder<KeyValueStore<String, MailboxEntry>> mailboxStore() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MAILBOX), Serdes.String(),
                JsonSerde.of(MailboxEntry.class));
    }

    private static StoreBuilder<KeyValueStore<String, Counters>> countersStore() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(COUNTERS), Serdes.String(),
                JsonSerde.of(Counters.class));
    }

    private static StoreBuilder<WindowStore<String, Long>> dedupStore(Duration window) {
        // Window size is irrelevant (entries are looked up by their start time); it must not exceed
        // the retention, which is what bounds how long an id is remembered.
        return Stores.windowStoreBuilder(
                Stores.persistentWindowStore(DEDUP, window, Duration.ofMillis(1), false),
                Serdes.String(), Serdes.Long());
    }

    private static StoreBuilder<KeyValueStore<String, EdgeHeartbeat>> edgesStore() {
        // Kafka Streams 4.2 restores this store through EdgeHeartbeatUpdater, which skips unreadable
        // records; should restoration ever copy chat.edges bytes as they are (older versions did), a
        // value that never was a heartbeat reads as "no heartbeat known" instead of failing.
        Deserializer<EdgeHeartbeat> lenient = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return Json.MAPPER.readValue(bytes, EdgeHeartbeat.class);
            } catch (IOException e) {
                return null;
            }
        };
        Serde<EdgeHeartbeat> serde = Serdes.serdeFrom(JsonSerde.serializer(), lenient);
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(EDGES), Serdes.String(), serde)
                .withLoggingDisabled();
    }
}
