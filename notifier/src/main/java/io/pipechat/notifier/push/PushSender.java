package io.pipechat.notifier.push;

/**
 * Sends one push message to one subscription, once: no retries (those are {@link PushDelivery}'s).
 * Web Push ({@code io.pipechat.notifier.webpush.WebPushSender}) is the implementation here; FCM or
 * APNs would be further ones, chosen by the subscription's kind.
 *
 * <p>Implementations are thread-safe and called from many (virtual) threads at once; they bound
 * their own waiting (a per-request timeout), so a hanging push service costs one thread, never the
 * whole notifier. They do not throw for anything the push service or the network does: every such
 * case is an outcome.
 */
public interface PushSender {

    /**
     * @param payload the plaintext message (the implementation encrypts it as its protocol requires)
     * @throws InterruptedException if the notifier is shutting down
     */
    PushOutcome send(PushSubscription subscription, byte[] payload) throws InterruptedException;
}
