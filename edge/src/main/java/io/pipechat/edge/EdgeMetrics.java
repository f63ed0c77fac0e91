package io.pipechat.edge;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.pipechat.edge.session.Sessions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An edge's meters, named {@code pipechat.edge.*} and tagged with the edge's partition (several
 * edges may share one JVM in the local stack). Served at {@code /observe/metrics}.
 */
public final class EdgeMetrics {
    private final Counter framesIn;
    private final Counter framesOut;
    private final Counter badFrames;
    private final Counter deliveries;
    private final Counter produceFailures;
    private final Timer produceLatency;

    public EdgeMetrics(int edge, Sessions sessions) {
        MeterRegistry registry = Metrics.globalRegistry();
        List<Tag> tags = List.of(Tag.create("edge", Integer.toString(edge)));
        registry.getOrCreate(Gauge.builder("pipechat.edge.connections", sessions, Sessions::count).tags(tags)
                .description("WebSocket sessions open on this edge"));
        framesIn = registry.getOrCreate(Counter.builder("pipechat.edge.frames.in").tags(tags));
        framesOut = registry.getOrCreate(Counter.builder("pipechat.edge.frames.out").tags(tags));
        badFrames = registry.getOrCreate(Counter.builder("pipechat.edge.frames.rejected").tags(tags)
                .description("client frames answered with an error frame"));
        deliveries = registry.getOrCreate(Counter.builder("pipechat.edge.deliveries").tags(tags)
                .description("records consumed from this edge's partition of chat.deliveries"));
        produceFailures = registry.getOrCreate(Counter.builder("pipechat.edge.produce.failures").tags(tags));
        produceLatency = registry.getOrCreate(Timer.builder("pipechat.edge.produce.latency").tags(tags)
                .description("time from send to Kafka's acknowledgement"));
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

    public void produced(long nanos) {
        produceLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void produceFailed() {
        produceFailures.increment();
    }
}
