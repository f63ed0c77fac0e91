package io.pipechat.router.state;

/**
 * One open WebSocket session of a user, as the router last heard of it, with the progress of its
 * mailbox flush (sent in pages, each after the device acked half of the one before).
 *
 * @param device  the client's device name; a second session of the same device replaces this one
 * @param session the edge's session id (unique per connection)
 * @param edge    the edge index = its partition of {@code chat.deliveries}
 * @param epoch   the edge's epoch when the session opened (changes on every edge restart)
 * @param since   router wall-clock time at which the router saw the session open; used only while
 *                the edge's heartbeat for this epoch has not arrived yet
 */
public final class Session {
    private final String device;
    private final String session;
    private final int edge;
    private final long epoch;
    private final long since;
    private boolean flushing;
    private long flushedUpto;
    private long nextPageAt;

    public Session(String device, String session, int edge, long epoch, long since) {
        this(device, session, edge, epoch, since, true, 0, 0);
    }

    Session(String device, String session, int edge, long epoch, long since, boolean flushing, long flushedUpto,
            long nextPageAt) {
        this.device = device;
        this.session = session;
        this.edge = edge;
        this.epoch = epoch;
        this.since = since;
        this.flushing = flushing;
        this.flushedUpto = flushedUpto;
        this.nextPageAt = nextPageAt;
    }

    public String device() {
        return device;
    }

    public String session() {
        return session;
    }

    public int edge() {
        return edge;
    }

    public long epoch() {
        return epoch;
    }

    public long since() {
        return since;
    }

    /** True until the last page of its mailbox flush (and the flushed marker) is out. */
    public boolean flushing() {
        return flushing;
    }

    /** The highest seq its flush has sent so far. */
    public long flushedUpto() {
        return flushedUpto;
    }

    /** The next page goes out once the device has acked this seq. */
    public long nextPageAt() {
        return nextPageAt;
    }

    /** A page went out, up to {@code upto}; the next once {@code nextPageAt} is acked. */
    public void paged(long upto, long nextPageAt) {
        this.flushedUpto = upto;
        this.nextPageAt = nextPageAt;
    }

    public void flushed() {
        flushing = false;
    }
}
