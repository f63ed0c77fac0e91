package io.pipechat.router;

import io.pipechat.router.state.UserState;
import java.time.Duration;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps one task's mailbox figures ({@link RouterMeters.TaskMailbox}: entries, users with mail) in
 * step with its users store. It counts the store once when the task starts, in chunks of
 * {@link RouterMeters#countChunk} users (the first at once, the rest every {@link #COUNT_PERIOD}, so
 * a big task does not wait for the count; the stores are restored by then, since Kafka Streams
 * initialises a task's processors only once they are), and every write to the users store goes
 * through {@link #put}, which updates the figures.
 */
final class MailboxCensus {
    /** Users counted per step of the initial count (~20-50 ms of the stream thread). */
    public static final int COUNT_CHUNK = 10_000;
    static final Duration COUNT_PERIOD = Duration.ofMillis(100);

    private final KeyValueStore<String, UserState> users;
    private final RouterMeters meters;
    private final String task;
    private final RouterMeters.TaskMailbox tally;
    private String countedUpTo;
    private Cancellable counting;

    MailboxCensus(ProcessorContext<?, ?> context, KeyValueStore<String, UserState> users, RouterMeters meters) {
        this.users = users;
        this.meters = meters;
        this.task = context.taskId().toString();
        this.tally = meters.register(task);
        countChunk();
        if (!tally.complete()) {
            counting = context.schedule(COUNT_PERIOD, PunctuationType.WALL_CLOCK_TIME, t -> countChunk());
        }
    }

    /** The user's state, {@link UserState#initial()} if none. */
    UserState get(String user) {
        UserState u = users.get(user);
        return u == null ? UserState.initial() : u;
    }

    /** Writes the user's state, which had {@code pendingBefore} entries when it was read. */
    void put(String user, int pendingBefore, UserState after) {
        users.put(user, after);
        tally.changed(user, pendingBefore, after.pending());
    }

    /** The users store from {@code after} (exclusive; null: from the first), for sweeps. */
    KeyValueIterator<String, UserState> from(String after) {
        return after == null ? users.all() : users.range(after + '\u0000', null);
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
        long withMail = 0;
        int seen = 0;
        boolean more;
        try (KeyValueIterator<String, UserState> it = from(countedUpTo)) {
            while (seen < meters.countChunk && it.hasNext()) {
                KeyValue<String, UserState> u = it.next();
                entries += u.value.pending();
                withMail += u.value.pending() > 0 ? 1 : 0;
                countedUpTo = u.key;
                seen++;
            }
            more = it.hasNext();
        }
        tally.counted(countedUpTo, entries, withMail, !more);
        if (!more && counting != null) {
            counting.cancel();
            counting = null;
        }
    }
}
