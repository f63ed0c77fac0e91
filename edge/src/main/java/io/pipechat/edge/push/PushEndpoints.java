package io.pipechat.edge.push;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which push subscription endpoints the edge accepts ({@code push.allowed-hosts}, comma-separated):
 * https URLs whose host is one of the known push services, {@code *.example.com} matching any
 * subdomain. The notifier POSTs to every registered endpoint, so an arbitrary URL would make it a
 * request forger against internal hosts. In development mode http and https on loopback are accepted
 * too, for local stand-ins of a push service.
 */
public record PushEndpoints(List<String> hosts, boolean loopback) {
    public static final String DEFAULT_HOSTS = "fcm.googleapis.com,updates.push.services.mozilla.com,"
            + "*.notify.windows.com,web.push.apple.com,*.push.apple.com";

    public static PushEndpoints of(String commaSeparatedHosts, boolean loopback) {
        return new PushEndpoints(Arrays.stream(commaSeparatedHosts.split(","))
                .map(h -> h.trim().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty()).toList(), loopback);
    }

    public boolean allowed(URI endpoint) {
        String host = endpoint.getHost() == null ? "" : endpoint.getHost().toLowerCase(Locale.ROOT);
        if (loopback && ("127.0.0.1".equals(host) || "localhost".equals(host))) {
            return "https".equals(endpoint.getScheme()) || "http".equals(endpoint.getScheme());
        }
        return "https".equals(endpoint.getScheme()) && endpoint.getUserInfo() == null
                && hosts.stream().anyMatch(h -> h.startsWith("*.") ? host.endsWith(h.substring(1)) : host.equals(h));
    }
}
