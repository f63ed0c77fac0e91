package io.pipechat.edge.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.http.HeaderNames;
import io.helidon.http.WritableHeaders;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ClientAddressesTest {
    private static final ClientAddresses BEHIND_NGINX = ClientAddresses.of("10.0.0.5, 172.16.0.0/12, fd00::/8");

    private static InetAddress ip(String literal) {
        return ClientAddresses.literal(literal).orElseThrow();
    }

    private static WritableHeaders<?> forwardedFor(String... values) {
        WritableHeaders<?> headers = WritableHeaders.create();
        for (String v : values) {
            headers.add(HeaderNames.X_FORWARDED_FOR, v);
        }
        return headers;
    }

    @Test
    void withoutTrustedProxiesTheTcpPeerIsTheClientWhateverTheHeaderSays() {
        ClientAddresses none = ClientAddresses.of("");
        assertThat(none.clientOf(ip("10.0.0.5"), forwardedFor("203.0.113.9"))).isEqualTo("10.0.0.5");
    }

    @Test
    void behindATrustedProxyTheRightMostUntrustedHopIsTheClient() {
        assertThat(BEHIND_NGINX.clientOf(ip("10.0.0.5"), forwardedFor("203.0.113.9"))).isEqualTo("203.0.113.9");
        // The client wrote "1.2.3.4" itself to escape its limit; nginx appended what it saw.
        assertThat(BEHIND_NGINX.clientOf(ip("10.0.0.5"), forwardedFor("1.2.3.4, 203.0.113.9"))).isEqualTo("203.0.113.9");
        // Two proxies of ours (a load balancer in 172.16/12 before nginx), header split over two lines.
        assertThat(BEHIND_NGINX.clientOf(ip("10.0.0.5"), forwardedFor("1.2.3.4, 198.51.100.7", "172.20.1.1")))
                .isEqualTo("198.51.100.7");
        assertThat(BEHIND_NGINX.clientOf(ip("10.0.0.5"), WritableHeaders.create())).isEqualTo("10.0.0.5");
    }

    @Test
    void aPeerOutsideTheTrustedProxiesCannotSetItsAddress() {
        assertThat(BEHIND_NGINX.clientOf(ip("198.51.100.7"), forwardedFor("203.0.113.9"))).isEqualTo("198.51.100.7");
        assertThat(BEHIND_NGINX.clientOf(ip("10.0.0.6"), forwardedFor("203.0.113.9"))).isEqualTo("10.0.0.6");
    }

    @Test
    void ipv6ClientsCountByTheirSlash64() {
        ClientAddresses none = ClientAddresses.of("");
        assertThat(none.clientOf(ip("2001:db8:1:2:aaaa::1"), WritableHeaders.create()))
                .isEqualTo(none.clientOf(ip("2001:db8:1:2:ffff:1:2:3"), WritableHeaders.create()))
                .isNotEqualTo(none.clientOf(ip("2001:db8:1:3::1"), WritableHeaders.create()));
        assertThat(BEHIND_NGINX.clientOf(ip("fd00::1"), forwardedFor("[2001:db8:1:2::7]"))).isEqualTo("2001:db8:1:2:0:0:0:0/64");
    }

    @Test
    void onlyLiteralsAreAddressesAndNoNameIsLookedUp() {
        assertThat(ClientAddresses.literal("localhost")).isEmpty();
        assertThat(ClientAddresses.literal("999.1.1.1")).isEmpty();
        assertThat(ClientAddresses.literal("1.2.3.4:5678")).isEmpty();
        assertThat(ClientAddresses.literal("abc:xyz")).isEmpty();
        assertThat(ClientAddresses.literal("::ffff:1.2.3.4")).contains(ip("1.2.3.4"));
        // A trusted proxy's own notation for the client is counted as it is written.
        assertThat(BEHIND_NGINX.clientOf(ip("10.0.0.5"), forwardedFor("unknown"))).isEqualTo("unknown");
    }

    @Test
    void rangesMatchTheirPrefixOnly() {
        assertThat(ClientAddresses.Range.parse("172.16.0.0/12").contains(ip("172.31.255.255"))).isTrue();
        assertThat(ClientAddresses.Range.parse("172.16.0.0/12").contains(ip("172.32.0.0"))).isFalse();
        assertThat(ClientAddresses.Range.parse("10.0.0.5").contains(ip("10.0.0.5"))).isTrue();
        assertThat(ClientAddresses.Range.parse("10.0.0.5").contains(ip("10.0.0.4"))).isFalse();
        assertThat(ClientAddresses.Range.parse("0.0.0.0/0").contains(ip("8.8.8.8"))).isTrue();
        assertThat(ClientAddresses.Range.parse("0.0.0.0/0").contains(ip("::1"))).isFalse();
        assertThatThrownBy(() -> ClientAddresses.of("nginx")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ClientAddresses.of("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class);
    }
}
