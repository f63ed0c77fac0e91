package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.testing.ChatClient;
import java.util.UUID;

/** People of the end-to-end tests: names no other test uses, connected to an edge of the stack. */
final class People {
    private People() {
    }

    /** {@code name} with a random suffix, so tests sharing one stack never see each other's users. */
    static String named(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Connects {@code user} to edge {@code edge} with a dev token and takes the welcome frame. */
    static ChatClient connect(LocalStack stack, int edge, String user, String device) {
        String base = stack.url(edge);
        ChatClient c = ChatClient.connect(base, ChatClient.devToken(base, user), device);
        assertThat(c.next().get("type").asText()).isEqualTo("welcome");
        return c;
    }
}
