package io.pipechat.notifier;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pipechat.notifier.push.PushDelivery;
import io.pipechat.notifier.push.PushSender;
import io.pipechat.notifier.push.RetryPolicy;
import io.pipechat.notifier.subscriptions.SubscriptionStore;
import io.pipechat.notifier.webpush.VapidKeys;
import io.pipechat.notifier.webpush.WebPushSender;
import io.pipechat.schema.Schema;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The push notifier, started and stopped as one object (the one-JVM stack holds it; {@link NotifierMain}
 * runs it alone): consumes {@code chat.push} and sends each {@link io.pipechat.protocol.events.PushRequest}
 * as a Web Push message to every subscription of the user in {@code push_subscriptions}.
 *
 * <p>{@link #start} migrates the schema (whoever starts first migrates), loads or creates the VAPID
 * key pair, and starts one platform thread polling Kafka; pushes run on virtual threads. The VAPID
 * public key ({@link #vapidPublicKey()}) is what browsers pass as {@code applicationServerKey} when they
 * subscribe: the edge's {@code GET /v1/push/config} serves it.
 *
 * <p>Meters, on the registry given to {@link #start(NotifierConfig, MeterRegistry)}: {@link NotifierMetrics}
 * ({@code pipechat.notifier.*}) and the consumer's own Kafka metrics (Micrometer's {@link KafkaClientMetrics}:
 * {@code kafka_consumer_*} in Prometheus, tagged {@code client_id} = the group id and {@code kafka_version};
 * consumer lag as {@code kafka_consumer_fetch_manager_records_lag_max}, and per partition, within about a
 * minute of the first fetch, {@code kafka_consumer_fetch_manager_records_lag{topic,partition}}). {@link #close()}
 * removes the Kafka meters; the notifier has no producer.
 */
public final class Notifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);

    private final HikariDataSource dataSource;
    private final HttpClient http;
    private final VapidKeys vapidKeys;
    private final NotifierMetrics metrics;
    private final PushRequestConsumer consumer;
    private final KafkaClientMetrics kafkaMeters;
    private final Thread pollThread;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Notifier(HikariDataSource dataSource, HttpClient http, VapidKeys vapidKeys, NotifierMetrics metrics,
                     PushRequestConsumer consumer, KafkaClientMetrics kafkaMeters) {
        this.dataSource = dataSource;
        this.http = http;
        this.vapidKeys = vapidKeys;
        this.metrics = metrics;
        this.consumer = consumer;
        this.kafkaMeters = kafkaMeters;
        this.pollThread = new Thread(consumer, "notifier-poll");
    }

    /** Starts with its own meter registry (read the counters through {@link #metrics()}). */
    public static Notifier start(NotifierConfig config) {
        return start(config, new SimpleMeterRegistry());
    }

    /**
     * @throws IllegalArgumentException if the configured VAPID keys are not a valid pair
     * @throws RuntimeException         if the database cannot be reached or migrated
     */
    public static Notifier start(NotifierConfig config, MeterRegistry registry) {
        return start(config, registry, () -> {
        });
    }

    /**
     * @param died runs on the poll thread when the poll loop ends without {@link #close()} (a fatal
     *             Kafka error, logged): {@link NotifierMain} exits then, for the supervisor to restart it
     */
    public static Notifier start(NotifierConfig config, MeterRegistry registry, Runnable died) {
        VapidKeys keys = vapidKeys(config);
        HikariDataSource dataSource = dataSource(config);
        HttpClient http = null;
        try {
            Schema.migrate(dataSource);
            http = WebPushSender.httpClient(config.requestTimeout());
            PushSender sender = new WebPushSender(http, keys, config.vapidSubject(), config.ttl(),
                    config.requestTimeout(), config.endpointPolicy(), Clock.systemUTC());
            return start(config, registry, dataSource, http, keys, sender, died);
        } catch (RuntimeException e) {
            dataSource.close();
            if (http != null) {
                http.close();
            }
            throw e;
        }
    }

    private static Notifier start(NotifierConfig config, MeterRegistry registry, HikariDataSource dataSource,
                                  HttpClient http, VapidKeys keys, PushSender sender, Runnable died) {
        NotifierMetrics metrics = new NotifierMetrics(registry);
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("notifier-push-", 0).factory());
        PushDelivery delivery = new PushDelivery(new SubscriptionStore(dataSource), sender,
                new RetryPolicy(config.maxAttempts(), config.initialBackoff(), config.maxBackoff()),
                config.concurrency(), executor, metrics);
        PushRequestConsumer consumer = new PushRequestConsumer(config, delivery, executor, metrics, Clock.systemUTC(),
                died);
        Notifier notifier = new Notifier(dataSource, http, keys, metrics, consumer, consumer.bindMetrics(registry));
        notifier.pollThread.start();
        LOG.info("notifier consuming {} as {} (VAPID public key {}; {})", config.topic(), config.groupId(),
                keys.publicKeyBase64Url(), config.endpointPolicy());
        return notifier;
    }

    /** The configured pair, else the one in {@code <dataDir>/vapid.json} (created on first start). */
    public static VapidKeys vapidKeys(NotifierConfig config) {
        return config.vapidPublicKey() != null
                ? VapidKeys.of(config.vapidPublicKey(), config.vapidPrivateKey())
                : VapidKeys.loadOrCreate(config.vapidKeyFile());
    }

    /** The VAPID public key, unpadded base64url of the 65-byte point: the browser's applicationServerKey. */
    public String vapidPublicKey() {
        return vapidKeys.publicKeyBase64Url();
    }

    /** False once the poll loop has stopped: after {@link #close()}, or after a fatal Kafka error (logged). */
    public boolean isRunning() {
        return pollThread.isAlive() && !consumer.stopped();
    }

    public NotifierMetrics metrics() {
        return metrics;
    }

    /**
     * Removes the Kafka client meters, stops polling, waits up to the shutdown grace for pushes in
     * flight, commits what finished, and closes the consumer (leaving the group), the HTTP client and
     * the database pool. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        kafkaMeters.close();
        consumer.close();
        try {
            pollThread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.shutdownNow();
        try {
            http.awaitTermination(Duration.ofSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dataSource.close();
        LOG.info("notifier stopped");
    }

    private static HikariDataSource dataSource(NotifierConfig config) {
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(config.dbUrl());
        hikari.setUsername(config.dbUser());
        hikari.setPassword(config.dbPassword());
        hikari.setMaximumPoolSize(config.dbPoolSize());
        hikari.setPoolName("notifier-db");
        hikari.setConnectionTimeout(TimeUnit.SECONDS.toMillis(10));
        return new HikariDataSource(hikari);
    }
}
