package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * One person's browser: Debian's headless Chromium driven by chromedriver, each with its own
 * profile (so its own localStorage), on the web client served by an edge.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    final WebDriver driver;
    private final Path profile;
    private final String url;

    /** Skips where no browser is installed, except in CI, which installs one and must run these tests. */
    static void assumeInstalled() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (System.getenv("CI") != null) {
            assertThat(present).as("CI must install chromium and chromium-driver (.ci/run does)").isTrue();
        }
        assumeTrue(present, "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)");
    }

    Browser(String url) {
        this(url, null);
    }

    /**
     * The web client embedded in a host page that hands it {@code token} (PROTOCOL.md's web client
     * section, README): {@code window.pipechat = {token}} set before the page's scripts run.
     */
    static Browser embedded(String url, String token) {
        return new Browser(url, "window.pipechat = {token: " + io.pipechat.protocol.Json.write(token) + "};");
    }

    private Browser(String url, String hostScript) {
        this.url = url;
        try {
            profile = Files.createTempDirectory("pipechat-chromium");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1200,800", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeDriver chrome = new ChromeDriver(service, options);
        driver = chrome;
        if (hostScript != null) {
            chrome.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", java.util.Map.of("source", hostScript));
        }
        driver.get(url);
    }

    WebDriverWait waiting() {
        // The page re-renders lists as frames arrive: an element found a moment ago may be gone.
        return (WebDriverWait) new WebDriverWait(driver, Duration.ofSeconds(20))
                .ignoring(StaleElementReferenceException.class);
    }

    WebElement find(String css) {
        return waiting().until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            return found.isEmpty() || !found.getFirst().isDisplayed() ? null : found.getFirst();
        });
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    void until(ExpectedCondition<?> condition) {
        waiting().until(condition);
    }

    void signIn(String user) {
        find("#signin-name").sendKeys(user);
        find("#signin-form button").click();
        until(d -> d.findElement(By.id("status")).getText().equals("online"));
    }

    void startChat(String user) {
        find("#new-chat-user").sendKeys(user);
        find("#new-chat button").click();
        until(d -> d.findElement(By.id("chat-title")).getText().equals(user));
    }

    /** Creates a group from the sidebar's form; its conversation opens. */
    void createGroup(String name, String... members) {
        find(".new-group summary").click();
        find("#new-group-name").sendKeys(name);
        find("#new-group-members").sendKeys(String.join(", ", members));
        find("#new-group button").click();
        until(d -> d.findElement(By.id("chat-title")).getText().equals(name));
    }

    void open(String key) {
        until(d -> {
            d.findElement(By.cssSelector("[data-key='" + key + "']")).click();
            return true;
        });
    }

    void type(String text) {
        find("#text").sendKeys(text);
        find("#composer button[type=submit]").click();
    }

    /** Clicks what {@code css} finds, again if the page re-rendered it meanwhile. */
    void click(String css) {
        until(d -> {
            d.findElement(By.cssSelector(css)).click();
            return true;
        });
    }

    /** Accepts the confirm dialog the page opens. */
    void confirm() {
        until(org.openqa.selenium.support.ui.ExpectedConditions.alertIsPresent());
        driver.switchTo().alert().accept();
    }

    /** The system messages of the open conversation (changes of the group), in display order. */
    List<String> systemLines() {
        return waiting().until(d -> d.findElements(By.cssSelector("#messages .msg.system")).stream()
                .map(WebElement::getText).toList());
    }

    /** Message bodies of the open conversation, in display order. */
    List<String> bodies() {
        return waiting().until(d -> d.findElements(By.cssSelector("#messages .msg .body")).stream()
                .map(WebElement::getText).toList());
    }

    String statusOf(String body) {
        return waiting().until(d -> java.util.Optional.ofNullable(currentStatusOf(body))).orElse(null);
    }

    private String currentStatusOf(String body) {
        for (WebElement m : all("#messages .msg.mine")) {
            if (m.findElements(By.cssSelector(".body")).stream().anyMatch(b -> b.getText().equals(body))) {
                return m.getDomAttribute("data-status");
            }
        }
        return null;
    }

    /** Leaves the page (the socket closes, as when a tab is closed) and comes back later with {@link #reload()}. */
    void leave() {
        driver.get("about:blank");
    }

    void reload() {
        driver.get(url);
        until(d -> d.findElement(By.id("status")).getText().equals("online"));
    }

    Path screenshot(String name) {
        try {
            Path target = Path.of("target", "screenshots", name + ".png");
            Files.createDirectories(target.getParent());
            Files.write(target, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        driver.quit();
        try (var walk = Files.walk(profile)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary profile
        }
    }
}
