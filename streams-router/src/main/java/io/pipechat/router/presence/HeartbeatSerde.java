package io.pipechat.router.presence;

import io.pipechat.protocol.Json;
import io.pipechat.protocol.events.EdgeHeartbeat;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of the global edges store: 22 bytes ({@code byte 1 | int edge | long epoch | long ts | byte
 * up}), read on every liveness check, so no JSON. Lenient: Kafka Streams 4.2 restores this store
 * through {@link EdgeHeartbeatUpdater}, but should restoration ever copy {@code chat.edges} bytes as
 * they are (older versions did), a JSON heartbeat is still read, and anything else reads as "no
 * heartbeat known" instead of failing.
 */
public final class HeartbeatSerde implements Serde<EdgeHeartbeat> {
    private static final int SIZE = 22;

    @Override
    public Serializer<EdgeHeartbeat> serializer() {
        return (topic, h) -> h == null ? null : ByteBuffer.allocate(SIZE).put((byte) 1).putInt(h.edge())
                .putLong(h.epoch()).putLong(h.ts()).put((byte) (h.up() ? 1 : 0)).array();
    }

    @Override
    public Deserializer<EdgeHeartbeat> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            if (bytes.length == SIZE && bytes[0] == 1) {
                ByteBuffer b = ByteBuffer.wrap(bytes, 1, SIZE - 1);
                return new EdgeHeartbeat(b.getInt(), b.getLong(), b.getLong(), b.get() != 0);
            }
            try {
                return Json.MAPPER.readValue(bytes, EdgeHeartbeat.class);
            } catch (IOException e) {
                return null;
            }
        };
    }
}
