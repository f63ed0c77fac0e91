package io.pipechat.router.state;

import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A key-value store that keeps what was written since the last commit in memory, as objects, and
 * writes it to the store below (metered, changelogged RocksDB, no Kafka Streams cache) when Kafka
 * Streams flushes store caches before a commit ({@link CachedStateStore#flushCache}: before the
 * producer flush and the offset commit, so nothing committed is missing from the stores).
 *
 * <p>Why not Kafka Streams' own record cache: it keeps serialized values in a {@code TreeMap} of
 * byte arrays per store, and every read or write of the router (several per event) paid a
 * serialization and a tree walk of byte comparisons over all cached keys: a quarter of the router
 * threads' time under load (BENCHMARKS.md). Here a value written many times between commits is
 * serialized and written once, reads of it are a hash lookup, and a key written and deleted
 * between two commits (a mailbox entry acked within the commit interval) reaches neither RocksDB
 * nor the changelog, unless the store below already had it.
 *
 * <p>For a store whose keys are each written once (the mailbox: a key is a user and a seq from an
 * input offset), a key put and deleted between two commits cannot be in the store below once the
 * records processed again after a restart are behind: {@link #writeOnceKeys} stores skip the check
 * of the store below for such keys after {@link #REPLAY_WINDOW} from the store's start (a replay
 * covers at most one commit interval of processing).
 *
 * <p>Reads of keys not written since the commit go to the store below. Range reads merge the
 * pending writes in. {@code delete} returns the old value only if it was written since the last
 * commit (the router does not use it). A value read from here may be the object that was put: a
 * caller that changes it must put it again (the router always does).
 */
public final class WriteBackStore<V> implements KeyValueStore<String, V>, CachedStateStore<Object, Object> {
    private static final Object DELETED = new Object();
    static final long REPLAY_WINDOW = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

    private final KeyValueStore<String, V> below;
    private final boolean writeOnceKeys;
    private final long replayWindow;
    private long checkBelowUntil = Long.MAX_VALUE;
    private final NavigableMap<String, Object> pending = new TreeMap<>();
    /** Keys put since the last flush: a delete of one of them may not have to reach the store below. */
    private final Set<String> putSinceFlush = new HashSet<>();

    private WriteBackStore(KeyValueStore<String, V> below, boolean writeOnceKeys, long replayWindow) {
        this.below = below;
        this.writeOnceKeys = writeOnceKeys;
        this.replayWindow = replayWindow;
    }

    /** A builder of this store over {@code below} (built with logging, and without caching). */
    public static <V> StoreBuilder<KeyValueStore<String, V>> over(StoreBuilder<KeyValueStore<String, V>> below) {
        return new Builder<>(below.withCachingDisabled(), false, REPLAY_WINDOW);
    }

    /** The same, for a store whose keys are each written once (see the class comment). */
    public static <V> StoreBuilder<KeyValueStore<String, V>> writeOnceKeys(StoreBuilder<KeyValueStore<String, V>> below) {
        return writeOnceKeys(below, REPLAY_WINDOW);
    }

    static <V> StoreBuilder<KeyValueStore<String, V>> writeOnceKeys(StoreBuilder<KeyValueStore<String, V>> below,
                                                                      long replayWindowNanos) {
        return new Builder<>(below.withCachingDisabled(), true, replayWindowNanos);
    }

    @Override
    public V get(String key) {
        Object p = pending.get(key);
        if (p != null) {
            return p == DELETED ? null : cast(p);
        }
        return below.get(key);
    }

    @Override
    public void put(String key, V value) {
        if (value == null) {
            delete(key);
            return;
        }
        pending.put(key, value);
        putSinceFlush.add(key);
    }

    @Override
    public V putIfAbsent(String key, V value) {
        V old = get(key);
        if (old == null) {
            put(key, value);
        }
        return old;
    }

    @Override
    public void putAll(List<KeyValue<String, V>> entries) {
        entries.forEach(kv -> put(kv.key, kv.value));
    }

    @Override
    public V delete(String key) {
        Object old = pending.put(key, DELETED);
        return old == null || old == DELETED ? null : cast(old);
    }

    /** Writes the pending writes to the store below; called by Kafka Streams before each commit. */
    @Override
    public void flushCache() {
        boolean checkBelow = !writeOnceKeys || System.nanoTime() < checkBelowUntil;
        for (Map.Entry<String, Object> e : pending.entrySet()) {
            if (e.getValue() != DELETED) {
                below.put(e.getKey(), cast(e.getValue()));
            } else if (!putSinceFlush.contains(e.getKey()) || checkBelow && below.get(e.getKey()) != null) {
                below.delete(e.getKey());
            }
        }
        pending.clear();
        putSinceFlush.clear();
    }

    /** Drops the pending writes: Kafka Streams closes the task without committing (they are processed again). */
    @Override
    public void clearCache() {
        pending.clear();
        putSinceFlush.clear();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Object, Object> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public KeyValueIterator<String, V> range(String from, String to) {
        if (from != null && to != null && from.compareTo(to) > 0) {
            return new Merged<>(java.util.Collections.emptyIterator(), null);
        }
        NavigableMap<String, Object> window = from == null && to == null ? pending
                : from == null ? pending.headMap(to, true)
                : to == null ? pending.tailMap(from, true)
                : pending.subMap(from, true, to, true);
        return new Merged<>(window.entrySet().iterator(), below.range(from, to));
    }

    @Override
    public KeyValueIterator<String, V> all() {
        return range(null, null);
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<String, V> prefixScan(P prefix, PS serializer) {
        flushCache();
        return below.prefixScan(prefix, serializer);
    }

    @Override
    public KeyValueIterator<String, V> reverseRange(String from, String to) {
        flushCache();
        return below.reverseRange(from, to);
    }

    @Override
    public KeyValueIterator<String, V> reverseAll() {
        flushCache();
        return below.reverseAll();
    }

    @Override
    public long approximateNumEntries() {
        return below.approximateNumEntries();
    }

    @Override
    public String name() {
        return below.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        below.init(context, root);
        checkBelowUntil = System.nanoTime() + replayWindow;
    }

    @Override
    public void flush() {
        flushCache();
        below.flush();
    }

    @Override
    public void close() {
        clearCache();
        below.close();
    }

    @Override
    public boolean persistent() {
        return below.persistent();
    }

    @Override
    public boolean isOpen() {
        return below.isOpen();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
        flushCache();
        return below.query(query, bound, config);
    }

    @Override
    public Position getPosition() {
        return below.getPosition();
    }

    @SuppressWarnings("unchecked")
    private static <V> V cast(Object value) {
        return (V) value;
    }

    /** The pending writes of a key range over the store below's range, in key order; pending ones win. */
    private static final class Merged<V> implements KeyValueIterator<String, V> {
        private final Iterator<Map.Entry<String, Object>> pending;
        private final KeyValueIterator<String, V> below;
        private Map.Entry<String, Object> nextPending;
        private KeyValue<String, V> next;

        /** @param below the store below's range, or null for none */
        Merged(Iterator<Map.Entry<String, Object>> pending, KeyValueIterator<String, V> below) {
            this.pending = pending;
            this.below = below;
            this.nextPending = pending.hasNext() ? pending.next() : null;
            advance();
        }

        private void advance() {
            next = null;
            while (next == null && (nextPending != null || belowHasNext())) {
                String belowKey = belowHasNext() ? below.peekNextKey() : null;
                int order = nextPending == null ? 1 : belowKey == null ? -1 : nextPending.getKey().compareTo(belowKey);
                if (order <= 0) {
                    if (order == 0) {
                        below.next(); // overridden by the pending write
                    }
                    Map.Entry<String, Object> p = nextPending;
                    nextPending = pending.hasNext() ? pending.next() : null;
                    if (p.getValue() != DELETED) {
                        next = KeyValue.pair(p.getKey(), cast(p.getValue()));
                    }
                } else {
                    next = below.next();
                }
            }
        }

        private boolean belowHasNext() {
            return below != null && below.hasNext();
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public KeyValue<String, V> next() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            KeyValue<String, V> current = next;
            advance();
            return current;
        }

        @Override
        public String peekNextKey() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            return next.key;
        }

        @Override
        public void close() {
            if (below != null) {
                below.close();
            }
        }
    }

    private static final class Builder<V> implements StoreBuilder<KeyValueStore<String, V>> {
        private StoreBuilder<KeyValueStore<String, V>> below;
        private final boolean writeOnceKeys;
        private final long replayWindow;

        Builder(StoreBuilder<KeyValueStore<String, V>> below, boolean writeOnceKeys, long replayWindow) {
            this.below = below;
            this.writeOnceKeys = writeOnceKeys;
            this.replayWindow = replayWindow;
        }

        @Override
        public StoreBuilder<KeyValueStore<String, V>> withCachingEnabled() {
            throw new UnsupportedOperationException("a write-back store is its own cache");
        }

        @Override
        public StoreBuilder<KeyValueStore<String, V>> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<KeyValueStore<String, V>> withLoggingEnabled(Map<String, String> config) {
            below = below.withLoggingEnabled(config);
            return this;
        }

        @Override
        public StoreBuilder<KeyValueStore<String, V>> withLoggingDisabled() {
            below = below.withLoggingDisabled();
            return this;
        }

        @Override
        public KeyValueStore<String, V> build() {
            return new WriteBackStore<>(below.build(), writeOnceKeys, replayWindow);
        }

        @Override
        public Map<String, String> logConfig() {
            return below.logConfig();
        }

        @Override
        public boolean loggingEnabled() {
            return below.loggingEnabled();
        }

        @Override
        public String name() {
            return below.name();
        }
    }
}
