package io.pipechat.notifier.webpush;

import io.pipechat.notifier.push.PushSubscription;
import java.security.GeneralSecurityException;

/** Opens {@link WebPushSender}'s package-private encryption to tests of other packages. */
public final class WebPushSenderAccess {
    private WebPushSenderAccess() {
    }

    public static byte[] encrypt(PushSubscription subscription, byte[] payload) throws GeneralSecurityException {
        return WebPushSender.encrypt(subscription, payload);
    }
}
