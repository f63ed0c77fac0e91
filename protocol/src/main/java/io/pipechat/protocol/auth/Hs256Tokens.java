package io.pipechat.protocol.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.pipechat.protocol.Ids;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** JWTs signed with HMAC-SHA256 and a shared secret of at least 32 bytes. */
public final class Hs256Tokens implements TokenVerifier {
    /**
     * The secret every service uses when none is configured, so the development stack works out of
     * the box. Production configurations set their own ({@code edge.token.secret}, ...).
     */
    public static final String DEVELOPMENT_SECRET = "pipechat-development-secret-change-me!";

    private final byte[] secret;
    private final Clock clock;
    private final MACVerifier verifier;

    public Hs256Tokens(String secret) {
        this(secret, Clock.systemUTC());
    }

    public Hs256Tokens(String secret, Clock clock) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        if (this.secret.length < 32) {
            throw new IllegalArgumentException("the token secret needs at least 32 bytes");
        }
        this.clock = clock;
        try {
            this.verifier = new MACVerifier(this.secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Issues a token for {@code user}, valid for {@code ttl}. */
    public String issue(String user, Duration ttl) {
        if (!Ids.isUserId(user)) {
            throw new IllegalArgumentException("bad user id");
        }
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(user)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(new MACSigner(secret));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    @Override
    public VerifiedToken verify(String token) throws InvalidTokenException {
        if (token == null || token.isBlank()) {
            throw new InvalidTokenException("missing token");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed token");
        }
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
            throw new InvalidTokenException("unsupported algorithm");
        }
        try {
            if (!jwt.verify(verifier)) {
                throw new InvalidTokenException("bad signature");
            }
        } catch (JOSEException e) {
            throw new InvalidTokenException("bad signature");
        }
        Date exp = claims.getExpirationTime();
        if (exp == null || !exp.toInstant().isAfter(clock.instant())) {
            throw new InvalidTokenException("token expired");
        }
        String user = claims.getSubject();
        if (!Ids.isUserId(user)) {
            throw new InvalidTokenException("bad subject");
        }
        return new VerifiedToken(user, exp.toInstant());
    }
}
