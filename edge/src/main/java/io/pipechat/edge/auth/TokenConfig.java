package io.pipechat.edge.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import io.helidon.config.Config;
import io.pipechat.protocol.auth.Hs256Tokens;
import io.pipechat.protocol.auth.TokenVerifier;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.text.ParseException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How the edge checks bearer tokens, read from {@code edge.token}:
 * <ul>
 *   <li>{@code jwks-url}, {@code issuer}, {@code audience} (production identity): RS256/ES256 tokens of
 *       an identity provider ({@link JwksTokens}); {@code jwks-refresh-min-interval} (PT30S) limits
 *       the fetches of its key set;
 *   <li>{@code secret}: HS256 with a shared secret of at least 32 bytes (development, or setups that
 *       issue their own tokens). Outside development mode it must be set (unless {@code jwks-url} is)
 *       and must not be a development value; in development mode the development secret is the
 *       default, and {@code POST /v1/dev/token} issues HS256 tokens with it.
 * </ul>
 * With both, a token is checked by its algorithm: HS256 with the secret, anything else with the JWKS.
 * Settings that would let anybody forge tokens stop the edge at start, with a message naming the
 * setting.
 */
public record TokenConfig(Optional<Hs256Tokens> hs256, Optional<JwksTokens> jwks) {
    /** Secrets published in this repository: the code's default and docker-compose.yml's fallback. */
    static final Set<String> DEVELOPMENT_SECRETS = Set.of(Hs256Tokens.DEVELOPMENT_SECRET,
            "change-me-this-is-not-a-secret-0123456789");

    public static TokenConfig from(Config token, boolean devMode) {
        Optional<JwksTokens> jwks = token.get("jwks-url").asString().asOptional().map(url -> new JwksTokens(
                url(url),
                required(token, "issuer"),
                required(token, "audience"),
                token.get("jwks-refresh-min-interval").as(Duration.class).orElse(Duration.ofSeconds(30))));
        Optional<String> secret = token.get("secret").asString().asOptional().filter(s -> !s.isBlank());
        if (!devMode) {
            if (secret.isEmpty() && jwks.isEmpty()) {
                throw new IllegalStateException("edge.token.secret is not set (EDGE_TOKEN_SECRET): set a random secret of"
                        + " at least 32 bytes (e.g. openssl rand -base64 48), or edge.token.jwks-url for an identity"
                        + " provider; only edge.dev-mode=true runs with the development secret");
            }
            if (secret.isPresent() && DEVELOPMENT_SECRETS.contains(secret.get())) {
                throw new IllegalStateException("edge.token.secret is a development secret published in the repository:"
                        + " anybody could forge tokens; set a random secret of at least 32 bytes");
            }
        } else if (secret.isEmpty() && jwks.isEmpty()) {
            secret = Optional.of(Hs256Tokens.DEVELOPMENT_SECRET);
        }
        return new TokenConfig(secret.map(Hs256Tokens::new), jwks);
    }

    /** The verifier of bearer tokens for the WebSocket and the HTTP API. */
    public TokenVerifier verifier() {
        if (jwks.isEmpty()) {
            return hs256.orElseThrow();
        }
        if (hs256.isEmpty()) {
            return jwks.get();
        }
        return token -> isHs256(token) ? hs256.get().verify(token) : jwks.get().verify(token);
    }

    private static boolean isHs256(String token) {
        try {
            return token != null && JWSAlgorithm.HS256.equals(JWSObject.parse(token).getHeader().getAlgorithm());
        } catch (ParseException e) {
            return false; // the JWKS verifier says it is malformed
        }
    }

    private static String required(Config token, String key) {
        return token.get(key).asString().asOptional().filter(s -> !s.isBlank()).orElseThrow(() ->
                new IllegalStateException("edge.token." + key + " must be set with edge.token.jwks-url"));
    }

    private static URL url(String url) {
        try {
            return URI.create(url).toURL();
        } catch (IllegalArgumentException | MalformedURLException e) {
            throw new IllegalStateException("edge.token.jwks-url is not a URL: " + url, e);
        }
    }
}
