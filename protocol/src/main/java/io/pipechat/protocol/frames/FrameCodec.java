package io.pipechat.protocol.frames;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.ErrorCode;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Media;

/**
 * JSON codec for WebSocket frames. Decoding never throws: anything a client can send yields either
 * a valid {@link ClientFrame} or an {@link DecodeResult.Invalid} naming what is wrong. Unknown
 * fields are ignored, as the protocol promises.
 */
public final class FrameCodec {
    /** Longest accepted media MIME type or file name. */
    public static final int MAX_MEDIA_TEXT = 255;
    /** Longest accepted media key (base64 of a 256-bit key with room for a header). */
    public static final int MAX_MEDIA_KEY = 256;
    /** One JSON value per frame: anything after it is an error, not silently dropped (a second frame, say). */
    private static final ObjectReader READER = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private FrameCodec() {
    }

    public static String encode(ServerFrame frame) {
        return Json.write(frame);
    }

    public static DecodeResult decode(String text) {
        JsonNode root;
        try {
            root = READER.readTree(text);
        } catch (JsonProcessingException e) {
            return bad("not valid JSON", null);
        }
        if (root == null || !root.isObject()) {
            return bad("a frame is a JSON object", null);
        }
        JsonNode type = root.get("type");
        if (type == null || !type.isTextual()) {
            return bad("missing field: type", null);
        }
        return switch (type.asText()) {
            case "send" -> decodeSend(root);
            case "ack" -> decodeAck(root);
            case "read" -> decodeRead(root);
            case "typing" -> decodeTyping(root);
            case "ping" -> decodePing(root);
            default -> bad("unknown type: " + truncate(type.asText()), null);
        };
    }

    private static DecodeResult decodeSend(JsonNode root) {
        JsonNode idNode = root.get("id");
        if (idNode == null || !idNode.isTextual()) {
            return bad("missing field: id", null);
        }
        String id = idNode.asText();
        if (!Ids.isMessageId(id)) {
            return bad("bad id: 1-64 characters of [A-Za-z0-9._:-]", null);
        }
        Object to = address(root.get("to"));
        if (to instanceof String problem) {
            return bad(problem, id);
        }
        JsonNode bodyNode = root.get("body");
        String body = null;
        if (bodyNode != null && !bodyNode.isNull()) {
            if (!bodyNode.isTextual()) {
                return bad("body must be a string", id);
            }
            body = bodyNode.asText();
        }
        JsonNode mediaNode = root.get("media");
        Media media = null;
        if (mediaNode != null && !mediaNode.isNull()) {
            Object m = media(mediaNode);
            if (m instanceof String problem) {
                return bad(problem, id);
            }
            media = (Media) m;
        }
        if (body == null && media == null) {
            return bad("a message needs a body or media", id);
        }
        return new DecodeResult.Ok(new ClientFrame.Send(id, (Address) to, body, media));
    }

    private static DecodeResult decodeAck(JsonNode root) {
        JsonNode upto = root.get("upto");
        if (upto == null || !upto.canConvertToLong() || !upto.isIntegralNumber()) {
            return bad("missing field: upto (an integer)", null);
        }
        if (upto.asLong() < 0) {
            return bad("upto must not be negative", null);
        }
        return new DecodeResult.Ok(new ClientFrame.Ack(upto.asLong()));
    }

    private static DecodeResult decodeRead(JsonNode root) {
        String id = text(root, "id");
        if (!Ids.isMessageId(id)) {
            return bad(id == null ? "missing field: id" : "bad id", null);
        }
        String from = text(root, "from");
        if (!Ids.isUserId(from)) {
            return bad(from == null ? "missing field: from" : "bad user id in from", id);
        }
        String group = text(root, "group");
        if (group != null && !Ids.isGroupId(group)) {
            return bad("bad group id", id);
        }
        return new DecodeResult.Ok(new ClientFrame.Read(id, from, group));
    }

    private static DecodeResult decodeTyping(JsonNode root) {
        Object to = address(root.get("to"));
        if (to instanceof String problem) {
            return bad(problem, null);
        }
        return new DecodeResult.Ok(new ClientFrame.Typing((Address) to));
    }

    private static DecodeResult decodePing(JsonNode root) {
        JsonNode ts = root.get("ts");
        if (ts != null && !ts.isNull() && !(ts.isIntegralNumber() && ts.canConvertToLong())) {
            return bad("ts must be an integer", null);
        }
        return new DecodeResult.Ok(new ClientFrame.Ping(ts == null || ts.isNull() ? null : ts.asLong()));
    }

    /** An {@link Address}, or a String saying what is wrong. */
    private static Object address(JsonNode to) {
        if (to == null || !to.isObject()) {
            return "missing field: to ({\"user\":...} or {\"group\":...})";
        }
        String user = text(to, "user");
        String group = text(to, "group");
        if ((user == null) == (group == null)) {
            return "to names exactly one of user, group";
        }
        if (user != null) {
            return Ids.isUserId(user) ? Address.user(user) : "bad user id: 1-64 characters of [A-Za-z0-9._-]";
        }
        return Ids.isGroupId(group) ? Address.group(group) : "bad group id: 1-64 characters of [A-Za-z0-9._-]";
    }

    /** A {@link Media}, or a String saying what is wrong (also how the group API reads a group's icon). */
    public static Object media(JsonNode m) {
        if (!m.isObject()) {
            return "media must be an object";
        }
        String id = text(m, "id");
        if (!Ids.isMediaId(id)) {
            return "bad media id: lowercase hex SHA-256";
        }
        String mime = text(m, "mime");
        if (mime == null || mime.isEmpty() || longer(mime, MAX_MEDIA_TEXT)) {
            return "media needs a mime type";
        }
        JsonNode size = m.get("size");
        if (size == null || !size.isIntegralNumber() || size.asLong() < 0) {
            return "media needs a size (bytes)";
        }
        String key = text(m, "key");
        if (key != null && longer(key, MAX_MEDIA_KEY)) {
            return "media key too long";
        }
        String name = text(m, "name");
        if (name != null && longer(name, MAX_MEDIA_TEXT)) {
            return "media name too long";
        }
        return new Media(id, mime, size.asLong(), key, name);
    }

    /** Longer than {@code max} characters, counted as the JSON schemas count them (code points, not UTF-16 units). */
    private static boolean longer(String s, int max) {
        return s.length() > max && s.codePointCount(0, s.length()) > max;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static DecodeResult.Invalid bad(String message, String id) {
        return new DecodeResult.Invalid(ErrorCode.BAD_REQUEST, message, id);
    }

    private static String truncate(String s) {
        return s.length() <= Ids.MAX_LENGTH ? s : s.substring(0, Ids.MAX_LENGTH) + "...";
    }
}
