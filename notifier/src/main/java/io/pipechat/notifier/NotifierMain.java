package io.pipechat.notifier;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pipechat.observe.ObserveServer;
import io.pipechat.observe.Settings;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the notifier alone: {@code java -cp ... io.pipechat.notifier.NotifierMain}. Every key of
 * {@link NotifierConfig} is read from a system property ({@code -Dnotifier.db.url=...}) or else from the
 * environment, upper-cased with dots and dashes as underscores ({@code NOTIFIER_DB_URL}). Stops on
 * SIGTERM/SIGINT, committing what was sent. {@code notifier.http-port} (default 9401; -1 turns it
 * off) serves {@code /health} and Prometheus {@code /metrics} ({@code pipechat_notifier_*}, and the
 * consumer's {@code kafka_consumer_*} with its lag, tagged {@code client_id} = the group id).
 */
public final class NotifierMain {
    private NotifierMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        NotifierConfig config = NotifierConfig.from(Settings::get);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Notifier notifier = Notifier.start(config, registry);
        int httpPort = Settings.httpPort("notifier.http-port", Settings.get("notifier.http-port"), 9401);
        ObserveServer observer = httpPort < 0 ? null : ObserveServer.start("0.0.0.0", httpPort, registry,
                () -> new ObserveServer.Health(notifier.isRunning(), notifier.isRunning() ? "RUNNING" : "STOPPED"));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (observer != null) {
                observer.close();
            }
            notifier.close();
            stopped.countDown();
        }, "notifier-shutdown"));
        System.out.println("notifier running; VAPID public key " + notifier.vapidPublicKey());
        stopped.await();
    }
}
