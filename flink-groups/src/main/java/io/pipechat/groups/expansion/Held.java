package io.pipechat.groups.expansion;

import io.pipechat.protocol.events.GroupEvent;

/**
 * A group message waiting in {@link GroupExpander}'s queue, with the processing time at which its
 * {@code hold} ends ({@code deadline}; it was queued {@code hold} before that). Stored as JSON in
 * the {@code held} state: never rename the components.
 */
public record Held(GroupEvent.Message message, long deadline) {
}
