package io.pipechat.notifier.webpush;

import com.google.crypto.tink.apps.webpush.WebPushHybridEncrypt;
import io.pipechat.notifier.push.EndpointPolicy;
import io.pipechat.notifier.push.PushOutcome;
import io.pipechat.notifier.push.PushSender;
import io.pipechat.notifier.push.PushSubscription;
import java.io.IOException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Web Push: one POST per message to the subscription's endpoint (RFC 8030), the body encrypted for the
 * browser with {@code aes128gcm} (RFC 8291, by Google Tink's {@code apps-webpush}), authenticated with
 * VAPID (RFC 8292, {@link VapidTokens}).
 *
 * <p>Request headers: {@code TTL} (seconds the push service keeps an undelivered message),
 * {@code Urgency: high} (wake the device), {@code Topic: messages-waiting} (an undelivered earlier
 * "messages waiting" is replaced, not stacked), {@code Content-Encoding: aes128gcm},
 * {@code Authorization: vapid t=..., k=...}.
 *
 * <p>Endpoints go through the {@link EndpointPolicy} first (allowed push services on public
 * addresses only): a refused one is never contacted. Redirects are not followed.
 *
 * <p>Responses: 2xx delivered; 404/410 gone; 429 and 5xx retryable (with {@code Retry-After}, seconds or
 * HTTP date); I/O errors, timeouts and hosts that do not resolve retryable; anything else rejected
 * (3xx: a redirect is not followed; 403 usually means the subscription was made for another VAPID
 * key; 413 a too large payload).
 */
public final class WebPushSender implements PushSender {
    /** Collapses undelivered pushes of this kind on the push service (RFC 8030 section 5.4). */
    static final String TOPIC = "messages-waiting";

    private final HttpClient http;
    private final VapidTokens vapid;
    private final Duration ttl;
    private final Duration requestTimeout;
    private final Clock clock;
    private final EndpointPolicy endpoints;

    /**
     * @param ttl            how long the push service keeps a message for an unreachable device
     * @param requestTimeout the longest one POST may take, response included
     * @param endpoints      the endpoints the notifier may send to
     */
    public WebPushSender(HttpClient http, VapidKeys keys, String subject, Duration ttl, Duration requestTimeout,
                         EndpointPolicy endpoints, Clock clock) {
        this.http = http;
        this.vapid = new VapidTokens(keys, subject, clock);
        this.ttl = ttl;
        this.requestTimeout = requestTimeout;
        this.endpoints = endpoints;
        this.clock = clock;
    }

    /** An HTTP client for push services: HTTP/2 where offered, connect timeout as given, no redirects. */
    public static HttpClient httpClient(Duration connectTimeout) {
        return HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public PushOutcome send(PushSubscription subscription, byte[] payload) throws InterruptedException {
        URI endpoint;
        try {
            endpoint = endpoints.check(subscription.endpoint());
        } catch (EndpointPolicy.RefusedException e) {
            return new PushOutcome.Refused(e.getMessage());
        } catch (UnknownHostException e) {
            return new PushOutcome.Retryable("unknown host: " + e.getMessage(), Optional.empty());
        }
        byte[] body;
        try {
            body = encrypt(subscription, payload);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return new PushOutcome.Rejected("unusable subscription: " + e.getMessage());
        }
        HttpRequest request = HttpRequest.newBuilder(endpoint)
                .timeout(requestTimeout)
                .header("TTL", Long.toString(ttl.toSeconds()))
                .header("Urgency", "high")
                .header("Topic", TOPIC)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Encoding", "aes128gcm")
                .header("Authorization", vapid.authorization(endpoint))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            return new PushOutcome.Retryable("timed out after " + requestTimeout, Optional.empty());
        } catch (IOException e) {
            return new PushOutcome.Retryable("I/O error: " + e, Optional.empty());
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return new PushOutcome.Delivered(status);
        }
        if (status == 404 || status == 410) {
            return new PushOutcome.Gone(status);
        }
        if (status == 429 || status >= 500) {
            return new PushOutcome.Retryable("HTTP " + status,
                    response.headers().firstValue("Retry-After").flatMap(v -> retryAfter(v, clock)));
        }
        return new PushOutcome.Rejected("HTTP " + status + " " + abbreviate(response.body()));
    }

    /** The body: RFC 8291 {@code aes128gcm} (salt, record size, sender key, one record). */
    static byte[] encrypt(PushSubscription subscription, byte[] payload) throws GeneralSecurityException {
        byte[] uaPublic = P256.fromBase64Url(subscription.p256dh());
        P256.publicKey(uaPublic); // rejects points off the curve with a clear message
        return new WebPushHybridEncrypt.Builder()
                .withAuthSecret(P256.fromBase64Url(subscription.auth()))
                .withRecipientPublicKey(uaPublic)
                .build()
                .encrypt(payload, null);
    }

    /** {@code Retry-After}: delay-seconds or an HTTP date (RFC 9110 section 10.2.3); empty if neither. */
    static Optional<Duration> retryAfter(String value, Clock clock) {
        String v = value.strip();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(clock.instant(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException e2) {
                return Optional.empty();
            }
        }
    }

    private static String abbreviate(String body) {
        String b = body == null ? "" : body.strip();
        return b.length() <= 200 ? b : b.substring(0, 200) + "...";
    }
}
