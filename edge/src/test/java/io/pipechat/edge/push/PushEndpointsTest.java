package io.pipechat.edge.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class PushEndpointsTest {
    private static final PushEndpoints DEFAULTS = PushEndpoints.of(PushEndpoints.DEFAULT_HOSTS, false);

    @Test
    void acceptsTheKnownPushServicesOverHttps() {
        for (String url : new String[] {"https://fcm.googleapis.com/fcm/send/abc", "https://updates.push.services.mozilla.com/wpush/v2/x",
                "https://wns2-by3p.notify.windows.com/w/?token=x", "https://web.push.apple.com/Q", "https://api.push.apple.com/3/device/x"}) {
            assertThat(DEFAULTS.allowed(URI.create(url))).as(url).isTrue();
        }
    }

    @Test
    void refusesOtherHostsPlainHttpAndLoopbackOutsideDevelopment() {
        for (String url : new String[] {"http://fcm.googleapis.com/fcm/send/abc", "https://fcm.googleapis.com.evil.example/x",
                "https://evilpush.apple.com/x", "https://notify.windows.com.evil/x", "https://127.0.0.1:9/x",
                "http://localhost/x", "https://user@fcm.googleapis.com/x"}) {
            assertThat(DEFAULTS.allowed(URI.create(url))).as(url).isFalse();
        }
        assertThat(PushEndpoints.of(PushEndpoints.DEFAULT_HOSTS, true).allowed(URI.create("http://127.0.0.1:9/x"))).isTrue();
        assertThat(PushEndpoints.of("127.0.0.1", false).allowed(URI.create("https://127.0.0.1:9/x"))).isTrue();
    }
}
