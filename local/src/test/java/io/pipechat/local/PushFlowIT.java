package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.pipechat.embedded.testing.ChatClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Push notifications through the whole stack: a browser-like subscription registered at the edge,
 * the router asking for a push when a message waits for an offline user, the notifier sending an
 * encrypted, VAPID-signed Web Push to the push service (here a stand-in on loopback: the real ones
 * cannot be reached from this machine; the notifier's own tests decrypt and verify the pushes).
 */
@ExtendWith(StackExtension.class)
class PushFlowIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static LocalStack stack;
    private static HttpServer pushService;
    private static final BlockingQueue<Map<String, List<String>>> PUSHES = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start(LocalStack shared) throws Exception {
        stack = shared;
        pushService = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pushService.createContext("/push/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            var headers = new java.util.HashMap<>(exchange.getRequestHeaders());
            headers.put("path", List.of(exchange.getRequestURI().getPath()));
            PUSHES.add(headers);
            exchange.sendResponseHeaders(201, -1);
            exchange.close();
        });
        pushService.start();
    }

    @AfterAll
    static void stop() {
        pushService.stop(0);
    }

    /** Subscribes {@code user} as a browser would: a P-256 key pair and a 16-byte auth secret. */
    private static String subscribe(String user) throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey pub = (ECPublicKey) gen.generateKeyPair().getPublic();
        byte[] point = new byte[65];
        point[0] = 4;
        byte[] x = pub.getW().getAffineX().toByteArray();
        byte[] y = pub.getW().getAffineY().toByteArray();
        System.arraycopy(x, Math.max(0, x.length - 32), point, 1 + Math.max(0, 32 - x.length), Math.min(32, x.length));
        System.arraycopy(y, Math.max(0, y.length - 32), point, 33 + Math.max(0, 32 - y.length), Math.min(32, y.length));
        byte[] auth = new byte[16];
        new SecureRandom().nextBytes(auth);
        var b64 = Base64.getUrlEncoder().withoutPadding();
        String path = "/push/" + user;
        String endpoint = "http://127.0.0.1:" + pushService.getAddress().getPort() + path;
        String body = "{\"endpoint\":\"" + endpoint + "\",\"keys\":{\"p256dh\":\"" + b64.encodeToString(point)
                + "\",\"auth\":\"" + b64.encodeToString(auth) + "\"}}";
        HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create(stack.url(0) + "/v1/push/subscriptions"))
                .header("Authorization", "Bearer " + ChatClient.devToken(stack.url(0), user))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(201);
        return path;
    }

    private static Map<String, List<String>> nextPushTo(String path, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            Map<String, List<String>> push = PUSHES.poll(200, TimeUnit.MILLISECONDS);
            if (push != null && push.get("path").getFirst().equals(path)) {
                return push;
            }
        }
        return null;
    }

    @Test
    void anOfflineUserGetsOneEncryptedSignedPushForABurstAndAnOnlineUserNone() throws Exception {
        String alice = People.named("alice");
        String bob = People.named("bob");
        String carol = People.named("carol");
        String bobPath = subscribe(bob);
        String carolPath = subscribe(carol);
        try (ChatClient a = People.connect(stack, 0, alice, "phone"); ChatClient c = People.connect(stack, 1, carol, "phone")) {
            for (int i = 0; i < 3; i++) {
                a.sendTo(bob, "wake-" + i, "are you up?");
                a.sendTo(carol, "hi-" + i, "you are online");
            }
            a.next("sent", 6);
            c.next("msg", 3);

            Map<String, List<String>> push = nextPushTo(bobPath, 30);
            assertThat(push).as("a push for the offline user").isNotNull();
            assertThat(push.get("Content-encoding")).containsExactly("aes128gcm");
            assertThat(push.get("Authorization").getFirst()).startsWith("vapid t=").contains(", k=");
            assertThat(push.get("Ttl")).isNotEmpty();

            assertThat(nextPushTo(bobPath, 3)).as("one push for the burst").isNull();
            assertThat(nextPushTo(carolPath, 1)).as("none for the online user").isNull();
        }
    }
}
