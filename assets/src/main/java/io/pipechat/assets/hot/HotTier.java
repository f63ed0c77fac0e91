package io.pipechat.assets.hot;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The in-memory cache tier in front of the blob store: the stand-in for pushing popular content
 * to a CDN.
 *
 * <p>State, all in memory and lost on restart:
 * <ul>
 *   <li>request windows: key media id, value (window start, requests in it); an id becomes hot when
 *   it is requested at least {@code hotRequests} times within one {@code window}. When the map
 *   passes {@link #MAX_TRACKED} ids, entries whose window expired are dropped, and if more than half
 *   of the limit is still left the map is cleared (heat is best effort; memory is bounded).</li>
 *   <li>cache: key media id, value the whole blob; least recently used first out once the total
 *   exceeds {@code capacityBytes}. Blobs larger than {@code maxEntryBytes} are never cached.</li>
 * </ul>
 * Only admission needs heat: a cached blob is served from memory until it is evicted, so a
 * steadily popular blob does not flap at window boundaries. Blobs are immutable, so the cache is
 * never stale.
 */
public final class HotTier {
    static final int MAX_TRACKED = 100_000;

    private final int hotRequests;
    private final long windowNanos;
    private final long capacityBytes;
    private final long maxEntryBytes;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
    private final LinkedHashMap<String, byte[]> cache = new LinkedHashMap<>(64, 0.75f, true);
    private long cachedBytes;

    public HotTier(int hotRequests, Duration window, long capacityBytes) {
        this(hotRequests, window, capacityBytes, System::nanoTime);
    }

    HotTier(int hotRequests, Duration window, long capacityBytes, LongSupplier nanoTime) {
        if (hotRequests < 1 || window.isNegative() || window.isZero() || capacityBytes < 0) {
            throw new IllegalArgumentException("hot requests >= 1, window > 0, capacity >= 0");
        }
        this.hotRequests = hotRequests;
        this.windowNanos = window.toNanos();
        this.capacityBytes = capacityBytes;
        this.maxEntryBytes = Math.min(capacityBytes / 4, Integer.MAX_VALUE - 8);
        this.nanoTime = nanoTime;
    }

    private record Window(long start, int requests) {
    }

    /** Counts one request for {@code id}; true if the id is hot (at or above the threshold). */
    public boolean recordRequest(String id) {
        long now = nanoTime.getAsLong();
        Window w = windows.compute(id, (k, old) -> old == null || now - old.start >= windowNanos
                ? new Window(now, 1)
                : new Window(old.start, old.requests + 1));
        if (windows.size() > MAX_TRACKED) {
            purge(now);
        }
        return w.requests >= hotRequests;
    }

    /** Whether a blob of this size may enter the cache at all. */
    public boolean admits(long size) {
        return size <= maxEntryBytes;
    }

    /** The cached bytes of {@code id}, or null. */
    public synchronized byte[] get(String id) {
        return cache.get(id);
    }

    /** Caches a whole blob, evicting least recently used ones to stay within the capacity. */
    public synchronized void put(String id, byte[] blob) {
        if (!admits(blob.length) || cache.containsKey(id)) {
            return;
        }
        cache.put(id, blob);
        cachedBytes += blob.length;
        Iterator<Map.Entry<String, byte[]>> it = cache.entrySet().iterator();
        while (cachedBytes > capacityBytes && it.hasNext()) {
            Map.Entry<String, byte[]> eldest = it.next();
            cachedBytes -= eldest.getValue().length;
            it.remove();
        }
    }

    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    public synchronized int cachedBlobs() {
        return cache.size();
    }

    private synchronized void purge(long now) {
        if (windows.size() <= MAX_TRACKED) {
            return;
        }
        windows.entrySet().removeIf(e -> now - e.getValue().start >= windowNanos);
        if (windows.size() > MAX_TRACKED / 2) {
            windows.clear();
        }
    }

    int trackedIds() {
        return windows.size();
    }
}
