package io.pipechat.router.state;

/**
 * What the users store remembers of one mailbox entry ({@link UserState#index()}), so that an ack
 * finds the entries it deletes and the receipts it sends without reading the mailbox.
 *
 * @param seq    the entry's seq (its mailbox key)
 * @param kind   what it holds
 * @param origin the device it came from ({@link EntryKind#OWN_MESSAGE}, {@link EntryKind#READ}),
 *               which neither receives it nor holds it in the mailbox; null otherwise
 * @param from   sender of a {@link EntryKind#MESSAGE} (the receipt goes to them); null otherwise, and
 *               for a system message (it gets no receipt)
 * @param id     its client message id (for the receipt); null for other kinds
 * @param group  the group a {@link EntryKind#MESSAGE} came through, or null
 */
public record Entry(long seq, EntryKind kind, String origin, String from, String id, String group) {
}
