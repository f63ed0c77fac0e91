package io.pipechat.assets;

import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;
import io.pipechat.assets.media.MediaService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The server as {@link Main} wires it, under Helidon's test extension, with Helidon's client. */
@ServerTest
class MainIT {
    private final Http1Client client;

    MainIT(Http1Client client) {
        this.client = client;
    }

    @SetUpServer
    static void setup(WebServerConfig.Builder server) throws IOException {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "main-it-");
        AssetsConfig config = TestServers.config(dir);
        Main.setup(server, config, MediaService.create(config));
    }

    @Test
    void uploadsAreCountedInTheMetricsEndpointAndHealthIsUp() throws Exception {
        byte[] blob = "observed".getBytes();
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
        try (HttpClientResponse put = client.put("/v1/media/" + id)
                .header(HeaderNames.AUTHORIZATION, "Bearer " + TestServers.token("alice"))
                .submit(blob)) {
            assertThat(put.status()).isEqualTo(Status.CREATED_201);
        }
        try (HttpClientResponse get = client.get("/v1/media/" + id).request()) {
            assertThat(get.status()).isEqualTo(Status.OK_200);
            assertThat(get.as(byte[].class)).isEqualTo(blob);
        }
        try (HttpClientResponse health = client.get("/observe/health").request()) {
            assertThat(health.status().code()).isIn(200, 204);
        }
        String metrics = client.get("/observe/metrics").header(HeaderNames.ACCEPT, "text/plain").requestEntity(String.class);
        assertThat(metrics).contains("assets_uploads_total", "assets_dedup_hits_total", "assets_bytes_stored_total",
                "assets_downloads_total", "assets_hot_hits_total", "assets_hot_cache_bytes");
    }
}
