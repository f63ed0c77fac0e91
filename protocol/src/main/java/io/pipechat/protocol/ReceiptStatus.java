package io.pipechat.protocol;

import com.fasterxml.jackson.annotation.JsonValue;

/** {@code delivered}: two grey ticks; {@code read}: blue ticks. */
public enum ReceiptStatus {
    DELIVERED("delivered"),
    READ("read");

    private final String wire;

    ReceiptStatus(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }
}
