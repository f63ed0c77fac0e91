package io.pipechat.assets.client;

import java.io.IOException;

/** The asset service answered with an unexpected status; {@code body} is its JSON error, if any. */
public final class MediaHttpException extends IOException {
    private final int status;
    private final String body;

    public MediaHttpException(String what, int status, String body) {
        super(what + ": HTTP " + status + (body == null || body.isEmpty() ? "" : " " + body));
        this.status = status;
        this.body = body;
    }

    public int status() {
        return status;
    }

    public String body() {
        return body;
    }
}
