package io.pipechat.edge.session;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who a request comes from, for limits per client address. That is the TCP peer, unless the peer is
 * one of the {@code trustedProxies} ({@code edge.trusted-proxies}: addresses or CIDR ranges, such as
 * {@code 10.0.0.5,172.16.0.0/12}): then it is the right-most {@code X-Forwarded-For} entry that is not
 * a trusted proxy itself (nginx's {@code $proxy_add_x_forwarded_for} appends the address it saw; the
 * entries to the left of it are whatever the client wrote, so they are never believed). Without that
 * setting {@code X-Forwarded-For} is ignored: anyone could write one.
 *
 * <p>IPv6 clients count by their /64 prefix: one host usually holds a whole /64 and could otherwise
 * pick a new address for every attempt.
 */
record ClientAddresses(List<Range> trustedProxies) {
    private static final HeaderName X_FORWARDED_FOR = HeaderNames.X_FORWARDED_FOR;
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final int IPV6_PREFIX_BITS = 64;

    /** An address range: the first {@code bits} bits of {@code address}. */
    record Range(byte[] address, int bits) {
        static Range parse(String text) {
            String[] parts = text.trim().split("/", 2);
            InetAddress address = literal(parts[0])
                    .orElseThrow(() -> new IllegalArgumentException("not an IP address or CIDR range: " + text));
            int max = address.getAddress().length * 8;
            int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : max;
            if (bits < 0 || bits > max) {
                throw new IllegalArgumentException("bad prefix length in " + text);
            }
            return new Range(address.getAddress(), bits);
        }

        boolean contains(InetAddress candidate) {
            byte[] other = candidate.getAddress();
            if (other.length != address.length) {
                return false;
            }
            for (int bit = 0; bit < bits; bit += 8) {
                int mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
                if ((other[bit / 8] & mask) != (address[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** @param commaSeparated addresses and CIDR ranges; empty: no proxy is trusted */
    static ClientAddresses of(String commaSeparated) {
        return new ClientAddresses(Arrays.stream(commaSeparated.split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).map(Range::parse).toList());
    }

    /** The key that the client's limits are counted under. */
    String clientOf(InetAddress peer, Headers headers) {
        if (!trusted(peer) || !headers.contains(X_FORWARDED_FOR)) {
            return key(peer);
        }
        List<String> hops = new ArrayList<>();
        for (String value : headers.get(X_FORWARDED_FOR).allValues()) {
            for (String hop : value.split(",")) {
                hops.add(hop.trim());
            }
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            Optional<InetAddress> hop = literal(hops.get(i));
            if (hop.isEmpty()) {
                // Written by a trusted proxy, so it names the client in some form of its own: count it as it is.
                String raw = hops.get(i);
                return raw.length() <= 64 ? raw : raw.substring(0, 64);
            }
            if (!trusted(hop.get())) {
                return key(hop.get());
            }
        }
        return key(peer); // every hop a proxy of ours
    }

    private boolean trusted(InetAddress address) {
        for (Range r : trustedProxies) {
            if (r.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** The key of a client at {@code address}. */
    static String key(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            return address.getHostAddress();
        }
        Arrays.fill(bytes, IPV6_PREFIX_BITS / 8, bytes.length, (byte) 0);
        try {
            return InetAddress.getByAddress(bytes).getHostAddress() + "/" + IPV6_PREFIX_BITS;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 16 bytes are always an address
        }
    }

    /** The address written in {@code text}, without any name lookup; empty unless it is an IP literal. */
    static Optional<InetAddress> literal(String text) {
        String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        try {
            if (IPV4.matcher(t).matches()) {
                byte[] bytes = new byte[4];
                String[] octets = t.split("\\.");
                for (int i = 0; i < 4; i++) {
                    int octet = Integer.parseInt(octets[i]);
                    if (octet > 255) {
                        return Optional.empty();
                    }
                    bytes[i] = (byte) octet;
                }
                return Optional.of(InetAddress.getByAddress(bytes));
            }
            // In brackets, the JDK takes it for an IPv6 literal or refuses it; it never looks a name up.
            return IPV6.matcher(t).matches() ? Optional.of(InetAddress.getByName("[" + t + "]")) : Optional.empty();
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
