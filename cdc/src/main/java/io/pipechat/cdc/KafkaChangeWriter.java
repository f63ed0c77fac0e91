package io.pipechat.cdc;

import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;

/**
 * Writes each Debezium change event to its topic ({@link ChangeEvent#destination()}) with its JSON
 * key, and marks it processed only once Kafka acknowledged it (acks=all, idempotent producer). The
 * engine commits the marked positions, so a crash never loses an unacknowledged change: it is read
 * from the binlog again.
 *
 * <p>Records of a batch are sent back to back and acknowledged in order; the first failed send
 * fails the batch (and stops the engine) before any later record is marked.
 *
 * <p>Each acknowledgement (and each failure) is recorded in {@link CdcMetrics} from the producer's
 * callback, at the moment Kafka answers: table (the last part of {@link ChangeEvent#destination()},
 * {@code <prefix>.<database>.<table>}), operation and timestamps of the event.
 */
final class KafkaChangeWriter implements DebeziumEngine.ChangeConsumer<ChangeEvent<String, String>> {
    private final Producer<String, String> producer;
    private final CdcMetrics metrics;
    private final AtomicLong written = new AtomicLong();

    KafkaChangeWriter(Producer<String, String> producer, CdcMetrics metrics) {
        this.producer = producer;
        this.metrics = metrics;
    }

    @Override
    public void handleBatch(List<ChangeEvent<String, String>> records,
                            DebeziumEngine.RecordCommitter<ChangeEvent<String, String>> committer)
            throws InterruptedException {
        List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
        for (ChangeEvent<String, String> event : records) {
            // value null = Debezium's tombstone after a delete: kept so the topic can be compacted
            String table = table(event.destination());
            ChangeSummary change = ChangeSummary.of(event.value());
            try {
                acks.add(producer.send(new ProducerRecord<>(event.destination(), event.key(), event.value()),
                        (metadata, error) -> {
                            if (error == null) {
                                metrics.written(table, change);
                            } else {
                                metrics.writeFailed(table);
                            }
                        }));
            } catch (KafkaException e) {
                metrics.writeFailed(table);
                throw e;
            }
        }
        for (int i = 0; i < records.size(); i++) {
            try {
                acks.get(i).get();
            } catch (ExecutionException e) {
                throw new KafkaException("Kafka did not acknowledge the change event for "
                        + records.get(i).destination() + " key " + records.get(i).key(), e.getCause());
            }
            committer.markProcessed(records.get(i));
            written.incrementAndGet();
        }
        committer.markBatchFinished();
    }

    @Override
    public boolean supportsTombstoneEvents() {
        return true;
    }

    /** {@code group_members} of {@code cdc.chat.group_members}. */
    static String table(String topic) {
        return topic == null ? "unknown" : topic.substring(topic.lastIndexOf('.') + 1);
    }

    /** Change events acknowledged by Kafka since start (tombstones included). */
    long written() {
        return written.get();
    }
}
