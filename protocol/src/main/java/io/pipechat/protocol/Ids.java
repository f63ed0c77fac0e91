package io.pipechat.protocol;

import java.util.regex.Pattern;

/**
 * The shapes of identifiers in the protocol. User and group ids are 1-64 characters of
 * {@code [A-Za-z0-9._-]}; client message ids are chosen by clients (UUIDs or similar) and may also
 * contain {@code :}; media ids are lowercase hex SHA-256.
 */
public final class Ids {
    public static final int MAX_LENGTH = 64;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern MESSAGE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final Pattern MEDIA_ID = Pattern.compile("[0-9a-f]{64}");

    private Ids() {
    }

    public static boolean isUserId(String s) {
        return s != null && NAME.matcher(s).matches();
    }

    public static boolean isGroupId(String s) {
        return isUserId(s);
    }

    public static boolean isMessageId(String s) {
        return s != null && MESSAGE_ID.matcher(s).matches();
    }

    public static boolean isMediaId(String s) {
        return s != null && MEDIA_ID.matcher(s).matches();
    }

    /** Device names follow the user id rules; the default device is {@code default}. */
    public static boolean isDevice(String s) {
        return isUserId(s);
    }
}
