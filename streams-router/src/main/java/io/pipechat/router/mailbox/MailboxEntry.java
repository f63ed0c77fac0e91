package io.pipechat.router.mailbox;

import io.pipechat.protocol.frames.ServerFrame;

/**
 * The value of the mailbox store: the frame exactly as it is delivered, and when it was stored.
 *
 * @param frame    a {@link ServerFrame.Msg} or a {@link ServerFrame.Receipt}, carrying its {@code seq};
 *                 a {@code Msg} also carries what the {@code delivered} receipt needs once it is
 *                 acked (sender, client id, and the group in {@code to})
 * @param storedAt router wall-clock time of storing, for retention
 */
public record MailboxEntry(ServerFrame frame, long storedAt) {
}
