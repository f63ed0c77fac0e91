package io.pipechat.edge.auth;

import io.helidon.common.uri.UriQuery;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import java.util.Optional;

/**
 * Where a client's bearer token is: the {@code Authorization: Bearer} header, or, for browsers
 * (which cannot set headers on a WebSocket), the {@code access_token} query parameter.
 */
public final class BearerTokens {
    private static final String PREFIX = "Bearer ";

    private BearerTokens() {
    }

    public static Optional<String> find(Headers headers, UriQuery query) {
        if (headers.contains(HeaderNames.AUTHORIZATION)) {
            String value = headers.get(HeaderNames.AUTHORIZATION).get();
            if (value.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                return Optional.of(value.substring(PREFIX.length()).trim());
            }
            return Optional.empty();
        }
        if (query.contains("access_token")) {
            return Optional.of(query.get("access_token"));
        }
        return Optional.empty();
    }
}
