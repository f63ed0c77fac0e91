package io.pipechat.tools.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Reads a range of one topic and hands the matching records to a sink: JSON lines or another topic.
 *
 * <p>Guarantees: every partition is read from its start offset (from {@link ReplayRange}) up to an
 * end fixed before the first poll (the last stable offset under {@code isolation.level=read_committed},
 * or the first offset after {@code toTimestamp}), so a replay of a live topic terminates; aborted
 * transactional writes are never seen. The consumer has no group id and commits nothing: reading is
 * invisible to the cluster. Records of one partition come out in offset order; partitions interleave.
 * Re-publishing keeps key, value, timestamp and headers, and lets the producer's default partitioner
 * place each key, so one key's records keep their order in the target topic (they come from one
 * source partition, in order, through an idempotent producer).
 */
public final class Replay {
    /** No progress on any unfinished partition for this long fails the replay (a partition without a leader). */
    static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);

    /** Where matching records go. */
    public sealed interface Sink extends AutoCloseable {
        void accept(ConsumerRecord<byte[], byte[]> record, JsonNode value) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** One JSON object per line: {@code topic, partition, offset, timestamp, key, value}. */
    public static final class JsonLines implements Sink {
        private final Writer out;
        private final boolean closeWriter;

        /** @param closeWriter whether {@link #close()} closes {@code out} (a file) or only flushes it (stdout) */
        public JsonLines(Writer out, boolean closeWriter) {
            this.out = out;
            this.closeWriter = closeWriter;
        }

        @Override
        public void accept(ConsumerRecord<byte[], byte[]> record, JsonNode value) throws IOException {
            out.write(line(record, value));
            out.write('\n');
        }

        @Override
        public void close() throws IOException {
            if (closeWriter) {
                out.close();
            } else {
                out.flush();
            }
        }

        /**
         * A value that is JSON is embedded as JSON; any other bytes as a UTF-8 string; a tombstone as
         * null. The key is a UTF-8 string (all pipechat keys are user, group or edge ids).
         */
        static String line(ConsumerRecord<byte[], byte[]> record, JsonNode value) throws JsonProcessingException {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("topic", record.topic());
            o.put("partition", record.partition());
            o.put("offset", record.offset());
            o.put("timestamp", record.timestamp());
            o.put("key", record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8));
            if (value != null) {
                o.set("value", value);
            } else if (record.value() == null) {
                o.putNull("value");
            } else {
                o.put("value", new String(record.value(), StandardCharsets.UTF_8));
            }
            return Json.MAPPER.writeValueAsString(o);
        }
    }

    /**
     * Re-publishes key, value, timestamp and headers into {@code topic}; waits for every acknowledgement.
     * With {@link SeqRenumbering} (copying {@code chat.user-events} into an empty topic), each record
     * goes to its key's default partition, set explicitly, and acks are renumbered.
     */
    public static final class ToTopic implements Sink {
        private final KafkaProducer<byte[], byte[]> producer;
        private final String topic;
        private final List<Future<RecordMetadata>> pending = new ArrayList<>();
        private final SeqRenumbering renumbering;

        public ToTopic(Map<String, Object> clientConfig, String topic) {
            this(clientConfig, topic, null);
        }

        /** @param renumbering to renumber seqs into an empty target, or null not to */
        ToTopic(Map<String, Object> clientConfig, String topic, SeqRenumbering renumbering) {
            this.renumbering = renumbering;
            Map<String, Object> config = new HashMap<>(clientConfig);
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
            config.put(ProducerConfig.CLIENT_ID_CONFIG, "pipechat-replay-producer");
            this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
            this.topic = topic;
        }

        @Override
        public void accept(ConsumerRecord<byte[], byte[]> record, JsonNode value) throws IOException {
            Integer partition = null;
            byte[] bytes = record.value();
            if (renumbering != null && record.key() != null) {
                String user = new String(record.key(), StandardCharsets.UTF_8);
                partition = renumbering.partition(record.key());
                if (value instanceof ObjectNode ack && "ack".equals(ack.path("type").asText())) {
                    ack.put("upto", renumbering.renumberAck(user, ack.path("device").asText(), ack.path("upto").asLong()));
                    bytes = Json.MAPPER.writeValueAsBytes(ack);
                }
                renumbering.copied(user, record.offset(), partition);
            }
            pending.add(producer.send(new ProducerRecord<>(topic, partition, record.timestamp(), record.key(), bytes,
                    record.headers())));
            if (pending.size() >= 10_000) {
                awaitPending();
            }
        }

        private void awaitPending() {
            try {
                for (Future<RecordMetadata> f : pending) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while publishing to " + topic, e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("publishing to " + topic + " failed: " + e.getCause().getMessage(), e.getCause());
            }
            pending.clear();
        }

        @Override
        public void close() {
            try {
                producer.flush();
                awaitPending();
            } finally {
                producer.close(Duration.ofSeconds(30));
            }
        }
    }

    /** What a replay did. */
    public record Summary(int partitions, long read, long matched) {
    }

    private Replay() {
    }

    /** Reads {@code topic} over {@code range}, passes records matching {@code filter} to {@code sink}. */
    public static Summary run(Map<String, Object> clientConfig, String topic, ReplayRange range, RecordFilter filter, Sink sink)
            throws IOException {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        // Read-only: a mistyped --topic must not create a topic on a cluster that auto-creates.
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "pipechat-replay");
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist");
            }
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : infos) {
                if (range.partition().isEmpty() || range.partition().getAsInt() == p.partition()) {
                    partitions.add(new TopicPartition(topic, p.partition()));
                }
            }
            if (partitions.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " has no partition " + range.partition().getAsInt());
            }
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
            Map<TopicPartition, Long> start = new HashMap<>();
            if (range.fromOffset() != null) {
                for (TopicPartition tp : partitions) {
                    start.put(tp, Math.min(Math.max(range.fromOffset(), begin.get(tp)), end.get(tp)));
                }
            } else {
                start.putAll(offsetsAt(consumer, partitions, range.fromTimestamp().toEpochMilli(), end));
            }
            if (range.toTimestamp() != null) {
                Map<TopicPartition, Long> after = offsetsAt(consumer, partitions, range.toTimestamp().toEpochMilli() + 1, end);
                after.forEach((tp, o) -> end.put(tp, Math.min(end.get(tp), o)));
            }
            List<TopicPartition> open = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                if (start.get(tp) < end.get(tp)) {
                    open.add(tp);
                }
            }
            consumer.assign(open);
            open.forEach(tp -> consumer.seek(tp, start.get(tp)));
            long read = 0;
            long matched = 0;
            long toMillis = range.toTimestamp() == null ? Long.MAX_VALUE : range.toTimestamp().toEpochMilli();
            long lastProgress = System.nanoTime();
            while (!open.isEmpty()) {
                boolean progress = false;
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= end.get(tp)) {
                        continue;
                    }
                    progress = true;
                    read++;
                    if (r.timestamp() > toMillis) {
                        continue;
                    }
                    JsonNode value = parse(r.value());
                    if (filter.test(r, value)) {
                        matched++;
                        sink.accept(r, value);
                    }
                }
                List<TopicPartition> done = new ArrayList<>();
                for (TopicPartition tp : open) {
                    if (consumer.position(tp) >= end.get(tp)) {
                        done.add(tp);
                    }
                }
                if (!done.isEmpty()) {
                    open.removeAll(done);
                    consumer.pause(done);
                    progress = true;
                }
                if (progress) {
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > STALL_TIMEOUT.toNanos()) {
                    throw new IllegalStateException("no progress for " + STALL_TIMEOUT.toSeconds() + " s on " + open);
                }
            }
            return new Summary(partitions.size(), read, matched);
        } finally {
            sink.close();
        }
    }

    /** First offset at or after {@code timestamp} per partition; the end offset where there is none. */
    private static Map<TopicPartition, Long> offsetsAt(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
                                                      long timestamp, Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, timestamp));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp o = found.get(tp);
            out.put(tp, o == null ? end.get(tp) : Math.min(o.offset(), end.get(tp)));
        }
        return out;
    }

    /** The value as JSON, or null when it is a tombstone or not JSON. */
    static JsonNode parse(byte[] value) {
        if (value == null) {
            return null;
        }
        try {
            JsonNode node = Json.MAPPER.readTree(value);
            return node == null || node.isMissingNode() ? null : node;
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }
}
