package io.pipechat.router.state;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary serde of {@link MailboxEntry}, version 2: {@code byte 2 | byte kind | long storedAt | str
 * origin, from, id, group | the frame's UTF-8 JSON to the end}. Version 1 entries (JSON objects
 * {@code {"frame":{...},"storedAt":...}}, written by routers before this format) are read too, so a
 * mailbox survives the upgrade.
 */
public final class MailboxEntrySerde implements Serde<MailboxEntry> {
    private static final int VERSION = 2;

    @Override
    public Serializer<MailboxEntry> serializer() {
        return (topic, entry) -> entry == null ? null : write(entry);
    }

    @Override
    public Deserializer<MailboxEntry> deserializer() {
        return (topic, bytes) -> bytes == null ? null : read(bytes);
    }

    static byte[] write(MailboxEntry e) {
        return new Binary.Out(e.frame().length + 64).b(VERSION).b(e.kind().code).l(e.storedAt())
                .str(e.origin()).str(e.from()).str(e.id()).str(e.group()).raw(e.frame()).bytes();
    }

    static MailboxEntry read(byte[] bytes) {
        if (bytes.length > 0 && bytes[0] == '{') {
            return readVersion1(bytes);
        }
        try {
            Binary.In in = new Binary.In(bytes);
            int version = in.b();
            if (version != VERSION) {
                throw new SerializationException("unknown mailbox entry version " + version);
            }
            return new MailboxEntry(EntryKind.of((byte) in.b()), in.l(), in.str(), in.str(), in.str(), in.str(), in.rest());
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new SerializationException("unreadable mailbox entry", e);
        }
    }

    private static MailboxEntry readVersion1(byte[] bytes) {
        try {
            JsonNode v1 = Json.MAPPER.readTree(bytes);
            JsonNode frame = v1.path("frame");
            byte[] json = frame.toString().getBytes(StandardCharsets.UTF_8);
            long storedAt = v1.path("storedAt").asLong();
            if ("msg".equals(frame.path("type").asText())) {
                String group = frame.path("to").path("group").isTextual() ? frame.path("to").path("group").asText() : null;
                return new MailboxEntry(EntryKind.MESSAGE, storedAt, null, frame.path("from").asText(),
                        frame.path("id").asText(), group, json);
            }
            return new MailboxEntry(EntryKind.RECEIPT, storedAt, null, null, null, null, json);
        } catch (IOException e) {
            throw new SerializationException("unreadable version 1 mailbox entry", e);
        }
    }
}
