package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.DeliveryCodec;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import io.pipechat.router.presence.HeartbeatSerde;
import io.pipechat.router.state.Device;
import io.pipechat.router.state.MailboxEntry;
import io.pipechat.router.state.MailboxEntrySerde;
import io.pipechat.router.state.UserState;
import io.pipechat.router.state.UserStateSerde;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * At-least-once replays, on {@link UserEventProcessor} alone ({@link MockProcessorContext}, record
 * offsets set by hand). A clean run processes a partition's records once. A crashed run processes
 * the same records, "crashes" after them, and restarts from the last committed offset on stores
 * that each hold either the state at that commit or everything written since (each store has its
 * own changelog, so after a kill -9 any mix can be restored), then processes the records after the
 * commit again, and the receipts the replay writes after them. Every mix must end in the clean run's
 * mailbox and device cursors for the recipient, deliver only frames the clean run delivered, and give
 * the senders their receipts (a replayed ack may send one twice: clients apply receipts once).
 */
class UserEventProcessorReplayTest {
    private static final String TOPIC = "chat.user-events";
    private static final long NOW = 1_772_366_400_000L;
    private static final long EPOCH = 7;
    private static final List<String> STORES = List.of(RouterTopology.USERS, RouterTopology.MAILBOX, RouterTopology.MESSAGE_IDS);

    private final RouterConfig config = RouterConfig.defaults();

    /** The records of one chat.user-events partition; the router's receipts are appended as it writes them. */
    private final List<KeyValue<String, UserEvent>> log = new ArrayList<>(List.of(
            event(new UserEvent.SessionOpened("bob", "phone", "s1", 0, EPOCH, NOW)),
            event(new UserEvent.SessionOpened("bob", "laptop", "s2", 0, EPOCH, NOW)),
            event(message("alice", "bob", "m1")),
            event(message("carol", "bob", "m2")),
            event(message("alice", "bob", "m1")),                  // the client's retry: a real duplicate
            event(new UserEvent.Ack("bob", "phone", 4, NOW)),      // seqs 3 and 4: m1 and m2; receipts
            event(message("alice", "bob", "m3")),
            event(new UserEvent.Ack("bob", "laptop", 4, NOW)),     // now m1 and m2 leave the mailbox
            event(new UserEvent.Read("bob", "alice", "m1", null, "laptop", NOW))));

    /** Users, mailbox, message ids: each restored as of the commit (false) or with all writes (true). */
    static Stream<boolean[]> restoredStores() {
        return IntStream.range(0, 8).mapToObj(bits -> new boolean[] {(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0});
    }

    @ParameterizedTest
    @MethodSource("restoredStores")
    void shouldEndInTheSameStateWithTheSameSeqsWhateverEachStoreKeptOfTheLostCommit(boolean[] keptAll) {
        Run clean = new Run(new State());
        clean.processAll(0);
        State expected = clean.state;
        assertThat(expected.mailboxOf("bob")).as("m3, and the read sync for the phone")
                .extracting(f -> f.getClass().getSimpleName()).containsExactly("Msg", "Read");

        // The same, crashing after the records: the last commit was after offset 2.
        int committed = 3;
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

        assertThat(replay.state.mailboxOf("bob")).isEqualTo(expected.mailboxOf("bob"));
        UserState bob = replay.state.user("bob");
        UserState cleanBob = expected.user("bob");
        assertThat(bob.devices()).extracting(Device::name, Device::acked)
                .isEqualTo(cleanBob.devices().stream().map(d -> org.assertj.core.groups.Tuple.tuple(d.name(), d.acked())).toList());
        assertThat(bob.lastSeq()).isEqualTo(cleanBob.lastSeq());
        assertThat(bob.floor()).isEqualTo(cleanBob.floor());
        assertThat(replay.deliveredFrames()).as("the replay delivers what the first run did, under the same seqs")
                .isSubsetOf(clean.deliveredFrames());
        assertThat(replay.state.receiptsOf("alice")).as("alice hears of m1 delivered and read, maybe twice")
                .extracting(r -> r.id() + " " + r.status().wire()).containsOnly("m1 delivered", "m1 read")
                .contains("m1 delivered", "m1 read");
        assertThat(replay.state.receiptsOf("carol")).extracting(ServerFrame.Receipt::id).containsOnly("m2").isNotEmpty();
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
                if (sink.equals(RouterTopology.USER_EVENTS_SINK)) {
                    log.add(KeyValue.pair(f.record().key(), (UserEvent) f.record().value()));
                    receiptsWritten++;
                } else if (sink.equals(RouterTopology.DELIVERIES_SINK)) {
                    deliveries.add(DeliveryCodec.decode(((Routed) f.record().value()).delivery()));
                }
            }
        }

        List<String> deliveredFrames() {
            return deliveries.stream().filter(d -> d instanceof Delivery.Frame).map(d -> ((Delivery.Frame) d).frame()).toList();
        }
    }

    /** The processor's stores, in memory, and copies of them. */
    private static final class State {
        final KeyValueStore<String, UserState> users = kv(RouterTopology.USERS, new UserStateSerde());
        final KeyValueStore<String, MailboxEntry> mailbox = kv(RouterTopology.MAILBOX, new MailboxEntrySerde());
        final KeyValueStore<String, EdgeHeartbeat> edges = kv(RouterTopology.EDGES, new HeartbeatSerde());
        /** Message ids: (key, window start) -> seq. Kafka's window stores need a real task context. */
        final TreeMap<String, Long> ids = new TreeMap<>();
        final WindowStore<String, Long> messageIds = windowStore(RouterTopology.MESSAGE_IDS, ids);
        /** What the key-value stores are to hold when opened, by store name (as bytes-equal copies). */
        private final Map<String, Map<String, Object>> seeds = new HashMap<>();
        private boolean open;

        private static <V> KeyValueStore<String, V> kv(String name, Serde<V> serde) {
            return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), serde)
                    .withLoggingDisabled().build();
        }

        void register(MockProcessorContext<String, Object> context) {
            for (var store : List.of(users, mailbox, edges)) {
                store.init(context.getStateStoreContext(), store);
                context.addStateStore(store);
            }
            context.addStateStore(messageIds);
            edges.put(EdgeHeartbeat.key(0), new EdgeHeartbeat(0, EPOCH, NOW, true));
            seeds.forEach((name, entries) -> entries.forEach((k, v) -> store(name).put(k, v)));
            seeds.clear();
            open = true;
        }

        @SuppressWarnings("unchecked")
        private KeyValueStore<String, Object> store(String name) {
            return (KeyValueStore<String, Object>) (KeyValueStore<String, ?>) switch (name) {
                case RouterTopology.USERS -> users;
                case RouterTopology.MAILBOX -> mailbox;
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
            if (name.equals(RouterTopology.MESSAGE_IDS)) {
                ids.putAll(from.ids);
            } else {
                seeds.put(name, from.open ? contents(from.store(name)) : new TreeMap<>(from.seeds.getOrDefault(name, Map.of())));
            }
        }

        /** The two calls the processor makes: {@code put(key, seq, bucket)} and {@code fetch(key, bucket)}. */
        @SuppressWarnings("unchecked")
        private static WindowStore<String, Long> windowStore(String name, TreeMap<String, Long> entries) {
            return (WindowStore<String, Long>) Proxy.newProxyInstance(WindowStore.class.getClassLoader(),
                    new Class<?>[] {WindowStore.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "name" -> name;
                        case "put" -> {
                            entries.put(args[0] + "@" + args[2], (Long) args[1]);
                            yield null;
                        }
                        case "fetch" -> {
                            if (args.length != 2) {
                                throw new UnsupportedOperationException("range fetch");
                            }
                            yield entries.get(args[0] + "@" + args[1]);
                        }
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        UserState user(String user) {
            return users.get(user);
        }

        List<ServerFrame> mailboxOf(String user) {
            List<ServerFrame> frames = new ArrayList<>();
            contents(mailbox).forEach((k, v) -> {
                if (k.startsWith(user + '\u0000')) {
                    frames.add(Json.read(v.frame(), ServerFrame.class));
                }
            });
            return frames;
        }

        List<ServerFrame.Receipt> receiptsOf(String user) {
            return mailboxOf(user).stream().filter(f -> f instanceof ServerFrame.Receipt).map(f -> (ServerFrame.Receipt) f).toList();
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
