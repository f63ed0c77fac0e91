package io.pipechat.notifier.push;

import java.time.Duration;
import java.util.Optional;

/** What one attempt to send one push ended in; {@link PushDelivery} decides what follows. */
public sealed interface PushOutcome {

    /** The push service accepted the message (201/202). */
    record Delivered(int status) implements PushOutcome {
    }

    /** The subscription no longer exists (404/410): delete it. */
    record Gone(int status) implements PushOutcome {
    }

    /**
     * A transient failure (429, 5xx, I/O error, timeout): try again later, not before
     * {@code retryAfter} when the service said so.
     */
    record Retryable(String reason, Optional<Duration> retryAfter) implements PushOutcome {
    }

    /**
     * The endpoint is not one the notifier may contact ({@link EndpointPolicy}): nothing was sent, and
     * nothing will be.
     */
    record Refused(String reason) implements PushOutcome {
    }

    /** A failure that repeating cannot fix (400, 403, 413, unusable subscription keys): give up. */
    record Rejected(String reason) implements PushOutcome {
    }
}
