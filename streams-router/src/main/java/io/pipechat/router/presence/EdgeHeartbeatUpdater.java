package io.pipechat.router.presence;

import io.pipechat.protocol.Json;
import io.pipechat.protocol.events.EdgeHeartbeat;
import java.io.IOException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global {@code edges} store equal to the compacted {@code chat.edges} topic: the newest
 * heartbeat per edge id; a tombstone removes the edge. Reads raw bytes and parses them itself, so an
 * unreadable heartbeat is logged and skipped instead of stopping the global thread.
 */
public final class EdgeHeartbeatUpdater implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeHeartbeatUpdater.class);

    private final String storeName;
    private KeyValueStore<String, EdgeHeartbeat> edges;

    public EdgeHeartbeatUpdater(String storeName) {
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        edges = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            LOG.warn("skipping edge heartbeat without key");
            return;
        }
        if (record.value() == null) {
            edges.delete(record.key());
            return;
        }
        try {
            edges.put(record.key(), Json.MAPPER.readValue(record.value(), EdgeHeartbeat.class));
        } catch (IOException e) {
            LOG.warn("skipping unreadable heartbeat of edge {}: {}", record.key(), e.getMessage());
        }
    }
}
