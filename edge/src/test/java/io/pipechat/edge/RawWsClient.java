package io.pipechat.edge;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client on a plain socket, for what no well-behaved client library sends: frames with
 * any header (length, opcode, reserved bits, mask) and any payload bytes. It reads the server's frames
 * on a thread of its own, keeps the text messages and the close code (1006 if the connection ended
 * without a close frame).
 */
final class RawWsClient implements AutoCloseable {
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CONTINUATION = 0x0;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    private static final SecureRandom RANDOM = new SecureRandom();

    final List<String> texts = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final Socket socket;
    private final OutputStream out;

    RawWsClient(int port, String token, String device) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
        out = socket.getOutputStream();
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        out.write(("GET /v1/ws?device=" + device + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key) + "\r\nAuthorization: Bearer " + token + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        String status = readHeaders(in);
        if (!status.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("upgrade refused: " + status);
        }
        Thread.ofPlatform().daemon().name("raw-ws-reader").start(() -> read(new DataInputStream(in)));
    }

    private static String readHeaders(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed during the upgrade");
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII).split("\r\n")[0];
    }

    /**
     * Writes one frame: FIN bit, reserved bits ({@code rsv}, 0-7), opcode, masked or not, and a header
     * that declares {@code declaredLength} bytes, followed by {@code payload} (which may be shorter).
     */
    void frame(boolean fin, int rsv, int opcode, boolean mask, long declaredLength, byte[] payload) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write((fin ? 0x80 : 0) | (rsv & 7) << 4 | opcode & 0xf);
        int maskBit = mask ? 0x80 : 0;
        if (declaredLength < 126) {
            f.write(maskBit | (int) declaredLength);
        } else if (declaredLength <= 0xffff) {
            f.write(maskBit | 126);
            f.write((int) (declaredLength >> 8));
            f.write((int) declaredLength);
        } else {
            f.write(maskBit | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) (declaredLength >> (8 * i)));
            }
        }
        byte[] body = payload.clone();
        if (mask) {
            byte[] key = new byte[4];
            RANDOM.nextBytes(key);
            f.write(key);
            for (int i = 0; i < body.length; i++) {
                body[i] ^= key[i % 4];
            }
        }
        f.write(body);
        out.write(f.toByteArray());
        out.flush();
    }

    /** A well-formed frame (masked, header length = payload length). */
    void frame(boolean fin, int opcode, byte[] payload) throws IOException {
        frame(fin, 0, opcode, true, payload.length, payload);
    }

    private void read(DataInputStream in) {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        try {
            while (true) {
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                if (b0 == 'H' && b1 == 'T') {
                    // Not a frame: an HTTP response ("HTTP/1.1 500 ...") written into the upgraded connection.
                    closed.complete(1006);
                    return;
                }
                long length = b1 & 0x7f;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = in.readLong();
                }
                byte[] payload = new byte[(int) length];
                in.readFully(payload);
                int opcode = b0 & 0xf;
                if (opcode == CLOSE) {
                    closed.complete(payload.length >= 2 ? (payload[0] & 0xff) << 8 | payload[1] & 0xff : 1005);
                    return;
                }
                if (opcode == TEXT || opcode == CONTINUATION) {
                    message.write(payload);
                    if ((b0 & 0x80) != 0) {
                        texts.add(message.toString(StandardCharsets.UTF_8));
                        message.reset();
                    }
                }
            }
        } catch (IOException e) {
            closed.complete(1006);
        }
    }

    /** The server's close code, or null if it neither closed nor dropped the connection within {@code wait}. */
    Integer closeCode(Duration wait) {
        try {
            return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
