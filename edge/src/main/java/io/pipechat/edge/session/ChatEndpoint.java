package io.pipechat.edge.session;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.http.DirectHandler;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.pipechat.edge.EdgeConfig;
import io.pipechat.edge.EdgeMetrics;
import io.pipechat.edge.auth.BearerTokens;
import io.pipechat.edge.delivery.EventPublisher;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.auth.InvalidTokenException;
import io.pipechat.protocol.auth.TokenVerifier;
import io.pipechat.protocol.auth.VerifiedToken;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ClientFrame;
import io.pipechat.protocol.frames.DecodeResult;
import io.pipechat.protocol.frames.FrameCodec;
import io.pipechat.protocol.frames.ServerFrame;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection on {@code /v1/ws} (a new instance per connection). The token is checked
 * in {@link #onHttpUpgrade} so that a bad one is refused with 401 before the upgrade; the sender of
 * everything this connection writes is the token's subject, never a field of a frame.
 */
public final class ChatEndpoint implements WsListener {
    private static final Logger LOG = LoggerFactory.getLogger(ChatEndpoint.class);
    public static final int CLOSE_TOKEN_EXPIRED = 4401;
    public static final int CLOSE_REPLACED = 4409;
    public static final int CLOSE_RATE_LIMITED = 4429;
    public static final int CLOSE_TOO_LARGE = 1009;
    public static final int CLOSE_TRY_AGAIN = 1013;
    public static final String DEFAULT_DEVICE = "default";

    /** What every connection of one edge shares. */
    public record Context(EdgeConfig config, long epoch, TokenVerifier tokens, EventPublisher publisher,
                          Sessions sessions, EdgeMetrics metrics, ScheduledExecutorService timers, Origins origins,
                          SendRates sendRates) {
        public Context(EdgeConfig config, long epoch, TokenVerifier tokens, EventPublisher publisher,
                       Sessions sessions, EdgeMetrics metrics, ScheduledExecutorService timers) {
            this(config, epoch, tokens, publisher, sessions, metrics, timers, Origins.of(config.allowedOrigins()),
                    new SendRates(config.userSendsPerSecond(), config.userSendBurst()));
        }

        int edge() {
            return config.partition();
        }

        int maxFrameBytes() {
            return config.maxFrameBytes();
        }
    }

    private final Context ctx;
    private final StringBuilder fragments = new StringBuilder();
    private boolean oversize;
    private FrameRate rate;
    private VerifiedToken token;
    private String device;
    private ClientSession session;
    private ScheduledFuture<?> expiry;
    private ScheduledFuture<?> flushDeadline;

    public ChatEndpoint(Context ctx) {
        this.ctx = ctx;
    }

    /**
     * Refuses a page of another origin with 403 ({@link Origins}), a missing, forged or expired token
     * with 401 and a bad device with 400, before the upgrade. (A {@code WsUpgradeException} would make
     * Helidon answer 400 for all of them.)
     */
    @Override
    public java.util.Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) {
        if (!ctx.origins().allows(headers)) {
            throw refuse(Status.FORBIDDEN_403, "origin not allowed");
        }
        String raw = BearerTokens.find(headers, prologue.query())
                .orElseThrow(() -> refuse(Status.UNAUTHORIZED_401, "missing bearer token"));
        try {
            token = ctx.tokens().verify(raw);
        } catch (InvalidTokenException e) {
            throw refuse(Status.UNAUTHORIZED_401, e.getMessage());
        }
        device = prologue.query().contains("device") ? prologue.query().get("device") : DEFAULT_DEVICE;
        if (!Ids.isDevice(device)) {
            throw refuse(Status.BAD_REQUEST_400, "bad device: 1-64 characters of [A-Za-z0-9._-]");
        }
        // A device connecting again replaces its session, so it does not count against the cap.
        long others = ctx.sessions().of(token.user()).stream().filter(s -> !s.device().equals(device)).count();
        if (others >= ctx.config().maxConnectionsPerUser()) {
            throw refuse(Status.TOO_MANY_REQUESTS_429, "too many connections of this user ("
                    + ctx.config().maxConnectionsPerUser() + ")");
        }
        return java.util.Optional.empty();
    }

    private static RequestException refuse(Status status, String message) {
        return RequestException.builder()
                .type(DirectHandler.EventType.OTHER)
                .status(status)
                .message(message)
                .safeMessage(true)
                .setKeepAlive(false)
                .build();
    }

    @Override
    public void onOpen(WsSession ws) {
        String id = UUID.randomUUID().toString();
        session = new ClientSession(id, token.user(), device, ws, ctx.config().outboundQueue(),
                ctx.config().outboundQueueChars(), ctx.metrics()::frameOut, this::ended);
        rate = new FrameRate(ctx.config().framesPerSecond(), ctx.config().frameBurst());
        ctx.sessions().register(session).ifPresent(old -> old.close(CLOSE_REPLACED, "connected elsewhere"));
        long now = System.currentTimeMillis();
        session.send(new ServerFrame.Welcome(token.user(), device, ctx.edge(), now));
        ctx.publisher().publish(new UserEvent.SessionOpened(token.user(), device, id, ctx.edge(), ctx.epoch(), now))
                .exceptionally(e -> {
                    LOG.warn("could not record session open of {}; closing it", token.user(), e);
                    session.close(1011, "try again");
                    return null;
                });
        long untilExpiry = Duration.between(Instant.now(), token.expiresAt()).toMillis();
        expiry = ctx.timers().schedule(() -> session.close(CLOSE_TOKEN_EXPIRED, "token expired"),
                Math.max(0, untilExpiry), TimeUnit.MILLISECONDS);
        watchFlush(session, ctx.config().flushTimeout().toNanos());
    }

    /**
     * Closes the session with 1013 if its mailbox flush makes no progress (no page, no end marker)
     * for the flush timeout: the router may be taking over the user, or the client stopped acking
     * the pages of a long flush.
     */
    private void watchFlush(ClientSession opened, long delayNanos) {
        flushDeadline = ctx.timers().schedule(() -> {
            if (!opened.flushing()) {
                return;
            }
            long timeout = ctx.config().flushTimeout().toNanos();
            long idle = opened.sinceFlushProgress(System.nanoTime());
            if (idle < timeout) {
                watchFlush(opened, timeout - idle);
                return;
            }
            LOG.info("no progress of the mailbox flush of session {} of {} within {}; closing it", opened.id(),
                    opened.user(), ctx.config().flushTimeout());
            opened.close(CLOSE_TRY_AGAIN, "try again");
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onMessage(WsSession ws, String text, boolean last) {
        // Every fragment counts: a client must not escape the limit by splitting frames.
        if (!rate.tryAcquire()) {
            session.close(CLOSE_RATE_LIMITED, "too many frames");
            return;
        }
        if (!oversize) {
            if (fragments.length() + text.length() > ctx.maxFrameBytes()) {
                oversize = true;
                fragments.setLength(0);
            } else if (!last || !fragments.isEmpty()) {
                // A frame in one piece (the usual case) is used as it came, without a copy.
                fragments.append(text);
            }
        }
        if (!last) {
            return;
        }
        ctx.metrics().frameIn();
        if (oversize) {
            oversize = false;
            reject(ErrorCode.TOO_LARGE, "frame larger than " + ctx.maxFrameBytes() + " bytes", null);
            return;
        }
        String frame = text;
        if (!fragments.isEmpty()) {
            frame = fragments.toString();
            fragments.setLength(0);
        }
        switch (FrameCodec.decode(frame)) {
            case DecodeResult.Ok ok -> handle(ok.frame());
            case DecodeResult.Invalid bad -> reject(bad.code(), bad.message(), bad.id());
        }
    }

    @Override
    public void onMessage(WsSession ws, io.helidon.common.buffers.BufferData buffer, boolean last) {
        if (!rate.tryAcquire()) {
            session.close(CLOSE_RATE_LIMITED, "too many frames");
            return;
        }
        if (last) {
            reject(ErrorCode.BAD_REQUEST, "frames are JSON text, not binary", null);
        }
    }

    @Override
    public void onClose(WsSession ws, int status, String reason) {
        ended();
    }

    @Override
    public void onError(WsSession ws, Throwable t) {
        LOG.debug("session error for {}", token == null ? "?" : token.user(), t);
        ended();
    }

    private void handle(ClientFrame frame) {
        String me = token.user();
        long now = System.currentTimeMillis();
        switch (frame) {
            case ClientFrame.Send s -> {
                if (!ctx.sendRates().tryAcquire(me)) {
                    reject(ErrorCode.RATE_LIMITED, "too many messages; send again later", s.id());
                    return;
                }
                var written = switch (s.to()) {
                    case Address.User u -> {
                        UserEvent.Message m = new UserEvent.Message(u.user(), me, s.id(), s.to(), now, s.body(), s.media());
                        if (session.deviceCount() > 1) {
                            // for the sender's other devices; best effort, the message itself is what `sent` is about
                            ctx.publisher().publish(m.ownCopy(device));
                        }
                        yield ctx.publisher().publish(m);
                    }
                    case Address.Group g -> {
                        if (session.deviceCount() > 1) {
                            ctx.publisher().publish(new UserEvent.Message(me, me, s.id(), s.to(), now, s.body(), s.media(), device));
                        }
                        yield ctx.publisher().publish(new GroupEvent.Message(g.group(), me, s.id(), now, s.body(), s.media()));
                    }
                };
                written.whenComplete((ok, error) -> session.send(error == null
                        ? new ServerFrame.Sent(s.id(), now)
                        : new ServerFrame.Error(ErrorCode.INTERNAL, "not stored, send again", s.id())));
            }
            case ClientFrame.Ack a -> ctx.publisher().publish(new UserEvent.Ack(me, device, a.upto(), now));
            // To the reader's own router task first: it checks the reader got that message, then tells
            // the sender and the reader's other devices.
            case ClientFrame.Read r -> ctx.publisher().publish(new UserEvent.Read(me, r.from(), r.id(), r.group(), device, now));
            case ClientFrame.Typing t -> {
                switch (t.to()) {
                    case Address.User u -> ctx.publisher().publish(new UserEvent.Typing(u.user(), me, t.to(), now));
                    // The group job fans it out to the members (who see it when online).
                    case Address.Group g -> ctx.publisher().publish(new GroupEvent.Typing(g.group(), me, now));
                }
            }
            case ClientFrame.Ping p -> session.send(new ServerFrame.Pong(p.ts()));
        }
    }

    private void reject(ErrorCode code, String message, String id) {
        ctx.metrics().badFrame();
        session.send(new ServerFrame.Error(code, message, id));
    }

    /** Once per session: on close, on error, or when the watchdog aborted it. */
    private synchronized void ended() {
        if (session == null) {
            return;
        }
        if (expiry != null) {
            expiry.cancel(false);
        }
        if (flushDeadline != null) {
            flushDeadline.cancel(false);
        }
        session.terminate();
        ctx.sessions().remove(session);
        if (ctx.sessions().of(session.user()).isEmpty()) {
            ctx.sendRates().forget(session.user());
        }
        // Also when a newer session of the same device replaced this one: the router drops only this id.
        ctx.publisher().publish(new UserEvent.SessionClosed(session.user(), session.device(), session.id(),
                ctx.edge(), ctx.epoch(), System.currentTimeMillis()));
        session = null;
    }
}
