package io.pipechat.groups.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Media;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.Collector;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The job's Kafka formats: what the edge writes to chat.group-events in, what the router reads out. */
class KafkaFormatsTest {

    List<GroupEvent> read(byte[] value) {
        GroupEventDeserializer d = new GroupEventDeserializer();
        d.open(new DeserializationSchema.InitializationContext() {
            @Override
            public MetricGroup getMetricGroup() {
                return new UnregisteredMetricsGroup();
            }

            @Override
            public UserCodeClassLoader getUserCodeClassLoader() {
                return SimpleUserCodeClassLoader.create(getClass().getClassLoader());
            }
        });
        List<GroupEvent> out = new ArrayList<>();
        d.deserialize(new ConsumerRecord<>("chat.group-events", 0, 0L, "g1".getBytes(StandardCharsets.UTF_8), value),
                new Collector<>() {
                    @Override
                    public void collect(GroupEvent record) {
                        out.add(record);
                    }

                    @Override
                    public void close() {
                    }
                });
        return out;
    }

    @Test
    void readsGroupMessagesAsTheEdgeWritesThem() {
        var m = new GroupEvent.Message("g1", "alice", "c-1", 5L, "hi", new Media("sha", "image/png", 3, null, null));
        assertThat(read(Json.bytes(m))).containsExactly(m);
    }

    @Test
    void readsTypingAsTheEdgeWritesIt() {
        var t = new GroupEvent.Typing("g1", "alice", 7L);
        assertThat(read(Json.bytes(t))).containsExactly(t);
    }

    @Test
    void skipsEventsWhoseIdsWouldMakeInvalidUserEvents() {
        assertThat(read(Json.bytes(new GroupEvent.Message("g1", "not a user", "c-1", 5L, "hi", null)))).isEmpty();
        assertThat(read(Json.bytes(new GroupEvent.Message("g1", "alice", "bad id!", 5L, "hi", null)))).isEmpty();
        assertThat(read(Json.bytes(new GroupEvent.Message("bad group!", "alice", "c-1", 5L, "hi", null)))).isEmpty();
        assertThat(read(Json.bytes(new GroupEvent.Message("g1", "alice", "c-1", 5L, null, null)))).as("no content").isEmpty();
        assertThat(read(Json.bytes(new GroupEvent.Typing("g1", null, 5L)))).isEmpty();
    }

    @Test
    void skipsNullsGarbageAndIncompleteMessages() {
        assertThat(read(null)).isEmpty();
        assertThat(read("{".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(read("{\"v\":1,\"group\":\"g1\"}".getBytes(StandardCharsets.UTF_8))).as("no type").isEmpty();
        assertThat(read("{\"v\":1,\"type\":\"message\",\"group\":\"g1\",\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
                .as("no sender").isEmpty();
    }

    @Test
    void writesUserEventsKeyedByTheirUser() {
        var serializer = new UserEventSerializer("chat.user-events");
        var message = new UserEvent.Message("bob", "alice", "c-1", Address.group("g1"), 5L, "hi", null);
        ProducerRecord<byte[], byte[]> r = serializer.serialize(message, null, null);
        assertThat(r.topic()).isEqualTo("chat.user-events");
        assertThat(r.partition()).isNull();
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("bob");
        assertThat(Json.read(r.value(), UserEvent.class)).isEqualTo(message);
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).contains("\"to\":{\"group\":\"g1\"}");

        var rejected = new UserEvent.Rejected("mallory", "m-1", ErrorCode.NOT_MEMBER, "not a member of g1", 5L);
        ProducerRecord<byte[], byte[]> r2 = serializer.serialize(rejected, null, null);
        assertThat(new String(r2.key(), StandardCharsets.UTF_8)).isEqualTo("mallory");
        assertThat(new String(r2.value(), StandardCharsets.UTF_8)).contains("\"code\":\"not_member\"");
    }
}
