package io.pipechat.assets;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.pipechat.assets.media.MediaService;
import io.pipechat.protocol.auth.Hs256Tokens;
import io.pipechat.protocol.auth.TokenVerifier;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A running asset service: Helidon web server with the media API at {@code /v1/media} and
 * {@code /observe/health}, {@code /observe/metrics}. Start it with {@link #start(AssetsConfig)},
 * stop it with {@link #close()}. Blobs live in {@code config.storeDir()} and outlive the server.
 */
public final class AssetsServer implements AutoCloseable {
    private final WebServer server;
    private final MediaService media;

    private AssetsServer(WebServer server, MediaService media) {
        this.server = server;
        this.media = media;
    }

    /** Starts a server with HS256 tokens verified against {@code config.tokenSecret()}. */
    public static AssetsServer start(AssetsConfig config) {
        return start(config, new Hs256Tokens(config.tokenSecret()));
    }

    public static AssetsServer start(AssetsConfig config, TokenVerifier tokens) {
        MediaService media;
        try {
            media = MediaService.create(config, tokens);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the blob store in " + config.storeDir(), e);
        }
        WebServerConfig.Builder builder = WebServer.builder();
        Main.setup(builder, config, media);
        WebServer server = builder.build().start();
        return new AssetsServer(server, media);
    }

    public int port() {
        return server.port();
    }

    public MediaService media() {
        return media;
    }

    public AssetsMetrics metrics() {
        return media.metrics();
    }

    @Override
    public void close() {
        server.stop();
        media.close();
    }
}
