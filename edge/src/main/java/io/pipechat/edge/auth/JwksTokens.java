package io.pipechat.edge.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.auth.InvalidTokenException;
import io.pipechat.protocol.auth.TokenVerifier;
import io.pipechat.protocol.auth.VerifiedToken;
import java.net.URL;
import java.text.ParseException;
import java.time.Duration;
import java.util.Set;

/**
 * JWTs of an identity provider: RS256 or ES256, verified with the provider's keys from its JWKS URL,
 * with its issuer ({@code iss}) and this service's audience ({@code aud}) required; {@code sub} is
 * the user id, {@code exp} is required and checked (60 s clock skew).
 *
 * <p>Keys are cached (5 min); a token with a key id ({@code kid}) not in the cache makes the set be
 * fetched again, which is how a rotated key is picked up at once. Those fetches are rate-limited
 * ({@code refreshMinInterval}, nimbus allows two per interval) so that tokens with made-up key ids
 * cannot make the edge hammer the provider.
 */
public final class JwksTokens implements TokenVerifier {
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    public JwksTokens(URL jwks, String issuer, String audience, Duration refreshMinInterval) {
        JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwks)
                .rateLimited(refreshMinInterval.toMillis())
                .build();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audience,
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp")));
    }

    @Override
    public VerifiedToken verify(String token) throws InvalidTokenException {
        if (token == null || token.isBlank()) {
            throw new InvalidTokenException("missing token");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed token");
        } catch (BadJOSEException e) {
            // Wrong signature, unknown key, algorithm, issuer, audience or expiry: nimbus says which.
            throw new InvalidTokenException(e.getMessage());
        } catch (JOSEException e) {
            throw new InvalidTokenException("token not verifiable now (identity provider keys unavailable)");
        }
        if (!Ids.isUserId(claims.getSubject())) {
            throw new InvalidTokenException("bad subject");
        }
        return new VerifiedToken(claims.getSubject(), claims.getExpirationTime().toInstant());
    }
}
