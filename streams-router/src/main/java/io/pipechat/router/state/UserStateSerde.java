package io.pipechat.router.state;

import java.nio.BufferUnderflowException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary serde of {@link UserState}, version 1:
 * <pre>
 *   byte 1 | long nextOffset, lastSeq, floor, receiptedUpto, lastPush | int pending | byte indexed
 *   short devices  { str name | long acked, lastSeen }
 *   short sessions { str device, session | int edge | long epoch, since | byte flushing | long flushedUpto, nextPageAt }
 *   short index    { long seq | byte kind | str origin, from, id, group }
 * </pre>
 */
public final class UserStateSerde implements Serde<UserState> {
    private static final int VERSION = 1;

    @Override
    public Serializer<UserState> serializer() {
        return (topic, state) -> state == null ? null : write(state);
    }

    @Override
    public Deserializer<UserState> deserializer() {
        return (topic, bytes) -> bytes == null ? null : read(bytes);
    }

    static byte[] write(UserState u) {
        Binary.Out out = new Binary.Out(64 + 48 * (u.devices.size() + u.sessions.size() + u.index.size()));
        out.b(VERSION).l(u.nextOffset).l(u.lastSeq).l(u.floor).l(u.receiptedUpto).l(u.lastPush).i(u.pending)
                .b(u.indexed ? 1 : 0);
        out.s(u.devices.size());
        for (Device d : u.devices) {
            out.str(d.name()).l(d.acked()).l(d.lastSeen());
        }
        out.s(u.sessions.size());
        for (Session s : u.sessions) {
            out.str(s.device()).str(s.session()).i(s.edge()).l(s.epoch()).l(s.since()).b(s.flushing() ? 1 : 0)
                    .l(s.flushedUpto()).l(s.nextPageAt());
        }
        out.s(u.index.size());
        for (Entry e : u.index) {
            out.l(e.seq()).b(e.kind().code).str(e.origin()).str(e.from()).str(e.id()).str(e.group());
        }
        return out.bytes();
    }

    static UserState read(byte[] bytes) {
        try {
            Binary.In in = new Binary.In(bytes);
            int version = in.b();
            if (version != VERSION) {
                throw new SerializationException("unknown users store value version " + version);
            }
            UserState u = new UserState();
            u.nextOffset = in.l();
            u.lastSeq = in.l();
            u.floor = in.l();
            u.receiptedUpto = in.l();
            u.lastPush = in.l();
            u.pending = in.i();
            u.indexed = in.b() != 0;
            for (int n = in.s(); n > 0; n--) {
                u.devices.add(new Device(in.str(), in.l(), in.l()));
            }
            for (int n = in.s(); n > 0; n--) {
                u.sessions.add(new Session(in.str(), in.str(), in.i(), in.l(), in.l(), in.b() != 0, in.l(), in.l()));
            }
            for (int n = in.s(); n > 0; n--) {
                u.index.add(new Entry(in.l(), EntryKind.of((byte) in.b()), in.str(), in.str(), in.str(), in.str()));
            }
            return u;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new SerializationException("unreadable users store value", e);
        }
    }
}
