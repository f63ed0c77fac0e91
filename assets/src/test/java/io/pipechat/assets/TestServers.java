package io.pipechat.assets;

import io.pipechat.protocol.auth.Hs256Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

/** Shared helpers: a config for a real server on a free port, tokens, hashing. */
public final class TestServers {
    public static final String SECRET = "test-secret-test-secret-test-secret-0123";
    public static final Hs256Tokens TOKENS = new Hs256Tokens(SECRET);

    private TestServers() {
    }

    public static AssetsConfig config(Path dir) {
        return AssetsConfig.defaults().withHost("127.0.0.1").withPort(0).withStoreDir(dir).withTokenSecret(SECRET);
    }

    public static String token(String user) {
        return TOKENS.issue(user, Duration.ofMinutes(10));
    }

    public static URI base(AssetsServer server) {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    public static HttpClient http() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
