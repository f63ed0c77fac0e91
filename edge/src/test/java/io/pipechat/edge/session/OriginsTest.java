package io.pipechat.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.http.HeaderNames;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;

class OriginsTest {

    private static WritableHeaders<?> headers(String host, String origin) {
        WritableHeaders<?> h = WritableHeaders.create();
        h.set(HeaderNames.HOST, host);
        if (origin != null) {
            h.set(HeaderNames.ORIGIN, origin);
        }
        return h;
    }

    @Test
    void byDefaultAllowsTheEdgesOwnPagesAndClientsWithoutAnOrigin() {
        Origins same = Origins.of("");
        assertThat(same.allows(headers("chat.example:8080", "http://chat.example:8080"))).isTrue();
        assertThat(same.allows(headers("chat.example", "https://chat.example"))).isTrue();
        assertThat(same.allows(headers("chat.example", null))).isTrue();
        assertThat(same.allows(headers("chat.example", "http://chat.example:8080"))).as("a proxy's Host without port").isTrue();
        assertThat(same.allows(headers("chat.example:443", "https://chat.example"))).isTrue();
        assertThat(same.allows(headers("chat.example:8080", "http://evil.example:8080"))).isFalse();
        assertThat(same.allows(headers("chat.example:8080", "http://chat.example:9090"))).isFalse();
        assertThat(same.allows(headers("chat.example", "null"))).isFalse();
    }

    @Test
    void aConfiguredListReplacesTheDefault() {
        Origins list = Origins.of("https://chat.example.com, https://app.example.com");
        assertThat(list.allows(headers("edge-1.internal:8080", "https://app.example.com"))).isTrue();
        assertThat(list.allows(headers("edge-1.internal:8080", "https://evil.example"))).isFalse();
        assertThat(list.allows(headers("edge-1.internal:8080", "http://edge-1.internal:8080"))).isFalse();
    }
}
