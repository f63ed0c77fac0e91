package io.pipechat.assets.client;

import io.pipechat.protocol.Ids;
import io.pipechat.protocol.Media;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Client of the media API: the reference for app developers, used by tests and {@code bench}.
 *
 * <p>Sending: {@link #upload(byte[], String, String)} seals the file ({@link MediaCrypto}), asks
 * {@code HEAD /v1/media/{id}} whether the service already has it and only otherwise {@code PUT}s it
 * (with {@code Expect: 100-continue}, so a refused or already-stored upload never sends its body),
 * and returns the {@link Media} object to put into a {@code send} frame. Receiving:
 * {@link #download(Media)} fetches the blob, checks its hash, decrypts and verifies it.
 *
 * <p>Files are held in memory (they are encrypted whole, as in WebCrypto); the service itself
 * streams.
 */
public final class MediaClient {
    private final URI base;
    private final Supplier<String> token;
    private final HttpClient http;

    /** What {@link #put} / {@link #uploadSealed} found. */
    public enum Outcome {
        /** {@code HEAD} said the content is stored: no upload happened. */
        SKIPPED,
        /** The service stored the content now (201). */
        CREATED,
        /** The service already had the content (200). */
        ALREADY_STORED
    }

    /**
     * @param baseUri service root, e.g. {@code http://127.0.0.1:8080} (the client adds {@code /v1/media/})
     * @param token   supplies the bearer token for uploads (may be null for a download-only client)
     */
    public MediaClient(URI baseUri, Supplier<String> token) {
        this(baseUri, token, HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build());
    }

    public MediaClient(URI baseUri, Supplier<String> token, HttpClient http) {
        String s = baseUri.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.token = token;
        this.http = Objects.requireNonNull(http);
    }

    /** Seals, deduplicates and uploads a file; returns the attachment for a {@code send} frame. */
    public Media upload(byte[] plaintext, String mime, String name) throws IOException, InterruptedException {
        SealedMedia sealed = MediaCrypto.seal(plaintext, mime);
        uploadSealed(sealed);
        return new Media(sealed.id(), mime, sealed.size(), sealed.key(), name);
    }

    /** {@code HEAD}, then {@code PUT} only if the service does not have the blob yet. */
    public Outcome uploadSealed(SealedMedia sealed) throws IOException, InterruptedException {
        if (exists(sealed.id())) {
            return Outcome.SKIPPED;
        }
        return put(sealed.id(), sealed.blob());
    }

    /** {@code HEAD /v1/media/{id}}: whether the service stores this blob. */
    public boolean exists(String id) throws IOException, InterruptedException {
        HttpResponse<Void> res = http.send(request(id).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        return switch (res.statusCode()) {
            case 200 -> true;
            case 404 -> false;
            default -> throw new MediaHttpException("HEAD " + id, res.statusCode(), null);
        };
    }

    /** {@code PUT /v1/media/{id}} of raw blob bytes. */
    public Outcome put(String id, byte[] blob) throws IOException, InterruptedException {
        HttpRequest.Builder req = request(id)
                .expectContinue(true)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob));
        if (token != null) {
            req.header("Authorization", "Bearer " + token.get());
        }
        HttpResponse<String> res = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return switch (res.statusCode()) {
            case 201 -> Outcome.CREATED;
            case 200 -> Outcome.ALREADY_STORED;
            default -> throw new MediaHttpException("PUT " + id, res.statusCode(), res.body());
        };
    }

    /** {@code GET /v1/media/{id}}: the raw blob, unverified. */
    public byte[] fetch(String id) throws IOException, InterruptedException {
        HttpResponse<byte[]> res = http.send(request(id).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (res.statusCode() != 200) {
            throw new MediaHttpException("GET " + id, res.statusCode(), new String(res.body(), StandardCharsets.UTF_8));
        }
        return res.body();
    }

    /** Downloads, verifies and decrypts an attachment; the result must be exactly {@code media.size()} bytes. */
    public byte[] download(Media media) throws IOException, InterruptedException, MediaFormatException {
        byte[] plaintext = download(media.id(), media.key(), media.size());
        if (plaintext.length != media.size()) {
            throw new MediaFormatException("expected " + media.size() + " bytes, got " + plaintext.length);
        }
        return plaintext;
    }

    /** Downloads, verifies and decrypts blob {@code id}, refusing content larger than {@code maxBytes}. */
    public byte[] download(String id, String key, long maxBytes)
            throws IOException, InterruptedException, MediaFormatException {
        return MediaCrypto.open(id, fetch(id), key, maxBytes);
    }

    public URI uri(String id) {
        if (!Ids.isMediaId(id)) {
            throw new IllegalArgumentException("not a media id: " + id);
        }
        return base.resolve("v1/media/" + id);
    }

    private HttpRequest.Builder request(String id) {
        return HttpRequest.newBuilder(uri(id)).timeout(Duration.ofMinutes(2));
    }
}
