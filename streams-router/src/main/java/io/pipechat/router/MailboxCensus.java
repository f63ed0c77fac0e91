package io.pipechat.router;

import io.pipechat.router.mailbox.Counters;
import java.time.Duration;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps one task's mailbox figures ({@link RouterMeters.TaskMailbox}: entries, users with mail) in
 * step with its counters store. It counts the store once when the task starts, in chunks of
 * {@link RouterMeters#countChunk} users (the first at once, the rest every {@link #COUNT_PERIOD}, so
 * a big task does not wait for the count; the stores are restored by then, since Kafka Streams
 * initialises a task's processors only once they are), and every write to the counters store goes
 * through {@link #put}, which updates the figures.
 */
final class MailboxCensus {
    /** Users counted per step of the initial count (~20-50 ms of the stream thread). */
    public static final int COUNT_CHUNK = 10_000;
    static final Duration COUNT_PERIOD = Duration.ofMillis(100);

    private final KeyValueStore<String, Counters> counters;
    private final RouterMeters meters;
    private final String task;
    private final RouterMeters.TaskMailbox tally;
    private String countedUpTo;
    private Cancellable counting;

    MailboxCensus(ProcessorContext<?, ?> context, KeyValueStore<String, Counters> counters, RouterMeters meters) {
        this.counters = counters;
        this.meters = meters;
        this.task = context.taskId().toString();
        this.tally = meters.register(task);
        countChunk();
        if (!tally.complete()) {
            counting = context.schedule(COUNT_PERIOD, PunctuationType.WALL_CLOCK_TIME, t -> countChunk());
        }
    }

    /** The user's counters, {@link Counters#initial()} if none. */
    Counters get(String user) {
        Counters c = counters.get(user);
        return c == null ? Counters.initial() : c;
    }

    /** Writes {@code after} over {@code before} and counts the change of the user's pending entries. */
    void put(String user, Counters before, Counters after) {
        counters.put(user, after);
        tally.changed(user, before.pending(), after.pending());
    }

    /** The oldest entry's storage time found by a retention pass ({@link RouterMeters.TaskMailbox#NONE} if none). */
    void oldest(long storedAt) {
        tally.oldest(storedAt);
    }

    void close() {
        if (counting != null) {
            counting.cancel();
        }
        meters.unregister(task, tally);
    }

    private void countChunk() {
        long entries = 0;
        long users = 0;
        int seen = 0;
        boolean more;
        // The smallest key after countedUpTo: that key plus the smallest character.
        try (KeyValueIterator<String, Counters> it =
                     countedUpTo == null ? counters.all() : counters.range(countedUpTo + '\u0000', null)) {
            while (seen < meters.countChunk && it.hasNext()) {
                KeyValue<String, Counters> c = it.next();
                entries += c.value.pending();
                users += c.value.pending() > 0 ? 1 : 0;
                countedUpTo = c.key;
                seen++;
            }
            more = it.hasNext();
        }
        tally.counted(countedUpTo, entries, users, !more);
        if (!more && counting != null) {
            counting.cancel();
            counting = null;
        }
    }
}
