package io.pipechat.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.protocol.frames.ClientFrame;
import io.pipechat.protocol.frames.DecodeResult;
import io.pipechat.protocol.frames.FrameCodec;
import io.pipechat.protocol.frames.ServerFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameCodecTest {

    @Test
    void decodesSendToUserWithBody() {
        DecodeResult r = FrameCodec.decode("{\"type\":\"send\",\"id\":\"m-1\",\"to\":{\"user\":\"bob\"},\"body\":\"hi\",\"extra\":1}");
        assertThat(r).isEqualTo(new DecodeResult.Ok(new ClientFrame.Send("m-1", Address.user("bob"), "hi", null)));
    }

    @Test
    void decodesSendToGroupWithMedia() {
        String hash = "a".repeat(64);
        DecodeResult r = FrameCodec.decode("{\"type\":\"send\",\"id\":\"m-2\",\"to\":{\"group\":\"g1\"},"
                + "\"media\":{\"id\":\"" + hash + "\",\"mime\":\"image/jpeg\",\"size\":10,\"key\":\"k\"}}");
        assertThat(r).isEqualTo(new DecodeResult.Ok(new ClientFrame.Send("m-2", Address.group("g1"), null,
                new Media(hash, "image/jpeg", 10, "k", null))));
    }

    @Test
    void mediaNamesAreCountedInCharactersAsTheSchemaCountsThem() {
        String hash = "a".repeat(64);
        String emoji = "\uD83C\uDF4D"; // one character, two UTF-16 units
        String send = "{\"type\":\"send\",\"id\":\"m\",\"to\":{\"user\":\"bob\"},\"media\":{\"id\":\"" + hash
                + "\",\"mime\":\"image/jpeg\",\"size\":1,\"name\":\"%s\"}}";
        assertThat(FrameCodec.decode(send.formatted(emoji.repeat(FrameCodec.MAX_MEDIA_TEXT)))).isInstanceOf(DecodeResult.Ok.class);
        assertThat(FrameCodec.decode(send.formatted(emoji.repeat(FrameCodec.MAX_MEDIA_TEXT + 1))))
                .isInstanceOf(DecodeResult.Invalid.class);
    }

    @Test
    void decodesAckReadTypingPing() {
        assertThat(FrameCodec.decode("{\"type\":\"ack\",\"upto\":42}"))
                .isEqualTo(new DecodeResult.Ok(new ClientFrame.Ack(42)));
        assertThat(FrameCodec.decode("{\"type\":\"read\",\"id\":\"m-1\",\"from\":\"alice\"}"))
                .isEqualTo(new DecodeResult.Ok(new ClientFrame.Read("m-1", "alice", null)));
        assertThat(FrameCodec.decode("{\"type\":\"typing\",\"to\":{\"user\":\"bob\"}}"))
                .isEqualTo(new DecodeResult.Ok(new ClientFrame.Typing(Address.user("bob"))));
        assertThat(FrameCodec.decode("{\"type\":\"ping\",\"ts\":7}"))
                .isEqualTo(new DecodeResult.Ok(new ClientFrame.Ping(7L)));
        assertThat(FrameCodec.decode("{\"type\":\"ping\"}"))
                .isEqualTo(new DecodeResult.Ok(new ClientFrame.Ping(null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "nonsense", "[]", "42", "null", "{}", "{\"type\":5}", "{\"type\":\"fly\"}",
            "{\"type\":\"send\",\"to\":{\"user\":\"bob\"},\"body\":\"x\"}",
            "{\"type\":\"send\",\"id\":\"has space\",\"to\":{\"user\":\"bob\"},\"body\":\"x\"}",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":{\"user\":\"bob\"}}",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":{\"user\":\"b/ob\"},\"body\":\"x\"}",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":{\"user\":\"bob\",\"group\":\"g\"},\"body\":\"x\"}",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":\"bob\",\"body\":\"x\"}",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":{\"user\":\"bob\"},\"body\":5}",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":{\"user\":\"bob\"},\"media\":{\"id\":\"nothex\"}}",
            "{\"type\":\"ack\"}", "{\"type\":\"ack\",\"upto\":\"7\"}", "{\"type\":\"ack\",\"upto\":-1}",
            "{\"type\":\"ack\",\"upto\":1.5}",
            "{\"type\":\"read\",\"id\":\"m\"}", "{\"type\":\"typing\"}", "{\"type\":\"ping\",\"ts\":\"x\"}",
            "{\"type\":\"ping\",\"ts\":99999999999999999999}", "{\"type\":\"ping\"} x", "{\"type\":\"ping\"}{\"type\":\"ping\"}"})
    void rejectsBadFramesWithBadRequestInsteadOfThrowing(String text) {
        DecodeResult r = FrameCodec.decode(text);
        assertThat(r).isInstanceOf(DecodeResult.Invalid.class);
        assertThat(((DecodeResult.Invalid) r).code()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(((DecodeResult.Invalid) r).message()).isNotBlank();
    }

    @Test
    void namesTheMessageIdInErrorsAboutASend() {
        DecodeResult r = FrameCodec.decode("{\"type\":\"send\",\"id\":\"m-9\",\"to\":{\"user\":\"bob\"}}");
        assertThat(((DecodeResult.Invalid) r).id()).isEqualTo("m-9");
    }

    @Test
    void encodesServerFramesWithTypeAndWithoutNulls() {
        String json = FrameCodec.encode(new ServerFrame.Msg(3, "m-1", "alice", Address.user("bob"), 99, "hi", null));
        assertThat(json).isEqualTo("{\"type\":\"msg\",\"seq\":3,\"id\":\"m-1\",\"from\":\"alice\",\"to\":{\"user\":\"bob\"},\"ts\":99,\"body\":\"hi\"}");
        assertThat(FrameCodec.encode(new ServerFrame.Error(ErrorCode.TOO_LARGE, "too big", null)))
                .isEqualTo("{\"type\":\"error\",\"code\":\"too_large\",\"message\":\"too big\"}");
        assertThat(FrameCodec.encode(new ServerFrame.Receipt(4, "m-1", "bob", ReceiptStatus.READ, 5, "g1")))
                .isEqualTo("{\"type\":\"receipt\",\"seq\":4,\"id\":\"m-1\",\"by\":\"bob\",\"status\":\"read\",\"ts\":5,\"group\":\"g1\"}");
    }
}
