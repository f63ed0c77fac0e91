package io.pipechat.router.state;

/**
 * The value of the mailbox store: one stored frame, as the client receives it, with what the router
 * needs to route it and to act on its ack without reading the frame.
 *
 * @param kind     what it is
 * @param storedAt router wall-clock time of storing, for retention
 * @param origin   the device it came from, which does not receive it ({@link Entry#origin()})
 * @param from     sender of a {@link EntryKind#MESSAGE}, null otherwise
 * @param id       client message id of a {@link EntryKind#MESSAGE}, null otherwise
 * @param group    group of a {@link EntryKind#MESSAGE}, or null
 * @param frame    the client frame (UTF-8 JSON, carrying its {@code seq}), exactly as delivered
 */
public record MailboxEntry(EntryKind kind, long storedAt, String origin, String from, String id, String group,
                           byte[] frame) {

    /** What the users store's index keeps of this entry, stored under {@code seq}. */
    public Entry indexed(long seq) {
        return new Entry(seq, kind, origin, from, id, group);
    }
}
