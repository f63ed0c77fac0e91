package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import io.pipechat.edge.auth.JwksTokens;
import io.pipechat.protocol.auth.Hs256Tokens;
import io.pipechat.protocol.auth.InvalidTokenException;
import io.pipechat.protocol.auth.TokenVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 16, identity: written as the attacks and the misconfigurations that would allow them. */
class TokenConfigTest {
    private static TestIdentityProvider provider;

    @BeforeAll
    static void start() {
        provider = new TestIdentityProvider();
    }

    @AfterAll
    static void stop() {
        provider.close();
    }

    private static EdgeConfig config(Map<String, String> settings) {
        return EdgeConfig.from(Edge.config(settings));
    }

    @Test
    void refusesToStartOutsideDevelopmentModeWithoutASecret() {
        assertThatThrownBy(() -> config(Map.of())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("edge.token.secret");
        assertThatThrownBy(() -> config(Map.of("edge.token.secret", " "))).hasMessageContaining("edge.token.secret");
    }

    @Test
    void refusesToStartWithADevelopmentSecretOfTheRepository() throws IOException {
        // docker-compose.yml must not fall back to a public secret: it requires one (${VAR:?}).
        assertThat(Files.readString(Path.of("..", "docker-compose.yml"))).doesNotContain("PIPECHAT_TOKEN_SECRET:-");
        for (String secret : new String[] {Hs256Tokens.DEVELOPMENT_SECRET}) {
            assertThatThrownBy(() -> config(Map.of("edge.token.secret", secret)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("edge.token.secret");
        }
    }

    @Test
    void developmentModeRunsWithTheDevelopmentSecretAndProductionWithItsOwn() throws Exception {
        TokenVerifier dev = config(Map.of("edge.dev-mode", "true")).tokens().verifier();
        assertThat(dev.verify(new Hs256Tokens(Hs256Tokens.DEVELOPMENT_SECRET).issue("ann", Duration.ofMinutes(1))).user())
                .isEqualTo("ann");
        String secret = "a-real-secret-a-real-secret-0123456789";
        TokenVerifier prod = config(Map.of("edge.token.secret", secret)).tokens().verifier();
        assertThat(prod.verify(new Hs256Tokens(secret).issue("ann", Duration.ofMinutes(1))).user()).isEqualTo("ann");
        assertThatThrownBy(() -> prod.verify(new Hs256Tokens(Hs256Tokens.DEVELOPMENT_SECRET).issue("ann", Duration.ofMinutes(1))))
                .as("a token forged with the development secret").isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void anIdentityProviderNeedsItsIssuerAndAudience() {
        assertThatThrownBy(() -> config(Map.of("edge.token.jwks-url", provider.jwksUrl(),
                "edge.token.audience", TestIdentityProvider.AUDIENCE))).hasMessageContaining("edge.token.issuer");
        assertThatThrownBy(() -> config(Map.of("edge.token.jwks-url", provider.jwksUrl(),
                "edge.token.issuer", TestIdentityProvider.ISSUER))).hasMessageContaining("edge.token.audience");
    }

    @Test
    void acceptsTokensSignedByTheIdentityProviderOnly() throws Exception {
        TokenVerifier tokens = jwksOnly();
        assertThat(tokens.verify(provider.rs256("bea")).user()).isEqualTo("bea");
        assertThat(tokens.verify(provider.es256("bea")).user()).isEqualTo("bea");
        assertThatThrownBy(() -> tokens.verify(provider.forged("bea"))).isInstanceOf(InvalidTokenException.class);
        assertThatThrownBy(() -> tokens.verify(new Hs256Tokens(Hs256Tokens.DEVELOPMENT_SECRET).issue("bea", Duration.ofMinutes(1))))
                .as("HS256 is not accepted without a configured secret").isInstanceOf(InvalidTokenException.class);
        // Algorithm confusion: an HS256 token whose MAC key is the provider's public key id's name.
        String confused = TestIdentityProvider.sign(new MACSigner("rsa-1-rsa-1-rsa-1-rsa-1-rsa-1-rsa-1"), JWSAlgorithm.HS256,
                "rsa-1", "bea", TestIdentityProvider.ISSUER, TestIdentityProvider.AUDIENCE);
        assertThatThrownBy(() -> tokens.verify(confused)).isInstanceOf(InvalidTokenException.class);
        String unsigned = provider.rs256("bea").replaceFirst("\\.[^.]+$", ".");
        assertThatThrownBy(() -> tokens.verify(unsigned)).isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void refusesTokensForAnotherIssuerOrAudience() {
        TokenVerifier tokens = jwksOnly();
        assertThatThrownBy(() -> tokens.verify(provider.rs256("cal", "https://evil.example", TestIdentityProvider.AUDIENCE)))
                .isInstanceOf(InvalidTokenException.class);
        assertThatThrownBy(() -> tokens.verify(provider.rs256("cal", TestIdentityProvider.ISSUER, "another-service")))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void acceptsTokensOfARotatedKeyAtOnce() throws Exception {
        try (TestIdentityProvider rotating = new TestIdentityProvider()) {
            JwksTokens tokens = new JwksTokens(java.net.URI.create(rotating.jwksUrl()).toURL(),
                    TestIdentityProvider.ISSUER, TestIdentityProvider.AUDIENCE, Duration.ofSeconds(30));
            assertThat(tokens.verify(rotating.rs256("dot")).user()).isEqualTo("dot");
            rotating.rotate();
            assertThat(tokens.verify(rotating.rs256("dot")).user()).isEqualTo("dot");
            assertThat(rotating.fetches()).isEqualTo(2);
            // Made-up key ids do not make it fetch the keys again and again.
            for (int i = 0; i < 5; i++) {
                String unknownKid = TestIdentityProvider.sign(new com.nimbusds.jose.crypto.RSASSASigner(
                        new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).generate()), JWSAlgorithm.RS256,
                        "made-up-" + i, "dot", TestIdentityProvider.ISSUER, TestIdentityProvider.AUDIENCE);
                assertThatThrownBy(() -> tokens.verify(unknownKid)).isInstanceOf(InvalidTokenException.class);
            }
            assertThat(rotating.fetches()).isLessThanOrEqualTo(3);
        }
    }

    private static TokenVerifier jwksOnly() {
        Map<String, String> settings = new HashMap<>();
        settings.put("edge.token.jwks-url", provider.jwksUrl());
        settings.put("edge.token.issuer", TestIdentityProvider.ISSUER);
        settings.put("edge.token.audience", TestIdentityProvider.AUDIENCE);
        return config(settings).tokens().verifier();
    }
}
