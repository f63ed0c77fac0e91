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
 */
final class KafkaChangeWriter implements DebeziumEngine.ChangeConsumer<ChangeEvent<String, String>> {
    private final Producer<String, String> producer;
    private final AtomicLong written = new AtomicLong();

    KafkaChangeWriter(Producer<String, String> producer) {
        this.producer = producer;
    }

    @Override
    public void handleBatch(List<ChangeEvent<String, String>> records,
                            DebeziumEngine.RecordCommitter<ChangeEvent<String, String>> committer)
            throws InterruptedException {
        List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
        for (ChangeEvent<String, String> event : records) {
            // value null = Debezium's tombstone after a delete: kept so the topic can be compacted
            acks.add(producer.send(new ProducerRecord<>(event.destination(), event.key(), event.value())));
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

    /** Change events acknowledged by Kafka since start (tombstones included). */
    long written() {
        return written.get();
    }
}
