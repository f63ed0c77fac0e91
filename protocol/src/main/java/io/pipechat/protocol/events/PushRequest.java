package io.pipechat.protocol.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A record of {@code chat.push}, keyed by user: wake {@code user}'s devices, {@code pending}
 * messages wait. Carries no content.
 */
public record PushRequest(String user, int pending, long ts) {
    public static final int VERSION = 1;

    @JsonProperty("v")
    public int v() {
        return VERSION;
    }
}
