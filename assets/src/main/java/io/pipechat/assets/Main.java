package io.pipechat.assets;

import io.helidon.config.Config;
import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.pipechat.assets.media.MediaService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone asset service: {@code java -cp ... io.pipechat.assets.Main} (keys: {@link AssetsConfig}).
 * A configuration it refuses (no token secret, a development one) or a failed start ends the process
 * with status 1.
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        AssetsConfig config;
        AssetsServer server;
        try {
            config = AssetsConfig.from(Config.create().get("assets"));
            server = AssetsServer.start(config);
        } catch (RuntimeException e) {
            LOG.error("the asset service cannot start: {}", e.getMessage(), e);
            System.exit(1); // for the supervisor to see, and restart it once fixed
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "assets-shutdown"));
        LOG.info("assets serving /v1/media on port {}, blobs in {}", server.port(), config.storeDir().toAbsolutePath());
        new CountDownLatch(1).await();
    }

    /** Wires a server exactly as production does: listener, media routes, health and metrics. */
    static void setup(WebServerConfig.Builder server, AssetsConfig config, MediaService media) {
        Path dir = config.storeDir();
        HealthCheck storeWritable = () -> HealthCheckResponse.builder()
                .status(Files.isDirectory(dir) && Files.isWritable(dir))
                .detail("store", dir.toAbsolutePath().toString())
                .build();
        server.host(config.host())
                .port(config.port())
                .addFeature(ObserveFeature.just(HealthObserver.create(storeWritable), MetricsObserver.create()))
                .routing(routing -> routing.register("/v1/media", media));
    }
}
