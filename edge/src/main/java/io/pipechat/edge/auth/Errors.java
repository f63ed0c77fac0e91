package io.pipechat.edge.auth;

import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import io.pipechat.protocol.Json;
import java.util.Map;

/** JSON error bodies of the HTTP API: {@code {"code": "...", "message": "..."}}. */
public final class Errors {
    private Errors() {
    }

    public static void send(ServerResponse res, Status status, String code, String message) {
        res.status(status);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(Json.write(Map.of("code", code, "message", message)));
    }
}
