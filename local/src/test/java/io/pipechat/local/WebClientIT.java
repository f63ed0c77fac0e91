package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;

/** The web client in real browsers (headless Chromium) against the real one-JVM stack. */
@ExtendWith(StackExtension.class)
class WebClientIT {
    private static LocalStack stack;

    @BeforeAll
    static void start(LocalStack shared) {
        Browser.assumeInstalled();
        stack = shared;
    }

    @Test
    void twoPeopleChatAndSeeTicksGoFromSentToDeliveredToRead() {
        String alice = People.named("alice");
        String bob = People.named("bob");
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
        String alice = People.named("alice");
        String bob = People.named("bob");
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

    /**
     * Two browsers of one person are two devices: what one sends shows on the other, what arrives
     * shows on both, and reading it on one clears the unread count on the other.
     */
    @Test
    void onePersonOnTwoBrowsersSeesTheWholeConversationOnBoth() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        String carol = People.named("carol");
        try (Browser laptop = new Browser(stack.url(0)); Browser phone = new Browser(stack.url(0));
             Browser b = new Browser(stack.url(0))) {
            laptop.signIn(alice);
            phone.signIn(alice);
            b.signIn(bob);
            laptop.find("#devices-toggle").click();
            laptop.until(d -> d.findElements(By.cssSelector("#device-list li")).size() == 2);
            laptop.find("#device-list li button").isDisplayed();

            laptop.startChat(bob);
            laptop.type("Sent from my laptop");
            phone.open("u:" + bob);
            phone.until(d -> phone.bodies().equals(List.of("Sent from my laptop")));
            phone.until(d -> phone.all("#messages .msg.mine").size() == 1);

            phone.startChat(carol);
            laptop.startChat(carol);
            b.open("u:" + alice);
            b.type("Hello to both of you");
            laptop.find("[data-key='u:" + bob + "'] .unread");
            phone.find("[data-key='u:" + bob + "'] .unread");

            phone.open("u:" + bob);
            phone.until(d -> phone.bodies().equals(List.of("Sent from my laptop", "Hello to both of you")));
            laptop.until(d -> d.findElements(By.cssSelector("[data-key='u:" + bob + "'] .unread")).isEmpty());
            b.until(d -> "read".equals(b.statusOf("Hello to both of you")));
            laptop.screenshot("two-devices");
        }
    }

    @Test
    void showsWhoIsTyping() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (Browser a = new Browser(stack.url(0)); Browser b = new Browser(stack.url(0))) {
            a.signIn(alice);
            b.signIn(bob);
            b.startChat(alice);
            a.startChat(bob);
            a.find("#text").sendKeys("I am wri");
            b.until(d -> d.findElement(By.id("typing")).getText().equals(alice + " is typing…"));
        }
    }

    @Test
    void aGroupOfThreeChatsTogether() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        String carol = People.named("carol");
        try (Browser a = new Browser(stack.url(0)); Browser b = new Browser(stack.url(1)); Browser c = new Browser(stack.url(0))) {
            a.signIn(alice);
            b.signIn(bob);
            c.signIn(carol);
            a.find(".new-group summary").click();
            a.find("#new-group-name").sendKeys("Weekend");
            a.find("#new-group-members").sendKeys(bob + ", " + carol);
            a.find("#new-group button").click();
            a.until(d -> d.findElement(By.id("chat-title")).getText().equals("Weekend"));
            a.type("Who is in for Saturday?");

            for (Browser member : List.of(b, c)) {
                member.find("[data-key^='g:']");
                member.until(d -> {
                    d.findElement(By.cssSelector("[data-key^='g:']")).click();
                    return true;
                });
                member.until(d -> member.bodies().equals(List.of("Who is in for Saturday?")));
            }
            b.type("Me!");
            c.until(d -> c.bodies().equals(List.of("Who is in for Saturday?", "Me!")));
            a.until(d -> a.bodies().equals(List.of("Who is in for Saturday?", "Me!")));
            a.until(d -> "read".equals(a.statusOf("Who is in for Saturday?")));
            c.screenshot("group");
        }
    }

    @Test
    void aPhotoIsEncryptedUploadedAndShownInTheRecipientsPage() throws Exception {
        String alice = People.named("alice");
        String bob = People.named("bob");
        Path photo = Files.createTempFile("photo", ".png");
        BufferedImage image = new BufferedImage(320, 200, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setPaint(new GradientPaint(0, 0, Color.ORANGE, 320, 200, Color.BLUE));
        g.fillRect(0, 0, 320, 200);
        g.dispose();
        ImageIO.write(image, "png", photo.toFile());
        try (Browser a = new Browser(stack.url(0)); Browser b = new Browser(stack.url(1))) {
            a.signIn(alice);
            b.signIn(bob);
            a.startChat(bob);
            WebElement attach = a.driver.findElement(By.id("attach"));
            ((JavascriptExecutor) a.driver).executeScript("arguments[0].hidden = false", attach);
            attach.sendKeys(photo.toAbsolutePath().toString());
            a.until(d -> List.of("sent", "delivered", "read").contains(
                    d.findElement(By.cssSelector("#messages .msg.mine")).getDomAttribute("data-status")));

            b.open("u:" + alice);
            Long width = b.waiting().until(d -> {
                List<WebElement> imgs = d.findElements(By.cssSelector("#messages .msg .media img"));
                if (imgs.isEmpty()) {
                    return null;
                }
                Object w = ((JavascriptExecutor) d).executeScript(
                        "return arguments[0].complete ? arguments[0].naturalWidth : 0", imgs.getFirst());
                return ((Number) w).longValue() > 0 ? ((Number) w).longValue() : null;
            });
            assertThat(width).isEqualTo(320);
            b.screenshot("photo");
        } finally {
            Files.deleteIfExists(photo);
        }
    }
}
