package io.pipechat.notifier;

import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the notifier alone: {@code java -cp ... io.pipechat.notifier.NotifierMain}. Every key of
 * {@link NotifierConfig} is read from a system property ({@code -Dnotifier.db.url=...}) or else from the
 * environment, upper-cased with dots and dashes as underscores ({@code NOTIFIER_DB_URL}). Stops on
 * SIGTERM/SIGINT, committing what was sent.
 */
public final class NotifierMain {
    private NotifierMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        NotifierConfig config = NotifierConfig.from(NotifierMain::setting);
        Notifier notifier = Notifier.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            notifier.close();
            stopped.countDown();
        }, "notifier-shutdown"));
        System.out.println("notifier running; VAPID public key " + notifier.vapidPublicKey());
        stopped.await();
    }

    static String setting(String key) {
        String value = System.getProperty(key);
        return value != null ? value : System.getenv(environmentName(key));
    }

    static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
