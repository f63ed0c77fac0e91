package io.pipechat.router;

import org.apache.kafka.streams.state.WindowStore;

/**
 * The message ids each user received: (recipient, sender, client id) -> the seq the message got
 * (negated if it was refused), remembered for at least the dedup window. What makes a client's
 * retry, or a group fan-out written twice, arrive once; and what a {@code read} is checked against.
 *
 * <p>Kept in a window store ({@value RouterTopology#MESSAGE_IDS}) under the start of the window-long
 * bucket in which the id arrived; a lookup reads this bucket and the one before with two point gets
 * (RocksDB bloom filters make a miss cheap), never a range scan. So an id is remembered for between
 * one and two windows; whole segments expire after that.
 */
final class MessageIds {
    private final WindowStore<String, Long> store;
    private final long window;

    MessageIds(WindowStore<String, Long> store, long windowMillis) {
        this.store = store;
        this.window = windowMillis;
    }

    /** Retention the store needs: this bucket and the previous one, whole. */
    static long retentionMillis(long windowMillis) {
        return 2 * windowMillis + 60_000;
    }

    static String key(String recipient, String sender, String id) {
        return recipient + '\u0000' + sender + '\u0000' + id;
    }

    /** The seq recorded for {@code key}, null if none in the last one or two windows. */
    Long seen(String key, long now) {
        long bucket = bucket(now);
        Long seq = store.fetch(key, bucket);
        return seq != null ? seq : store.fetch(key, bucket - window);
    }

    void record(String key, long seq, long now) {
        store.put(key, seq, bucket(now));
    }

    private long bucket(long now) {
        return now - Math.floorMod(now, window);
    }
}
