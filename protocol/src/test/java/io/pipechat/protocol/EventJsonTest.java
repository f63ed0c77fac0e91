package io.pipechat.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.DeliveryCodec;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.FrameCodec;
import io.pipechat.protocol.frames.ServerFrame;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class EventJsonTest {

    /** A msg frame as a client receives it. */
    private static final class FrameCodecTestFrames {
        static final String MSG = FrameCodec.encode(new ServerFrame.Msg(4, "m1", "alice", Address.user("bob"), 1, "hi \u00e9\"}", null));
    }

    @Test
    void userEventsRoundTripWithVersionAndType() {
        Serde<UserEvent> serde = JsonSerde.of(UserEvent.class);
        UserEvent[] events = {
                new UserEvent.Message("bob", "alice", "m1", Address.group("g"), 1, "hi",
                        new Media("a".repeat(64), "image/png", 3, null, "x.png")),
                new UserEvent.Ack("bob", "phone", 7, 2),
                new UserEvent.SessionOpened("bob", "phone", "s1", 1, 100, 3),
                new UserEvent.SessionClosed("bob", "phone", "s1", 1, 100, 4),
                new UserEvent.Receipt("alice", "m1", "bob", ReceiptStatus.DELIVERED, null, 5),
                new UserEvent.Typing("bob", "alice", Address.user("bob"), 6),
                new UserEvent.Rejected("alice", "m1", ErrorCode.NOT_MEMBER, "not a member of g", 7),
                new UserEvent.Message("bob", "alice", "m1", Address.user("bob"), 1, "hi", null).ownCopy("laptop"),
                new UserEvent.Read("bob", "alice", "m1", "g1", "phone", 8),
                new UserEvent.DeviceRemoved("bob", "tablet", 9),
                new UserEvent.DevicesQuery("bob", "q-1", 2, 10),
                new UserEvent.Rejected("alice", "m2", ErrorCode.MAILBOX_FULL, "full", 11),
                UserEvent.Message.system("bob", "alice", "sys:1", "g", 8,
                        new SystemEvent(SystemEvent.ICON_CHANGED, "alice", null, null, null,
                                new Media("b".repeat(64), "image/png", 9, "k", null)))};
        for (UserEvent e : events) {
            byte[] bytes = serde.serializer().serialize("t", e);
            String json = new String(bytes, StandardCharsets.UTF_8);
            assertThat(json).startsWith("{\"type\":").contains("\"v\":1");
            assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(e);
        }
    }

    @Test
    void userEventJsonIsReadableWithoutOurCode() {
        String json = Json.write(new UserEvent.Message("bob", "alice", "m1", Address.user("bob"), 1, "hi", null));
        assertThat(json).isEqualTo(
                "{\"type\":\"message\",\"user\":\"bob\",\"from\":\"alice\",\"id\":\"m1\",\"to\":{\"user\":\"bob\"},\"ts\":1,\"body\":\"hi\",\"v\":1}");
    }

    @Test
    void anOwnCopyNamesTheDeviceThatSentIt() {
        UserEvent.Message m = new UserEvent.Message("bob", "alice", "m1", Address.user("bob"), 1, "hi", null);
        UserEvent.Message own = m.ownCopy("laptop");
        assertThat(own).isEqualTo(new UserEvent.Message("alice", "alice", "m1", Address.user("bob"), 1, "hi", null, "laptop"));
        assertThat(own.isOwnCopy()).isTrue();
        assertThat(m.isOwnCopy()).isFalse();
        assertThat(Json.write(own)).contains("\"device\":\"laptop\"").doesNotContain("ownCopy");
        assertThat(((UserEvent.Message) Json.read(Json.bytes(own), UserEvent.class)).device()).isEqualTo("laptop");
    }

    @Test
    void deliveriesCarryTheClientFrameAsItIs() {
        String frame = FrameCodecTestFrames.MSG;
        byte[] bytes = DeliveryCodec.frame("bob", null, "phone", frame.getBytes(StandardCharsets.UTF_8));
        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(
                "{\"type\":\"frame\",\"v\":1,\"user\":\"bob\",\"except\":\"phone\",\"frame\":" + frame + "}");
        assertThat(DeliveryCodec.decode(bytes)).isEqualTo(new Delivery.Frame("bob", null, "phone", frame));
        assertThat(Json.read(bytes, Delivery.class)).as("Jackson reads the same record")
                .isEqualTo(new Delivery.Frame("bob", null, "phone", frame));
        List<Delivery> others = List.of(
                new Delivery.Frame("bob", "s1", frame),
                new Delivery.Close("bob", "s1", 4409, "connected elsewhere"),
                new Delivery.Flushed("bob", "s1", 3),
                new Delivery.Devices("bob", "q-1", List.of(new DeviceInfo("phone", 5, true), new DeviceInfo("tablet", 2, false))),
                new Delivery.Devices("bob", null, List.of()));
        for (Delivery d : others) {
            assertThat(DeliveryCodec.decode(DeliveryCodec.encode(d))).isEqualTo(d);
        }
        assertThat(new String(DeliveryCodec.encode(new Delivery.Frame("bob", "s1", frame)), StandardCharsets.UTF_8))
                .as("the frame is a JSON object in the record, not a string").contains("\"frame\":{\"type\":\"msg\"");
    }

    @Test
    void aDeliveryOfAnOlderRouterIsReadToo() {
        byte[] v1 = ("{\"type\":\"frame\",\"user\":\"bob\",\"frame\":{\"type\":\"msg\",\"seq\":1,\"body\":\"}{\"},\"v\":1}")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(DeliveryCodec.decode(v1)).isEqualTo(new Delivery.Frame("bob", null, null,
                "{\"type\":\"msg\",\"seq\":1,\"body\":\"}{\"}"));
        assertThat(DeliveryCodec.decode("{\"type\":\"flushed\",\"user\":\"bob\",\"session\":\"s\",\"v\":1}"
                .getBytes(StandardCharsets.UTF_8))).isEqualTo(new Delivery.Flushed("bob", "s", 0));
        assertThatThrownBy(() -> DeliveryCodec.decode("[1]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> DeliveryCodec.decode("{\"type\":\"frame\",\"user\":\"bob\",\"frame\":\"x\"}"
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> DeliveryCodec.decode("{\"type\":\"nope\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void systemMessagesCarryTheirEventAndOldReadersSeeAMessageWithoutContent() {
        String json = Json.write(new ServerFrame.Msg(4, "sys:ab", "alice", Address.group("g1"), 5, null, null,
                SystemEvent.member(SystemEvent.MEMBER_ADDED, "alice", "bob")));
        assertThat(json).isEqualTo("{\"type\":\"msg\",\"seq\":4,\"id\":\"sys:ab\",\"from\":\"alice\",\"to\":{\"group\":\"g1\"},"
                + "\"ts\":5,\"system\":{\"event\":\"member_added\",\"by\":\"alice\",\"user\":\"bob\"}}");
        assertThat(Json.read(json, ServerFrame.class)).isEqualTo(new ServerFrame.Msg(4, "sys:ab", "alice",
                Address.group("g1"), 5, null, null, SystemEvent.member(SystemEvent.MEMBER_ADDED, "alice", "bob")));
        // A record of a version without system messages reads as a plain message, system null.
        assertThat(Json.read("{\"type\":\"message\",\"user\":\"bob\",\"from\":\"alice\",\"id\":\"m1\","
                + "\"to\":{\"user\":\"bob\"},\"ts\":1,\"body\":\"hi\",\"v\":1}", UserEvent.class))
                .isEqualTo(new UserEvent.Message("bob", "alice", "m1", Address.user("bob"), 1, "hi", null));
    }

    @Test
    void otherRecordsRoundTrip() {
        Serde<GroupEvent> groups = JsonSerde.of(GroupEvent.class);
        GroupEvent g = new GroupEvent.Message("g1", "alice", "m1", 5, "hi", null);
        assertThat(groups.deserializer().deserialize("t", groups.serializer().serialize("t", g))).isEqualTo(g);
        GroupEvent typing = new GroupEvent.Typing("g1", "alice", 6);
        assertThat(Json.write(typing)).isEqualTo("{\"type\":\"typing\",\"group\":\"g1\",\"from\":\"alice\",\"ts\":6,\"v\":1}");
        assertThat(groups.deserializer().deserialize("t", groups.serializer().serialize("t", typing))).isEqualTo(typing);
        Serde<EdgeHeartbeat> edges = JsonSerde.of(EdgeHeartbeat.class);
        EdgeHeartbeat h = new EdgeHeartbeat(1, 77, 5, true);
        assertThat(edges.deserializer().deserialize("t", edges.serializer().serialize("t", h))).isEqualTo(h);
    }

    @Test
    void unreadableRecordsRaiseSerializationExceptionAndTombstonesReadAsNull() {
        Serde<UserEvent> serde = JsonSerde.of(UserEvent.class);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", "{\"type\":\"nope\"}".getBytes()))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", "garbage".getBytes()))
                .isInstanceOf(SerializationException.class);
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }
}
