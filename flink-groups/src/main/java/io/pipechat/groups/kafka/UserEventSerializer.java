package io.pipechat.groups.kafka;

import io.pipechat.protocol.Json;
import io.pipechat.protocol.events.UserEvent;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link UserEvent} to {@code chat.user-events} keyed by {@link UserEvent#user()} (UTF-8,
 * as every other producer of the topic), with no explicit partition: Kafka's default partitioner
 * puts it in the same partition as the user's direct messages, so the router sees them in order.
 */
public final class UserEventSerializer implements KafkaRecordSerializationSchema<UserEvent> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public UserEventSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(UserEvent event, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, event.user().getBytes(StandardCharsets.UTF_8), Json.bytes(event));
    }
}
