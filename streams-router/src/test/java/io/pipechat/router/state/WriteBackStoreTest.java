package io.pipechat.router.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WriteBackStoreTest {
    /** Every put and delete that reaches the store below, as "put k" / "delete k". */
    private final List<String> writesBelow = new ArrayList<>();
    private KeyValueStore<String, String> below;
    private KeyValueStore<String, String> store;

    @BeforeEach
    void open() {
        open(WriteBackStore.over(recording(belowStore())));
    }

    private KeyValueStore<String, String> belowStore() {
        below = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("s"), Serdes.String(), Serdes.String())
                .withLoggingDisabled().build();
        return below;
    }

    private void open(StoreBuilder<KeyValueStore<String, String>> builder) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "write-back-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1");
        MockProcessorContext<String, String> context = new MockProcessorContext<>(props);
        store = builder.build();
        store.init(context.getStateStoreContext(), store);
    }

    @Test
    void keepsWritesUntilTheCacheIsFlushedAndWritesEachKeyOnce() {
        store.put("a", "1");
        store.put("a", "2");
        assertThat(store.get("a")).isEqualTo("2");
        assertThat(below.get("a")).isNull();

        flush();

        assertThat(below.get("a")).isEqualTo("2");
        assertThat(writesBelow).containsExactly("put a");
    }

    @Test
    void aKeyPutAndDeletedBetweenTwoFlushesNeverReachesTheStoreBelow() {
        store.put("a", "1");
        store.delete("a");
        assertThat(store.get("a")).isNull();

        flush();

        assertThat(writesBelow).isEmpty();
    }

    @Test
    void aDeleteReachesTheStoreBelowWhenItHadTheKey() {
        store.put("a", "1");
        flush();
        store.put("a", "2");
        store.delete("a");
        store.delete("b");
        flush();

        assertThat(below.get("a")).isNull();
        assertThat(writesBelow).containsExactly("put a", "delete a", "delete b");
    }

    @Test
    void aStoreOfWriteOnceKeysChecksTheStoreBelowOnlyWhileRecordsMayBeProcessedAgain() {
        open(WriteBackStore.writeOnceKeys(recording(belowStore()), 0));
        below.put("replayed", "1");
        store.put("replayed", "1");
        store.delete("replayed");
        store.delete("old");
        flush();
        assertThat(writesBelow).as("past the replay window: a key put since the last commit is new")
                .containsExactly("delete old");

        open(WriteBackStore.writeOnceKeys(recording(belowStore()), java.util.concurrent.TimeUnit.MINUTES.toNanos(1)));
        writesBelow.clear();
        below.put("replayed", "1");
        store.put("replayed", "1");
        store.delete("replayed");
        flush();
        assertThat(writesBelow).as("a record processed again after a restart puts a key the store below has")
                .containsExactly("delete replayed");
    }

    @Test
    void rangesMergeThePendingWritesOverTheStoreBelow() {
        store.put("a", "below");
        store.put("c", "below");
        store.put("e", "below");
        flush();
        store.put("b", "new");
        store.delete("c");
        store.put("d", "new");
        store.put("e", "changed");
        store.put("f", "outside");

        assertThat(read(store.range("a", "e"))).containsExactly(
                KeyValue.pair("a", "below"), KeyValue.pair("b", "new"), KeyValue.pair("d", "new"), KeyValue.pair("e", "changed"));
        assertThat(read(store.all())).extracting(kv -> kv.key).containsExactly("a", "b", "d", "e", "f");
        assertThat(read(store.range("e", "a"))).as("an empty range").isEmpty();
    }

    @Test
    void clearingTheCacheDropsThePendingWrites() {
        store.put("a", "1");
        ((WriteBackStore<String>) store).clearCache();
        flush();
        assertThat(store.get("a")).isNull();
        assertThat(writesBelow).isEmpty();
    }

    private void flush() {
        ((WriteBackStore<String>) store).flushCache();
    }

    private static List<KeyValue<String, String>> read(KeyValueIterator<String, String> it) {
        List<KeyValue<String, String>> out = new ArrayList<>();
        try (it) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /** A builder whose store records the writes that reach it. */
    @SuppressWarnings("unchecked")
    private StoreBuilder<KeyValueStore<String, String>> recording(KeyValueStore<String, String> real) {
        KeyValueStore<String, String> spy = (KeyValueStore<String, String>) Proxy.newProxyInstance(
                KeyValueStore.class.getClassLoader(), new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("put") || method.getName().equals("delete")) {
                        writesBelow.add(method.getName() + " " + args[0]);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        StoreBuilder<KeyValueStore<String, String>> builder = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("s"), Serdes.String(), Serdes.String()).withLoggingDisabled();
        return (StoreBuilder<KeyValueStore<String, String>>) Proxy.newProxyInstance(StoreBuilder.class.getClassLoader(),
                new Class<?>[] {StoreBuilder.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "build" -> spy;
                    case "withCachingDisabled", "withLoggingDisabled", "withLoggingEnabled" -> proxy;
                    default -> method.invoke(builder, args);
                });
    }
}
