package io.pipechat.assets.client;

/** A blob that does not decrypt or verify: wrong key, corrupted or substituted bytes, unknown format. */
public final class MediaFormatException extends Exception {
    public MediaFormatException(String message) {
        super(message);
    }

    public MediaFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
