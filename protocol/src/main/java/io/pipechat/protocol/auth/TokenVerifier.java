package io.pipechat.protocol.auth;

/**
 * Checks a bearer token and says whose it is. HS256 with a shared secret is the default
 * ({@link Hs256Tokens}); an RS256/JWKS verifier plugs in here.
 */
@FunctionalInterface
public interface TokenVerifier {

    /** @throws InvalidTokenException if the token is missing, malformed, forged or expired */
    VerifiedToken verify(String token) throws InvalidTokenException;
}
