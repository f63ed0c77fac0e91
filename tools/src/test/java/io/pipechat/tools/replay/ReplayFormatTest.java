package io.pipechat.tools.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class ReplayFormatTest {

    private static ConsumerRecord<byte[], byte[]> record(String key, String value) {
        return new ConsumerRecord<>("t", 2, 9, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void jsonValuesAreEmbeddedOtherBytesAreStringsTombstonesAreNull() throws Exception {
        var json = record("bob", "{\"type\":\"ack\",\"upto\":3}");
        assertThat(Replay.JsonLines.line(json, Replay.parse(json.value())))
                .isEqualTo("{\"topic\":\"t\",\"partition\":2,\"offset\":9,\"timestamp\":-1,\"key\":\"bob\",\"value\":{\"type\":\"ack\",\"upto\":3}}");
        var text = record("bob", "not json {");
        assertThat(Json.read(Replay.JsonLines.line(text, Replay.parse(text.value())), JsonNode.class).get("value").asText())
                .isEqualTo("not json {");
        var tombstone = record("7", null);
        JsonNode t = Json.read(Replay.JsonLines.line(tombstone, Replay.parse(null)), JsonNode.class);
        assertThat(t.get("value").isNull()).isTrue();
        var empty = record(null, "");
        JsonNode e = Json.read(Replay.JsonLines.line(empty, Replay.parse(empty.value())), JsonNode.class);
        assertThat(e.get("key").isNull()).isTrue();
        assertThat(e.get("value").asText()).isEmpty();
    }

    @Test
    void filtersByKeyGroupAndDottedField() {
        var groupMsg = record("bob", "{\"type\":\"message\",\"to\":{\"group\":\"g1\"},\"from\":\"alice\"}");
        var receipt = record("alice", "{\"type\":\"receipt\",\"group\":\"g1\",\"status\":\"read\"}");
        var direct = record("bob", "{\"type\":\"message\",\"to\":{\"user\":\"bob\"}}");
        var garbage = record("bob", "garbage");
        RecordFilter g1 = new RecordFilter(List.of(), "g1", Map.of());
        assertThat(g1.test(groupMsg, Replay.parse(groupMsg.value()))).isTrue();
        assertThat(g1.test(receipt, Replay.parse(receipt.value()))).isTrue();
        assertThat(g1.test(direct, Replay.parse(direct.value()))).isFalse();
        assertThat(g1.test(garbage, null)).isFalse();

        RecordFilter bobMessagesFromAlice = new RecordFilter(List.of("bob"), null, Map.of("type", "message", "from", "alice"));
        assertThat(bobMessagesFromAlice.test(groupMsg, Replay.parse(groupMsg.value()))).isTrue();
        assertThat(bobMessagesFromAlice.test(direct, Replay.parse(direct.value()))).isFalse();
        assertThat(bobMessagesFromAlice.test(receipt, Replay.parse(receipt.value()))).isFalse();

        assertThat(RecordFilter.all().test(garbage, null)).isTrue();
        assertThat(new RecordFilter(List.of(), null, Map.of("to.user", "bob")).test(direct, Replay.parse(direct.value()))).isTrue();
    }

    @Test
    void rangesNeedExactlyOneStartAndAnOrderedEnd() {
        assertThatThrownBy(() -> new ReplayRange(null, null, null, OptionalInt.empty())).hasMessageContaining("exactly one");
        assertThatThrownBy(() -> new ReplayRange(1L, Instant.EPOCH, null, OptionalInt.empty())).hasMessageContaining("exactly one");
        assertThatThrownBy(() -> ReplayRange.fromOffset(-1)).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> ReplayRange.fromTimestamp(Instant.ofEpochSecond(10), Instant.ofEpochSecond(5)))
                .hasMessageContaining("before");
    }
}
