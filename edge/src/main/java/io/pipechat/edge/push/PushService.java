package io.pipechat.edge.push;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pipechat.edge.auth.Authenticated;
import io.pipechat.edge.auth.Errors;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.auth.TokenVerifier;
import java.net.URI;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Devices register for Web Push here ({@code /v1/push}):
 * <ul>
 *   <li>{@code GET /config}: {@code {"vapidPublicKey": "..."}}, the application server key a browser
 *       subscribes with (404 when push is not configured);
 *   <li>{@code POST /subscriptions}: a browser's {@code PushSubscription.toJSON()}:
 *       {@code {"endpoint", "keys": {"p256dh", "auth"}}} -> 201; 409 if another user registered that
 *       endpoint; 400 unless the endpoint is an https URL of a known push service ({@link PushEndpoints});
 *   <li>{@code DELETE /subscriptions} with {@code {"endpoint"}} -> 204 (404 if it was not there).
 * </ul>
 */
public final class PushService implements HttpService {
    private static final int MAX_ENDPOINT = 2048;

    private final PushSubscriptions subscriptions;
    private final TokenVerifier tokens;
    private final Optional<String> vapidPublicKey;
    private final PushEndpoints endpoints;

    public PushService(PushSubscriptions subscriptions, TokenVerifier tokens, Optional<String> vapidPublicKey,
                       PushEndpoints endpoints) {
        this.subscriptions = subscriptions;
        this.endpoints = endpoints;
        this.tokens = tokens;
        this.vapidPublicKey = vapidPublicKey;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/config", this::config)
                .post("/subscriptions", Authenticated.handler(tokens, this::register))
                .delete("/subscriptions", Authenticated.handler(tokens, this::remove));
    }

    private void config(ServerRequest req, ServerResponse res) {
        if (vapidPublicKey.isEmpty()) {
            Errors.send(res, Status.NOT_FOUND_404, "not_found", "push notifications are not configured");
            return;
        }
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(Json.write(Map.of("vapidPublicKey", vapidPublicKey.get())));
    }

    private void register(String user, ServerRequest req, ServerResponse res) {
        JsonNode body = body(req);
        String endpoint = endpoint(body);
        JsonNode keys = body == null ? null : body.get("keys");
        String p256dh = keys == null ? null : keys.path("p256dh").asText(null);
        String auth = keys == null ? null : keys.path("auth").asText(null);
        if (endpoint == null || decodedLength(p256dh) != 65 || decodedLength(auth) != 16) {
            Errors.send(res, Status.BAD_REQUEST_400, "bad_request",
                    "expected {\"endpoint\": https URL, \"keys\": {\"p256dh\": 65 bytes, \"auth\": 16 bytes, base64url}}");
            return;
        }
        if (!endpoints.allowed(URI.create(endpoint))) {
            Errors.send(res, Status.BAD_REQUEST_400, "bad_request",
                    "the endpoint must be an https URL of a known push service");
            return;
        }
        if (!subscriptions.register(user, endpoint, p256dh, auth)) {
            Errors.send(res, Status.CONFLICT_409, "conflict", "this endpoint is registered by another user");
            return;
        }
        res.status(Status.CREATED_201).send();
    }

    private void remove(String user, ServerRequest req, ServerResponse res) {
        String endpoint = endpoint(body(req));
        if (endpoint == null) {
            Errors.send(res, Status.BAD_REQUEST_400, "bad_request", "expected {\"endpoint\": ...}");
            return;
        }
        if (subscriptions.remove(user, endpoint)) {
            res.status(Status.NO_CONTENT_204).send();
        } else {
            Errors.send(res, Status.NOT_FOUND_404, "not_found", "no such subscription");
        }
    }

    private static JsonNode body(ServerRequest req) {
        try {
            return Json.MAPPER.readTree(req.content().as(String.class));
        } catch (Exception e) {
            return null;
        }
    }

    /** An absolute URL of at most {@link #MAX_ENDPOINT} characters (which ones are allowed: {@link PushEndpoints}). */
    private static String endpoint(JsonNode body) {
        if (body == null || !body.path("endpoint").isTextual()) {
            return null;
        }
        String text = body.get("endpoint").asText();
        if (text.length() > MAX_ENDPOINT) {
            return null;
        }
        try {
            return URI.create(text).getHost() == null ? null : text;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static int decodedLength(String base64url) {
        if (base64url == null) {
            return -1;
        }
        try {
            return Base64.getUrlDecoder().decode(base64url.replace("=", "")).length;
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }
}
