package io.pipechat.router;

import io.pipechat.observe.Settings;
import io.pipechat.protocol.Topics;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Runs the router on its own. Every setting is read from a system property or, failing that, the
 * environment variable of the same name upper-cased with {@code .} and {@code -} as {@code _}
 * ({@code router.edge-timeout} or {@code ROUTER_EDGE_TIMEOUT}):
 * <ul>
 *   <li>{@code kafka.bootstrap-servers} (default {@code localhost:9092})
 *   <li>{@code router.state-dir} (default {@code data/router})
 *   <li>{@code topics.user-events}, {@code topics.deliveries}, {@code topics.edges}, {@code topics.push}
 *       (defaults: {@link Topics#defaults()})
 *   <li>{@code router.http-port} (default 9400; -1 turns it off), {@code router.http-host} (default
 *       {@code 0.0.0.0}): {@code /health} and {@code /metrics}, see {@link RouterObserver}
 *   <li>{@code router.*}: see {@link RouterConfig}
 * </ul>
 * Exits with status 1 when it cannot serve {@code /health}, and with {@value #EXIT_ERROR} when Kafka
 * Streams fails to start or reaches {@code ERROR} (it would stay there, processing nothing): a
 * supervisor restarts it. On SIGTERM it closes the router (commit, leave the group) and exits normally.
 */
public final class RouterMain {
    /** Exit status when Kafka Streams reached {@code ERROR}. */
    static final int EXIT_ERROR = 2;

    private RouterMain() {
    }

    public static void main(String[] args) {
        Function<String, String> settings = Settings::get;
        RouterConfig config = RouterConfig.from(settings);
        String bootstrap = orDefault(settings.apply("kafka.bootstrap-servers"), "localhost:9092");
        Path stateDir = Path.of(orDefault(settings.apply("router.state-dir"), "data/router"));
        Map<String, String> names = new HashMap<>();
        for (String t : new String[] {"user-events", "group-events", "deliveries", "edges", "push", "group-members-cdc"}) {
            String v = settings.apply("topics." + t);
            if (v != null && !v.isBlank()) {
                names.put(t, v.trim());
            }
        }
        Router router;
        try {
            router = Router.start(config, bootstrap, Topics.from(names), stateDir);
        } catch (RuntimeException e) {
            // Kafka Streams' threads would keep the JVM alive, doing nothing.
            e.printStackTrace();
            System.exit(EXIT_ERROR);
            return;
        }
        int httpPort = Settings.httpPort("router.http-port", settings.apply("router.http-port"), 9400);
        RouterObserver observer;
        try {
            observer = httpPort < 0 ? null
                    : RouterObserver.start(router, orDefault(settings.apply("router.http-host"), "0.0.0.0"), httpPort);
        } catch (RuntimeException e) {
            // A router nobody can health-check is not a healthy router: stop rather than run half-way.
            System.err.println("cannot serve /health and /metrics on port " + httpPort + ": " + e.getMessage());
            router.close();
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (observer != null) {
                observer.close();
            }
            router.close();
        }, "router-shutdown"));
        KafkaStreams.State end = router.ended().join();
        if (end == KafkaStreams.State.ERROR) {
            // Kafka Streams does not leave ERROR by itself: exit loudly so that a supervisor restarts us.
            System.err.println("router stopped in state ERROR (see the log above); exiting with status " + EXIT_ERROR);
            System.exit(EXIT_ERROR);
        }
    }

    private static String orDefault(String v, String fallback) {
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
