package io.pipechat.protocol;

import com.fasterxml.jackson.annotation.JsonValue;

/** The {@code code} of an {@code error} frame, as listed in PROTOCOL.md. */
public enum ErrorCode {
    BAD_REQUEST("bad_request"),
    TOO_LARGE("too_large"),
    RATE_LIMITED("rate_limited"),
    FORBIDDEN("forbidden"),
    NOT_MEMBER("not_member"),
    UNKNOWN_RECIPIENT("unknown_recipient"),
    MAILBOX_FULL("mailbox_full"),
    INTERNAL("internal");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }
}
