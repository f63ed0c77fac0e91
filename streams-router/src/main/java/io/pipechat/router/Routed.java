package io.pipechat.router;

import io.pipechat.protocol.Json;
import io.pipechat.protocol.events.Delivery;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A delivery on its way to the {@code chat.deliveries} sink: {@link EdgePartitioner} sends it to
 * partition {@code edge}, {@link #SERIALIZER} writes only {@code delivery}, so edges read plain
 * {@link Delivery} records.
 */
public record Routed(int edge, Delivery delivery) {
    public static final Serializer<Routed> SERIALIZER =
            (topic, routed) -> routed == null ? null : Json.bytes(routed.delivery());
}
