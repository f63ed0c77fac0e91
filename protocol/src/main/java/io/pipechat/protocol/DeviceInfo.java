package io.pipechat.protocol;

/**
 * One registered device of a user, as {@code GET /v1/devices} and the {@code devices} frame show it.
 *
 * @param device   the device name the client connected with
 * @param lastSeen when the router last heard from it (connect, disconnect or ack), epoch millis
 * @param online   whether it has a live session now
 */
public record DeviceInfo(String device, long lastSeen, boolean online) {
}
