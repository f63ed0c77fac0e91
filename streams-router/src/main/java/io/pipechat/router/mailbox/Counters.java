package io.pipechat.router.mailbox;

/**
 * The value of the counters store: one user's mailbox bookkeeping.
 *
 * <p>Seqs come from input positions: the entry stored for the record at offset {@code o} of the
 * user's {@code chat.user-events} partition gets seq {@code o + 1 + seqBase}. Processing a record
 * twice (at-least-once after a crash) thus gives it the same seq, and seqs grow with offsets: never
 * reused, with gaps. {@link #nextOffset} tells a record applied before (a replay) from a new one.
 *
 * @param nextSeq    one more than the highest seq stored so far (1 if none): acks are clamped below it
 * @param ackedUpto  the highest seq the user acked (cumulative cursor, never decreases)
 * @param lastPush   router wall-clock time of the last push request, {@link #NEVER} if none since the
 *                   user last opened a session
 * @param pending    number of entries in the user's mailbox (after a crash possibly off by the
 *                   entries of the last commit interval, see {@code UserEventProcessor})
 * @param nextOffset one more than the offset of the last stored entry's or ack's record, 0 if none
 *                   (also for counters written before seqs came from offsets): a message, receipt
 *                   or ack at a lower offset was applied already, its counter arithmetic is done
 * @param seqBase    what is added to {@code offset + 1}; 0 except for a user whose counter (from
 *                   before seqs came from offsets) was ahead of the offsets: set once, at that
 *                   user's first entry stored since, so that the seqs still only grow
 */
public record Counters(long nextSeq, long ackedUpto, long lastPush, int pending, long nextOffset, long seqBase) {
    public static final long NEVER = -1;

    public static Counters initial() {
        return new Counters(1, 0, NEVER, 0, 0, 0);
    }

    /**
     * The seq of the entry stored for the record at {@code offset}. The same for a replay of that
     * record (its counters are unchanged since, or were never written: then {@link #seqBase} is
     * derived again from the same {@link #nextSeq}).
     */
    public long seqAt(long offset) {
        return offset + 1 + base(offset);
    }

    private long base(long offset) {
        boolean fromOldCounter = nextOffset == 0 && nextSeq > 1;
        return fromOldCounter ? Math.max(seqBase, nextSeq - (offset + 1)) : seqBase;
    }

    /** Whether the record at {@code offset} was applied to these counters already. */
    public boolean applied(long offset) {
        return offset < nextOffset;
    }

    /** After storing the entry of the record at {@code offset} (not {@link #applied} yet). */
    public Counters stored(long offset) {
        return new Counters(seqAt(offset) + 1, ackedUpto, lastPush, pending + 1, offset + 1, base(offset));
    }

    /** After an ack at {@code offset} (not {@link #applied} yet) removed {@code entries} up to {@code upto}. */
    public Counters acked(long offset, int entries, long upto) {
        return new Counters(nextSeq, Math.max(ackedUpto, upto), lastPush, Math.max(0, pending - entries),
                offset + 1, seqBase);
    }

    /** After retention removed {@code entries}. */
    public Counters expired(int entries) {
        return new Counters(nextSeq, ackedUpto, lastPush, Math.max(0, pending - entries), nextOffset, seqBase);
    }

    public Counters pushed(long now) {
        return new Counters(nextSeq, ackedUpto, now, pending, nextOffset, seqBase);
    }

    public Counters pushReset() {
        return new Counters(nextSeq, ackedUpto, NEVER, pending, nextOffset, seqBase);
    }
}
