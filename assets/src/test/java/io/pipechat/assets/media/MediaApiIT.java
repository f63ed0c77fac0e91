package io.pipechat.assets.media;

import static io.pipechat.assets.TestServers.base;
import static io.pipechat.assets.TestServers.sha256;
import static io.pipechat.assets.TestServers.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.assets.AssetsServer;
import io.pipechat.assets.TestServers;
import io.pipechat.assets.store.FileBlobStore;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP contract of /v1/media against a real server, with the JDK's HTTP client. */
class MediaApiIT {
    private static final long MAX = 1024 * 1024;

    @TempDir
    static Path dir;
    static AssetsServer server;
    static FileBlobStore store;
    static HttpClient http = TestServers.http();
    static final Random RANDOM = new Random(42);

    @BeforeAll
    static void start() {
        server = AssetsServer.start(TestServers.config(dir).withMaxBytes(MAX).withHot(3, Duration.ofMinutes(1), 4 * MAX));
        store = (FileBlobStore) server.media().store();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static byte[] random(int size) {
        byte[] b = new byte[size];
        RANDOM.nextBytes(b);
        return b;
    }

    static URI uri(String id) {
        return base(server).resolve("/v1/media/" + id);
    }

    static HttpResponse<String> put(String id, byte[] body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(id)).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<byte[]> get(String id, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(id)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static int head(String id) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(id)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void uploadThenDownloadReturnsTheSameBytesWithImmutableCachingHeaders() throws Exception {
        byte[] blob = random(300_000);
        String id = sha256(blob);
        assertThat(head(id)).isEqualTo(404);

        HttpResponse<String> created = put(id, blob, token("alice"));
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.body()).contains("\"id\":\"" + id + "\"").contains("\"size\":300000");
        assertThat(head(id)).isEqualTo(200);

        HttpResponse<byte[]> res = get(id);
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo(blob);
        assertThat(res.headers().firstValue("ETag")).hasValue("\"" + id + "\"");
        assertThat(res.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        assertThat(res.headers().firstValue("Content-Length")).hasValue("300000");
        assertThat(res.headers().firstValue("Accept-Ranges")).hasValue("bytes");
        assertThat(store.pathOf(id)).exists().hasBinaryContent(blob);
    }

    @Test
    void headOfStoredBlobGivesItsLengthWithoutBody() throws Exception {
        byte[] blob = random(12_345);
        String id = sha256(blob);
        assertThat(put(id, blob, token("alice")).statusCode()).isEqualTo(201);
        HttpResponse<Void> res = http.send(HttpRequest.newBuilder(uri(id))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Length")).hasValue("12345");
    }

    @Test
    void secondUploadOfSameContentByAnotherUserStoresNothingNewAndCountsADedupHit() throws Exception {
        byte[] blob = random(50_000);
        String id = sha256(blob);
        assertThat(put(id, blob, token("alice")).statusCode()).isEqualTo(201);
        FileBlobStore.Usage before = store.usage();
        long dedup = server.metrics().dedupHits();
        long stored = server.metrics().bytesStored();

        HttpResponse<String> again = put(id, blob, token("bob"));

        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(store.usage()).isEqualTo(before);
        assertThat(server.metrics().dedupHits()).isEqualTo(dedup + 1);
        assertThat(server.metrics().bytesStored()).isEqualTo(stored);
    }

    @Test
    void hashMismatchIsRejectedAndLeavesNothingOnDisk() throws Exception {
        byte[] blob = random(200_000);
        String wrongId = sha256(random(10));
        FileBlobStore.Usage before = store.usage();
        long mismatches = server.metrics().rejectedCount("mismatch");

        HttpResponse<String> res = put(wrongId, blob, token("alice"));

        assertThat(res.statusCode()).isEqualTo(400);
        assertThat(res.body()).contains("\"code\":\"bad_request\"").contains(sha256(blob));
        assertThat(server.metrics().rejectedCount("mismatch")).isEqualTo(mismatches + 1);
        assertThat(head(wrongId)).isEqualTo(404);
        assertThat(store.usage()).isEqualTo(before);
        assertThat(store.usage().tempFiles()).isZero();
        assertThat(store.pathOf(wrongId)).doesNotExist();
    }

    @Test
    void uploadDeclaredLargerThanTheLimitIsRefusedWith413() throws Exception {
        byte[] blob = random((int) MAX + 1);
        String id = sha256(blob);
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(uri(id))
                .expectContinue(true)
                .header("Authorization", "Bearer " + token("alice"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(413);
        assertThat(res.body()).contains("too_large");
        assertThat(head(id)).isEqualTo(404);
    }

    @Test
    void streamedUploadIsCutOffWith413AsSoonAsItPassesTheLimit() throws Exception {
        byte[] blob = random((int) MAX + 100_000);
        String id = sha256(blob);
        FileBlobStore.Usage before = store.usage();
        // No Content-Length: the body is chunked, so only counting while streaming can catch it.
        HttpRequest req = HttpRequest.newBuilder(uri(id))
                .header("Authorization", "Bearer " + token("alice"))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(blob))).build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(413);
        assertThat(res.body()).contains("too_large");
        assertThat(head(id)).isEqualTo(404);
        assertThat(store.usage()).isEqualTo(before);
    }

    @Test
    void anUploadCutOffMidwayStreamsToATemporaryFileAndLeavesNothingBehind() throws Exception {
        byte[] blob = random(600_000);
        String id = sha256(blob);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/media/" + id + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + token("alice") + "\r\nContent-Length: " + blob.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(blob, 0, 200_000);
            out.flush();
            // the partial upload is on disk, not in memory, and not visible under its id
            await().atMost(Duration.ofSeconds(5)).until(() -> store.usage().tempFiles() == 1);
            assertThat(head(id)).isEqualTo(404);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> store.usage().tempFiles() == 0);
        assertThat(head(id)).isEqualTo(404);
        assertThat(store.pathOf(id)).doesNotExist();
    }

    @Test
    void uploadWithoutValidTokenIsRefusedWith401() throws Exception {
        byte[] blob = random(1_000);
        String id = sha256(blob);
        String forged = new io.pipechat.protocol.auth.Hs256Tokens("another-secret-another-secret-0123456789")
                .issue("mallory", Duration.ofMinutes(5));
        String expired = TestServers.TOKENS.issue("alice", Duration.ofSeconds(-1));
        long rejected = server.metrics().rejectedCount("unauthorized");
        for (String token : new String[] {null, "garbage", forged, expired}) {
            HttpResponse<String> res = put(id, blob, token);
            assertThat(res.statusCode()).as("token %s", token).isEqualTo(401);
            assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(res.body()).contains("\"code\":\"unauthorized\"");
        }
        assertThat(head(id)).isEqualTo(404);
        assertThat(server.metrics().rejectedCount("unauthorized")).isEqualTo(rejected + 4);
    }

    @Test
    void rangeRequestsGetPartialContent() throws Exception {
        byte[] blob = random(10_000);
        String id = sha256(blob);
        assertThat(put(id, blob, token("alice")).statusCode()).isEqualTo(201);

        HttpResponse<byte[]> middle = get(id, "Range", "bytes=100-199");
        assertThat(middle.statusCode()).isEqualTo(206);
        assertThat(middle.body()).isEqualTo(java.util.Arrays.copyOfRange(blob, 100, 200));
        assertThat(middle.headers().firstValue("Content-Range")).hasValue("bytes 100-199/10000");
        assertThat(middle.headers().firstValue("Content-Length")).hasValue("100");

        HttpResponse<byte[]> open = get(id, "Range", "bytes=9990-");
        assertThat(open.statusCode()).isEqualTo(206);
        assertThat(open.body()).isEqualTo(java.util.Arrays.copyOfRange(blob, 9990, 10000));

        HttpResponse<byte[]> suffix = get(id, "Range", "bytes=-5");
        assertThat(suffix.statusCode()).isEqualTo(206);
        assertThat(suffix.body()).isEqualTo(java.util.Arrays.copyOfRange(blob, 9995, 10000));
        assertThat(suffix.headers().firstValue("Content-Range")).hasValue("bytes 9995-9999/10000");

        HttpResponse<byte[]> beyond = get(id, "Range", "bytes=10000-10005");
        assertThat(beyond.statusCode()).isEqualTo(416);
        assertThat(beyond.headers().firstValue("Content-Range")).hasValue("bytes */10000");

        HttpResponse<byte[]> multi = get(id, "Range", "bytes=0-1,5-6");
        assertThat(multi.statusCode()).isEqualTo(200);
        assertThat(multi.body()).isEqualTo(blob);

        HttpResponse<byte[]> staleIfRange = get(id, "Range", "bytes=0-1", "If-Range", "\"other\"");
        assertThat(staleIfRange.statusCode()).isEqualTo(200);
        assertThat(staleIfRange.body()).isEqualTo(blob);
    }

    @Test
    void ifNoneMatchWithTheIdGets304WithoutBody() throws Exception {
        byte[] blob = random(4_000);
        String id = sha256(blob);
        assertThat(put(id, blob, token("alice")).statusCode()).isEqualTo(201);

        HttpResponse<byte[]> notModified = get(id, "If-None-Match", "\"" + id + "\"");
        assertThat(notModified.statusCode()).isEqualTo(304);
        assertThat(notModified.body()).isEmpty();
        assertThat(notModified.headers().firstValue("ETag")).hasValue("\"" + id + "\"");

        HttpResponse<byte[]> other = get(id, "If-None-Match", "\"abc\", W/\"def\"");
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.body()).isEqualTo(blob);
    }

    @Test
    void concurrentIdenticalUploadsAllSucceedWithOneBlob() throws Exception {
        byte[] blob = random(400_000);
        String id = sha256(blob);
        int clients = 6;
        CyclicBarrier barrier = new CyclicBarrier(clients);
        long uploadsBefore = server.metrics().uploads();
        List<Future<Integer>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (int i = 0; i < clients; i++) {
                String user = "user" + i;
                HttpClient own = TestServers.http();
                Callable<Integer> upload = () -> {
                    barrier.await();
                    return own.send(HttpRequest.newBuilder(uri(id))
                            .header("Authorization", "Bearer " + token(user))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode();
                };
                results.add(pool.submit(upload));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : results) {
                statuses.add(f.get());
            }
            assertThat(statuses).containsOnly(200, 201).containsOnlyOnce(201);
        }
        assertThat(server.metrics().uploads()).isEqualTo(uploadsBefore + 1);
        assertThat(get(id).body()).isEqualTo(blob);
        assertThat(store.usage().tempFiles()).isZero();
    }

    @Test
    void popularBlobIsServedFromTheHotTier() throws Exception {
        byte[] blob = random(100_000);
        String id = sha256(blob);
        assertThat(put(id, blob, token("alice")).statusCode()).isEqualTo(201);
        long hits = server.metrics().hotHits();
        for (int i = 0; i < 6; i++) {
            HttpResponse<byte[]> res = get(id);
            assertThat(res.body()).isEqualTo(blob);
        }
        // threshold 3 per minute: the 3rd request loads the cache, requests 3 to 6 come from memory
        assertThat(server.metrics().hotHits() - hits).isEqualTo(4);
        assertThat(server.media().hotTier().get(id)).isEqualTo(blob);
        HttpResponse<byte[]> range = get(id, "Range", "bytes=10-19");
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(blob, 10, 20));
    }

    @Test
    void malformedIdsAreBadRequestsAndUnknownIdsNotFound() throws Exception {
        assertThat(get("not-a-hash").statusCode()).isEqualTo(400);
        assertThat(head("ABCDEF")).isEqualTo(400);
        assertThat(put("xyz", new byte[1], token("alice")).statusCode()).isEqualTo(400);
        HttpResponse<byte[]> missing = get(sha256(new byte[] {1, 2, 3}));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(new String(missing.body())).contains("not_found");
    }
}
