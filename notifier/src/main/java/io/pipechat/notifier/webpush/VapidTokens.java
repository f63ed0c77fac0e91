package io.pipechat.notifier.webpush;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * RFC 8292 VAPID {@code Authorization} headers: {@code vapid t=<JWT>, k=<public key>}, the JWT signed
 * ES256 with claims {@code aud} (the push resource's origin), {@code exp} ({@link #LIFETIME} ahead,
 * under the 24 hours push services accept) and {@code sub} (the operator's contact).
 *
 * <p>Tokens are cached per origin (a few push services serve every browser) and renewed when less than
 * {@link #RENEW_BEFORE} of their lifetime is left; the cache holds one entry per origin ever seen.
 */
public final class VapidTokens {
    static final Duration LIFETIME = Duration.ofHours(12);
    static final Duration RENEW_BEFORE = Duration.ofHours(1);

    private final VapidKeys keys;
    private final String subject;
    private final Clock clock;
    private final ECDSASigner signer;
    private final ConcurrentMap<String, Token> tokens = new ConcurrentHashMap<>();

    private record Token(String header, Instant expires) {
    }

    /**
     * @param subject the contact push services may use: a {@code mailto:} or {@code https:} URI
     * @throws IllegalArgumentException if the subject is neither
     */
    public VapidTokens(VapidKeys keys, String subject, Clock clock) {
        if (subject == null || !(subject.startsWith("mailto:") || subject.startsWith("https:"))) {
            throw new IllegalArgumentException("the VAPID subject must be a mailto: or https: URI, was " + subject);
        }
        this.keys = keys;
        this.subject = subject;
        this.clock = clock;
        try {
            this.signer = new ECDSASigner(keys.privateKey());
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the VAPID private key cannot sign ES256", e);
        }
    }

    /** The {@code Authorization} header value for a push to {@code endpoint}. */
    public String authorization(URI endpoint) {
        String audience = origin(endpoint);
        Instant now = clock.instant();
        Token token = tokens.get(audience);
        if (token == null || token.expires().minus(RENEW_BEFORE).isBefore(now)) {
            token = sign(audience, now);
            tokens.put(audience, token);
        }
        return token.header();
    }

    /** {@code scheme://host[:port]}: the port only when the URI names one (RFC 6454 serialization). */
    static String origin(URI uri) {
        String origin = uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost().toLowerCase(Locale.ROOT);
        return uri.getPort() == -1 ? origin : origin + ":" + uri.getPort();
    }

    private Token sign(String audience, Instant now) {
        Instant expires = now.plus(LIFETIME);
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .audience(audience)
                .expirationTime(Date.from(expires))
                .subject(subject)
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("ES256 signing failed", e);
        }
        return new Token("vapid t=" + jwt.serialize() + ", k=" + keys.publicKeyBase64Url(), expires);
    }
}
