package io.pipechat.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipechat.protocol.auth.Hs256Tokens;
import io.pipechat.protocol.auth.InvalidTokenException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class TokensTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @Test
    void issuedTokenVerifiesToItsUser() throws Exception {
        Hs256Tokens tokens = new Hs256Tokens(SECRET);
        assertThat(tokens.verify(tokens.issue("alice", Duration.ofHours(1))).user()).isEqualTo("alice");
    }

    @Test
    void refusesForgedExpiredAndMalformedTokens() {
        Hs256Tokens tokens = new Hs256Tokens(SECRET);
        String forged = new Hs256Tokens("another-secret-another-secret-xx").issue("alice", Duration.ofHours(1));
        assertThatThrownBy(() -> tokens.verify(forged)).isInstanceOf(InvalidTokenException.class);

        Clock past = Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC);
        String expired = new Hs256Tokens(SECRET, past).issue("alice", Duration.ofHours(1));
        assertThatThrownBy(() -> tokens.verify(expired)).hasMessage("token expired");

        assertThatThrownBy(() -> tokens.verify("abc")).isInstanceOf(InvalidTokenException.class);
        assertThatThrownBy(() -> tokens.verify(null)).isInstanceOf(InvalidTokenException.class);
        String valid = tokens.issue("alice", Duration.ofHours(1));
        String tampered = valid.substring(0, valid.lastIndexOf('.') + 1) + "AAAA";
        assertThatThrownBy(() -> tokens.verify(tampered)).isInstanceOf(InvalidTokenException.class);
    }
}
