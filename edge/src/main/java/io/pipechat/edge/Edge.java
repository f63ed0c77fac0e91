package io.pipechat.edge;

import io.helidon.config.Config;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.staticcontent.StaticContentFeature;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsRouting;
import io.pipechat.edge.auth.BearerTokens;
import io.pipechat.edge.auth.DevTokenService;
import io.pipechat.edge.auth.Errors;
import io.pipechat.edge.delivery.DeliveryConsumer;
import io.pipechat.edge.devices.DeviceQueries;
import io.pipechat.edge.devices.DeviceService;
import io.pipechat.edge.delivery.EventPublisher;
import io.pipechat.edge.delivery.Heartbeat;
import io.pipechat.edge.groups.GroupService;
import io.pipechat.edge.push.PushEndpoints;
import io.pipechat.edge.push.PushService;
import io.pipechat.edge.push.PushSubscriptions;
import io.pipechat.edge.session.ChatEndpoint;
import io.pipechat.edge.session.ClientSession;
import io.pipechat.edge.session.ConnectionAttempts;
import io.pipechat.edge.session.Sessions;
import io.pipechat.protocol.auth.TokenVerifier;
import io.pipechat.protocol.auth.InvalidTokenException;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.observe.health.HealthObserver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running edge: the Helidon server with {@code /v1/ws} and the {@code /v1} HTTP API, the
 * consumer of this edge's delivery partition, and the heartbeat. {@link #start} is the one way to
 * build it, used by {@link Main}, by the one-JVM stack and by tests alike.
 *
 * <p>Start order matters: the delivery consumer is positioned and the first heartbeat written
 * before the server accepts a connection, so no flush of a mailbox can be missed.
 *
 * <p>If the delivery consumer dies, the edge cannot deliver any more: {@link #failure()} completes,
 * {@code /observe/health} says DOWN, the heartbeat stops with a last beat that says the edge is
 * down (the router stops routing to it), and its sessions are closed with 1013 so that clients
 * reconnect. {@link Main} then exits so that a supervisor restarts the process.
 */
public final class Edge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Edge.class);

    private final EdgeConfig config;
    private final EventPublisher publisher;
    private final DeliveryConsumer deliveries;
    private final Heartbeat heartbeat;
    private final ScheduledExecutorService timers;
    private final Sessions sessions;
    private final WebServer server;
    private final Optional<Database> database;
    private final EdgeMetrics metrics;
    private final CompletableFuture<Throwable> failure;

    private Edge(EdgeConfig config, EventPublisher publisher, DeliveryConsumer deliveries, Heartbeat heartbeat,
                 ScheduledExecutorService timers, Sessions sessions, WebServer server, Optional<Database> database,
                 EdgeMetrics metrics, CompletableFuture<Throwable> failure) {
        this.failure = failure;
        this.database = database;
        this.metrics = metrics;
        this.config = config;
        this.publisher = publisher;
        this.deliveries = deliveries;
        this.heartbeat = heartbeat;
        this.timers = timers;
        this.sessions = sessions;
        this.server = server;
    }

    /** The edge's defaults ({@code application.yaml}) with {@code overrides} on top; no environment. */
    public static Config config(java.util.Map<String, String> overrides) {
        return Config.builder()
                .addSource(io.helidon.config.ConfigSources.create(overrides))
                .addSource(io.helidon.config.ConfigSources.classpath("application.yaml"))
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .build();
    }

    public static Edge start(Config config) {
        return start(config, routing -> {
        });
    }

    /**
     * @param config      the whole configuration ({@code server}, {@code edge}, {@code kafka}, {@code topics})
     * @param moreRoutes  further HTTP services on the same port (the one-JVM stack adds media and groups)
     */
    public static Edge start(Config config, Consumer<HttpRouting.Builder> moreRoutes) {
        EdgeConfig edge = EdgeConfig.from(config);
        long epoch = System.currentTimeMillis();
        Sessions sessions = new Sessions();
        EdgeMetrics metrics = new EdgeMetrics(edge.partition(), sessions);
        TokenVerifier tokens = edge.tokens().verifier();
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("edge-" + edge.partition() + "-timers").daemon().factory());
        // Every session has two timers (token expiry, end of flush) that are mostly cancelled: drop those at once.
        timers.setRemoveOnCancelPolicy(true);
        EventPublisher publisher = new EventPublisher(edge.bootstrapServers(), edge.topics(),
                "edge-" + edge.partition(), metrics);
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        DeviceQueries deviceQueries = new DeviceQueries();
        DeliveryConsumer deliveries = new DeliveryConsumer(edge.bootstrapServers(), edge.topics().deliveries(),
                edge.partition(), sessions, metrics, deviceQueries::answered, failure::complete);
        long writeTimeout = edge.writeTimeout().toNanos();
        // A socket whose peer stopped reading blocks its writer; drop it rather than hold it and its queue.
        // And end the sessions whose connection ended unnoticed.
        timers.scheduleWithFixedDelay(() -> {
            long now = System.nanoTime();
            for (ClientSession s : sessions.all()) {
                if (s.writeStuck(now, writeTimeout)) {
                    LOG.info("dropping session {} of {}: a write blocked for more than {}", s.id(), s.user(),
                            edge.writeTimeout());
                    s.abort();
                } else if (s.connectionGone()) {
                    LOG.debug("ending session {} of {}: its connection is gone", s.id(), s.user());
                    s.abort();
                }
            }
        }, 1, 1, TimeUnit.SECONDS);
        Heartbeat heartbeat = new Heartbeat(edge.partition(), epoch, publisher, timers, edge.heartbeatInterval());

        Optional<Database> database = Database.start(config);

        ChatEndpoint.Context ws = new ChatEndpoint.Context(edge, epoch, tokens, publisher, sessions, metrics, timers);
        WebServerConfig.Builder builder = WebServer.builder().config(config.get("server"));
        // Frames up to 4x the limit are read and answered with too_large; larger ones close the socket (1009).
        builder.addProtocol(WsConfig.builder().name("websocket").maxFrameLength(4 * edge.maxFrameBytes()).build());
        builder.addFeature(ObserveFeature.builder()
                .addObserver(HealthObserver.builder().details(true)
                        .addCheck(() -> deliveriesHealth(failure), HealthCheckType.LIVENESS, "deliveries")
                        .build())
                .build());
        // The web client: plain files, no build step.
        builder.addFeature(StaticContentFeature.create(s -> s.addClasspath(cp -> cp
                .location("web").context("/").welcome("index.html"))));
        builder.routing(routing -> {
            routing.addFilter(ConnectionAttempts.from(config.get("edge"), metrics::connectionAttemptRefused));
            routing.get("/v1/ws", (req, res) -> refuseWithoutUpgrade(tokens, req, res));
            for (String api : List.of("/v1/groups", "/v1/push", "/v1/dev", "/v1/devices")) {
                routing.any(api, limitBody(edge.maxBodyBytes())).any(api + "/*", limitBody(edge.maxBodyBytes()));
            }
            routing.register("/v1/devices", new DeviceService(tokens, publisher, deviceQueries, edge.partition(),
                    Duration.ofSeconds(5)));
            database.ifPresent(db -> {
                routing.register("/v1/groups", GroupService.create(config.get("groups"), db.dataSource(), tokens));
                routing.register("/v1/push", new PushService(new PushSubscriptions(db.dataSource()), tokens,
                        config.get("push.vapid-public-key").asString().asOptional(),
                        PushEndpoints.of(config.get("push.allowed-hosts").asString().orElse(PushEndpoints.DEFAULT_HOSTS),
                                edge.devMode())));
            });
            if (edge.devMode()) {
                edge.tokens().hs256().ifPresentOrElse(
                        hs256 -> routing.register("/v1/dev/token", new DevTokenService(hs256, edge.devTokenTtl())),
                        () -> LOG.warn("development mode without edge.token.secret: no /v1/dev/token"));
            }
            moreRoutes.accept(routing);
        });
        builder.addRouting(WsRouting.builder().endpoint("/v1/ws", () -> new ChatEndpoint(ws)));
        WebServer server = builder.build().start();
        LOG.info("edge {} (epoch {}) listening on port {}", edge.partition(), epoch, server.port());
        Edge started = new Edge(edge, publisher, deliveries, heartbeat, timers, sessions, server, database, metrics,
                failure);
        failure.thenRun(started::deliveriesFailed);
        return started;
    }

    private static HealthCheckResponse deliveriesHealth(CompletableFuture<Throwable> failure) {
        return failure.isDone()
                ? HealthCheckResponse.builder().status(false).detail("consumer", "stopped: " + failure.join()).build()
                : HealthCheckResponse.builder().status(true).build();
    }

    private void deliveriesFailed() {
        heartbeat.close();
        for (ClientSession s : sessions.all()) {
            s.close(ChatEndpoint.CLOSE_TRY_AGAIN, "try again");
        }
    }

    /** Completes with the cause when the delivery consumer has died: the edge delivers nothing any more. */
    public CompletableFuture<Throwable> failure() {
        return failure;
    }

    /**
     * Refuses a request body of the edge's own API above {@code max} bytes with 413 before it is read,
     * and one of unknown length (chunked) with 411: the handlers read bodies whole.
     */
    private static Handler limitBody(int max) {
        return (req, res) -> {
            var length = req.headers().contentLength();
            if (length.isPresent() && length.getAsLong() > max) {
                Errors.send(res, Status.REQUEST_ENTITY_TOO_LARGE_413, "too_large", "request bodies are limited to " + max + " bytes");
            } else if (length.isEmpty() && req.headers().contains(HeaderNames.TRANSFER_ENCODING)) {
                Errors.send(res, Status.LENGTH_REQUIRED_411, "bad_request", "a Content-Length is required");
            } else {
                res.next();
            }
        };
    }

    /**
     * A {@code GET /v1/ws} that was not upgraded: the token was missing or bad (401, before any
     * upgrade, as PROTOCOL.md requires), or it was not a WebSocket request.
     */
    private static void refuseWithoutUpgrade(TokenVerifier tokens, ServerRequest req, ServerResponse res) {
        var token = BearerTokens.find(req.headers(), req.query());
        if (token.isEmpty()) {
            Errors.send(res, Status.UNAUTHORIZED_401, "unauthorized", "missing bearer token");
            return;
        }
        try {
            tokens.verify(token.get());
        } catch (InvalidTokenException e) {
            Errors.send(res, Status.UNAUTHORIZED_401, "unauthorized", e.getMessage());
            return;
        }
        Errors.send(res, Status.BAD_REQUEST_400, "bad_request",
                "a WebSocket upgrade with a valid device (1-64 characters of [A-Za-z0-9._-]) is required");
    }

    public int port() {
        return server.port();
    }

    public EdgeConfig config() {
        return config;
    }

    /**
     * Stops as a crashed process would: nothing more reaches Kafka (no session-closed events, no
     * final heartbeat), so the router only learns from the heartbeat going stale. For failure tests.
     */
    public void halt() {
        heartbeat.cancel();
        publisher.close();
        server.stop();
        deliveries.close();
        timers.shutdownNow();
        database.ifPresent(Database::close);
        metrics.close();
    }

    /**
     * Stops accepting connections, closes the sessions (clients reconnect elsewhere), says in the last
     * heartbeat that this edge is down, and stops consuming.
     */
    @Override
    public void close() {
        for (ClientSession s : sessions.all()) {
            s.close(1001, "edge shutting down");
        }
        server.stop();
        heartbeat.close();
        deliveries.close();
        publisher.close();
        timers.shutdownNow();
        database.ifPresent(Database::close);
        metrics.close();
    }
}
