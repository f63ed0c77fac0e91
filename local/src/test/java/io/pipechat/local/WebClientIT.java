package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.embedded.testing.ChatClient;
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
            a.createGroup("Weekend", bob, carol);
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

    /** A PNG of {@code width} x 200 pixels in a temporary file. */
    private static Path photo(int width) throws Exception {
        Path photo = Files.createTempFile("photo", ".png");
        BufferedImage image = new BufferedImage(width, 200, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setPaint(new GradientPaint(0, 0, Color.ORANGE, width, 200, Color.BLUE));
        g.fillRect(0, 0, width, 200);
        g.dispose();
        ImageIO.write(image, "png", photo.toFile());
        return photo;
    }

    /** The natural width of the image {@code css} finds once it has loaded, else null. */
    private static Long loadedWidth(org.openqa.selenium.WebDriver d, String css) {
        List<WebElement> imgs = d.findElements(By.cssSelector(css));
        if (imgs.isEmpty()) {
            return null;
        }
        Object w = ((JavascriptExecutor) d).executeScript(
                "return arguments[0].complete ? arguments[0].naturalWidth : 0", imgs.getFirst());
        return ((Number) w).longValue() > 0 ? ((Number) w).longValue() : null;
    }

    @Test
    void aPhotoIsEncryptedUploadedAndShownInTheRecipientsPage() throws Exception {
        String alice = People.named("alice");
        String bob = People.named("bob");
        Path photo = photo(320);
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
            Long width = b.waiting().until(d -> loadedWidth(d, "#messages .msg .media img"));
            assertThat(width).isEqualTo(320);
            b.screenshot("photo");
        } finally {
            Files.deleteIfExists(photo);
        }
    }

    @Test
    void aGroupIsRunFromItsInfoPanelAndEveryChangeShowsInTheConversation() throws Exception {
        String alice = People.named("alice");
        String bob = People.named("bob");
        String carol = People.named("carol");
        Path icon = photo(120);
        try (Browser a = new Browser(stack.url(0)); Browser b = new Browser(stack.url(1)); Browser c = new Browser(stack.url(0))) {
            a.signIn(alice);
            b.signIn(bob);
            c.signIn(carol);
            a.createGroup("Book club", bob, carol);
            for (Browser member : List.of(b, c)) {
                member.click("[data-key^='g:']");
                member.until(d -> member.systemLines().equals(List.of(alice + " created the group")));
            }

            // alice renames the group, describes it and gives it an icon.
            a.until(d -> a.systemLines().equals(List.of("You created the group")));
            a.click("#members-toggle");
            a.find("[data-user='" + bob + "'] [data-action=promote]");
            a.find("#group-name").clear();
            a.find("#group-name").sendKeys("Readers");
            a.find("#group-description").sendKeys("Thursdays at eight");
            a.find("#group-icon-file").sendKeys(icon.toAbsolutePath().toString());
            a.click("#group-edit button[type=submit]");
            b.until(d -> b.systemLines().containsAll(List.of(alice + " renamed the group to “Readers”",
                    alice + " changed the description", alice + " changed the group icon")));
            b.until(d -> d.findElement(By.id("chat-title")).getText().equals("Readers"));
            Long iconWidth = b.waiting().until(d -> loadedWidth(d, "#chat-icon"));
            assertThat(iconWidth).isEqualTo(120);

            // alice makes bob an admin; bob types, alice sees it.
            a.click("[data-user='" + bob + "'] [data-action=promote]");
            b.until(d -> b.systemLines().contains(alice + " made you an admin"));
            a.screenshot("group-panel");
            b.find("#text").sendKeys("We could re");
            a.until(d -> d.findElement(By.id("typing")).getText().equals(bob + " is typing…"));

            // bob removes carol, but cannot remove or demote alice, the creator.
            b.click("#members-toggle");
            b.find("[data-user='" + carol + "'] [data-action=remove]");
            assertThat(b.all("[data-user='" + alice + "'] [data-action]")).isEmpty();
            b.click("[data-user='" + carol + "'] [data-action=remove]");
            c.until(d -> c.systemLines().contains(bob + " removed you"));
            c.find("#gone");
            assertThat(c.driver.findElement(By.id("composer")).isDisplayed()).isFalse();

            // alice deletes the group; bob keeps the conversation, read-only.
            a.click("#delete-group");
            a.confirm();
            b.until(d -> b.systemLines().contains(alice + " deleted the group"));
            b.find("#gone");
            assertThat(b.systemLines()).containsExactly(alice + " created the group",
                    alice + " renamed the group to “Readers”", alice + " changed the description",
                    alice + " changed the group icon", alice + " made you an admin", "You removed " + carol,
                    alice + " deleted the group");
            b.screenshot("group-info");
        } finally {
            Files.deleteIfExists(icon);
        }
    }

    @Test
    void signsInWithTheTokenOfTheHostPage() {
        String dana = People.named("dana");
        String erin = People.named("erin");
        String token = ChatClient.devToken(stack.url(0), dana);
        try (Browser d = Browser.embedded(stack.url(0), token); ChatClient e = People.connect(stack, 1, erin, "phone")) {
            d.until(x -> x.findElement(By.id("status")).getText().equals("online"));
            assertThat(d.find("#me-name").getText()).isEqualTo(dana);
            assertThat(d.all("#signin-form")).allSatisfy(f -> assertThat(f.isDisplayed()).isFalse());
            assertThat(d.driver.findElement(By.id("signout")).isDisplayed()).as("the host page signs out").isFalse();
            d.startChat(erin);
            d.type("hello from the host page");
            JsonNode msg = e.next("msg");
            assertThat(msg.get("from").asText()).isEqualTo(dana);
            assertThat(msg.get("body").asText()).isEqualTo("hello from the host page");
        }
    }
}
