package io.pipechat.groups.kafka;

import io.pipechat.groups.types.JsonTypeInfo;
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
 * Reads {@code chat.group-events} values ({@link GroupEvent} JSON) into {@link GroupEvent.Message}s.
 * Null values, unreadable JSON and messages without group, sender or id are skipped, counted and
 * logged, never thrown. Metrics, group {@code group_events}: {@code messages}, {@code malformed}.
 */
public final class GroupEventDeserializer implements KafkaRecordDeserializationSchema<GroupEvent.Message> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GroupEventDeserializer.class);

    private transient Counter messages;
    private transient Counter malformed;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        MetricGroup metrics = context.getMetricGroup().addGroup("group_events");
        messages = metrics.counter("messages");
        malformed = metrics.counter("malformed");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<GroupEvent.Message> out) {
        String problem;
        if (record.value() == null) {
            problem = "null value";
        } else {
            try {
                GroupEvent event = Json.MAPPER.readValue(record.value(), GroupEvent.class);
                if (event instanceof GroupEvent.Message m && m.group() != null && m.from() != null && m.id() != null) {
                    messages.inc();
                    out.collect(m);
                    return;
                }
                problem = "message without group, from or id";
            } catch (IOException e) {
                problem = e.getMessage();
            }
        }
        malformed.inc();
        LOG.warn("skipping malformed group event at {}-{}@{}: {}",
                record.topic(), record.partition(), record.offset(), problem);
    }

    @Override
    public TypeInformation<GroupEvent.Message> getProducedType() {
        return JsonTypeInfo.of(GroupEvent.Message.class);
    }
}
