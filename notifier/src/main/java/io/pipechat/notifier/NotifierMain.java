package io.pipechat.notifier;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pipechat.observe.ObserveServer;
import io.pipechat.observe.Settings;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the notifier alone: {@code java -cp ... io.pipechat.notifier.NotifierMain}. Every key of
 * {@link NotifierConfig} is read from a system property ({@code -Dnotifier.db.url=...}) or else from the
 * environment, upper-cased with dots and dashes as underscores ({@code NOTIFIER_DB_URL}). Stops on
 * SIGTERM/SIGINT, committing what was sent. {@code notifier.http-port} (default 9401; -1 turns it
 * off) serves {@code /health} and Prometheus {@code /metrics} ({@code pipechat_notifier_*}, and the
 * consumer's {@code kafka_consumer_*} with its lag, tagged {@code client_id} = the group id).
 *
 * <p>Failures end the process with status 1, for the supervisor to restart it: a start that fails
 * (database, configuration), and a poll loop that dies while running ({@code /health} answers 503
 * from then on). A process that stays up without consuming would hold the partitions and push
 * nothing.
 */
public final class NotifierMain {
    private static final Logger LOG = LoggerFactory.getLogger(NotifierMain.class);
    static final int FAILED = 1;

    private NotifierMain() {
    }

    /** The running notifier and its operator endpoints ({@code observer} null when the port is off). */
    record Running(Notifier notifier, ObserveServer observer) implements AutoCloseable {
        @Override
        public void close() {
            if (observer != null) {
                observer.close();
            }
            notifier.close();
        }
    }

    public static void main(String[] args) throws InterruptedException {
        // System.exit waits for the shutdown hook, which waits for the poll thread: exit from a thread of its own.
        Running running = start(Settings::get, status -> Thread.ofPlatform().start(() -> System.exit(status)));
        if (running == null) {
            System.exit(FAILED);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "notifier-shutdown"));
        System.out.println("notifier running; VAPID public key " + running.notifier().vapidPublicKey());
        stopped.await();
    }

    /**
     * Starts the notifier and its operator endpoints as {@link #main} does.
     *
     * @param settings the keys of {@link NotifierConfig} and {@code notifier.http-port}
     * @param exit     called with {@link #FAILED} when the poll loop dies unasked
     * @return null when the notifier cannot start (logged)
     */
    static Running start(Function<String, String> settings, IntConsumer exit) {
        Notifier notifier;
        int httpPort;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            NotifierConfig config = NotifierConfig.from(settings);
            httpPort = Settings.httpPort("notifier.http-port", settings.apply("notifier.http-port"), 9401);
            notifier = Notifier.start(config, registry, () -> {
                LOG.error("the notifier's poll loop has stopped; exiting with status {} for a restart", FAILED);
                exit.accept(FAILED);
            });
        } catch (RuntimeException e) {
            LOG.error("the notifier cannot start", e);
            return null;
        }
        ObserveServer observer = httpPort < 0 ? null : ObserveServer.start("0.0.0.0", httpPort, registry,
                () -> new ObserveServer.Health(notifier.isRunning(), notifier.isRunning() ? "RUNNING" : "STOPPED"));
        return new Running(notifier, observer);
    }
}
