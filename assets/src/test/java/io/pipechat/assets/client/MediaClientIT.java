package io.pipechat.assets.client;

import static io.pipechat.assets.TestServers.base;
import static io.pipechat.assets.TestServers.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipechat.assets.AssetsServer;
import io.pipechat.assets.TestServers;
import io.pipechat.assets.store.FileBlobStore;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Media;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client library against a real server: what an app does to send and receive a file. */
class MediaClientIT {
    @TempDir
    static Path dir;
    static AssetsServer server;
    static FileBlobStore store;

    @BeforeAll
    static void start() {
        server = AssetsServer.start(TestServers.config(dir));
        store = (FileBlobStore) server.media().store();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static MediaClient client(String user) {
        return new MediaClient(base(server), () -> token(user));
    }

    @Test
    void uploadedAttachmentDownloadsAndDecryptsToTheOriginal() throws Exception {
        byte[] photo = new byte[700_000];
        new Random(7).nextBytes(photo);

        Media media = client("alice").upload(photo, "image/jpeg", "beach.jpg");

        assertThat(media.id()).matches("[0-9a-f]{64}");
        assertThat(media.size()).isEqualTo(photo.length);
        assertThat(media.mime()).isEqualTo("image/jpeg");
        assertThat(store.pathOf(media.id())).exists();
        // what travels in a send/msg frame is enough for the recipient
        Media received = Json.read(Json.write(media), Media.class);
        byte[] downloaded = new MediaClient(base(server), null).download(received);
        assertThat(downloaded).isEqualTo(photo);
        // the server holds ciphertext only
        assertThat(store.pathOf(media.id())).content().isNotEqualTo(new String(photo, StandardCharsets.UTF_8));
    }

    @Test
    void theSameFileFromTwoUsersIsStoredOnceAndTheSecondUploadIsSkipped() throws Exception {
        byte[] doc = "minutes of the meeting\n".repeat(5_000).getBytes(StandardCharsets.UTF_8);
        SealedMedia first = MediaCrypto.seal(doc, "text/plain");
        assertThat(client("alice").uploadSealed(first)).isEqualTo(MediaClient.Outcome.CREATED);
        FileBlobStore.Usage before = store.usage();
        long dedup = server.metrics().dedupHits();
        long uploads = server.metrics().uploads();

        SealedMedia second = MediaCrypto.seal(doc.clone(), "text/plain");
        MediaClient.Outcome outcome = client("bob").uploadSealed(second);

        assertThat(second.id()).isEqualTo(first.id());
        assertThat(outcome).isEqualTo(MediaClient.Outcome.SKIPPED);
        assertThat(store.usage()).isEqualTo(before);
        assertThat(server.metrics().dedupHits()).isEqualTo(dedup + 1);
        assertThat(server.metrics().uploads()).isEqualTo(uploads);
        // a client that skips HEAD and PUTs anyway is answered 200 and nothing is rewritten
        assertThat(client("carol").put(second.id(), second.blob())).isEqualTo(MediaClient.Outcome.ALREADY_STORED);
        assertThat(store.usage()).isEqualTo(before);
    }

    @Test
    void downloadWithTheWrongKeyFailsVerification() throws Exception {
        Media media = client("alice").upload("secret plans".getBytes(StandardCharsets.UTF_8), "text/plain", null);
        String otherKey = MediaCrypto.seal("other".getBytes(StandardCharsets.UTF_8), "text/plain").key();
        Media wrong = new Media(media.id(), media.mime(), media.size(), otherKey, null);
        assertThatThrownBy(() -> client("bob").download(wrong)).isInstanceOf(MediaFormatException.class);
    }

    @Test
    void uploadWithAForgedTokenFailsWithTheServersError() {
        MediaClient mallory = new MediaClient(base(server),
                () -> new io.pipechat.protocol.auth.Hs256Tokens("x".repeat(40)).issue("mallory", java.time.Duration.ofMinutes(1)));
        assertThatThrownBy(() -> mallory.upload("hello".getBytes(StandardCharsets.UTF_8), "text/plain", null))
                .isInstanceOfSatisfying(MediaHttpException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.body()).contains("unauthorized");
                });
    }
}
