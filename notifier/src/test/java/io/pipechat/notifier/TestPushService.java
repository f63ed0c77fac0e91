package io.pipechat.notifier;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pipechat.notifier.webpush.P256;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A push service on loopback playing the browser vendor's part (RFC 8030 push resources at
 * {@code /push/<name>}): it checks each request as a push service does (VAPID JWT signature with the
 * {@code k=} key, {@code aud} = its origin, {@code exp} within 24 hours, {@code sub}; the Web Push
 * headers), answers 403 when the check fails, and otherwise what the test scripted for that resource
 * (default 201). Every request is recorded with its check result and body, for the test to decrypt.
 */
final class TestPushService implements AutoCloseable {
    private static final Pattern VAPID = Pattern.compile("vapid t=([A-Za-z0-9_.-]+),\\s*k=([A-Za-z0-9_-]+)");

    /** What a resource answers next. */
    sealed interface Response {
    }

    record Status(int status, Map<String, String> headers) implements Response {
        Status(int status) {
            this(status, Map.of());
        }
    }

    /** Never answers (until the test releases it or the service closes). */
    record Hang() implements Response {
    }

    /**
     * One request received.
     *
     * @param problem why the request is not a valid Web Push request (null when it is)
     * @param claims  the verified VAPID claims (null when the check failed)
     * @param key     the {@code k=} key
     */
    record Received(String name, Instant at, Map<String, String> headers, byte[] body, String problem,
                    JWTClaimsSet claims, String key) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Deque<Response>> scripts = new ConcurrentHashMap<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger hanging = new AtomicInteger();

    TestPushService() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/push/", this::handle);
        server.start();
    }

    String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String endpoint(String name) {
        return origin() + "/push/" + name;
    }

    /** The next answers of resource {@code name}, in order; after them 201. */
    void script(String name, Response... responses) {
        scripts.computeIfAbsent(name, k -> new ConcurrentLinkedDeque<>()).addAll(List.of(responses));
    }

    List<Received> received(String name) {
        return received.stream().filter(r -> r.name().equals(name)).toList();
    }

    List<Received> all() {
        return new ArrayList<>(received);
    }

    /** Requests being held by {@link Hang} right now. */
    int hanging() {
        return hanging.get();
    }

    void releaseHanging() {
        release.countDown();
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String name = exchange.getRequestURI().getPath().substring("/push/".length());
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
            Check check = check(exchange.getRequestMethod(), headers, body);
            received.add(new Received(name, Instant.now(), headers, body, check.problem(), check.claims(), check.key()));
            if (check.problem() != null) {
                respond(exchange, 403, Map.of());
                return;
            }
            Deque<Response> script = scripts.get(name);
            Response next = script == null ? null : script.poll();
            switch (next) {
                case null -> respond(exchange, 201, Map.of());
                case Status s -> respond(exchange, s.status(), s.headers());
                case Hang h -> {
                    hanging.incrementAndGet();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        hanging.decrementAndGet();
                    }
                    respond(exchange, 201, Map.of());
                }
            }
        }
    }

    private static void respond(HttpExchange exchange, int status, Map<String, String> headers) throws IOException {
        headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
        exchange.sendResponseHeaders(status, -1);
    }

    private record Check(String problem, JWTClaimsSet claims, String key) {
    }

    private Check check(String method, Map<String, String> headers, byte[] body) {
        if (!"POST".equals(method)) {
            return new Check("method " + method, null, null);
        }
        if (!"aes128gcm".equals(headers.get("Content-Encoding"))) {
            return new Check("Content-Encoding " + headers.get("Content-Encoding"), null, null);
        }
        if (headers.get("TTL") == null || !headers.get("TTL").matches("\\d+")) {
            return new Check("TTL " + headers.get("TTL"), null, null);
        }
        if (!"high".equals(headers.get("Urgency"))) {
            return new Check("Urgency " + headers.get("Urgency"), null, null);
        }
        if (body.length == 0) {
            return new Check("empty body", null, null);
        }
        Matcher m = VAPID.matcher(headers.getOrDefault("Authorization", ""));
        if (!m.matches()) {
            return new Check("Authorization " + headers.get("Authorization"), null, null);
        }
        String key = m.group(2);
        try {
            SignedJWT jwt = SignedJWT.parse(m.group(1));
            if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())) {
                return new Check("alg " + jwt.getHeader().getAlgorithm(), null, key);
            }
            if (!jwt.verify(new ECDSAVerifier(P256.publicKey(P256.fromBase64Url(key))))) {
                return new Check("bad JWT signature", null, key);
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            Object aud = jwt.getPayload().toJSONObject().get("aud");
            if (!origin().equals(aud)) {
                return new Check("aud " + aud + " is not " + origin(), claims, key);
            }
            Instant now = Instant.now();
            Instant exp = claims.getExpirationTime() == null ? null : claims.getExpirationTime().toInstant();
            if (exp == null || !exp.isAfter(now) || exp.isAfter(now.plus(Duration.ofHours(24)))) {
                return new Check("exp " + exp + " not within 24 h of " + now, claims, key);
            }
            String sub = claims.getSubject();
            if (sub == null || !(sub.startsWith("mailto:") || sub.startsWith("https:"))) {
                return new Check("sub " + sub, claims, key);
            }
            return new Check(null, claims, key);
        } catch (Exception e) {
            return new Check("VAPID: " + e, null, key);
        }
    }
}
