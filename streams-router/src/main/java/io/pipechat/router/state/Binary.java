package io.pipechat.router.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The little binary format of the router's store values: big-endian numbers, strings as a 16-bit
 * byte length (-1 for null) and UTF-8. The ids stored are short (at most 64 characters), so a
 * string never needs more.
 */
final class Binary {
    private Binary() {
    }

    /** A growable output buffer. */
    static final class Out {
        private byte[] buf;
        private int size;

        Out(int capacity) {
            buf = new byte[capacity];
        }

        private void room(int n) {
            if (size + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
            }
        }

        Out b(int v) {
            room(1);
            buf[size++] = (byte) v;
            return this;
        }

        Out s(int v) {
            room(2);
            buf[size++] = (byte) (v >> 8);
            buf[size++] = (byte) v;
            return this;
        }

        Out i(int v) {
            room(4);
            for (int k = 3; k >= 0; k--) {
                buf[size++] = (byte) (v >> (8 * k));
            }
            return this;
        }

        Out l(long v) {
            room(8);
            for (int k = 7; k >= 0; k--) {
                buf[size++] = (byte) (v >> (8 * k));
            }
            return this;
        }

        Out str(String v) {
            if (v == null) {
                return s(-1);
            }
            byte[] utf8 = v.getBytes(StandardCharsets.UTF_8);
            if (utf8.length > Short.MAX_VALUE) {
                throw new IllegalArgumentException("string too long for a store value: " + utf8.length + " bytes");
            }
            s(utf8.length);
            return raw(utf8);
        }

        Out raw(byte[] bytes) {
            room(bytes.length);
            System.arraycopy(bytes, 0, buf, size, bytes.length);
            size += bytes.length;
            return this;
        }

        byte[] bytes() {
            return Arrays.copyOf(buf, size);
        }
    }

    /** Reading what {@link Out} wrote. */
    static final class In {
        private final ByteBuffer buf;

        In(byte[] bytes) {
            buf = ByteBuffer.wrap(bytes);
        }

        int b() {
            return buf.get();
        }

        int s() {
            return buf.getShort();
        }

        int i() {
            return buf.getInt();
        }

        long l() {
            return buf.getLong();
        }

        String str() {
            int n = buf.getShort();
            if (n < 0) {
                return null;
            }
            String v = new String(buf.array(), buf.position(), n, StandardCharsets.UTF_8);
            buf.position(buf.position() + n);
            return v;
        }

        byte[] rest() {
            return Arrays.copyOfRange(buf.array(), buf.position(), buf.limit());
        }
    }
}
