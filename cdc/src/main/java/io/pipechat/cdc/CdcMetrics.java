package io.pipechat.cdc;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The CDC engine's meters, named {@code pipechat.cdc.*} (Prometheus: {@code pipechat_cdc_*}, as the
 * notifier's are {@code pipechat_notifier_*}). All are recorded when Kafka acknowledges a change event
 * (the producer's callback), so they count what is on the topic, not what was read:
 * <ul>
 *   <li>{@code pipechat_cdc_events_total{table,op}}: change events written, {@code op} one of
 *       {@code read} (snapshot), {@code create}, {@code update}, {@code delete}, {@code tombstone}
 *       (after each delete), {@code truncate}, {@code other};
 *   <li>{@code pipechat_cdc_write_failures_total{table}}: sends Kafka refused (each one stops the engine);
 *   <li>{@code pipechat_cdc_lag_seconds} (timer with histogram buckets): from the change in the database
 *       ({@code source.ts_ms}) to Kafka's acknowledgement, for binlog changes (not snapshot reads, which
 *       have no commit time). MariaDB's binlog stamps whole seconds (measured: sometimes the second
 *       before the statement), so there it reads about 1 s high;
 *       MySQL 8 stamps the commit to the microsecond. Negative values (database clock ahead) count as 0;
 *   <li>{@code pipechat_cdc_publish_delay_seconds} (timer): from the connector processing the change
 *       (the envelope's {@code ts_ms}, this JVM's clock) to Kafka's acknowledgement: the engine's own
 *       part of the lag (poll interval, batching, Kafka), exact to the millisecond;
 *   <li>{@code pipechat_cdc_last_event_age_seconds} (gauge): now minus {@code source.ts_ms} of the newest
 *       change written (NaN before the first). It also grows while nobody changes groups: a dashboard
 *       figure more than an alert;
 *   <li>{@code pipechat_cdc_state{state}} (gauge): 1 for the engine's current {@link CdcEngine.State},
 *       0 for the others.
 * </ul>
 * The gauges follow one engine and are removed when it closes ({@link #close()}), so an engine started
 * later on the same registry registers its own; counters and timers stay and keep counting.
 */
public final class CdcMetrics {
    private final MeterRegistry registry;
    private final Clock clock;
    private final Map<String, Counter> events = new ConcurrentHashMap<>();
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();
    private final Timer lag;
    private final Timer publishDelay;
    private final AtomicLong lastSourceMillis = new AtomicLong(-1);
    private final List<Meter> gauges = new ArrayList<>();

    CdcMetrics(MeterRegistry registry, Supplier<CdcEngine.State> state) {
        this.registry = registry;
        this.clock = registry.config().clock();
        lag = Timer.builder("pipechat.cdc.lag")
                .description("from the change in the database (source.ts_ms) to Kafka's acknowledgement")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        publishDelay = Timer.builder("pipechat.cdc.publish.delay")
                .description("from the connector processing the change (envelope ts_ms) to Kafka's acknowledgement")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(1))
                .register(registry);
        gauges.add(Gauge.builder("pipechat.cdc.last.event.age", this, CdcMetrics::lastEventAgeSeconds)
                .description("now minus source.ts_ms of the newest change written; NaN before the first")
                .baseUnit("seconds")
                .register(registry));
        for (CdcEngine.State s : CdcEngine.State.values()) {
            gauges.add(Gauge.builder("pipechat.cdc.state", () -> state.get() == s ? 1 : 0)
                    .description("1 for the engine's current state")
                    .tag("state", s.name())
                    .register(registry));
        }
    }

    /** Kafka acknowledged {@code change}, a change event of {@code table}. */
    void written(String table, ChangeSummary change) {
        events.computeIfAbsent(table + "/" + change.op(), k -> Counter.builder("pipechat.cdc.events")
                .description("change events written to Kafka").tag("table", table).tag("op", change.op())
                .register(registry)).increment();
        long now = clock.wallTime();
        if (change.sourceMillis() >= 0) {
            lastSourceMillis.accumulateAndGet(change.sourceMillis(), Math::max);
            if (!change.op().equals("read")) {
                lag.record(Math.max(0, now - change.sourceMillis()), TimeUnit.MILLISECONDS);
            }
        }
        if (change.engineMillis() >= 0) {
            publishDelay.record(Math.max(0, now - change.engineMillis()), TimeUnit.MILLISECONDS);
        }
    }

    /** Kafka refused (or never acknowledged) a change event of {@code table}. */
    void writeFailed(String table) {
        failures.computeIfAbsent(table, t -> Counter.builder("pipechat.cdc.write.failures")
                .description("change events Kafka did not acknowledge; each stops the engine")
                .tag("table", t).register(registry)).increment();
    }

    private double lastEventAgeSeconds() {
        long last = lastSourceMillis.get();
        return last < 0 ? Double.NaN : Math.max(0, clock.wallTime() - last) / 1000.0;
    }

    /** Removes the gauges bound to this engine. */
    void close() {
        gauges.forEach(registry::remove);
    }

    /** Change events written of {@code table} and {@code op} (a tag value of {@code pipechat_cdc_events_total}). */
    public long events(String table, String op) {
        Counter c = events.get(table + "/" + op);
        return c == null ? 0 : (long) c.count();
    }

    /** Binlog changes whose lag was recorded. */
    public long lagSamples() {
        return lag.count();
    }
}
