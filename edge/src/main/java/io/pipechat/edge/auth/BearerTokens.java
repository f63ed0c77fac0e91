package io.pipechat.edge.auth;

import io.helidon.common.uri.UriQuery;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import java.util.Optional;

/**
 * Where a client's bearer token is: the {@code Authorization: Bearer} header, or, on the WebSocket
 * only (browsers cannot set headers there), the {@code access_token} query parameter. The HTTP API
 * takes the header only: a token in a URL ends up in access logs, proxies and browser history.
 */
public final class BearerTokens {
    private static final String PREFIX = "Bearer ";

    private BearerTokens() {
    }

    /** For {@code /v1/ws}: the header, else the {@code access_token} query parameter. */
    public static Optional<String> find(Headers headers, UriQuery query) {
        if (headers.contains(HeaderNames.AUTHORIZATION)) {
            return fromHeader(headers);
        }
        if (query.contains("access_token")) {
            return Optional.of(query.get("access_token"));
        }
        return Optional.empty();
    }

    /** For the HTTP API: the {@code Authorization: Bearer} header only. */
    public static Optional<String> fromHeader(Headers headers) {
        if (headers.contains(HeaderNames.AUTHORIZATION)) {
            String value = headers.get(HeaderNames.AUTHORIZATION).get();
            if (value.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                return Optional.of(value.substring(PREFIX.length()).trim());
            }
        }
        return Optional.empty();
    }
}
