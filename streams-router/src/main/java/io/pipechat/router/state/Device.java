package io.pipechat.router.state;

/**
 * One registered device of a user: registered by its first session, forgotten when removed or
 * unused for the retention period.
 */
public final class Device {
    private final String name;
    private long acked;
    private long lastSeen;

    public Device(String name, long acked, long lastSeen) {
        this.name = name;
        this.acked = acked;
        this.lastSeen = lastSeen;
    }

    public String name() {
        return name;
    }

    /** The highest seq this device acked (cumulative cursor, never decreases). */
    public long acked() {
        return acked;
    }

    /** Router wall-clock time of this device's last session open or close, or ack. */
    public long lastSeen() {
        return lastSeen;
    }

    public void ack(long upto, long now) {
        acked = Math.max(acked, upto);
        lastSeen = Math.max(lastSeen, now);
    }

    public void seen(long now) {
        lastSeen = Math.max(lastSeen, now);
    }
}
