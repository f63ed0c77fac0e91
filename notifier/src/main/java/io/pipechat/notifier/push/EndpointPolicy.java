package io.pipechat.notifier.push;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which push endpoints the notifier may POST to. A subscription's endpoint URL comes from a client,
 * so without this check anyone could make the notifier send requests into the network it runs in
 * (server-side request forgery: the cloud metadata address, the database, the admin ports).
 *
 * <p>An endpoint passes when (1) its scheme is {@code https} ({@code http} only with
 * {@code allowHttp}), (2) its host is on the allow-list of push services ({@code *.example.com}
 * matches every subdomain of {@code example.com}, not {@code example.com} itself; other entries match
 * exactly, case-insensitively), and (3) every address the host resolves to is a public unicast
 * address: loopback (unless {@code allowLoopback}, a setting for tests and development), private
 * (10/8, 172.16/12, 192.168/16, fec0::/10), carrier-grade NAT (100.64/10), link-local (169.254/16
 * with the metadata address 169.254.169.254, fe80::/10), unique-local (fc00::/7), multicast,
 * broadcast and unspecified (0/8, ::) addresses are refused, also inside IPv4-compatible IPv6
 * addresses. Redirects are never followed (the HTTP client's policy), so a push service cannot send
 * the request elsewhere.
 *
 * <p>What is not covered: the HTTP client resolves the host again when it connects, so a host whose
 * DNS answers change between the two lookups could still reach a refused address; the allow-list
 * (push services' own domains) is what keeps that out of an attacker's hands.
 */
public final class EndpointPolicy {
    /** The push services of Chrome/Android, Firefox, Edge/Windows and Safari/Apple. */
    public static final List<String> DEFAULT_ALLOWED_HOSTS = List.of("fcm.googleapis.com",
            "updates.push.services.mozilla.com", "*.notify.windows.com", "web.push.apple.com", "*.push.apple.com");

    /** Why an endpoint is refused. Refusals are final: sending again cannot change the answer. */
    public static final class RefusedException extends Exception {
        RefusedException(String message) {
            super(message, null, false, false);
        }
    }

    private final List<String> allowedHosts;
    private final boolean allowHttp;
    private final boolean allowLoopback;

    /**
     * @param allowedHosts  host names ({@code *.} prefix for all subdomains) or IP literals
     * @param allowHttp     accept {@code http:} endpoints (a local test push service)
     * @param allowLoopback accept endpoints on loopback addresses (tests, development)
     */
    public EndpointPolicy(List<String> allowedHosts, boolean allowHttp, boolean allowLoopback) {
        this.allowedHosts = allowedHosts.stream().map(EndpointPolicy::normalize).filter(h -> !h.isEmpty()).toList();
        this.allowHttp = allowHttp;
        this.allowLoopback = allowLoopback;
    }

    /**
     * The endpoint as a URI to POST to.
     *
     * @throws RefusedException     when the endpoint breaks a rule above (the message says which)
     * @throws UnknownHostException when its host does not resolve now (a DNS failure may pass)
     */
    public URI check(String endpoint) throws RefusedException, UnknownHostException {
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            throw new RefusedException("not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("https") || (scheme.equals("http") && allowHttp)) || uri.getHost() == null) {
            throw new RefusedException(allowHttp ? "not an http(s) URL" : "not an https URL");
        }
        String host = normalize(uri.getHost());
        if (!allowedHosts.stream().anyMatch(pattern -> matches(pattern, host))) {
            throw new RefusedException("host " + host + " is not an allowed push service");
        }
        for (InetAddress address : InetAddress.getAllByName(host)) {
            String kind = forbiddenKind(address);
            if (kind != null && !(kind.equals("loopback") && allowLoopback)) {
                throw new RefusedException("host " + host + " resolves to " + kind + " address "
                        + address.getHostAddress());
            }
        }
        return uri;
    }

    /** What kind of non-public address {@code address} is, or null for a public unicast address. */
    static String forbiddenKind(InetAddress address) {
        InetAddress a = address;
        if (a.isLoopbackAddress()) {
            return "loopback"; // ::1 also looks IPv4-compatible
        }
        if (a.isAnyLocalAddress()) {
            return "unspecified";
        }
        if (a instanceof Inet6Address v6 && v6.isIPv4CompatibleAddress()) {
            try {
                a = InetAddress.getByAddress(Arrays.copyOfRange(v6.getAddress(), 12, 16));
            } catch (UnknownHostException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
        byte[] b = a.getAddress();
        if (a.isLoopbackAddress()) {
            return "loopback";
        }
        if (a.isAnyLocalAddress() || (a instanceof Inet4Address && b[0] == 0)) {
            return "unspecified";
        }
        if (a.isLinkLocalAddress()) {
            return "link-local";
        }
        if (a.isSiteLocalAddress()) {
            return "private";
        }
        if (a.isMulticastAddress()) {
            return "multicast";
        }
        if (a instanceof Inet4Address) {
            if (b[0] == 100 && (b[1] & 0xC0) == 64) {
                return "shared (100.64/10)";
            }
            if (Arrays.equals(b, new byte[]{-1, -1, -1, -1})) {
                return "broadcast";
            }
        } else if ((b[0] & 0xFE) == 0xFC) {
            return "unique-local";
        }
        return null;
    }

    private static boolean matches(String pattern, String host) {
        return pattern.startsWith("*.") ? host.endsWith(pattern.substring(1)) && host.length() > pattern.length() - 1
                : pattern.equals(host);
    }

    /** Lower case, no IPv6 brackets, no trailing dot of a fully qualified name. */
    private static String normalize(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    @Override
    public String toString() {
        return "push endpoints: " + (allowHttp ? "http(s)" : "https") + " to " + allowedHosts
                + (allowLoopback ? ", loopback allowed" : "");
    }
}
