package io.pipechat.tools.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Media;
import io.pipechat.protocol.ReceiptStatus;
import io.pipechat.protocol.DeviceInfo;
import io.pipechat.protocol.SystemEvent;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.DeliveryCodec;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.PushRequest;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ClientFrame;
import io.pipechat.protocol.frames.DecodeResult;
import io.pipechat.protocol.frames.FrameCodec;
import io.pipechat.protocol.frames.ServerFrame;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The JSON Schemas of {@code protocol/src/main/resources/schemas/} (draft 2020-12) against real
 * records: every record type, written by our own serializers ({@link Json#write}), validates; broken
 * records fail. Client frames are checked against {@link FrameCodec}: what it accepts validates, what
 * it refuses fails. Lives here (not in protocol/) because the validator is a test dependency that
 * protocol's pom does not have.
 */
class RecordSchemasTest {
    private static final String BASE = "https://pipechat.io/schemas/";
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaIdResolvers(r -> r.mapPrefix(BASE, "classpath:schemas/")));
    private static final Media MEDIA = new Media("ab".repeat(32), "image/png", 1234, "k3y", "cat.png");

    static Schema schema(String file) {
        Schema s = REGISTRY.getSchema(SchemaLocation.of(BASE + file));
        s.initializeValidators();
        return s;
    }

    static final Schema USER_EVENTS = schema("user-events.schema.json");
    static final Schema GROUP_EVENTS = schema("group-events.schema.json");
    static final Schema DELIVERIES = schema("deliveries.schema.json");
    static final Schema EDGES = schema("edges.schema.json");
    static final Schema PUSH = schema("push.schema.json");
    static final Schema SERVER_FRAMES = schema("server-frame.schema.json");
    static final Schema CLIENT_FRAMES = schema("client-frame.schema.json");

    static final List<UserEvent> USER_EVENT_SAMPLES = List.of(
            new UserEvent.Message("bob", "alice", "m1", Address.user("bob"), 1, "hi", null),
            new UserEvent.Message("bob", "alice", "m2", Address.group("g1"), 2, null, MEDIA),
            new UserEvent.Ack("bob", "phone", 7, 3),
            new UserEvent.SessionOpened("bob", "phone", "s-1", 1, 100, 4),
            new UserEvent.SessionClosed("bob", "phone", "s-1", 1, 100, 5),
            new UserEvent.Receipt("alice", "m1", "bob", ReceiptStatus.DELIVERED, null, 6),
            new UserEvent.Receipt("alice", "m2", "bob", ReceiptStatus.READ, "g1", 7),
            new UserEvent.Typing("bob", "alice", Address.user("bob"), 8),
            new UserEvent.Rejected("alice", "m3", ErrorCode.NOT_MEMBER, "not a member of g1", 9),
            new UserEvent.Message("bob", "alice", "m4", Address.user("bob"), 10, "hi", null).ownCopy("laptop"),
            new UserEvent.Read("bob", "alice", "m1", "g1", "phone", 11),
            new UserEvent.DeviceRemoved("bob", "tablet", 12),
            new UserEvent.DevicesQuery("bob", "q-1", 0, 13),
            new UserEvent.Rejected("alice", "m5", ErrorCode.MAILBOX_FULL, "full", 14));

    static final List<ServerFrame> SERVER_FRAME_SAMPLES = List.of(
            new ServerFrame.Welcome("bob", "phone", 1, 10),
            new ServerFrame.Sent("m1", 11),
            new ServerFrame.Msg(1, "m1", "alice", Address.user("bob"), 12, "hi", null),
            new ServerFrame.Msg(2, "m2", "alice", Address.group("g1"), 13, null, MEDIA),
            new ServerFrame.Msg(3, "sys:1", "alice", Address.group("g1"), 13, null, null,
                    SystemEvent.member(SystemEvent.MEMBER_ADDED, "alice", "bob")),
            new ServerFrame.Receipt(3, "m1", "bob", ReceiptStatus.READ, 14, "g1"),
            new ServerFrame.Typing("alice", Address.group("g1")),
            new ServerFrame.Pong(15L),
            new ServerFrame.Pong(null),
            new ServerFrame.Error(ErrorCode.TOO_LARGE, "frame too large", "m9"),
            new ServerFrame.Read(4, "m1", "alice", null, 16),
            new ServerFrame.Devices(List.of(new DeviceInfo("phone", 17, true), new DeviceInfo("laptop", 18, false))));

    @Test
    void everyUserEventTypeWrittenByOurSerializerValidates() {
        assertEveryPermittedTypeSampled(UserEvent.class, USER_EVENT_SAMPLES);
        USER_EVENT_SAMPLES.forEach(e -> assertValid(USER_EVENTS, Json.write(e)));
    }

    @Test
    void groupEventsEdgesAndPushValidate() {
        assertEveryPermittedTypeSampled(GroupEvent.class, List.of(new GroupEvent.Message("g1", "alice", "m1", 5, "hi", null),
                new GroupEvent.Typing("g1", "alice", 5)));
        assertValid(GROUP_EVENTS, Json.write(new GroupEvent.Typing("g1", "alice", 5)));
        assertValid(USER_EVENTS, Json.write(UserEvent.Message.system("bob", "alice", "sys:2", "g1", 5,
                new SystemEvent(SystemEvent.RENAMED, "alice", null, "Weekend", null, null))));
        assertInvalid(USER_EVENTS, Json.write(UserEvent.Message.system("bob", "alice", "sys:3", "g1", 5,
                new SystemEvent(SystemEvent.ICON_CHANGED, "alice", null, null, null, MEDIA))),
                o -> ((ObjectNode) o.get("system")).remove("event"));
        assertValid(GROUP_EVENTS, Json.write(new GroupEvent.Message("g1", "alice", "m1", 5, "hi", null)));
        assertValid(GROUP_EVENTS, Json.write(new GroupEvent.Message("g1", "alice", "m2", 6, null, MEDIA)));
        assertValid(EDGES, Json.write(new EdgeHeartbeat(3, 1_700_000_000_000L, 42, true)));
        assertValid(EDGES, Json.write(new EdgeHeartbeat(0, 7, 43, false)));
        assertValid(PUSH, Json.write(new PushRequest("bob", 3, 44)));
    }

    @Test
    void deliveriesOfEveryServerFrameAndClosesValidate() {
        assertEveryPermittedTypeSampled(ServerFrame.class, SERVER_FRAME_SAMPLES);
        for (ServerFrame f : SERVER_FRAME_SAMPLES) {
            assertValid(SERVER_FRAMES, FrameCodec.encode(f));
            assertValid(DELIVERIES, Json.write(Delivery.Frame.of("bob", null, f)));
            assertValid(DELIVERIES, Json.write(Delivery.Frame.of("bob", "s-1", f)));
            assertValid(DELIVERIES, new String(DeliveryCodec.frame("bob", null, "phone",
                    FrameCodec.encode(f).getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
        }
        List<Delivery> closes = List.of(new Delivery.Close("bob", "s-1", 4409, "connected elsewhere"),
                new Delivery.Flushed("bob", "s-1", 2),
                new Delivery.Devices("bob", "q-1", List.of(new DeviceInfo("phone", 17, true))),
                new Delivery.Devices("bob", null, List.of()));
        List<Delivery> all = new java.util.ArrayList<>(closes);
        all.add(Delivery.Frame.of("bob", null, SERVER_FRAME_SAMPLES.get(1)));
        assertEveryPermittedTypeSampled(Delivery.class, all);
        closes.forEach(c -> assertValid(DELIVERIES, Json.write(c)));
    }

    @Test
    void brokenRecordsFail() {
        String msg = Json.write(USER_EVENT_SAMPLES.getFirst());
        assertInvalid(USER_EVENTS, msg, o -> o.remove("from"));
        assertInvalid(USER_EVENTS, msg, o -> o.put("ts", "yesterday"));
        assertInvalid(USER_EVENTS, msg, o -> o.put("v", 2));
        assertInvalid(USER_EVENTS, msg, o -> o.put("type", "poke"));
        assertInvalid(USER_EVENTS, msg, o -> o.remove("body"));
        assertInvalid(USER_EVENTS, msg, o -> ((ObjectNode) o.get("to")).put("group", "g1"));
        assertInvalid(USER_EVENTS, msg, o -> o.put("user", "bad id with spaces"));
        assertInvalid(USER_EVENTS, Json.write(USER_EVENT_SAMPLES.get(1)), o -> ((ObjectNode) o.get("media")).put("id", "not-a-sha256"));
        assertInvalid(USER_EVENTS, Json.write(USER_EVENT_SAMPLES.get(2)), o -> o.put("upto", -1));
        assertInvalid(USER_EVENTS, Json.write(USER_EVENT_SAMPLES.get(5)), o -> o.put("status", "seen"));
        assertInvalid(USER_EVENTS, Json.write(USER_EVENT_SAMPLES.getLast()), o -> o.put("code", "nope"));
        assertInvalid(GROUP_EVENTS, Json.write(new GroupEvent.Message("g1", "alice", "m1", 5, "hi", null)), o -> o.remove("group"));
        assertInvalid(DELIVERIES, Json.write(Delivery.Frame.of("bob", null, new ServerFrame.Sent("m1", 1))),
                o -> ((ObjectNode) o.get("frame")).remove("id"));
        assertInvalid(DELIVERIES, Json.write(new Delivery.Close("bob", "s", 4409, null)), o -> o.put("code", 99));
        assertInvalid(DELIVERIES, Json.write(new Delivery.Flushed("bob", "s")), o -> o.remove("session"));
        assertInvalid(EDGES, Json.write(new EdgeHeartbeat(1, 2, 3, true)), o -> o.put("up", "yes"));
        assertInvalid(EDGES, Json.write(new EdgeHeartbeat(1, 2, 3, true)), o -> o.put("edge", -1));
        assertInvalid(PUSH, Json.write(new PushRequest("bob", 1, 2)), o -> o.remove("pending"));
        assertInvalid(SERVER_FRAMES, FrameCodec.encode(new ServerFrame.Error(ErrorCode.INTERNAL, "x", null)), o -> o.put("code", "oops"));
    }

    @Test
    void clientFramesTheCodecAcceptsValidateAndTheOnesItRefusesFail() {
        List<String> accepted = List.of(
                "{\"type\":\"send\",\"id\":\"c-1\",\"to\":{\"user\":\"bob\"},\"body\":\"hi\"}",
                "{\"type\":\"send\",\"id\":\"c:2\",\"to\":{\"group\":\"g1\"},\"media\":{\"id\":\"" + "ab".repeat(32)
                        + "\",\"mime\":\"image/png\",\"size\":3,\"key\":\"k\",\"name\":\"a.png\"},\"extra\":true}",
                "{\"type\":\"ack\",\"upto\":42}",
                "{\"type\":\"read\",\"id\":\"m1\",\"from\":\"alice\"}",
                "{\"type\":\"read\",\"id\":\"m1\",\"from\":\"alice\",\"group\":\"g1\"}",
                "{\"type\":\"typing\",\"to\":{\"user\":\"bob\"}}",
                "{\"type\":\"ping\",\"ts\":5}",
                "{\"type\":\"ping\"}");
        Set<Class<?>> seen = new HashSet<>();
        for (String frame : accepted) {
            DecodeResult r = FrameCodec.decode(frame);
            assertThat(r).as(frame).isInstanceOf(DecodeResult.Ok.class);
            seen.add(((DecodeResult.Ok) r).frame().getClass());
            assertValid(CLIENT_FRAMES, frame);
        }
        assertThat(seen).containsExactlyInAnyOrder(ClientFrame.class.getPermittedSubclasses());
        List<String> refused = List.of(
                "{\"type\":\"send\",\"id\":\"c-1\",\"to\":{\"user\":\"bob\"}}",
                "{\"type\":\"send\",\"to\":{\"user\":\"bob\"},\"body\":\"hi\"}",
                "{\"type\":\"send\",\"id\":\"c-1\",\"to\":{\"user\":\"bob\",\"group\":\"g\"},\"body\":\"hi\"}",
                "{\"type\":\"send\",\"id\":\"c-1\",\"to\":{\"user\":\"b o b\"},\"body\":\"hi\"}",
                "{\"type\":\"send\",\"id\":\"c-1\",\"to\":{\"user\":\"bob\"},\"media\":{\"id\":\"xyz\",\"mime\":\"a\",\"size\":1}}",
                "{\"type\":\"ack\",\"upto\":-1}",
                "{\"type\":\"ack\",\"upto\":\"7\"}",
                "{\"type\":\"read\",\"id\":\"m1\"}",
                "{\"type\":\"typing\"}",
                "{\"type\":\"ping\",\"ts\":\"now\"}",
                "{\"type\":\"dance\"}",
                "{\"id\":\"m1\"}");
        for (String frame : refused) {
            assertThat(FrameCodec.decode(frame)).as(frame).isInstanceOf(DecodeResult.Invalid.class);
            assertThat(CLIENT_FRAMES.validate(Json.read(frame, JsonNode.class))).as(frame).isNotEmpty();
        }
    }

    @Test
    void everySchemaFileIsDraft202012WithAnIdMatchingItsFileName() throws Exception {
        for (String file : List.of("common", "user-events", "group-events", "deliveries", "edges", "push", "server-frame", "client-frame")) {
            try (InputStream in = RecordSchemasTest.class.getResourceAsStream("/schemas/" + file + ".schema.json")) {
                assertThat(in).as(file).isNotNull();
                JsonNode s = Json.MAPPER.readTree(in);
                assertThat(s.get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
                assertThat(s.get("$id").asText()).isEqualTo(BASE + file + ".schema.json");
            }
        }
    }

    private static void assertEveryPermittedTypeSampled(Class<?> sealed, List<?> samples) {
        Set<Class<?>> sampled = new HashSet<>();
        samples.forEach(s -> sampled.add(s.getClass()));
        assertThat(sampled).as("one sample of every %s type", sealed.getSimpleName())
                .containsAll(Arrays.asList(sealed.getPermittedSubclasses() == null ? new Class<?>[] {sealed} : sealed.getPermittedSubclasses()));
    }

    private static void assertValid(Schema schema, String json) {
        List<Error> errors = schema.validate(Json.read(json, JsonNode.class));
        assertThat(errors).as(json).isEmpty();
    }

    private static void assertInvalid(Schema schema, String validJson, Consumer<ObjectNode> breakIt) {
        ObjectNode node = (ObjectNode) Json.read(validJson, JsonNode.class);
        assertThat(schema.validate(node)).as("before breaking: " + node).isEmpty();
        breakIt.accept(node);
        assertThat(schema.validate(node)).as("broken: " + node).isNotEmpty();
    }
}
