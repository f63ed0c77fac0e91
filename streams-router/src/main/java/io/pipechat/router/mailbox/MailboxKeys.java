package io.pipechat.router.mailbox;

/**
 * Keys of the mailbox store: {@code user + '\u0000' + seq as 19 zero-padded decimal digits}.
 *
 * <p>RocksDB orders keys by their bytes (UTF-8 here), so a user's entries are contiguous and in
 * {@code seq} order, and a range scan from {@link #key}{@code (user, a)} to {@link #key}{@code (user,
 * b)} yields exactly seqs {@code a..b}. User ids never contain {@code \u0000} (PROTOCOL.md allows
 * {@code [A-Za-z0-9._-]} only, and the router refuses other ids), so no user's prefix is another's.
 * {@link #afterUser} is a key greater than all of one user's keys and smaller than any other
 * user's, to skip to the next user in a full scan.
 */
public final class MailboxKeys {
    public static final char SEPARATOR = '\u0000';

    private MailboxKeys() {
    }

    public static String key(String user, long seq) {
        return user + SEPARATOR + String.format("%019d", seq);
    }

    /** The prefix of all of {@code user}'s keys. */
    public static String prefix(String user) {
        return user + SEPARATOR;
    }

    public static String afterUser(String user) {
        return user + '\u0001';
    }

    public static String user(String key) {
        int i = key.indexOf(SEPARATOR);
        if (i < 0) {
            throw new IllegalArgumentException("not a mailbox key: " + key);
        }
        return key.substring(0, i);
    }

    public static long seq(String key) {
        return Long.parseLong(key.substring(key.indexOf(SEPARATOR) + 1));
    }
}
