package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;

/** The web client in real browsers (headless Chromium) against the real one-JVM stack. */
@ExtendWith(StackExtension.class)
class WebClientIT {
    private static LocalStack stack;

    @BeforeAll
    static void start(LocalStack shared) {
        Browser.assumeInstalled();
        stack = shared;
    }

    private static String user(String name) {
        return name + UUID.randomUUID().toString().substring(0, 6);
    }

    @Test
    void twoPeopleChatAndSeeTicksGoFromSentToDeliveredToRead() {
        String alice = user("alice");
        String bob = user("bob");
        try (Browser a = new Browser(stack.url(0)); Browser b = new Browser(stack.url(0))) {
            a.signIn(alice);
            b.signIn(bob);
            a.startChat(bob);
            a.type("Hi Bob!");
            a.until(d -> List.of("sent", "delivered", "read").contains(a.statusOf("Hi Bob!")));

            b.find("[data-key='u:" + alice + "'] .unread");
            b.until(d -> a.statusOf("Hi Bob!").equals("delivered"));
            b.open("u:" + alice);
            b.until(d -> b.bodies().equals(List.of("Hi Bob!")));
            a.until(d -> "read".equals(a.statusOf("Hi Bob!")));

            b.type("Hello Alice");
            a.until(d -> a.bodies().equals(List.of("Hi Bob!", "Hello Alice")));
            a.screenshot("chat");
        }
    }

    @Test
    void anOfflinePersonSeesWhatArrivedOnceAndInOrderWhenBack() {
        String alice = user("alice");
        String bob = user("bob");
        try (Browser a = new Browser(stack.url(0)); Browser b = new Browser(stack.url(0))) {
            a.signIn(alice);
            b.signIn(bob);
            a.startChat(bob);
            a.type("one");
            b.open("u:" + alice);
            b.until(d -> b.bodies().equals(List.of("one")));

            b.leave();
            a.type("two");
            a.type("three");
            a.until(d -> "sent".equals(a.statusOf("three")));
            b.reload();
            b.open("u:" + alice);
            b.until(d -> b.bodies().size() >= 3);
            assertThat(b.bodies()).containsExactly("one", "two", "three");
            b.reload();
            b.open("u:" + alice);
            b.until(d -> b.bodies().size() >= 3);
            assertThat(b.bodies()).containsExactly("one", "two", "three");
        }
    }

    @Test
    void showsWhoIsTyping() {
        String alice = user("alice");
        String bob = user("bob");
        try (Browser a = new Browser(stack.url(0)); Browser b = new Browser(stack.url(0))) {
            a.signIn(alice);
            b.signIn(bob);
            b.startChat(alice);
            a.startChat(bob);
            a.find("#text").sendKeys("I am wri");
            b.until(d -> d.findElement(By.id("typing")).getText().equals(alice + " is typing…"));
        }
    }
}
