package io.pipechat.protocol.frames;

import io.pipechat.protocol.ErrorCode;

/** The outcome of decoding one client frame: a valid frame, or the error frame to answer with. */
public sealed interface DecodeResult {

    record Ok(ClientFrame frame) implements DecodeResult {
    }

    /** {@code id} is the client message id concerned, when the frame had a readable one. */
    record Invalid(ErrorCode code, String message, String id) implements DecodeResult {
        public ServerFrame.Error toFrame() {
            return new ServerFrame.Error(code, message, id);
        }
    }
}
