package io.pipechat.router.state;

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
    /** Long.MAX_VALUE has 19 digits, so every seq fits. */
    private static final int SEQ_DIGITS = 19;

    private MailboxKeys() {
    }

    /** Runs for every stored entry and every ack: pads by hand rather than through {@code String.format}. */
    public static String key(String user, long seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("negative seq " + seq);
        }
        String digits = Long.toString(seq);
        StringBuilder key = new StringBuilder(user.length() + 1 + SEQ_DIGITS).append(user).append(SEPARATOR);
        for (int i = digits.length(); i < SEQ_DIGITS; i++) {
            key.append('0');
        }
        return key.append(digits).toString();
    }

    /** The prefix of all of {@code user}'s keys. */
    public static String prefix(String user) {
        return user + SEPARATOR;
    }

    public static String afterUser(String user) {
        return user + '\u0001';
    }

    public static long seq(String key) {
        return Long.parseLong(key, key.length() - SEQ_DIGITS, key.length(), 10);
    }

    public static String user(String key) {
        int i = key.indexOf(SEPARATOR);
        if (i < 0) {
            throw new IllegalArgumentException("not a mailbox key: " + key);
        }
        return key.substring(0, i);
    }
}
