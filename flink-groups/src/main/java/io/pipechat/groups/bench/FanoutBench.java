package io.pipechat.groups.bench;

import io.pipechat.groups.GroupsJob;
import io.pipechat.groups.kafka.UserEventSerializer;
import io.pipechat.groups.changes.GroupChange;
import io.pipechat.groups.types.JsonTypeInfo;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Fan-out rate of the group expansion job alone: the job's graph (sources, keyBy group, {@code
 * GroupExpander}, JSON serialization of every user event as the Kafka sink would do it) on a local
 * mini cluster, parallelism 1, with in-memory sources and a sink that serializes and discards. No
 * Kafka, no checkpoints. Prints deliveries (messages x recipients) per second, measured from the
 * first to the last delivery, for each group size; median of the runs. The command is in
 * {@code flink-groups/README.md}, "Fan-out benchmark"; arguments {@code members=10,100,1024
 * deliveries=2000000 runs=3}.
 *
 * <p>One warm-up run (100 members) is not reported. Membership is loaded first; the sender joins
 * last, so messages generated before the group is complete wait in the held queue (the job's own
 * mechanism) and are then expanded to everyone.
 */
public final class FanoutBench {
    static final AtomicLong DELIVERED = new AtomicLong();
    static final AtomicLong FIRST = new AtomicLong();
    static final AtomicLong LAST = new AtomicLong();
    static final int GROUPS = 4;

    private FanoutBench() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = {10, 100, 1024};
        long deliveries = 2_000_000;
        int runs = 3;
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            switch (kv[0]) {
                case "members" -> sizes = Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "deliveries" -> deliveries = Long.parseLong(kv[1]);
                case "runs" -> runs = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + arg
                        + " (members=10,100,1024 deliveries=2000000 runs=3)");
            }
        }
        Path tmp = Files.createTempDirectory("pipechat-fanout-bench");
        System.out.printf(Locale.ROOT, "fan-out bench: parallelism 1, %d groups, %d runs per size, JDK %s, %d cpus%n",
                GROUPS, runs, Runtime.version(), Runtime.getRuntime().availableProcessors());
        run(100, Math.max(1, deliveries / 2 / 99), tmp); // JIT warm-up, not reported
        for (int members : sizes) {
            long messages = Math.max(1, deliveries / (members - 1));
            List<Double> rates = new ArrayList<>();
            for (int run = 0; run < runs; run++) {
                double seconds = run(members, messages, tmp);
                double rate = DELIVERED.get() / seconds;
                rates.add(rate);
                System.out.printf(Locale.ROOT, "  members=%-5d run %d: %,d messages -> %,d deliveries in %.2f s = %,.0f deliveries/s (%,.0f messages/s)%n",
                        members, run + 1, messages, DELIVERED.get(), seconds, rate, rate / (members - 1));
            }
            rates.sort(Double::compare);
            double median = rates.get(rates.size() / 2);
            System.out.printf(Locale.ROOT, "members=%d: median %,.0f deliveries/s = %,.0f messages/s%n",
                    members, median, median / (members - 1));
        }
        try (var paths = Files.walk(tmp)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static double run(int members, long messages, Path tmp) throws Exception {
        DELIVERED.set(0);
        FIRST.set(0);
        LAST.set(0);
        Configuration conf = Configuration.fromMap(java.util.Map.of(
                "pipeline.generic-types", "false",
                "io.tmp.dirs", tmp.toString(),
                "web.upload.dir", tmp.resolve("web-upload").toString(),
                "rest.bind-port", "0"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        // Members user-1..user-(n-1) of every group first, the sender user-0 last.
        DataGeneratorSource<GroupChange> membership = new DataGeneratorSource<>(
                i -> {
                    int group = (int) (i % GROUPS);
                    int user = (int) ((i / GROUPS + 1) % members);
                    return new GroupChange.Joined("g" + group, "user-" + user, "member");
                },
                (long) members * GROUPS, JsonTypeInfo.of(GroupChange.class));
        DataGeneratorSource<GroupEvent> groupMessages = new DataGeneratorSource<>(
                i -> new GroupEvent.Message("g" + (i % GROUPS), "user-0", "m-" + i, i,
                        "a group message body of typical length, some forty to eighty characters", null),
                messages, JsonTypeInfo.of(GroupEvent.class));
        DataGeneratorSource<GroupChange> noGroupInfo = new DataGeneratorSource<>(
                i -> { throw new IllegalStateException("no group info changes in the benchmark"); },
                0, JsonTypeInfo.of(GroupChange.class));
        new GroupsJob(groupMessages, membership, noGroupInfo, new CountingSink(), Duration.ofMinutes(5), Duration.ofMinutes(5),
                Duration.ofSeconds(30), Duration.ZERO, 64, 1024, Duration.ofSeconds(2), Duration.ofHours(1)).execute(env);
        return (LAST.get() - FIRST.get()) / 1e9;
    }

    /** Serializes every user event as the Kafka sink does, counts it and drops it. */
    static final class CountingSink implements Sink<UserEvent> {
        private static final long serialVersionUID = 1L;

        @Override
        public SinkWriter<UserEvent> createWriter(WriterInitContext context) {
            UserEventSerializer serializer = new UserEventSerializer("chat.user-events");
            return new SinkWriter<>() {
                long bytes;

                @Override
                public void write(UserEvent element, Context ctx) {
                    bytes += serializer.serialize(element, null, null).value().length;
                    long now = System.nanoTime();
                    FIRST.compareAndSet(0, now);
                    LAST.set(now);
                    DELIVERED.incrementAndGet();
                }

                @Override
                public void flush(boolean endOfInput) {
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
