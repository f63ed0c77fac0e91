package io.pipechat.protocol;

import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for the project's JSON records. A record that cannot be read raises Kafka's
 * {@link SerializationException}, which consumers handle by skipping (Kafka Streams:
 * {@code LogAndContinueExceptionHandler}); a null value (tombstone) reads as null.
 */
public final class JsonSerde {
    private JsonSerde() {
    }

    public static <T> Serde<T> of(Class<T> type) {
        return Serdes.serdeFrom(serializer(), deserializer(type));
    }

    public static <T> Serializer<T> serializer() {
        return (topic, value) -> value == null ? null : Json.bytes(value);
    }

    public static <T> Deserializer<T> deserializer(Class<T> type) {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return Json.MAPPER.readValue(bytes, type);
            } catch (IOException e) {
                throw new SerializationException("not a " + type.getSimpleName() + " record on " + topic, e);
            }
        };
    }
}
