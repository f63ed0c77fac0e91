package io.pipechat.router.presence;

/**
 * One open WebSocket session of a user, as the router last heard of it.
 *
 * @param device  the client's device name; a second session of the same device replaces this one
 * @param session the edge's session id (unique per connection)
 * @param edge    the edge index = its partition of {@code chat.deliveries}
 * @param epoch   the edge's epoch when the session opened (changes on every edge restart)
 * @param since   router wall-clock time at which the router saw the session open; used only while
 *                the edge's heartbeat for this epoch has not arrived yet
 */
public record Session(String device, String session, int edge, long epoch, long since) {
}
