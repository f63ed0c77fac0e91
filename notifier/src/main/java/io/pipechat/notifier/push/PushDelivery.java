package io.pipechat.notifier.push;

import io.pipechat.notifier.NotifierMetrics;
import io.pipechat.notifier.subscriptions.SubscriptionStore;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.events.PushRequest;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one {@link PushRequest}: loads the user's subscriptions and sends each of them the payload
 * (concurrently, one virtual thread per subscription), retrying transient failures per
 * {@link RetryPolicy}, deleting subscriptions the push service reports gone.
 *
 * <p>Payload (UTF-8 JSON, no message content): {@code {"type":"messages_waiting","pending":N,"ts":T}},
 * {@code ts} the request's time in epoch milliseconds.
 *
 * <p>Isolation: at most {@code concurrency} sends are in flight at once in the whole notifier (a
 * semaphore held only during the send, not during a backoff pause); each send is bounded by the
 * sender's request timeout. So a hanging push service occupies at most the sends addressed to it,
 * and everyone else's pushes go on.
 *
 * <p>Guarantee: {@link #deliver} returns only when every subscription has an outcome (delivered, gone,
 * rejected, or out of attempts); it throws {@link InterruptedException} instead when the notifier shuts
 * down, and then the request counts as not delivered. A database error while loading subscriptions is
 * retried until it succeeds or the notifier stops: a database outage delays pushes but loses none.
 */
public final class PushDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(PushDelivery.class);
    public static final String TYPE_MESSAGES_WAITING = "messages_waiting";

    private final SubscriptionStore store;
    private final PushSender sender;
    private final RetryPolicy retry;
    private final Semaphore sends;
    private final ExecutorService executor;
    private final NotifierMetrics metrics;

    /** @param executor runs one task per subscription; virtual threads suit it (the tasks block on I/O and sleep) */
    public PushDelivery(SubscriptionStore store, PushSender sender, RetryPolicy retry, int concurrency,
                        ExecutorService executor, NotifierMetrics metrics) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
        }
        this.store = store;
        this.sender = sender;
        this.retry = retry;
        this.sends = new Semaphore(concurrency);
        this.executor = executor;
        this.metrics = metrics;
    }

    /** The bytes sent (encrypted) to every subscription of the request's user. */
    public static byte[] payload(PushRequest request) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("type", TYPE_MESSAGES_WAITING);
        json.put("pending", request.pending());
        json.put("ts", request.ts());
        return Json.bytes(json);
    }

    public void deliver(PushRequest request) throws InterruptedException {
        List<PushSubscription> subscriptions = load(request.user());
        byte[] payload = payload(request);
        List<Future<?>> sending = new ArrayList<>(subscriptions.size());
        try {
            for (PushSubscription s : subscriptions) {
                sending.add(executor.submit(() -> {
                    sendWithRetries(s, payload);
                    return null;
                }));
            }
            for (Future<?> f : sending) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("push to " + request.user() + " failed unexpectedly", e.getCause());
        } finally {
            sending.forEach(f -> f.cancel(true)); // only does something when this thread was interrupted
        }
    }

    private List<PushSubscription> load(String user) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return store.forUser(user);
            } catch (SQLException e) {
                Duration pause = retry.delay(attempt, Optional.empty());
                LOG.warn("cannot load the push subscriptions of {} (attempt {}), again in {} ms: {}", user, attempt,
                        pause.toMillis(), e.toString());
                Thread.sleep(pause);
            }
        }
    }

    private void sendWithRetries(PushSubscription subscription, byte[] payload) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            PushOutcome outcome;
            sends.acquire();
            try {
                outcome = sender.send(subscription, payload);
            } finally {
                sends.release();
            }
            switch (outcome) {
                case PushOutcome.Delivered d -> {
                    metrics.sent();
                    return;
                }
                case PushOutcome.Gone g -> {
                    remove(subscription, g.status());
                    return;
                }
                case PushOutcome.Refused r -> {
                    metrics.refused();
                    LOG.warn("push to {} refused, not sent: {}", subscription, r.reason());
                    return;
                }
                case PushOutcome.Rejected r -> {
                    metrics.failed();
                    LOG.warn("push to {} rejected: {}", subscription, r.reason());
                    return;
                }
                case PushOutcome.Retryable r -> {
                    if (attempt >= retry.maxAttempts()) {
                        metrics.failed();
                        LOG.warn("push to {} failed {} times, giving up: {}", subscription, attempt, r.reason());
                        return;
                    }
                    Duration pause = retry.delay(attempt, r.retryAfter());
                    metrics.retried();
                    LOG.debug("push to {} failed ({}), attempt {} again in {} ms", subscription, r.reason(), attempt + 1,
                            pause.toMillis());
                    Thread.sleep(pause);
                }
            }
        }
    }

    private void remove(PushSubscription subscription, int status) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                if (store.delete(subscription.id())) {
                    metrics.removed();
                }
                LOG.info("push subscription {} is gone (HTTP {}): deleted", subscription, status);
                return;
            } catch (SQLException e) {
                if (attempt >= retry.maxAttempts()) {
                    LOG.warn("cannot delete gone push subscription {}; the next push will try again", subscription, e);
                    return;
                }
                Thread.sleep(retry.delay(attempt, Optional.empty()));
            }
        }
    }
}
