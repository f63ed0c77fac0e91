package io.pipechat.router.mailbox;

/**
 * The value of the counters store: one user's mailbox bookkeeping.
 *
 * @param nextSeq   the seq the next stored entry gets; starts at 1, only ever grows, so a seq is never
 *                  reused even after its entry is acked or expired
 * @param ackedUpto the highest seq the user acked (cumulative cursor, never decreases)
 * @param lastPush  router wall-clock time of the last push request, {@link #NEVER} if none since the
 *                  user last opened a session
 * @param pending   number of entries in the user's mailbox
 */
public record Counters(long nextSeq, long ackedUpto, long lastPush, int pending) {
    public static final long NEVER = -1;

    public static Counters initial() {
        return new Counters(1, 0, NEVER, 0);
    }

    /** After storing one entry with seq {@link #nextSeq()}. */
    public Counters stored() {
        return new Counters(nextSeq + 1, ackedUpto, lastPush, pending + 1);
    }

    public Counters removed(int entries, long ackedUpto) {
        return new Counters(nextSeq, Math.max(this.ackedUpto, ackedUpto), lastPush, Math.max(0, pending - entries));
    }

    public Counters pushed(long now) {
        return new Counters(nextSeq, ackedUpto, now, pending);
    }

    public Counters pushReset() {
        return new Counters(nextSeq, ackedUpto, NEVER, pending);
    }
}
