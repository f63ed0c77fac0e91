package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import io.pipechat.router.mailbox.Counters;
import io.pipechat.router.mailbox.MailboxEntry;
import io.pipechat.router.presence.Presence;
import java.lang.reflect.Proxy;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * At-least-once replays, on {@link UserEventProcessor} alone ({@link MockProcessorContext}, record
 * offsets set by hand). A clean run processes a partition's records once. A crashed run processes
 * the same records, "crashes" after them, and restarts from the last committed offset on stores
 * that each hold either the state at that commit or everything written since (each store has its
 * own changelog, so after a kill -9 any mix can be restored), then processes the records after the
 * commit again, and the receipts the replay writes after them. Every mix must end in the clean run's
 * mailboxes and counters, deliver only frames the clean run delivered, and give the sender each
 * receipt once.
 */
class UserEventProcessorReplayTest {
    private static final String TOPIC = "chat.user-events";
    private static final long NOW = 1_772_366_400_000L;
    private static final long EPOCH = 7;
    private static final List<String> STORES =
            List.of(RouterTopology.PRESENCE, RouterTopology.MAILBOX, RouterTopology.COUNTERS, RouterTopology.DEDUP);

    private final RouterConfig config = RouterConfig.defaults();

    /** The records of one chat.user-events partition; the router's receipts are appended as it writes them. */
    private final List<KeyValue<String, UserEvent>> log = new ArrayList<>(List.of(
            event(new UserEvent.SessionOpened("bob", "phone", "s1", 0, EPOCH, NOW)),
            event(message("alice", "bob", "m1")),
            event(message("carol", "bob", "m2")),
            event(message("alice", "bob", "m1")),                  // the client's retry: a real duplicate
            event(new UserEvent.Ack("bob", "phone", 3, NOW)),      // seqs 2 and 3: m1 and m2
            event(message("alice", "bob", "m3"))));

    /** Presence, mailbox, counters, dedup: each restored as of the commit (false) or with all writes (true). */
    static Stream<boolean[]> restoredStores() {
        return IntStream.range(0, 16).mapToObj(bits -> new boolean[] {
                (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0});
    }

    @ParameterizedTest
    @MethodSource("restoredStores")
    void shouldEndInTheSameStateWithTheSameSeqsWhateverEachStoreKeptOfTheLostCommit(boolean[] keptAll) {
        Run clean = new Run(new State());
        clean.processAll(0);
        State expected = clean.state;

        // The same, crashing after the records: the last commit was after offset 1.
        int committed = 2;
        log.subList(log.size() - clean.receiptsWritten, log.size()).clear();
        Run first = new Run(new State());
        first.processUpTo(committed);
        State atCommit = first.state.copy();
        first.processAll(committed);
        State mixed = new State();
        for (int i = 0; i < STORES.size(); i++) {
            mixed.copyStore(keptAll[i] ? first.state : atCommit, STORES.get(i));
        }
        Run replay = new Run(mixed);
        replay.processAll(committed);

        assertThat(replay.state.mailbox()).isEqualTo(expected.mailbox());
        assertThat(replay.state.counters()).as("all but the pending count, which a replay does not restore")
                .usingRecursiveComparison().ignoringFieldsMatchingRegexes(".*pending").isEqualTo(expected.counters());
        assertThat(replay.deliveredFrames()).as("the replay delivers what the first run did, under the same seqs")
                .isSubsetOf(clean.deliveredFrames());
        assertThat(receiptsIn(replay.state.mailbox(), "alice")).as("alice gets each receipt once")
                .extracting(ServerFrame.Receipt::id).containsExactly("m1");
        assertThat(receiptsIn(replay.state.mailbox(), "carol")).extracting(ServerFrame.Receipt::id)
                .containsExactly("m2");
    }

    @ParameterizedTest
    @MethodSource("restoredStores")
    void shouldGiveAMigratedUserSeqsAboveItsOldCounterAlsoOnReplay(boolean[] keptAll) {
        State old = new State();
        // A counter from before seqs came from offsets: well ahead of this partition's offsets.
        old.seed("bob", new Counters(1_000, 999, Counters.NEVER, 0, 0, 0));
        Run first = new Run(old);
        first.processUpTo(2);
        State atCommit = first.state.copy();
        first.processAll(2);
        long m1 = seqOf(first.state, "bob", "m1");
        assertThat(m1).isEqualTo(1_000);
        assertThat(seqOf(first.state, "bob", "m3")).isGreaterThan(m1);

        State mixed = new State();
        for (int i = 0; i < STORES.size(); i++) {
            mixed.copyStore(keptAll[i] ? first.state : atCommit, STORES.get(i));
        }
        Run replay = new Run(mixed);
        replay.processAll(2);
        assertThat(replay.state.mailbox()).isEqualTo(first.state.mailbox());
        assertThat(replay.state.counters().get("bob")).usingRecursiveComparison().ignoringFields("pending")
                .isEqualTo(first.state.counters().get("bob"));
    }

    private static long seqOf(State state, String user, String id) {
        return state.mailbox().values().stream().map(MailboxEntry::frame)
                .filter(f -> f instanceof ServerFrame.Msg m && m.id().equals(id)).mapToLong(f -> ((ServerFrame.Msg) f).seq())
                .findFirst().orElseThrow();
    }

    private static List<ServerFrame.Receipt> receiptsIn(Map<String, MailboxEntry> mailbox, String user) {
        return mailbox.entrySet().stream().filter(e -> e.getKey().startsWith(user + '\u0000'))
                .map(e -> e.getValue().frame()).filter(f -> f instanceof ServerFrame.Receipt)
                .map(f -> (ServerFrame.Receipt) f).toList();
    }

    private static UserEvent.Message message(String from, String to, String id) {
        return new UserEvent.Message(to, from, id, Address.user(to), NOW, "body of " + id, null);
    }

    private static KeyValue<String, UserEvent> event(UserEvent e) {
        return KeyValue.pair(e.user(), e);
    }

    /** One incarnation of the processor on {@code state}; what it writes to chat.user-events is appended to the log. */
    private final class Run {
        final State state;
        final MockProcessorContext<String, Object> context;
        final UserEventProcessor processor = new UserEventProcessor(config, new RouterMeters());
        final List<Delivery> deliveries = new ArrayList<>();
        int receiptsWritten;

        Run(State state) {
            this.state = state;
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "replay-test");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1");
            context = new MockProcessorContext<>(props);
            context.setCurrentSystemTimeMs(NOW);
            state.register(context);
            processor.init(context);
        }

        void processUpTo(int endOffset) {
            for (int offset = 0; offset < endOffset; offset++) {
                process(offset);
            }
        }

        /** From {@code offset} to the end of the log, including what this run appends to it. */
        void processAll(int offset) {
            for (; offset < log.size(); offset++) {
                process(offset);
            }
        }

        private void process(int offset) {
            context.setRecordMetadata(TOPIC, 0, offset);
            context.resetForwards();
            KeyValue<String, UserEvent> kv = log.get(offset);
            processor.process(new Record<>(kv.key, kv.value, NOW));
            for (MockProcessorContext.CapturedForward<? extends String, ?> f : context.forwarded()) {
                String sink = f.childName().orElseThrow();
                if (sink.equals(RouterTopology.RECEIPTS_SINK)) {
                    log.add(KeyValue.pair(f.record().key(), (UserEvent) f.record().value()));
                    receiptsWritten++;
                } else if (sink.equals(RouterTopology.DELIVERIES_SINK)) {
                    deliveries.add(((Routed) f.record().value()).delivery());
                }
            }
        }

        List<ServerFrame> deliveredFrames() {
            return deliveries.stream().filter(d -> d instanceof Delivery.Frame)
                    .map(d -> ((Delivery.Frame) d).frame()).toList();
        }
    }

    /** The processor's stores, in memory, and copies of them. */
    private static final class State {
        final KeyValueStore<String, Presence> presence = kv(RouterTopology.PRESENCE, Presence.class);
        final KeyValueStore<String, MailboxEntry> mailbox = kv(RouterTopology.MAILBOX, MailboxEntry.class);
        final KeyValueStore<String, Counters> counters = kv(RouterTopology.COUNTERS, Counters.class);
        final KeyValueStore<String, EdgeHeartbeat> edges = kv(RouterTopology.EDGES, EdgeHeartbeat.class);
        /** Dedup entries: (key, window start) -> seq. Kafka's window stores need a real task context. */
        final TreeMap<KeyValue<String, Long>, Long> dedupEntries =
                new TreeMap<>(Comparator.comparing((KeyValue<String, Long> k) -> k.key).thenComparing(k -> k.value));
        final WindowStore<String, Long> dedup = windowStore(RouterTopology.DEDUP, dedupEntries);
        /** What the key-value stores are to hold when opened, by store name. */
        private final Map<String, Map<String, Object>> seeds = new HashMap<>();
        private boolean open;

        private static <V> KeyValueStore<String, V> kv(String name, Class<V> type) {
            return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), JsonSerde.of(type))
                    .withLoggingDisabled().build();
        }

        void register(MockProcessorContext<String, Object> context) {
            for (var store : List.of(presence, mailbox, counters, edges)) {
                store.init(context.getStateStoreContext(), store);
                context.addStateStore(store);
            }
            context.addStateStore(dedup);
            edges.put(EdgeHeartbeat.key(0), new EdgeHeartbeat(0, EPOCH, NOW, true));
            seeds.forEach((name, entries) -> entries.forEach((k, v) -> store(name).put(k, v)));
            seeds.clear();
            open = true;
        }

        @SuppressWarnings("unchecked")
        private KeyValueStore<String, Object> store(String name) {
            return (KeyValueStore<String, Object>) (KeyValueStore<String, ?>) switch (name) {
                case RouterTopology.PRESENCE -> presence;
                case RouterTopology.MAILBOX -> mailbox;
                case RouterTopology.COUNTERS -> counters;
                default -> throw new IllegalArgumentException(name);
            };
        }

        State copy() {
            State c = new State();
            STORES.forEach(name -> c.copyStore(this, name));
            return c;
        }

        /** Takes {@code from}'s present contents of store {@code name}, written once this state's stores are open. */
        void copyStore(State from, String name) {
            if (name.equals(RouterTopology.DEDUP)) {
                dedupEntries.putAll(from.dedupEntries);
            } else {
                seeds.put(name, from.open ? contents(from.store(name)) : new TreeMap<>(from.seeds.getOrDefault(name, Map.of())));
            }
        }

        void seed(String user, Counters c) {
            seeds.computeIfAbsent(RouterTopology.COUNTERS, n -> new TreeMap<>()).put(user, c);
        }

        /** The two calls the processor makes: {@code put(key, seq, time)} and {@code fetch(key, from, to)}. */
        @SuppressWarnings("unchecked")
        private static WindowStore<String, Long> windowStore(String name, TreeMap<KeyValue<String, Long>, Long> entries) {
            return (WindowStore<String, Long>) Proxy.newProxyInstance(WindowStore.class.getClassLoader(),
                    new Class<?>[] {WindowStore.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "name" -> name;
                        case "put" -> {
                            entries.put(KeyValue.pair((String) args[0], (Long) args[2]), (Long) args[1]);
                            yield null;
                        }
                        case "fetch" -> {
                            String key = (String) args[0];
                            Iterator<Long> seqs = entries.subMap(KeyValue.pair(key, (Long) args[1]), true,
                                    KeyValue.pair(key, (Long) args[2]), true).values().iterator();
                            yield iterator(seqs);
                        }
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        private static WindowStoreIterator<Long> iterator(Iterator<Long> seqs) {
            return new WindowStoreIterator<>() {
                @Override
                public void close() {
                }

                @Override
                public Long peekNextKey() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public boolean hasNext() {
                    return seqs.hasNext();
                }

                @Override
                public KeyValue<Long, Long> next() {
                    return KeyValue.pair(0L, seqs.next());
                }
            };
        }

        Map<String, MailboxEntry> mailbox() {
            return contents(mailbox);
        }

        Map<String, Counters> counters() {
            return contents(counters);
        }

        private static <V> Map<String, V> contents(KeyValueStore<String, V> store) {
            Map<String, V> m = new TreeMap<>();
            try (KeyValueIterator<String, V> it = store.all()) {
                it.forEachRemaining(kv -> m.put(kv.key, kv.value));
            }
            return m;
        }
    }
}
