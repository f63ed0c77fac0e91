package io.pipechat.protocol.events;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import io.pipechat.protocol.DeviceInfo;
import io.pipechat.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The codec of {@code chat.deliveries} values: the same JSON as {@link Delivery}'s Jackson mapping
 * ({@code {"type":"frame","v":1,"user":...,"frame":{...}}}, see deliveries.schema.json), written
 * and read with Jackson's streaming API so that a frame's client JSON is copied as it is: the
 * router writes the bytes it stored, the edge hands the text to the socket, and neither builds a
 * frame object for it.
 */
public final class DeliveryCodec {
    private static final TypeReference<List<DeviceInfo>> DEVICES = new TypeReference<>() {
    };

    private DeliveryCodec() {
    }

    /** A {@link Delivery.Frame} whose {@code frame} is already encoded (UTF-8 JSON of a client frame). */
    public static byte[] frame(String user, String session, String except, byte[] frameJson) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(frameJson.length + 96);
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", "frame");
            g.writeNumberField("v", Delivery.VERSION);
            g.writeStringField("user", user);
            if (session != null) {
                g.writeStringField("session", session);
            }
            if (except != null) {
                g.writeStringField("except", except);
            }
            g.writeFieldName("frame");
            g.writeRawValue(new String(frameJson, StandardCharsets.UTF_8));
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] encode(Delivery delivery) {
        return Json.bytes(delivery);
    }

    /**
     * Reads a record value; null for a null value.
     *
     * @throws SerializationException if it is not a delivery
     */
    public static Delivery decode(byte[] value) {
        if (value == null) {
            return null;
        }
        try (JsonParser p = Json.MAPPER.createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SerializationException("a delivery is a JSON object");
            }
            String type = null;
            String user = null;
            String session = null;
            String except = null;
            String frame = null;
            String reason = null;
            String request = null;
            int code = 0;
            int deviceCount = 0;
            List<DeviceInfo> devices = List.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "type" -> type = p.getValueAsString();
                    case "user" -> user = p.getValueAsString();
                    case "session" -> session = p.getValueAsString();
                    case "except" -> except = p.getValueAsString();
                    case "reason" -> reason = p.getValueAsString();
                    case "request" -> request = p.getValueAsString();
                    case "code" -> code = p.getValueAsInt();
                    case "deviceCount" -> deviceCount = p.getValueAsInt();
                    case "frame" -> {
                        if (t != JsonToken.START_OBJECT) {
                            throw new SerializationException("frame is not a JSON object");
                        }
                        int start = (int) p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        int end = (int) p.currentLocation().getByteOffset();
                        frame = new String(value, start, end - start, StandardCharsets.UTF_8);
                    }
                    case "devices" -> devices = t == JsonToken.START_ARRAY ? p.readValueAs(DEVICES) : List.of();
                    default -> p.skipChildren();
                }
            }
            if (type == null) {
                throw new SerializationException("a delivery without type");
            }
            return switch (type) {
                case "frame" -> {
                    if (frame == null) {
                        throw new SerializationException("a frame delivery without frame");
                    }
                    yield new Delivery.Frame(user, session, except, frame);
                }
                case "close" -> new Delivery.Close(user, session, code, reason);
                case "flushed" -> new Delivery.Flushed(user, session, deviceCount);
                case "devices" -> new Delivery.Devices(user, request, devices);
                default -> throw new SerializationException("unknown delivery type " + type);
            };
        } catch (IOException e) {
            throw new SerializationException("not a delivery record", e);
        }
    }
}
