package io.pipechat.edge.session;

import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Which web pages may open a WebSocket to the edge ({@code edge.allowed-origins}, comma-separated
 * origins such as {@code https://chat.example.com}). Without that setting, only the edge's own
 * pages: the {@code Origin}'s host and port equal the {@code Host} header's (its host only, when a
 * proxy passes a {@code Host} without the port, as nginx's {@code $host} does). A browser sends the
 * bearer token of its user on whatever page opens the socket, so another site's page must not.
 * Requests without an {@code Origin} (apps, servers, load generators) are not browsers' and pass.
 */
record Origins(List<String> allowed) {

    static Origins of(String commaSeparated) {
        return new Origins(java.util.Arrays.stream(commaSeparated.split(","))
                .map(o -> o.trim().toLowerCase(Locale.ROOT)).filter(o -> !o.isEmpty()).toList());
    }

    boolean allows(Headers headers) {
        if (!headers.contains(HeaderNames.ORIGIN)) {
            return true;
        }
        String origin = headers.get(HeaderNames.ORIGIN).get().trim().toLowerCase(Locale.ROOT);
        if (!allowed.isEmpty()) {
            return allowed.contains(origin);
        }
        if (!headers.contains(HeaderNames.HOST)) {
            return false;
        }
        try {
            URI o = URI.create(origin);
            URI host = URI.create(o.getScheme() + "://" + headers.get(HeaderNames.HOST).get().trim().toLowerCase(Locale.ROOT));
            return o.getHost() != null && o.getHost().equals(host.getHost())
                    && (host.getPort() == -1 || port(o) == host.getPort());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static int port(URI origin) {
        if (origin.getPort() != -1) {
            return origin.getPort();
        }
        return "https".equals(origin.getScheme()) ? 443 : 80;
    }
}
