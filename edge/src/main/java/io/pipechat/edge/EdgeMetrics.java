package io.pipechat.edge;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.pipechat.edge.session.Sessions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An edge's meters, named {@code pipechat.edge.*} and tagged with the edge's partition (several
 * edges may share one JVM in the local stack). Served at {@code /observe/metrics}.
 *
 * <p>Besides its own meters, the edge exposes the metrics of its Kafka clients ({@link #bind(Producer)},
 * {@link #bind(Consumer)}): Micrometer's {@link KafkaClientMetrics} on the Micrometer registry behind
 * Helidon's global registry ({@link MeterRegistry#unwrap}), so they appear on the same endpoint as
 * {@code kafka_producer_*} and {@code kafka_consumer_*} (e.g.
 * {@code kafka_consumer_fetch_manager_records_lag_max}), tagged {@code client_id} and
 * {@code kafka_version}. The client ids name the edge ({@code edge-<partition>} for the producer,
 * {@code edge-<partition>-deliveries} for the delivery consumer), which keeps the edges of one JVM
 * apart; closing a {@link KafkaMeters} removes exactly the meters it registered. Per-partition and
 * per-topic meters (e.g. {@code kafka_consumer_fetch_manager_records_lag{topic,partition}}) exist only
 * after the first fetch, and the binder looks for new Kafka metrics once a minute: they appear within
 * about a minute of the first fetch, and then replace the client-level meter of the same name (Prometheus
 * needs one label set per name), so query lag as {@code max by (client_id) (...records_lag_max)}.
 *
 * <p>{@link #close()} removes the connections gauge, which reads this edge's sessions: an edge
 * started again on the same partition in the same JVM registers its own. The counters stay (they only
 * grow, as Prometheus expects of a counter, across restarts of an edge in one JVM).
 */
public final class EdgeMetrics implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeMetrics.class);

    /** The meters of one Kafka client; {@link #close()} removes them (before the client is closed). */
    public interface KafkaMeters extends AutoCloseable {
        @Override
        void close();
    }

    private final io.micrometer.core.instrument.MeterRegistry micrometer;
    private final MeterRegistry registry;
    private final Gauge<Double> connections;
    private final Counter framesIn;
    private final Counter framesOut;
    private final Counter badFrames;
    private final Counter deliveries;
    private final Counter deliveriesSkipped;
    private final Counter produceFailures;
    private final Counter connectionAttemptsRefused;
    private final Timer produceLatency;

    public EdgeMetrics(int edge, Sessions sessions) {
        registry = Metrics.globalRegistry();
        micrometer = micrometerBehind(registry);
        List<Tag> tags = List.of(Tag.create("edge", Integer.toString(edge)));
        // A gauge left by an earlier edge on this partition reads that edge's sessions: replace it.
        registry.remove("pipechat.edge.connections", tags);
        connections = registry.getOrCreate(Gauge.builder("pipechat.edge.connections", sessions, Sessions::count).tags(tags)
                .description("WebSocket sessions open on this edge"));
        framesIn = registry.getOrCreate(Counter.builder("pipechat.edge.frames.in").tags(tags));
        framesOut = registry.getOrCreate(Counter.builder("pipechat.edge.frames.out").tags(tags));
        badFrames = registry.getOrCreate(Counter.builder("pipechat.edge.frames.rejected").tags(tags)
                .description("client frames answered with an error frame"));
        deliveries = registry.getOrCreate(Counter.builder("pipechat.edge.deliveries").tags(tags)
                .description("records consumed from this edge's partition of chat.deliveries"));
        deliveriesSkipped = registry.getOrCreate(Counter.builder("pipechat.edge.deliveries.skipped").tags(tags)
                .description("records of chat.deliveries skipped: unreadable, without a user, or failing to dispatch"));
        produceFailures = registry.getOrCreate(Counter.builder("pipechat.edge.produce.failures").tags(tags));
        connectionAttemptsRefused = registry.getOrCreate(Counter.builder("pipechat.edge.connection.attempts.refused")
                .tags(tags).description("WebSocket connection attempts refused with 429: too many from one address"));
        produceLatency = registry.getOrCreate(Timer.builder("pipechat.edge.produce.latency").tags(tags)
                .description("time from send to Kafka's acknowledgement"));
    }

    /**
     * The Micrometer registry Helidon's registry delegates to, or null when metrics are disabled
     * (Helidon's no-op registry has no Micrometer registry behind it).
     */
    private static io.micrometer.core.instrument.MeterRegistry micrometerBehind(MeterRegistry registry) {
        try {
            return registry.unwrap(io.micrometer.core.instrument.MeterRegistry.class);
        } catch (ClassCastException e) {
            LOG.info("metrics disabled ({}): Kafka client metrics not exposed", registry.getClass().getName());
            return null;
        }
    }

    /** Exposes the producer's metrics ({@code kafka_producer_*}) until the returned meters are closed. */
    public KafkaMeters bind(Producer<?, ?> producer) {
        return micrometer == null ? () -> { } : bind(new KafkaClientMetrics(producer));
    }

    /** Exposes the consumer's metrics ({@code kafka_consumer_*}, lag included) until the returned meters are closed. */
    public KafkaMeters bind(Consumer<?, ?> consumer) {
        return micrometer == null ? () -> { } : bind(new KafkaClientMetrics(consumer));
    }

    private KafkaMeters bind(KafkaClientMetrics binder) {
        binder.bindTo(micrometer);
        return binder::close;
    }

    public void frameIn() {
        framesIn.increment();
    }

    public void frameOut() {
        framesOut.increment();
    }

    public void badFrame() {
        badFrames.increment();
    }

    public void delivery() {
        deliveries.increment();
    }

    public void deliverySkipped() {
        deliveriesSkipped.increment();
    }

    public void produced(long nanos) {
        produceLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void produceFailed() {
        produceFailures.increment();
    }

    public void connectionAttemptRefused() {
        connectionAttemptsRefused.increment();
    }

    @Override
    public void close() {
        registry.remove(connections);
    }
}
