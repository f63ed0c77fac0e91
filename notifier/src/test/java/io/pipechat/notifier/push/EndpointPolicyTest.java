package io.pipechat.notifier.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The attacks a subscription endpoint can try: internal addresses in every spelling, hosts off the
 * allow-list that look like push services, plain http. IP literals need no DNS, so the address rules
 * are checked here with every host allowed by name.
 */
class EndpointPolicyTest {
    private static final EndpointPolicy DEFAULTS = new EndpointPolicy(EndpointPolicy.DEFAULT_ALLOWED_HOSTS, false, false);

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(delimiter = '|', value = {
            "127.0.0.1           | loopback",
            "127.1.2.3           | loopback",
            "::1                 | loopback",
            "::ffff:127.0.0.1    | loopback",
            "::127.0.0.1         | loopback",
            "10.1.2.3            | private",
            "172.16.0.1          | private",
            "172.31.255.255      | private",
            "192.168.1.1         | private",
            "100.64.0.1          | shared (100.64/10)",
            "100.127.255.254     | shared (100.64/10)",
            "169.254.169.254     | link-local",
            "::ffff:169.254.169.254 | link-local",
            "fe80::1             | link-local",
            "fc00::1             | unique-local",
            "fd12:3456::1        | unique-local",
            "224.0.0.1           | multicast",
            "ff02::1             | multicast",
            "0.0.0.0             | unspecified",
            "0.1.2.3             | unspecified",
            "::                  | unspecified",
            "255.255.255.255     | broadcast"})
    void internalAddressesAreRefused(String ip, String kind) throws Exception {
        EndpointPolicy everyHost = new EndpointPolicy(List.of(ip), false, false);
        String host = ip.contains(":") ? "[" + ip + "]" : ip;

        assertThat(EndpointPolicy.forbiddenKind(InetAddress.getByName(ip))).isEqualTo(kind);
        assertThatThrownBy(() -> everyHost.check("https://" + host + "/push/x"))
                .isInstanceOf(EndpointPolicy.RefusedException.class).hasMessageContaining(kind);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "172.32.0.1", "100.128.0.1", "2a00:1450:4001::200e", "172.15.255.255"})
    void publicAddressesPass(String ip) throws Exception {
        assertThat(EndpointPolicy.forbiddenKind(InetAddress.getByName(ip))).isNull();
        String host = ip.contains(":") ? "[" + ip + "]" : ip;
        assertThat(new EndpointPolicy(List.of(ip), false, false).check("https://" + host + "/p"))
                .isEqualTo(URI.create("https://" + host + "/p"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "https://evil.example/push",
            "https://fcm.googleapis.com.evil.example/push",
            "https://evilfcm.googleapis.com/push",
            "https://notify.windows.com/w/?token=x",
            "https://xnotify.windows.com/w",
            "https://fcm.googleapis.com@169.254.169.254/latest/meta-data",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/push"})
    void hostsOffTheAllowListAreRefusedBeforeAnyLookup(String endpoint) {
        assertThatThrownBy(() -> DEFAULTS.check(endpoint))
                .isInstanceOf(EndpointPolicy.RefusedException.class).hasMessageContaining("is not an allowed push service");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://fcm.googleapis.com/fcm/send/x", "ftp://fcm.googleapis.com/x", "fcm.googleapis.com/x",
            "https:///path", "not a url"})
    void onlyHttpsUrlsPass(String endpoint) {
        assertThatThrownBy(() -> DEFAULTS.check(endpoint)).isInstanceOf(EndpointPolicy.RefusedException.class);
    }

    @Test
    void loopbackPassesOnlyWhenAllowedAndOtherInternalAddressesNever() throws Exception {
        EndpointPolicy dev = new EndpointPolicy(List.of("127.0.0.1", "10.0.0.1"), true, true);

        assertThat(dev.check("http://127.0.0.1:8080/push/a")).isEqualTo(URI.create("http://127.0.0.1:8080/push/a"));
        assertThatThrownBy(() -> dev.check("http://10.0.0.1/push/a")).hasMessageContaining("private");
        assertThatThrownBy(() -> new EndpointPolicy(List.of("127.0.0.1"), true, false).check("http://127.0.0.1/push/a"))
                .hasMessageContaining("loopback");
    }

    @Test
    void wildcardsMatchSubdomainsCaseInsensitively() {
        EndpointPolicy wildcard = new EndpointPolicy(List.of("*.Push.Example"), false, false);

        // Resolution of the invented name fails, after the allow-list let it through.
        assertThatThrownBy(() -> wildcard.check("https://a.b.PUSH.example./x"))
                .isInstanceOf(java.net.UnknownHostException.class);
        assertThatThrownBy(() -> wildcard.check("https://push.example/x"))
                .isInstanceOf(EndpointPolicy.RefusedException.class);
    }
}
