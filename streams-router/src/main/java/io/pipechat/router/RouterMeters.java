package io.pipechat.router;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * The router's own meters for one router instance, as Prometheus sees them after
 * {@link #bindTo(MeterRegistry)} ({@code /metrics} of {@link RouterObserver}):
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>name</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code pipechat_router_mailbox_entries}</td><td>gauge</td><td>entries (messages and
 *       receipts) stored and not yet acked or expired, in the mailboxes of this instance's active tasks</td></tr>
 *   <tr><td>{@code pipechat_router_mailbox_users}</td><td>gauge</td><td>users with at least one such entry</td></tr>
 *   <tr><td>{@code pipechat_router_mailbox_oldest_age_seconds}</td><td>gauge</td><td>age of the oldest
 *       entry, 0 when the mailboxes are empty; as of the last retention pass (see below)</td></tr>
 *   <tr><td>{@code pipechat_router_messages_stored_total}</td><td>counter</td><td>messages accepted
 *       into a mailbox (each got a seq)</td></tr>
 *   <tr><td>{@code pipechat_router_receipts_stored_total}</td><td>counter</td><td>receipts stored for their sender</td></tr>
 *   <tr><td>{@code pipechat_router_deliveries_total}</td><td>counter</td><td>records sent to
 *       {@code chat.deliveries}: frames to live sessions, mailbox flushes, session closes (those for
 *       an edge without a partition are then dropped by {@link EdgePartitioner})</td></tr>
 *   <tr><td>{@code pipechat_router_push_requests_total}</td><td>counter</td><td>push requests emitted</td></tr>
 *   <tr><td>{@code pipechat_router_mailbox_acked_total}</td><td>counter</td><td>entries deleted by an ack</td></tr>
 *   <tr><td>{@code pipechat_router_mailbox_expired_total}</td><td>counter</td><td>entries deleted by retention</td></tr>
 *   <tr><td>{@code pipechat_router_duplicates_dropped_total}</td><td>counter</td><td>messages dropped as duplicates</td></tr>
 *   <tr><td>{@code pipechat_router_reads_refused_total}</td><td>counter</td><td>{@code read}s of a message
 *       the reader did not receive (within the dedup window): no receipt sent</td></tr>
 *   <tr><td>{@code pipechat_router_mailbox_full_total}</td><td>counter</td><td>messages refused because
 *       the recipient's mailbox was full (the sender got {@code mailbox_full})</td></tr>
 *   <tr><td>{@code pipechat_router_invalid_skipped_total}</td><td>counter</td><td>readable events that
 *       made no sense (wrong key, missing fields) and were skipped</td></tr>
 * </table>
 *
 * <p>How the mailbox gauges are kept, and what they cost. Each active task's
 * {@link UserEventProcessor} holds a {@link TaskMailbox}: exact counts, updated in memory with every
 * change to its counters store (whose {@code pending} field is the user's entry count) and
 * re-derived from the restored stores whenever the task is (re)initialised, i.e. after every
 * assignment and after every aborted transaction: one pass over the counters store (one record per
 * user who ever received anything; ~2-5 us per user measured), taken in chunks of
 * {@value MailboxCensus#COUNT_CHUNK} users every 100 ms so that a big task starts processing at
 * once (until the pass ends the gauges are short of the users not yet counted). A scrape only adds
 * up a few numbers per task: no store is read. The oldest entry is not known for a task before its
 * first retention pass. RocksDB's {@code approximateNumEntries()} was not used: it is
 * an estimate that counts deletions poorly, and a mailbox is mostly puts followed by deletes. The
 * oldest entry is found by the retention punctuator ({@code router.retention-interval}, 1 min), which
 * seeks to every user's first entry anyway; so after the oldest entry is acked the age can overstate
 * by up to that interval.
 *
 * <p>Counters count since this instance started, over all tasks it ran; with exactly-once a record
 * reprocessed after an aborted transaction is counted again. Kafka Streams' per-task sensors of
 * {@link UserEventProcessor} (JMX and {@code kafka_stream_pipechat_router_*}) remain, but vanish when
 * a task moves; these do not.
 */
public final class RouterMeters {
    final LongAdder messagesStored = new LongAdder();
    final LongAdder receiptsStored = new LongAdder();
    final LongAdder deliveries = new LongAdder();
    final LongAdder pushRequests = new LongAdder();
    final LongAdder acked = new LongAdder();
    final LongAdder expired = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder invalid = new LongAdder();
    final LongAdder readsRefused = new LongAdder();
    final LongAdder mailboxFull = new LongAdder();
    private final Map<String, TaskMailbox> tasks = new ConcurrentHashMap<>();
    final int countChunk;

    public RouterMeters() {
        this(MailboxCensus.COUNT_CHUNK);
    }

    /** @param countChunk users per step of a task's initial mailbox count (tests use small ones) */
    RouterMeters(int countChunk) {
        if (countChunk < 1) {
            throw new IllegalArgumentException("countChunk must be positive");
        }
        this.countChunk = countChunk;
    }

    /**
     * One active task's mailbox figures. Written only by the stream thread running the task, read by
     * any thread (scrapes): hence volatile fields and no atomics.
     *
     * <p>The initial count is taken in chunks, in key order of the counters store
     * ({@link #counted}), while the task already processes records. A change to a user's count
     * ({@link #changed}) is applied only if that user's key was already counted; a user not yet
     * reached is counted later with the value it has then. So the figures are exact once the
     * count is {@link #complete()}, and only short of the not yet counted users before.
     */
    public static final class TaskMailbox {
        /** {@link #oldestStoredAt} when the task's mailboxes are empty or not yet scanned. */
        public static final long NONE = Long.MAX_VALUE;

        private volatile long entries;
        private volatile long users;
        private volatile long oldestStoredAt = NONE;
        private byte[] countedUpTo;
        private boolean complete;

        /**
         * One chunk of the initial count: users up to and including {@code lastUser} (in the store's
         * byte order) are counted, with {@code entries} entries among {@code users} users with mail.
         */
        public void counted(String lastUser, long entries, long users, boolean complete) {
            if (lastUser != null) {
                countedUpTo = lastUser.getBytes(StandardCharsets.UTF_8);
            }
            this.entries += entries;
            this.users += users;
            this.complete = complete;
        }

        /** Whether the initial count has seen every user. */
        public boolean complete() {
            return complete;
        }

        /** {@code user}'s pending count went from {@code before} to {@code after}. */
        public void changed(String user, int before, int after) {
            if (before == after || !complete && (countedUpTo == null
                    || Arrays.compareUnsigned(user.getBytes(StandardCharsets.UTF_8), countedUpTo) > 0)) {
                return;
            }
            entries += after - before;
            if (before == 0) {
                users++;
            } else if (after == 0) {
                users--;
            }
        }

        void oldest(long storedAt) {
            oldestStoredAt = storedAt;
        }

        public long entries() {
            return entries;
        }

        public long users() {
            return users;
        }

        public long oldestStoredAt() {
            return oldestStoredAt;
        }
    }

    /** The figures of task {@code taskId}, fresh (zero); replaces what an earlier incarnation of the task left. */
    TaskMailbox register(String taskId) {
        TaskMailbox m = new TaskMailbox();
        tasks.put(taskId, m);
        return m;
    }

    /** Forgets the task, unless a newer incarnation registered since. */
    void unregister(String taskId, TaskMailbox m) {
        tasks.remove(taskId, m);
    }

    public long mailboxEntries() {
        return tasks.values().stream().mapToLong(TaskMailbox::entries).sum();
    }

    public long mailboxUsers() {
        return tasks.values().stream().mapToLong(TaskMailbox::users).sum();
    }

    /** Router wall-clock time at which the oldest entry was stored, {@link TaskMailbox#NONE} if none. */
    public long oldestStoredAt() {
        return tasks.values().stream().mapToLong(TaskMailbox::oldestStoredAt).min().orElse(TaskMailbox.NONE);
    }

    public long messagesStored() {
        return messagesStored.sum();
    }

    public long deliveries() {
        return deliveries.sum();
    }

    public long pushRequests() {
        return pushRequests.sum();
    }

    public long expired() {
        return expired.sum();
    }

    public long acked() {
        return acked.sum();
    }

    /** Registers the meters in {@code registry} (names in the class comment). */
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "pipechat.router.mailbox.entries", "mailbox entries not yet acked or expired", null,
                RouterMeters::mailboxEntries);
        gauge(registry, "pipechat.router.mailbox.users", "users with a non-empty mailbox", null,
                RouterMeters::mailboxUsers);
        gauge(registry, "pipechat.router.mailbox.oldest.age", "age of the oldest mailbox entry", "seconds", m -> {
            long oldest = m.oldestStoredAt();
            return oldest == TaskMailbox.NONE ? 0 : Math.max(0, System.currentTimeMillis() - oldest) / 1000.0;
        });
        counter(registry, "pipechat.router.messages.stored", "messages stored in a mailbox", messagesStored);
        counter(registry, "pipechat.router.receipts.stored", "receipts stored in a mailbox", receiptsStored);
        counter(registry, "pipechat.router.deliveries", "records written to chat.deliveries", deliveries);
        counter(registry, "pipechat.router.push.requests", "push requests emitted", pushRequests);
        counter(registry, "pipechat.router.mailbox.acked", "mailbox entries deleted by an ack", acked);
        counter(registry, "pipechat.router.mailbox.expired", "mailbox entries deleted by retention", expired);
        counter(registry, "pipechat.router.duplicates.dropped", "messages dropped as duplicates", duplicates);
        counter(registry, "pipechat.router.invalid.skipped", "user events skipped as invalid", invalid);
        counter(registry, "pipechat.router.reads.refused", "reads of messages the reader did not receive", readsRefused);
        counter(registry, "pipechat.router.mailbox.full", "messages refused for a full mailbox", mailboxFull);
    }

    private void gauge(MeterRegistry registry, String name, String description, String unit,
                       ToDoubleFunction<RouterMeters> value) {
        Gauge.builder(name, this, value).description(description).baseUnit(unit).strongReference(true)
                .register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String description, LongAdder adder) {
        FunctionCounter.builder(name, adder, LongAdder::sum).description(description).register(registry);
    }
}
