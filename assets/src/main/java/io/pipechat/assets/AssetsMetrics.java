package io.pipechat.assets;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import java.util.List;
import java.util.function.Supplier;

/**
 * The asset service's meters, in Helidon's global registry (served at {@code /observe/metrics}):
 * <pre>
 * assets.uploads              uploads that stored new content (PUT 201)
 * assets.bytes.stored         bytes of newly stored blobs
 * assets.dedup.hits           content found already stored: HEAD 200 and PUT 200
 * assets.uploads.rejected     refused uploads, tag reason = unauthorized | mismatch | too_large | bad_request
 * assets.downloads            GETs answered 200 or 206
 * assets.bytes.served         body bytes of those GETs
 * assets.hot.hits             downloads served from the in-memory hot tier
 * assets.hot.cache.bytes      bytes held by the hot tier (gauge)
 * </pre>
 * Counters are per JVM (two services in one JVM share them); the gauge follows the service that
 * registered it and is removed when that service closes.
 */
public final class AssetsMetrics implements AutoCloseable {
    private final MeterRegistry registry = Metrics.globalRegistry();
    private final Counter uploads = counter("assets.uploads", "Uploads that stored new content");
    private final Counter bytesStored = counter("assets.bytes.stored", "Bytes of newly stored blobs");
    private final Counter dedupHits = counter("assets.dedup.hits", "HEAD or PUT of content already stored");
    private final Counter downloads = counter("assets.downloads", "Downloads answered 200 or 206");
    private final Counter bytesServed = counter("assets.bytes.served", "Body bytes of downloads");
    private final Counter hotHits = counter("assets.hot.hits", "Downloads served from the hot tier");
    private final Gauge<Long> hotBytes;

    public AssetsMetrics(Supplier<Long> hotCacheBytes) {
        registry.remove("assets.hot.cache.bytes", List.of());
        hotBytes = registry.getOrCreate(Gauge.builder("assets.hot.cache.bytes", hotCacheBytes)
                .description("Bytes held by the hot tier"));
    }

    private Counter counter(String name, String description) {
        return registry.getOrCreate(Counter.builder(name).description(description));
    }

    public void rejected(String reason) {
        rejectedCounter(reason).increment();
    }

    /** Refused uploads so far with this reason. */
    public long rejectedCount(String reason) {
        return rejectedCounter(reason).count();
    }

    private Counter rejectedCounter(String reason) {
        return registry.getOrCreate(Counter.builder("assets.uploads.rejected")
                .description("Refused uploads by reason")
                .tags(List.of(Metrics.tag("reason", reason))));
    }

    public void created(long size) {
        uploads.increment();
        bytesStored.increment(size);
    }

    public void dedupHit() {
        dedupHits.increment();
    }

    public void downloaded(long bytes, boolean hot) {
        downloads.increment();
        bytesServed.increment(bytes);
        if (hot) {
            hotHits.increment();
        }
    }

    public long uploads() {
        return uploads.count();
    }

    public long bytesStored() {
        return bytesStored.count();
    }

    public long dedupHits() {
        return dedupHits.count();
    }

    public long downloads() {
        return downloads.count();
    }

    public long hotHits() {
        return hotHits.count();
    }

    @Override
    public void close() {
        registry.remove(hotBytes);
    }
}
