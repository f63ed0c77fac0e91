package io.pipechat.notifier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The notifier's meters, named {@code pipechat.notifier.*}: push requests consumed (and the unreadable
 * ones skipped), pushes by outcome ({@code sent}, {@code failed}: rejected or out of attempts, {@code refused}:
 * an endpoint the {@link io.pipechat.notifier.push.EndpointPolicy} refuses, never contacted), retried
 * attempts, subscriptions removed after 404/410.
 */
public final class NotifierMetrics {
    private final Counter requests;
    private final Counter invalidRequests;
    private final Counter staleRequests;
    private final Counter sent;
    private final Counter failed;
    private final Counter refused;
    private final Counter retries;
    private final Counter removed;

    public NotifierMetrics(MeterRegistry registry) {
        requests = Counter.builder("pipechat.notifier.requests").description("push requests consumed from chat.push")
                .register(registry);
        invalidRequests = Counter.builder("pipechat.notifier.requests.invalid")
                .description("unreadable records on chat.push, skipped").register(registry);
        staleRequests = Counter.builder("pipechat.notifier.requests.stale")
                .description("push requests older than the TTL, skipped").register(registry);
        sent = Counter.builder("pipechat.notifier.pushes").tag("outcome", "sent").register(registry);
        failed = Counter.builder("pipechat.notifier.pushes").tag("outcome", "failed").register(registry);
        refused = Counter.builder("pipechat.notifier.pushes").tag("outcome", "refused").register(registry);
        retries = Counter.builder("pipechat.notifier.push.retries").register(registry);
        removed = Counter.builder("pipechat.notifier.subscriptions.removed")
                .description("subscriptions deleted because the push service answered 404/410").register(registry);
    }

    void request() {
        requests.increment();
    }

    void invalidRequest() {
        invalidRequests.increment();
    }

    void staleRequest() {
        staleRequests.increment();
    }

    public void sent() {
        sent.increment();
    }

    public void failed() {
        failed.increment();
    }

    public void refused() {
        refused.increment();
    }

    public void retried() {
        retries.increment();
    }

    public void removed() {
        removed.increment();
    }

    public long sentCount() {
        return (long) sent.count();
    }

    public long failedCount() {
        return (long) failed.count();
    }

    public long refusedCount() {
        return (long) refused.count();
    }

    public long retryCount() {
        return (long) retries.count();
    }

    public long removedCount() {
        return (long) removed.count();
    }

    public long requestCount() {
        return (long) requests.count();
    }

    public long invalidRequestCount() {
        return (long) invalidRequests.count();
    }
}
