package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.assets.client.MediaClient;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Media;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A photo sent the way the protocol says: the sender's client seals and uploads it to
 * {@code /v1/media}, the message carries only the id and key, and the recipient downloads,
 * verifies and decrypts the original bytes. The server only ever holds ciphertext.
 */
@ExtendWith(StackExtension.class)
class MediaFlowIT {
    private static LocalStack stack;

    @BeforeAll
    static void start(LocalStack shared) {
        stack = shared;
    }

    @Test
    void aRecipientDownloadsAndDecryptsTheOriginalBytesOfAMediaMessage() throws Exception {
        String alice = People.named("alice");
        String bob = People.named("bob");
        byte[] photo = new byte[300_000];
        new Random(42).nextBytes(photo);
        String aliceToken = ChatClient.devToken(stack.url(0), alice);

        Media media = new MediaClient(URI.create(stack.url(0)), () -> aliceToken).upload(photo, "image/jpeg", "beach.jpg");
        byte[] stored = new MediaClient(URI.create(stack.url(0)), null).fetch(media.id());
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain(
                new String(photo, 0, 64, StandardCharsets.ISO_8859_1));

        try (ChatClient a = ChatClient.connect(stack.url(0), aliceToken, "phone");
             ChatClient b = People.connect(stack, 1, bob, "phone")) {
            a.next("welcome");
            a.send(Json.write(Map.of("type", "send", "id", "photo-1", "to", Address.user(bob), "media", media)));
            assertThat(a.next("sent").get("id").asText()).isEqualTo("photo-1");
            JsonNode msg = b.next("msg");
            Media received = Json.MAPPER.treeToValue(msg.get("media"), Media.class);
            assertThat(received.id()).isEqualTo(media.id());
            assertThat(received.name()).isEqualTo("beach.jpg");

            byte[] downloaded = new MediaClient(URI.create(stack.url(1)), null).download(received);
            assertThat(downloaded).isEqualTo(photo);
        }
    }

}
