package io.pipechat.groups.kafka;

import io.pipechat.groups.types.JsonTypeInfo;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.events.GroupEvent;
import java.io.IOException;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code chat.group-events} values ({@link GroupEvent} JSON): messages and typing. Null values,
 * unreadable JSON, and events whose group, sender or message id is not a valid id (or a message
 * with neither body nor media) are skipped, counted and logged with their topic, partition and
 * offset, never thrown: each would otherwise become one invalid user event per member. Metrics,
 * group {@code group_events}: {@code messages}, {@code typing}, {@code malformed}.
 */
public final class GroupEventDeserializer implements KafkaRecordDeserializationSchema<GroupEvent> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GroupEventDeserializer.class);

    private transient Counter messages;
    private transient Counter typing;
    private transient Counter malformed;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        MetricGroup metrics = context.getMetricGroup().addGroup("group_events");
        messages = metrics.counter("messages");
        typing = metrics.counter("typing");
        malformed = metrics.counter("malformed");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<GroupEvent> out) {
        String problem;
        if (record.value() == null) {
            problem = "null value";
        } else {
            try {
                GroupEvent event = Json.MAPPER.readValue(record.value(), GroupEvent.class);
                problem = problem(event);
                if (problem == null) {
                    (event instanceof GroupEvent.Typing ? typing : messages).inc();
                    out.collect(event);
                    return;
                }
            } catch (IOException e) {
                problem = e.getMessage();
            }
        }
        malformed.inc();
        LOG.warn("skipping malformed group event at {}-{}@{}: {}",
                record.topic(), record.partition(), record.offset(), problem);
    }

    /** Why {@code event} cannot be expanded, or null. */
    static String problem(GroupEvent event) {
        if (event == null || !Ids.isGroupId(event.group())) {
            return "no valid group id";
        }
        return switch (event) {
            case GroupEvent.Message m -> !Ids.isUserId(m.from()) ? "message without a valid sender"
                    : !Ids.isMessageId(m.id()) ? "message without a valid id"
                    : m.body() == null && m.media() == null ? "message without body or media" : null;
            case GroupEvent.Typing t -> !Ids.isUserId(t.from()) ? "typing without a valid sender" : null;
        };
    }

    @Override
    public TypeInformation<GroupEvent> getProducedType() {
        return JsonTypeInfo.of(GroupEvent.class);
    }
}
