package io.pipechat.assets;

import static io.pipechat.assets.TestServers.token;
import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.webserver.WebServer;
import io.pipechat.assets.client.MediaClient;
import io.pipechat.assets.media.MediaService;
import io.pipechat.protocol.Media;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lifecycle: blobs survive a restart; the media routes mount on another Helidon server. */
class AssetsServerIT {
    @TempDir
    Path dir;

    @Test
    void blobsSurviveARestartOnTheSameDirectory() throws Exception {
        byte[] file = "a voice note, roughly\n".repeat(1_000).getBytes(StandardCharsets.UTF_8);
        Media media;
        try (AssetsServer first = AssetsServer.start(TestServers.config(dir))) {
            media = new MediaClient(TestServers.base(first), () -> token("alice")).upload(file, "audio/wav", "note.wav");
        }
        try (AssetsServer second = AssetsServer.start(TestServers.config(dir))) {
            MediaClient bob = new MediaClient(TestServers.base(second), () -> token("bob"));
            assertThat(bob.exists(media.id())).isTrue();
            assertThat(bob.download(media)).isEqualTo(file);
        }
    }

    @Test
    void leftoverTemporaryFilesFromACrashAreRemovedAtStart() throws Exception {
        Path tmp = dir.resolve(".tmp");
        java.nio.file.Files.createDirectories(tmp);
        java.nio.file.Files.write(tmp.resolve("upload-123.part"), new byte[100]);
        try (AssetsServer server = AssetsServer.start(TestServers.config(dir))) {
            assertThat(((io.pipechat.assets.store.FileBlobStore) server.media().store()).usage().tempFiles()).isZero();
        }
    }

    @Test
    void mediaServiceMountsOnAnotherServersRouting() throws Exception {
        AssetsConfig config = TestServers.config(dir);
        try (MediaService media = MediaService.create(config)) {
            WebServer edge = WebServer.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .routing(r -> r.get("/v1/hello", (req, res) -> res.send("hi"))
                            .register("/v1/media", media))
                    .build()
                    .start();
            try {
                URI base = URI.create("http://127.0.0.1:" + edge.port());
                byte[] file = "shared on the edge's port".getBytes(StandardCharsets.UTF_8);
                Media m = new MediaClient(base, () -> token("alice")).upload(file, "text/plain", null);
                assertThat(new MediaClient(base, null).download(m)).isEqualTo(file);
                HttpResponse<String> hello = TestServers.http().send(
                        HttpRequest.newBuilder(base.resolve("/v1/hello")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(hello.body()).isEqualTo("hi");
            } finally {
                edge.stop();
            }
        }
    }
}
