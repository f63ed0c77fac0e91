package io.pipechat.protocol.frames;

import io.pipechat.protocol.Address;
import io.pipechat.protocol.Media;

/**
 * A frame from a client to an edge (PROTOCOL.md, "Client to server"). Decoded and validated by
 * {@link FrameCodec#decode(String)}; a value of this type is always well-formed.
 */
public sealed interface ClientFrame {

    /** Send a message; {@code id} makes retries idempotent per sender. At least one of body, media. */
    record Send(String id, Address to, String body, Media media) implements ClientFrame {
    }

    /** Every {@code msg} with {@code seq <= upto} is durably received. Cumulative. */
    record Ack(long upto) implements ClientFrame {
    }

    /**
     * The user has read message {@code id} sent by {@code from}. {@code group} (an extension) names
     * the group the message came through, so the sender's receipt can say so.
     */
    record Read(String id, String from, String group) implements ClientFrame {
    }

    /** Ephemeral: delivered to online recipients only. */
    record Typing(Address to) implements ClientFrame {
    }

    record Ping(Long ts) implements ClientFrame {
    }
}
