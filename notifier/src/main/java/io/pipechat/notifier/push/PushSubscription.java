package io.pipechat.notifier.push;

/**
 * One browser's (or device's) push subscription, a row of {@code push_subscriptions}.
 *
 * @param id       the row's id: what a 404/410 deletes
 * @param user     the user it belongs to
 * @param endpoint the push service URL issued to the browser (RFC 8030 push resource)
 * @param p256dh   the browser's P-256 public key, unpadded base64url (RFC 8291 {@code ua_public})
 * @param auth     the browser's 16-byte authentication secret, unpadded base64url
 */
public record PushSubscription(long id, String user, String endpoint, String p256dh, String auth) {
    @Override
    public String toString() {
        return "PushSubscription[id=" + id + ", user=" + user + "]"; // endpoints and keys are capabilities: not for logs
    }
}
