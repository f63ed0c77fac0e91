package io.pipechat.edge.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.auth.Hs256Tokens;
import java.time.Duration;
import java.util.Map;

/**
 * {@code POST /v1/dev/token {"user":"alice"}} returns {@code {"token":"..."}}: sign-in for
 * development and the web client. Registered only in development mode; in production the route
 * does not exist.
 */
public final class DevTokenService implements HttpService {
    private final Hs256Tokens tokens;
    private final Duration ttl;

    public DevTokenService(Hs256Tokens tokens, Duration ttl) {
        this.tokens = tokens;
        this.ttl = ttl;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::issue);
    }

    private void issue(ServerRequest req, ServerResponse res) {
        String user = null;
        try {
            JsonNode body = Json.MAPPER.readTree(req.content().as(String.class));
            if (body != null && body.get("user") != null && body.get("user").isTextual()) {
                user = body.get("user").asText();
            }
        } catch (Exception e) {
            // fall through to the 400 below
        }
        if (!Ids.isUserId(user)) {
            Errors.send(res, Status.BAD_REQUEST_400, "bad_request", "body must be {\"user\": <1-64 characters of [A-Za-z0-9._-]>}");
            return;
        }
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(Json.write(Map.of("token", tokens.issue(user, ttl), "user", user)));
    }
}
