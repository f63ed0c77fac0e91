package io.pipechat.protocol.auth;

import java.time.Instant;

/** A token that passed verification: {@code sub} is the user id. */
public record VerifiedToken(String user, Instant expiresAt) {
}
