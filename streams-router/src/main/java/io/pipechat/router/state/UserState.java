package io.pipechat.router.state;

import java.util.ArrayList;
import java.util.List;

/**
 * The value of the users store: what the router keeps about one user besides the mailbox entries
 * themselves. Read, changed and written back once per event of that user.
 *
 * <p>Seqs come from input positions: the entry stored for the record at offset {@code o} of the
 * user's {@code chat.user-events} partition gets seq {@code o + 1} (plus the configured base, 0 but
 * on a repartitioned copy of the topic). Processing a record twice
 * (at-least-once after a crash) gives it the same seq; seqs grow with offsets, are never reused and
 * have gaps. {@link #applied} tells a replayed record from a new one, so that counting happens once.
 *
 * <p>Devices: each has its own ack cursor. A {@code delivered} receipt is sent when the first device
 * acks a message ({@link #receiptedUpto}); an entry leaves the mailbox when every device except the
 * one it came from has acked it ({@link #deletable}); a new device starts at {@link #floor}, so it
 * gets what is still in the mailbox.
 *
 * <p>Index: while the mailbox holds at most {@link #INDEX_LIMIT} entries, {@link #index} lists them
 * all (seq, kind, and what the receipt needs), so acks need no mailbox scan. Above that the index is
 * dropped ({@link #indexed} false) and acks scan the mailbox, until it is empty again.
 */
public final class UserState {
    public static final long NEVER = -1;
    public static final int INDEX_LIMIT = 32;

    long nextOffset;
    long lastSeq;
    long floor;
    long receiptedUpto;
    long lastPush = NEVER;
    int pending;
    boolean indexed = true;
    final List<Entry> index = new ArrayList<>();
    final List<Device> devices = new ArrayList<>();
    final List<Session> sessions = new ArrayList<>();

    /** A user the router has no state for. */
    public static UserState initial() {
        return new UserState();
    }

    public static long seqAt(long offset, long base) {
        return offset + 1 + base;
    }

    /** Whether the record at {@code offset} was counted into this state already. */
    public boolean applied(long offset) {
        return offset < nextOffset;
    }

    /** The record at {@code offset} has been counted. */
    public void counted(long offset) {
        nextOffset = Math.max(nextOffset, offset + 1);
    }

    /** The highest seq stored so far, 0 if none. */
    public long lastSeq() {
        return lastSeq;
    }

    /** Every entry with a seq up to this is gone from the mailbox: the lowest device cursor. */
    public long floor() {
        return floor;
    }

    /** Receipts have been sent for every message up to this seq: the highest device cursor. */
    public long receiptedUpto() {
        return receiptedUpto;
    }

    public long lastPush() {
        return lastPush;
    }

    /** Entries in the mailbox (after a crash possibly off by those of the last commit interval). */
    public int pending() {
        return pending;
    }

    public boolean indexed() {
        return indexed;
    }

    /** All mailbox entries in seq order while {@link #indexed}. */
    public List<Entry> index() {
        return index;
    }

    public List<Device> devices() {
        return devices;
    }

    public List<Session> sessions() {
        return sessions;
    }

    public Device device(String name) {
        for (Device d : devices) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** Whether the user has a device other than {@code device}. */
    public boolean hasOtherDevice(String device) {
        for (Device d : devices) {
            if (!d.name().equals(device)) {
                return true;
            }
        }
        return false;
    }

    /** Registers a new device; it starts at the floor, so it receives what is still in the mailbox. */
    public Device register(String name, long now) {
        Device d = new Device(name, floor, now);
        devices.add(d);
        return d;
    }

    public void remove(Device d) {
        devices.remove(d);
    }

    /** After storing {@code entry} (its record not {@link #applied} yet). */
    public void stored(Entry entry) {
        lastSeq = Math.max(lastSeq, entry.seq());
        pending++;
        if (indexed) {
            if (index.size() < INDEX_LIMIT) {
                index.add(entry);
            } else {
                index.clear();
                indexed = false;
            }
        }
    }

    /**
     * Whether the entry can leave the mailbox: every device but the one it came from has acked it
     * (with no device at all, it waits for one).
     */
    public boolean deletable(long seq, String origin) {
        boolean any = false;
        for (Device d : devices) {
            if (!d.name().equals(origin)) {
                if (d.acked() < seq) {
                    return false;
                }
                any = true;
            }
        }
        return any || seq <= floor;
    }

    /** Removes an indexed entry that was deleted from the mailbox. */
    public void deleted(Entry entry) {
        index.remove(entry);
        pending = Math.max(0, pending - 1);
    }

    /** Entries deleted by a scan (the index was not kept, or was not trusted). */
    public void deletedScanned(int entries) {
        pending = Math.max(0, pending - entries);
        if (pending == 0 || floor >= lastSeq) {
            pending = 0;
            index.clear();
            indexed = true;
        }
    }

    /** Entries removed by retention: the oldest ones, up to {@code upto}. */
    public void expired(int entries, long upto) {
        index.removeIf(e -> e.seq() <= upto);
        floor = Math.max(floor, upto);
        deletedScanned(entries);
    }

    /** Recomputes the floor from the devices' cursors (it never goes down). */
    public void raiseFloor() {
        long min = Long.MAX_VALUE;
        for (Device d : devices) {
            min = Math.min(min, d.acked());
        }
        if (min != Long.MAX_VALUE) {
            floor = Math.max(floor, min);
        }
    }

    /** The highest device cursor: receipts are due up to there. */
    public long highestAck() {
        long max = receiptedUpto;
        for (Device d : devices) {
            max = Math.max(max, d.acked());
        }
        return max;
    }

    public void receipted(long upto) {
        receiptedUpto = Math.max(receiptedUpto, upto);
    }

    public void pushed(long now) {
        lastPush = now;
    }

    public void pushReset() {
        lastPush = NEVER;
    }
}
