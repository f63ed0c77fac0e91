package io.pipechat.edge.auth;

import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pipechat.protocol.auth.InvalidTokenException;
import io.pipechat.protocol.auth.TokenVerifier;

/**
 * HTTP handlers of the {@code /v1} API that need the caller's identity: the bearer token is
 * checked first (401 with a JSON error otherwise) and its subject handed to the handler.
 */
public final class Authenticated {

    /** A handler that knows who calls. */
    @FunctionalInterface
    public interface UserHandler {
        void handle(String user, ServerRequest req, ServerResponse res);
    }

    private Authenticated() {
    }

    public static Handler handler(TokenVerifier tokens, UserHandler handler) {
        return (req, res) -> {
            String user;
            try {
                String token = BearerTokens.fromHeader(req.headers()).orElseThrow(() -> new InvalidTokenException(
                        "missing bearer token (Authorization header; access_token is for /v1/ws only)"));
                user = tokens.verify(token).user();
            } catch (InvalidTokenException e) {
                Errors.send(res, Status.UNAUTHORIZED_401, "unauthorized", e.getMessage());
                return;
            }
            handler.handle(user, req, res);
        };
    }
}
