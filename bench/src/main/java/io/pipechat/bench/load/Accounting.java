package io.pipechat.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Accounts for every message of a run by id, so loss, duplication and reordering are counted
 * rather than assumed away.
 *
 * <p>Data layout. Users are numbered {@code 0..users-1}. A message is identified by a key
 * {@code sender << 32 | counter}, where {@code counter} is the sender's own increasing send
 * number (the wire id is {@code "<sender>-<counter>"}, see {@link #wireId}). {@code pending} maps a
 * key to its {@link Pending} state (intended send time, whether {@code sent} came back, which of
 * its audience got it); an entry is removed when its last recipient got it, so memory follows the
 * messages in flight, not the run. Per recipient, a {@link RecipientState} holds the highest
 * mailbox {@code seq} seen and, per sender, the highest counter delivered.
 *
 * <p>What is counted on a {@code msg}:
 * <ul>
 *   <li>{@code seq} not above the highest seen: a redelivery, dropped like a real client does
 *       ({@link Outcome#DUPLICATE_SEQ}; normal after a reconnect, never counted as delivered);</li>
 *   <li>a new {@code seq} carrying an id this recipient already got: a duplicate a user would see
 *       ({@link Outcome#DUPLICATE_ID}, a protocol violation);</li>
 *   <li>a first delivery whose counter is below one already delivered from the same sender:
 *       reordered ({@link Outcome#REORDERED}, still delivered);</li>
 *   <li>an id never sent, or sent to someone else: {@link Outcome#UNEXPECTED}.</li>
 * </ul>
 * At the end, every recipient still missing from a confirmed ({@code sent}) message is lost;
 * missing from an unconfirmed one is reported apart ({@code unconfirmed}).
 */
public final class Accounting {
    /** What a delivery was. */
    public enum Outcome { FIRST, LAST, REORDERED, DUPLICATE_SEQ, DUPLICATE_ID, UNEXPECTED }

    /** The result of {@link #delivered}: the outcome, and for a first delivery its latency from the intended send time. */
    public record Delivery(Outcome outcome, long latencyNanos, boolean last) {
        public boolean counted() {
            return outcome == Outcome.FIRST || outcome == Outcome.LAST || outcome == Outcome.REORDERED;
        }
    }

    /**
     * Who receives a message: the recipients' user numbers. {@code positions} maps a user number to
     * its place in {@code members} (-1 if absent), shared by every message to the same audience.
     */
    public static final class Audience {
        final int[] members;
        final int[] positions;

        private Audience(int[] members, int[] positions) {
            this.members = members;
            this.positions = positions;
        }

        /** One recipient (a direct message). */
        public static Audience single(int user) {
            return new Audience(new int[] {user}, null);
        }

        /** A group: {@code members} (user numbers below {@code users}); a sender in it does not receive its own message. */
        public static Audience group(int[] members, int users) {
            int[] pos = new int[users];
            java.util.Arrays.fill(pos, -1);
            for (int i = 0; i < members.length; i++) {
                pos[members[i]] = i;
            }
            return new Audience(members.clone(), pos);
        }

        int position(int user) {
            if (positions == null) {
                return members[0] == user ? 0 : -1;
            }
            return user >= 0 && user < positions.length ? positions[user] : -1;
        }

        public int size() {
            return members.length;
        }
    }

    private static final class Pending {
        final Audience audience;
        final long intendedNanos;
        final long[] got;
        int remaining;
        volatile boolean confirmed;

        Pending(Audience audience, long intendedNanos, int sender) {
            this.audience = audience;
            this.intendedNanos = intendedNanos;
            this.got = new long[(audience.size() + 63) / 64];
            this.remaining = audience.size();
            int self = audience.position(sender);
            if (self >= 0) {
                got[self >> 6] |= 1L << self;
                remaining--;
            }
        }
    }

    private static final class RecipientState {
        long maxSeq;
        final Map<Integer, Integer> lastCounterBySender = new HashMap<>();
    }

    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    private final RecipientState[] recipients;
    private final AtomicIntegerArray issued;
    private final LongAdder messages = new LongAdder();
    private final LongAdder expectedDeliveries = new LongAdder();
    private final LongAdder confirmed = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder duplicateSeq = new LongAdder();
    private final LongAdder duplicateId = new LongAdder();
    private final LongAdder reordered = new LongAdder();
    private final LongAdder unexpected = new LongAdder();

    public Accounting(int users) {
        recipients = new RecipientState[users];
        for (int i = 0; i < users; i++) {
            recipients[i] = new RecipientState();
        }
        issued = new AtomicIntegerArray(users);
    }

    public static long key(int sender, int counter) {
        return ((long) sender << 32) | (counter & 0xffffffffL);
    }

    public static String wireId(long key) {
        return (key >>> 32) + "-" + (int) key;
    }

    /** The key of a wire id made by {@link #wireId}, or -1 if it is not one. */
    public static long parseId(String id) {
        int dash = id == null ? -1 : id.indexOf('-');
        if (dash <= 0) {
            return -1;
        }
        try {
            return key(Integer.parseInt(id, 0, dash, 10), Integer.parseInt(id, dash + 1, id.length(), 10));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Registers a message before it is sent; counters of one sender must increase. */
    public void expect(long key, Audience audience, long intendedNanos) {
        int sender = (int) (key >>> 32);
        int counter = (int) key;
        issued.accumulateAndGet(sender, counter + 1, Math::max);
        Pending p = new Pending(audience, intendedNanos, sender);
        expectedDeliveries.add(p.remaining);
        messages.increment();
        pending.put(key, p);
    }

    /** {@code sent} came back: returns the latency from the intended send time, or -1 for an unknown id. */
    public long sent(long key, long nowNanos) {
        Pending p = pending.get(key);
        if (p == null) {
            // delivered to everyone before its `sent` arrived: still confirmed
            confirmed.increment();
            return -1;
        }
        if (!p.confirmed) {
            p.confirmed = true;
            confirmed.increment();
        }
        return nowNanos - p.intendedNanos;
    }

    /**
     * An {@code error} frame: counted by its code in {@code errorsByCode}; if it names a message
     * ({@code id}), that message is {@link #rejected}.
     */
    public void error(JsonNode frame, Map<String, Long> errorsByCode) {
        errorsByCode.merge(frame.path("code").asText("?"), 1L, Long::sum);
        if (frame.hasNonNull("id")) {
            rejected(parseId(frame.path("id").asText()));
        }
    }

    /** An {@code error} frame named this message: it will not be delivered. */
    public void rejected(long key) {
        Pending p = pending.remove(key);
        if (p != null) {
            rejected.increment();
            synchronized (p) {
                expectedDeliveries.add(-p.remaining);
            }
        }
    }

    /** A {@code msg} with {@code seq} and the message {@code key} arrived at {@code recipient}. */
    public Delivery delivered(int recipient, long seq, long key, long nowNanos) {
        RecipientState rs = recipients[recipient];
        synchronized (rs) {
            if (seq <= rs.maxSeq) {
                duplicateSeq.increment();
                return new Delivery(Outcome.DUPLICATE_SEQ, -1, false);
            }
            rs.maxSeq = seq;
        }
        int sender = (int) (key >>> 32);
        int counter = (int) key;
        Pending p = key < 0 ? null : pending.get(key);
        if (p == null) {
            if (key >= 0 && sender < issued.length() && counter < issued.get(sender)) {
                duplicateId.increment();
                return new Delivery(Outcome.DUPLICATE_ID, -1, false);
            }
            unexpected.increment();
            return new Delivery(Outcome.UNEXPECTED, -1, false);
        }
        int pos = p.audience.position(recipient);
        if (pos < 0) {
            unexpected.increment();
            return new Delivery(Outcome.UNEXPECTED, -1, false);
        }
        boolean last;
        synchronized (p) {
            if ((p.got[pos >> 6] & (1L << pos)) != 0) {
                duplicateId.increment();
                return new Delivery(Outcome.DUPLICATE_ID, -1, false);
            }
            p.got[pos >> 6] |= 1L << pos;
            last = --p.remaining == 0;
        }
        if (last) {
            pending.remove(key);
            completed.increment();
        }
        delivered.increment();
        boolean inOrder;
        synchronized (rs) {
            Integer before = rs.lastCounterBySender.get(sender);
            inOrder = before == null || counter > before;
            if (inOrder) {
                rs.lastCounterBySender.put(sender, counter);
            }
        }
        long latency = nowNanos - p.intendedNanos;
        if (!inOrder) {
            reordered.increment();
            return new Delivery(Outcome.REORDERED, latency, last);
        }
        return new Delivery(last ? Outcome.LAST : Outcome.FIRST, latency, last);
    }

    /** Deliveries still missing (confirmed or not). */
    public long outstanding() {
        long n = 0;
        for (Pending p : pending.values()) {
            synchronized (p) {
                n += p.remaining;
            }
        }
        return n;
    }

    /** Messages whose {@code sent} has not arrived (rejected ones excluded). */
    public long unconfirmedMessages() {
        return messages.sum() - confirmed.sum() - rejected.sum();
    }

    /** The final count. */
    public Summary summary() {
        long lost = 0;
        long unconfirmedMissing = 0;
        for (Pending p : pending.values()) {
            synchronized (p) {
                if (p.confirmed) {
                    lost += p.remaining;
                } else {
                    unconfirmedMissing += p.remaining;
                }
            }
        }
        return new Summary(messages.sum(), confirmed.sum(), rejected.sum(), expectedDeliveries.sum(), delivered.sum(),
                completed.sum(), lost, unconfirmedMissing, duplicateSeq.sum(), duplicateId.sum(), reordered.sum(),
                unexpected.sum());
    }

    /**
     * @param messages           messages sent
     * @param confirmed          of which a {@code sent} came back
     * @param rejected           answered with {@code error}
     * @param expectedDeliveries recipients the sent messages should reach
     * @param delivered          first deliveries
     * @param completed          messages that reached all their recipients
     * @param lost               deliveries missing of confirmed messages
     * @param unconfirmedMissing deliveries missing of messages without {@code sent}
     * @param duplicateSeq       redeliveries of a seen seq (dropped, as a client does)
     * @param duplicateId        the same message delivered again under a new seq
     * @param reordered          deliveries out of the sender's order
     * @param unexpected         ids never sent to that recipient
     */
    public record Summary(long messages, long confirmed, long rejected, long expectedDeliveries, long delivered,
                          long completed, long lost, long unconfirmedMissing, long duplicateSeq, long duplicateId,
                          long reordered, long unexpected) {
        /** Nothing lost, duplicated (as a user would see it), reordered or unexpected. */
        public boolean clean() {
            return lost == 0 && unconfirmedMissing == 0 && duplicateId == 0 && reordered == 0 && unexpected == 0;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("messages", messages);
            m.put("confirmed", confirmed);
            m.put("rejected", rejected);
            m.put("expected_deliveries", expectedDeliveries);
            m.put("delivered", delivered);
            m.put("completed", completed);
            m.put("lost", lost);
            m.put("unconfirmed_missing", unconfirmedMissing);
            m.put("duplicate_seq_dropped", duplicateSeq);
            m.put("duplicate_id", duplicateId);
            m.put("reordered", reordered);
            m.put("unexpected", unexpected);
            m.put("clean", clean());
            return m;
        }

        public String table() {
            return String.format("""
                    accounting: messages %d, sent-confirmed %d, rejected %d
                                expected deliveries %d, delivered %d, LOST (missing at the end) %d, missing-unconfirmed %d
                                duplicates: by seq (dropped) %d, by id %d; reordered %d; unexpected %d -> %s""",
                    messages, confirmed, rejected, expectedDeliveries, delivered, lost, unconfirmedMissing,
                    duplicateSeq, duplicateId, reordered, unexpected, clean() ? "CLEAN" : "NOT CLEAN");
        }
    }
}
