package io.pipechat.router.state;

/** What a mailbox entry holds; decides who gets it and what its ack causes. */
public enum EntryKind {
    /** A message from someone else: a {@code delivered} receipt goes to its sender once a device acks it. */
    MESSAGE(1),
    /** A copy of a message the user sent, for their devices other than the one that sent it. */
    OWN_MESSAGE(2),
    /** A {@code delivered} or {@code read} receipt for a message the user sent. */
    RECEIPT(3),
    /** Device sync: the user read a message on one device; for their other devices. */
    READ(4);

    final byte code;

    EntryKind(int code) {
        this.code = (byte) code;
    }

    static EntryKind of(byte code) {
        for (EntryKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown entry kind " + code);
    }
}
