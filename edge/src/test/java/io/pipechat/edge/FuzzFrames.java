package io.pipechat.edge;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Generators (in the style of jqwik's arbitraries: small combinable functions of a seeded
 * {@link Random}) of what a hostile or broken client sends on {@code /v1/ws}, each step together with
 * what the edge must answer (docs/PROTOCOL.md). A {@link #script} is one connection's worth of steps.
 *
 * <p>Covered: valid frames of every type (also with unknown fields), malformed and truncated JSON,
 * JSON that is not an object, trailing content, deep nesting and endless numbers, missing, unknown and
 * wrongly typed {@code type}s and fields, ids, user and group ids that are too long or have bad
 * characters, bad addresses and media, frames above the size limit (answered) and far above it
 * (closed), fragmented messages (valid, invalid and too large in sum), binary frames, WebSocket pings,
 * and floods above the frame rate.
 */
final class FuzzFrames {
    static final int MAX_FRAME = 64 * 1024;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    private static final String BAD_ID_CHARS = " /\"\\@#é\u0000\u2028+";

    private FuzzFrames() {
    }

    /** A generator: the next value for this source of randomness. */
    @FunctionalInterface
    interface Gen<T> {
        T next(Random r);

        default <U> Gen<U> map(Function<? super T, ? extends U> f) {
            return r -> f.apply(next(r));
        }
    }

    private record Weighted<T>(int weight, Gen<? extends T> gen) {
    }

    private static <T> Weighted<T> w(int weight, Gen<? extends T> gen) {
        return new Weighted<>(weight, gen);
    }

    /** One of the generators, picked in proportion to their weights. */
    @SafeVarargs
    private static <T> Gen<T> frequency(Weighted<T>... choices) {
        int total = 0;
        for (Weighted<T> c : choices) {
            total += c.weight();
        }
        int sum = total;
        return r -> {
            int pick = r.nextInt(sum);
            for (Weighted<T> c : choices) {
                pick -= c.weight();
                if (pick < 0) {
                    return c.gen().next(r);
                }
            }
            throw new IllegalStateException();
        };
    }

    @SafeVarargs
    private static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
        return r -> gens[r.nextInt(gens.length)].next(r);
    }

    private static <T> Gen<T> constant(T value) {
        return r -> value;
    }

    // ---- What the edge must answer -------------------------------------------------------------

    /** The edge's answer to one message (a whole text or binary message, however fragmented). */
    sealed interface Answer {
    }

    /** An {@code error} frame with this code, in order with the other synchronous answers. */
    record Error(String code) implements Answer {
    }

    /** A {@code pong} with this {@code ts} (null: none). */
    record Pong(Long ts) implements Answer {
    }

    /** A valid {@code send}: {@code sent} (when Kafka has it) or {@code error rate_limited} with the id. */
    record Sent(String id) implements Answer {
    }

    /** Nothing to this connection (ack, read, typing). */
    record Silent() implements Answer {
    }

    /** One thing the client does. */
    sealed interface Step {
        /** WebSocket frames it sends (each fragment counts). */
        int frames();
    }

    record Text(String text, Answer answer) implements Step {
        public int frames() {
            return 1;
        }

        @Override
        public String toString() {
            return "Text[" + abbreviate(text) + " -> " + answer + "]";
        }
    }

    record Fragmented(List<String> parts, Answer answer) implements Step {
        public int frames() {
            return parts.size();
        }

        @Override
        public String toString() {
            return "Fragmented[" + parts.size() + " parts of " + abbreviate(String.join("", parts)) + " -> " + answer + "]";
        }
    }

    /** A binary message in {@code parts} fragments: {@code error bad_request}. */
    record Binary(List<byte[]> parts) implements Step {
        public int frames() {
            return parts.size();
        }
    }

    /** A WebSocket ping (control frame): the WebSocket layer's pong, nothing from the chat protocol. */
    record ControlPing(byte[] data) implements Step {
        public int frames() {
            return 1;
        }
    }

    /** {@code pings} ping frames as fast as possible, far above the frame rate: close 4429. */
    record Flood(int pings) implements Step {
        public int frames() {
            return pings;
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 100) + "...(" + s.length() + " chars)";
    }

    // ---- Ids and values ------------------------------------------------------------------------

    private static String chars(Random r, String alphabet, int min, int max) {
        int n = min + r.nextInt(max - min + 1);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /** Any text, including quotes, backslashes, control characters, emoji and other planes. */
    private static String anyText(Random r, int max) {
        int n = r.nextInt(max + 1);
        StringBuilder b = new StringBuilder(n);
        while (b.length() < n) {
            switch (r.nextInt(6)) {
                case 0 -> b.append((char) r.nextInt(0x20));
                case 1 -> b.append("\"\\/{}[]:,".charAt(r.nextInt(9)));
                case 2 -> b.appendCodePoint(0x1F300 + r.nextInt(0x300));
                case 3 -> b.appendCodePoint(0x4E00 + r.nextInt(0x5000));
                default -> b.append((char) (0x20 + r.nextInt(0x5F)));
            }
        }
        return b.toString();
    }

    private static final Gen<String> NAME = r -> chars(r, ID_CHARS, 1, r.nextInt(10) == 0 ? 64 : 12);
    private static final Gen<String> MESSAGE_ID = r -> chars(r, ID_CHARS + ":", 1, r.nextInt(10) == 0 ? 64 : 36);
    /** Not a valid user, group or message id: empty, too long, or with a character outside the rules. */
    private static final Gen<String> BAD_ID = frequency(
            w(1, constant("")),
            w(3, r -> chars(r, ID_CHARS, 65, r.nextInt(4) == 0 ? 20_000 : 300)),
            w(3, r -> chars(r, ID_CHARS, 0, 10) + BAD_ID_CHARS.charAt(r.nextInt(BAD_ID_CHARS.length())) + chars(r, ID_CHARS, 0, 10)));
    private static final Gen<String> MEDIA_ID = r -> chars(r, "0123456789abcdef", 64, 64);

    /** Anything that is not a JSON string (or is absent-like). */
    private static final Gen<Object> NOT_TEXT = oneOf(constant(5), constant(-1.5), constant(true),
            r -> JSON.arrayNode().add("x"), r -> JSON.objectNode().put("user", "bob"), constant(JSON.nullNode()));

    // ---- Frames --------------------------------------------------------------------------------

    /** A valid frame (possibly with unknown fields) and its answer; {@code to} picks recipients. */
    static Gen<Text> valid(Gen<String> recipients) {
        Gen<ObjectNode> address = frequency(
                w(4, r -> JSON.objectNode().put("user", recipients.next(r))),
                w(1, r -> JSON.objectNode().put("group", NAME.next(r))));
        Gen<Text> send = r -> {
            String id = MESSAGE_ID.next(r);
            ObjectNode f = JSON.objectNode().put("type", "send").put("id", id);
            f.set("to", address.next(r));
            boolean media = r.nextInt(4) == 0;
            if (!media || r.nextBoolean()) {
                f.put("body", anyText(r, r.nextInt(20) == 0 ? 8000 : 200));
            }
            if (media) {
                ObjectNode m = f.putObject("media").put("id", MEDIA_ID.next(r)).put("mime", "image/jpeg")
                        .put("size", r.nextInt(Integer.MAX_VALUE));
                if (r.nextBoolean()) {
                    m.put("key", chars(r, ID_CHARS, 1, 256)).put("name", anyText(r, 255));
                }
            }
            return new Text(extraFields(r, f).toString(), new Sent(id));
        };
        Gen<Text> ack = r -> new Text(extraFields(r, JSON.objectNode().put("type", "ack")
                .put("upto", r.nextBoolean() ? r.nextInt(1000) : Math.abs(r.nextLong() >> 1))).toString(), new Silent());
        Gen<Text> read = r -> {
            ObjectNode f = JSON.objectNode().put("type", "read").put("id", MESSAGE_ID.next(r)).put("from", recipients.next(r));
            if (r.nextBoolean()) {
                f.put("group", NAME.next(r));
            }
            return new Text(extraFields(r, f).toString(), new Silent());
        };
        Gen<Text> typing = r -> {
            ObjectNode f = JSON.objectNode().put("type", "typing");
            f.set("to", address.next(r));
            return new Text(extraFields(r, f).toString(), new Silent());
        };
        Gen<Text> ping = r -> {
            ObjectNode f = JSON.objectNode().put("type", "ping");
            Long ts = switch (r.nextInt(4)) {
                case 0 -> null;
                case 1 -> Long.MIN_VALUE;
                case 2 -> Long.MAX_VALUE;
                default -> r.nextLong();
            };
            if (ts != null) {
                f.put("ts", ts);
            } else if (r.nextBoolean()) {
                f.putNull("ts");
            }
            return new Text(extraFields(r, f).toString(), new Pong(ts));
        };
        return frequency(w(3, send), w(2, ack), w(2, read), w(2, typing), w(3, ping));
    }

    /** Unknown fields are ignored: sometimes add some, of any JSON type. */
    private static ObjectNode extraFields(Random r, ObjectNode f) {
        if (r.nextInt(4) == 0) {
            for (int i = r.nextInt(4); i >= 0; i--) {
                String name = r.nextBoolean() ? chars(r, ID_CHARS, 1, 10) : anyText(r, 20);
                if (!f.has(name)) {
                    switch (r.nextInt(4)) {
                        case 0 -> f.put(name, anyText(r, 50));
                        case 1 -> f.put(name, r.nextLong());
                        case 2 -> f.putArray(name).add(1).add("two").addNull();
                        default -> f.putObject(name).put("type", "send");
                    }
                }
            }
        }
        return f;
    }

    /** A frame that must be answered with {@code error bad_request}. */
    static Gen<Text> invalid(Gen<String> recipients) {
        Gen<Text> validFrame = valid(recipients);
        Gen<String> malformed = frequency(
                // A valid frame cut short: the object is never closed.
                w(4, r -> {
                    String t = validFrame.next(r).text();
                    int end = r.nextInt(t.length());
                    return t.substring(0, end > 0 && Character.isLowSurrogate(t.charAt(end)) ? end - 1 : end);
                }),
                w(2, r -> anyText(r, 200)),
                w(1, oneOf(constant("{"), constant("}"), constant("{\"type\":}"), constant("{\"type\":\"ping\",}"),
                        constant("{'type':'ping'}"), constant("{type:ping}"), constant("{\"type\":\"ping\"\u0000}"),
                        constant("{\"a\":NaN}"), constant("\uFEFF{\"type\":\"ping\"}x"))),
                // Two frames in one, or something after the object.
                w(2, r -> validFrame.next(r).text() + oneOf(constant(" x"), constant("}"), constant("]"),
                        validFrame.map(Text::text)).next(r)),
                // Deeper than the JSON parser's limit.
                w(1, r -> "{\"type\":\"ping\",\"x\":" + "[".repeat(1001 + r.nextInt(3000)) + "]".repeat(5) + "}"),
                // A number longer than the parser's limit.
                w(1, r -> "{\"type\":\"ack\",\"upto\":" + chars(r, "0123456789", 1001, 3000) + "}"));
        Gen<String> notAnObject = oneOf(constant("[]"), constant("[{\"type\":\"ping\"}]"), constant("42"),
                constant("\"ping\""), constant("null"), constant("true"), constant(""), constant("   "));
        Gen<String> badType = oneOf(constant("{}"), constant("{\"ty\":\"ping\"}"),
                r -> JSON.objectNode().set("type", JSON.pojoNode(NOT_TEXT.next(r))).toString(),
                r -> JSON.objectNode().put("type", oneOf(constant("PING"), constant("Send"), constant(" ping"),
                        constant("pong"), constant("msg"), constant("error"), constant(""),
                        (Gen<String>) rr -> anyText(rr, 40), (Gen<String>) rr -> chars(rr, ID_CHARS, 1000, 30_000)).next(r)).toString());
        Gen<ObjectNode> badAddress = oneOf(
                r -> JSON.objectNode(),
                r -> JSON.objectNode().put("user", NAME.next(r)).put("group", NAME.next(r)),
                r -> JSON.objectNode().put("user", BAD_ID.next(r)),
                r -> JSON.objectNode().put("group", BAD_ID.next(r)),
                r -> (ObjectNode) JSON.objectNode().set("user", JSON.pojoNode(NOT_TEXT.next(r))),
                r -> JSON.objectNode().put("users", NAME.next(r)));
        Gen<String> badSend = r -> {
            ObjectNode f = JSON.objectNode().put("type", "send");
            ObjectNode to = JSON.objectNode().put("user", recipients.next(r));
            switch (r.nextInt(9)) {
                case 0 -> f.put("to", "bob").put("id", MESSAGE_ID.next(r)).put("body", "x"); // to not an object
                case 1 -> f.put("id", MESSAGE_ID.next(r)).put("body", "x"); // no to
                case 2 -> f.put("id", BAD_ID.next(r)).put("body", "x").set("to", to);
                case 3 -> f.put("body", "x").set("id", JSON.pojoNode(NOT_TEXT.next(r)));
                case 4 -> f.put("id", MESSAGE_ID.next(r)).put("body", "x").set("to", badAddress.next(r));
                case 5 -> f.put("id", MESSAGE_ID.next(r)).set("to", to); // neither body nor media
                case 6 -> f.put("id", MESSAGE_ID.next(r)).putNull("body").set("to", to);
                case 7 -> f.put("id", MESSAGE_ID.next(r)).<ObjectNode>set("to", to)
                        .set("body", JSON.pojoNode(oneOf(constant(5), constant(true), constant(JSON.arrayNode()),
                                constant(JSON.objectNode())).next(r)));
                default -> {
                    f.put("id", MESSAGE_ID.next(r)).put("body", "x").set("to", to);
                    switch (r.nextInt(6)) {
                        case 0 -> f.put("media", "photo");
                        case 1 -> f.putObject("media").put("id", "nothex").put("mime", "image/png").put("size", 1);
                        case 2 -> f.putObject("media").put("id", MEDIA_ID.next(r)).put("size", 1);
                        case 3 -> f.putObject("media").put("id", MEDIA_ID.next(r)).put("mime", "a").put("size", -1);
                        case 4 -> f.putObject("media").put("id", MEDIA_ID.next(r)).put("mime", "a").put("size", 1)
                                .put("key", chars(r, ID_CHARS, 257, 2000));
                        default -> f.putObject("media").put("id", MEDIA_ID.next(r)).put("mime", chars(r, ID_CHARS, 256, 1000))
                                .put("size", 1);
                    }
                }
            }
            return f.toString();
        };
        Gen<String> badAck = oneOf(constant("{\"type\":\"ack\"}"), constant("{\"type\":\"ack\",\"upto\":\"7\"}"),
                constant("{\"type\":\"ack\",\"upto\":-1}"), constant("{\"type\":\"ack\",\"upto\":1.5}"),
                constant("{\"type\":\"ack\",\"upto\":1e999}"), constant("{\"type\":\"ack\",\"upto\":null}"),
                constant("{\"type\":\"ack\",\"upto\":9223372036854775808}"),
                constant("{\"type\":\"ack\",\"upto\":-9223372036854775809}"), constant("{\"type\":\"ack\",\"upto\":[1]}"));
        Gen<String> badRead = r -> {
            ObjectNode f = JSON.objectNode().put("type", "read");
            switch (r.nextInt(5)) {
                case 0 -> f.put("from", recipients.next(r));
                case 1 -> f.put("id", BAD_ID.next(r)).put("from", recipients.next(r));
                case 2 -> f.put("id", MESSAGE_ID.next(r));
                case 3 -> f.put("id", MESSAGE_ID.next(r)).put("from", BAD_ID.next(r));
                default -> f.put("id", MESSAGE_ID.next(r)).put("from", recipients.next(r)).put("group", BAD_ID.next(r));
            }
            return f.toString();
        };
        Gen<String> badTyping = r -> {
            ObjectNode f = JSON.objectNode().put("type", "typing");
            if (r.nextBoolean()) {
                f.set("to", badAddress.next(r));
            }
            return f.toString();
        };
        Gen<String> badPing = oneOf(constant("{\"type\":\"ping\",\"ts\":\"now\"}"), constant("{\"type\":\"ping\",\"ts\":1.5}"),
                constant("{\"type\":\"ping\",\"ts\":{}}"), constant("{\"type\":\"ping\",\"ts\":99999999999999999999}"));
        Gen<String> text = frequency(w(5, malformed), w(2, notAnObject), w(3, badType), w(5, badSend), w(2, badAck),
                w(2, badRead), w(2, badTyping), w(1, badPing));
        return text.map(t -> new Text(t, new Error("bad_request")));
    }

    /** A text frame above the limit but within 4x of it: {@code error too_large}, the connection stays. */
    static final Gen<Text> TOO_LARGE = r -> new Text("{\"type\":\"ping\",\"pad\":\""
            + "x".repeat(MAX_FRAME + r.nextInt(3 * MAX_FRAME - 100)) + "\"}", new Error("too_large"));

    /** A message sent in fragments; its answer is the whole message's. */
    static Gen<Fragmented> fragmented(Gen<Text> whole) {
        Gen<Fragmented> split = r -> {
            Text t = whole.next(r);
            return new Fragmented(split(r, t.text(), 1 + r.nextInt(Math.max(1, Math.min(20, t.text().length())))), t.answer());
        };
        // Small fragments that add up to more than the limit.
        Gen<Fragmented> tooLargeInSum = r -> {
            List<String> parts = new ArrayList<>();
            int n = 2 + MAX_FRAME / 16_384 + r.nextInt(4);
            for (int i = 0; i < n; i++) {
                parts.add("x".repeat(16_384));
            }
            return new Fragmented(parts, new Error("too_large"));
        };
        return frequency(w(9, split), w(1, tooLargeInSum));
    }

    private static List<String> split(Random r, String text, int parts) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = parts; i > 1; i--) {
            // Never between the two halves of a surrogate pair: the client could not encode that.
            int end = start + r.nextInt(Math.max(1, text.length() - start - (i - 1)));
            while (end > start && end < text.length() && Character.isLowSurrogate(text.charAt(end))) {
                end--;
            }
            out.add(text.substring(start, end));
            start = end;
        }
        out.add(text.substring(start));
        return out;
    }

    static final Gen<Binary> BINARY = r -> {
        List<byte[]> parts = new ArrayList<>();
        for (int i = r.nextInt(3); i >= 0; i--) {
            byte[] b = new byte[r.nextInt(2000)];
            r.nextBytes(b);
            parts.add(b);
        }
        return new Binary(parts);
    };

    static final Gen<ControlPing> CONTROL_PING = r -> {
        byte[] b = new byte[r.nextInt(126)];
        r.nextBytes(b);
        return new ControlPing(b);
    };

    /**
     * One connection's steps: up to {@code frameBudget} frames of the above (the edge's frame bucket
     * must not run dry on them), then, sometimes, a step that makes the edge close the connection.
     */
    static Gen<List<Step>> script(Gen<String> recipients, int frameBudget) {
        Gen<Text> valid = valid(recipients);
        Gen<Text> invalid = invalid(recipients);
        Gen<Text> anyText = frequency(w(3, valid), w(4, invalid));
        Gen<Step> step = frequency(w(30, valid), w(40, invalid), w(1, TOO_LARGE), w(8, fragmented(anyText)),
                w(3, BINARY), w(2, CONTROL_PING));
        Gen<Step> closing = r -> new Flood(1500 + r.nextInt(1000));
        return r -> {
            List<Step> steps = new ArrayList<>();
            int frames = 0;
            int length = 50 + r.nextInt(500);
            while (steps.size() < length) {
                Step s = step.next(r);
                if (frames + s.frames() > frameBudget) {
                    break;
                }
                steps.add(s);
                frames += s.frames();
            }
            if (r.nextInt(8) == 0) {
                steps.add(closing.next(r));
            }
            return steps;
        };
    }

    /**
     * What a client library never sends, written on a raw socket after a few good frames: the edge (its
     * WebSocket layer, Helidon) closes with {@code close}, or, with {@code close} null, drops the
     * connection in some way (a reserved opcode: Helidon 4.5 writes an HTTP 500 into the socket and
     * closes it). With {@code first}, it is the connection's first frame.
     */
    record Violation(String name, RawAttack attack, Integer close, boolean first) {
        Violation(String name, RawAttack attack, Integer close) {
            this(name, attack, close, false);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface RawAttack {
        void on(RawWsClient c) throws java.io.IOException;
    }

    static final Gen<Violation> VIOLATIONS = r -> {
        byte[] ping = "{\"type\":\"ping\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long huge = 4L * MAX_FRAME + 1 + (r.nextBoolean() ? r.nextInt(MAX_FRAME) : r.nextLong() >>> 2);
        List<Violation> all = List.of(
                new Violation("a frame above 4x the limit (" + huge + " bytes declared)",
                        c -> c.frame(true, 0, RawWsClient.TEXT, true, huge, new byte[r.nextInt(2000)]), 1009),
                new Violation("an unmasked frame", c -> c.frame(true, 0, RawWsClient.TEXT, false, ping.length, ping), 1002),
                new Violation("reserved bits set", c -> c.frame(true, 1 + r.nextInt(7), RawWsClient.TEXT, true, ping.length, ping), 1002),
                // Only as the first frame: Helidon takes a continuation after a whole text message for more text.
                new Violation("a continuation without a first frame", c -> c.frame(true, RawWsClient.CONTINUATION, ping), 1002,
                        true),
                new Violation("a reserved opcode", c -> c.frame(true, 0, List.of(3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)
                        .get(r.nextInt(10)), true, ping.length, ping), null),
                new Violation("the connection dropped in the middle of a frame", c -> {
                    c.frame(true, 0, RawWsClient.TEXT, true, 1000, new byte[10]);
                    c.close();
                }, null),
                new Violation("the connection dropped without a close frame", RawWsClient::close, null));
        return all.get(r.nextInt(all.size()));
    };

    static Gen<String> recipients(List<String> known) {
        return frequency(w(8, r -> known.get(r.nextInt(known.size()))), w(2, NAME));
    }

}
