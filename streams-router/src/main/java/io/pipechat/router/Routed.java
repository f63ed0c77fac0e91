package io.pipechat.router;

import io.pipechat.protocol.events.DeliveryCodec;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A delivery on its way to the {@code chat.deliveries} sink: {@link EdgePartitioner} sends it to
 * partition {@code edge}, {@link #SERIALIZER} writes only {@code delivery}, the record value
 * already encoded by {@link DeliveryCodec}.
 */
public record Routed(int edge, byte[] delivery) {
    public static final Serializer<Routed> SERIALIZER = (topic, routed) -> routed == null ? null : routed.delivery();
}
