package io.pipechat.notifier;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.notifier.TestPushService.Hang;
import io.pipechat.notifier.TestPushService.Received;
import io.pipechat.notifier.TestPushService.Status;
import io.pipechat.notifier.push.EndpointPolicy;
import io.pipechat.notifier.push.PushOutcome;
import io.pipechat.notifier.push.PushSubscription;
import io.pipechat.notifier.webpush.VapidKeys;
import io.pipechat.notifier.webpush.VapidTokens;
import io.pipechat.notifier.webpush.WebPushSender;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One send against a real HTTP push service on loopback: the request is valid Web Push, each answer maps to its outcome. */
class WebPushSenderTest {
    /** The test push service listens on plain http on 127.0.0.1: allowed explicitly. */
    static final EndpointPolicy LOCAL_PUSH_SERVICE = new EndpointPolicy(List.of("127.0.0.1"), true, true);
    private static final byte[] PAYLOAD = "{\"type\":\"messages_waiting\",\"pending\":1}".getBytes(StandardCharsets.UTF_8);

    private TestPushService service;
    private HttpClient http;
    private VapidKeys keys;
    private WebPushSender sender;
    private final BrowserSubscription browser = BrowserSubscription.create();

    @BeforeEach
    void start() throws Exception {
        service = new TestPushService();
        http = WebPushSender.httpClient(Duration.ofSeconds(2));
        keys = VapidKeys.generate();
        sender = new WebPushSender(http, keys, "mailto:ops@example.org", Duration.ofHours(24), Duration.ofSeconds(5),
                LOCAL_PUSH_SERVICE, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        service.close();
        http.close();
    }

    private PushSubscription subscription(String name) {
        return new PushSubscription(7, "alice", service.endpoint(name), browser.p256dh(), browser.auth());
    }

    @Test
    void acceptedPushIsAValidEncryptedWebPushRequest() throws Exception {
        assertThat(sender.send(subscription("a"), PAYLOAD)).isEqualTo(new PushOutcome.Delivered(201));

        Received push = service.received("a").getFirst();
        assertThat(push.problem()).isNull();
        assertThat(push.key()).isEqualTo(keys.publicKeyBase64Url());
        assertThat(push.claims().getSubject()).isEqualTo("mailto:ops@example.org");
        assertThat(push.headers()).containsEntry("TTL", "86400").containsEntry("Urgency", "high")
                .containsEntry("Topic", "messages-waiting");
        assertThat(browser.decrypt(push.body())).isEqualTo(PAYLOAD);
    }

    @Test
    void goneAndNotFoundMeanTheSubscriptionIsGone() throws Exception {
        service.script("a", new Status(410), new Status(404));

        assertThat(sender.send(subscription("a"), PAYLOAD)).isEqualTo(new PushOutcome.Gone(410));
        assertThat(sender.send(subscription("a"), PAYLOAD)).isEqualTo(new PushOutcome.Gone(404));
    }

    @Test
    void tooManyRequestsAndServerErrorsAreRetryableWithRetryAfter() throws Exception {
        service.script("a", new Status(429, Map.of("Retry-After", "7")), new Status(503));

        assertThat(sender.send(subscription("a"), PAYLOAD))
                .isEqualTo(new PushOutcome.Retryable("HTTP 429", Optional.of(Duration.ofSeconds(7))));
        assertThat(sender.send(subscription("a"), PAYLOAD))
                .isEqualTo(new PushOutcome.Retryable("HTTP 503", Optional.empty()));
    }

    @Test
    void aHangingPushServiceTimesOutRetryably() throws Exception {
        service.script("a", new Hang());

        WebPushSender impatient = new WebPushSender(http, keys, "mailto:ops@example.org", Duration.ofHours(24),
                Duration.ofMillis(300), LOCAL_PUSH_SERVICE, Clock.systemUTC());

        PushOutcome outcome = impatient.send(subscription("a"), PAYLOAD);

        assertThat(outcome).isInstanceOf(PushOutcome.Retryable.class);
        assertThat(((PushOutcome.Retryable) outcome).reason()).startsWith("timed out");
    }

    @Test
    void clientErrorsAndUnusableSubscriptionsAreRejected() throws Exception {
        service.script("a", new Status(400));
        assertThat(sender.send(subscription("a"), PAYLOAD)).isInstanceOf(PushOutcome.Rejected.class);

        PushSubscription badKey = new PushSubscription(8, "alice", service.endpoint("b"), "AAAA", browser.auth());
        assertThat(sender.send(badKey, PAYLOAD)).isInstanceOf(PushOutcome.Rejected.class);
        PushSubscription badEndpoint = new PushSubscription(9, "alice", "ftp://x/y", browser.p256dh(), browser.auth());
        assertThat(sender.send(badEndpoint, PAYLOAD)).isEqualTo(new PushOutcome.Refused("not an http(s) URL"));
        WebPushSender httpsOnly = new WebPushSender(http, keys, "mailto:ops@example.org", Duration.ofHours(24),
                Duration.ofSeconds(5), new EndpointPolicy(List.of("127.0.0.1"), false, true), Clock.systemUTC());
        assertThat(httpsOnly.send(subscription("b"), PAYLOAD)).isEqualTo(new PushOutcome.Refused("not an https URL"));
        assertThat(service.received("b")).isEmpty();
    }

    @Test
    void aSubscriptionPointingAtLoopbackIsRefusedUnlessLoopbackIsAllowed() throws Exception {
        WebPushSender production = new WebPushSender(http, keys, "mailto:ops@example.org", Duration.ofHours(24),
                Duration.ofSeconds(5), new EndpointPolicy(List.of("127.0.0.1", "localhost"), true, false),
                Clock.systemUTC());
        String byName = service.endpoint("internal").replace("127.0.0.1", "localhost");

        assertThat(production.send(subscription("internal"), PAYLOAD))
                .isEqualTo(new PushOutcome.Refused("host 127.0.0.1 resolves to loopback address 127.0.0.1"));
        assertThat(production.send(new PushSubscription(7, "alice", byName, browser.p256dh(), browser.auth()), PAYLOAD))
                .isInstanceOf(PushOutcome.Refused.class);
        assertThat(service.received("internal")).as("requests that reached the internal service").isEmpty();
    }

    @Test
    void aHostOffTheAllowListIsNeverContacted() throws Exception {
        WebPushSender defaults = new WebPushSender(http, keys, "mailto:ops@example.org", Duration.ofHours(24),
                Duration.ofSeconds(5), new EndpointPolicy(EndpointPolicy.DEFAULT_ALLOWED_HOSTS, true, true),
                Clock.systemUTC());

        assertThat(defaults.send(subscription("a"), PAYLOAD))
                .isEqualTo(new PushOutcome.Refused("host 127.0.0.1 is not an allowed push service"));
        assertThat(service.received("a")).isEmpty();
    }

    @Test
    void aRedirectIsNotFollowed() throws Exception {
        try (TestPushService internal = new TestPushService()) {
            service.script("a", new Status(307, Map.of("Location", internal.endpoint("secret"))));

            assertThat(sender.send(subscription("a"), PAYLOAD)).isInstanceOf(PushOutcome.Rejected.class);
            assertThat(internal.received("secret")).as("requests that followed the redirect").isEmpty();
        }
    }

    @Test
    void thePushServiceRefusesAnExpiredTokenAndAKeyThatDidNotSign() throws Exception {
        // The checks of the test push service can fail: an expired JWT and a foreign k= are both refused.
        WebPushSender late = new WebPushSender(http, keys, "mailto:ops@example.org", Duration.ofHours(24),
                Duration.ofSeconds(1), LOCAL_PUSH_SERVICE, Clock.offset(Clock.systemUTC(), Duration.ofHours(-13)));
        assertThat(late.send(subscription("late"), PAYLOAD)).isInstanceOf(PushOutcome.Rejected.class);
        assertThat(service.received("late").getFirst().problem()).startsWith("exp");

        String authorization = new VapidTokens(keys, "mailto:ops@example.org", Clock.systemUTC())
                .authorization(URI.create(service.endpoint("forged")));
        String forged = authorization.replaceFirst("k=.*", "k=" + VapidKeys.generate().publicKeyBase64Url());
        HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(service.endpoint("forged")))
                .header("TTL", "60").header("Urgency", "high").header("Content-Encoding", "aes128gcm")
                .header("Authorization", forged).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[]{1}))
                .build(), HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(service.received("forged").getFirst().problem()).isEqualTo("bad JWT signature");
    }
}
