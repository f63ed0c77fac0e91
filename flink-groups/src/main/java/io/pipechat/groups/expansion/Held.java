package io.pipechat.groups.expansion;

import io.pipechat.protocol.events.GroupEvent;

/**
 * A group message waiting in {@link GroupExpander}'s queue, with the processing time after which it
 * is rejected if its sender is still not a member.
 */
public record Held(GroupEvent.Message message, long deadline) {
}
