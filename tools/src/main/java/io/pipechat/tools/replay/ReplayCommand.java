package io.pipechat.tools.replay;

import io.pipechat.tools.KafkaOptions;
import io.pipechat.tools.RefusedException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pipechat-admin replay}: reads a topic from an offset or a timestamp to its current end (or to
 * a timestamp), optionally filtered, and writes JSON lines to stdout or a file, or re-publishes the
 * records into another topic. Read-only unless {@code --to-topic} is given. See {@link Replay} for the
 * guarantees and docs/OPERATIONS.md for the uses.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Read a topic range as JSON lines {topic, partition, offset, timestamp, key, value},",
                "or re-publish it into another topic (--to-topic). read_committed; commits no offsets."})
public final class ReplayCommand implements Callable<Integer> {

    static final class From {
        @Option(names = "--from-offset", paramLabel = "OFFSET", description = "Start at this offset in every partition.")
        Long offset;

        @Option(names = "--from-timestamp", paramLabel = "ISO-INSTANT", description = "Start at the first record at or after this time (2026-11-28T04:00:00Z).")
        String timestamp;
    }

    static final class To {
        @Option(names = "--to-timestamp", paramLabel = "ISO-INSTANT", description = "Stop after records of this time.")
        String timestamp;

        @Option(names = "--until-end", description = "Stop at the end offsets taken at start (the default).")
        boolean untilEnd;
    }

    static final class Target {
        @Option(names = "--out", paramLabel = "FILE", description = "Write JSON lines to this file instead of stdout.")
        Path out;

        @Option(names = "--to-topic", paramLabel = "TOPIC", description = "Re-publish key, value, timestamp and headers into this existing topic.")
        String toTopic;
    }

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = {"-t", "--topic"}, required = true, description = "The topic to read.")
    String topic;

    @ArgGroup(exclusive = true, multiplicity = "1")
    From from;

    @ArgGroup(exclusive = true)
    To to;

    @Option(names = "--partition", description = "Read only this partition.")
    Integer partition;

    @Option(names = "--user", paramLabel = "USER", description = "Keep records keyed by this user; repeatable.")
    List<String> users = new ArrayList<>();

    @Option(names = "--key", paramLabel = "KEY", description = "Keep records with this key (any topic); repeatable.")
    List<String> keys = new ArrayList<>();

    @Option(names = "--group", paramLabel = "GROUP", description = "Keep records of this group (value field group or to.group).")
    String group;

    @Option(names = "--where", paramLabel = "PATH=TEXT", description = "Keep records whose JSON value has TEXT at PATH (type=message, to.user=bob); repeatable.")
    Map<String, String> where = new LinkedHashMap<>();

    @ArgGroup(exclusive = true)
    Target target;

    @Option(names = "--renumber-seqs", description = {"With --to-topic, for chat.user-events: renumber acks to the seqs",
            "the router derives from the new offsets. The target must be empty and this copy its only writer;",
            "start the routers on it with the router.seq-base printed at the end."})
    boolean renumberSeqs;

    @Option(names = "--source-seq-base", defaultValue = "0", paramLabel = "N",
            description = "With --renumber-seqs: the router.seq-base of the routers on the source topic (default: 0).")
    long sourceSeqBase;

    @Override
    public Integer call() throws Exception {
        ReplayRange range = new ReplayRange(from.offset, from.timestamp == null ? null : instant("--from-timestamp", from.timestamp),
                to == null || to.timestamp == null ? null : instant("--to-timestamp", to.timestamp),
                partition == null ? OptionalInt.empty() : OptionalInt.of(partition));
        List<String> acceptedKeys = new ArrayList<>(users);
        acceptedKeys.addAll(keys);
        RecordFilter filter = new RecordFilter(acceptedKeys, group, where);
        Map<String, Object> clientConfig = kafka.clientConfig();
        Replay.Sink sink;
        String destination;
        SeqRenumbering renumbering = null;
        if (target != null && target.toTopic != null) {
            if (target.toTopic.equals(topic)) {
                throw new RefusedException("--to-topic is the topic being read: the replay would never catch up with itself");
            }
            try (Admin admin = Admin.create(clientConfig)) {
                if (!admin.listTopics().names().get().contains(target.toTopic)) {
                    throw new RefusedException("--to-topic " + target.toTopic + " does not exist: create it first "
                            + "(with the partitions and configs it needs) so that auto-creation cannot pick them");
                }
            }
            if (renumberSeqs) {
                renumbering = new SeqRenumbering(emptyTargetPartitions(clientConfig, target.toTopic), sourceSeqBase,
                        sourceSeqBase + highestEndOffset(clientConfig, topic));
            }
            sink = new Replay.ToTopic(clientConfig, target.toTopic, renumbering);
            destination = "topic " + target.toTopic;
        } else if (renumberSeqs) {
            throw new RefusedException("--renumber-seqs needs --to-topic");
        } else if (target != null && target.out != null) {
            sink = new Replay.JsonLines(Files.newBufferedWriter(target.out, StandardCharsets.UTF_8), true);
            destination = target.out.toString();
        } else {
            sink = new Replay.JsonLines(spec.commandLine().getOut(), false);
            destination = "stdout";
        }
        Replay.Summary s = Replay.run(clientConfig, topic, range, filter, sink);
        spec.commandLine().getErr().println("replayed " + topic + ": " + s.partitions() + " partitions, " + s.read()
                + " records read, " + s.matched() + " written to " + destination);
        if (renumbering != null) {
            spec.commandLine().getErr().println("seqs renumbered: start the routers on " + target.toTopic
                    + " with router.seq-base=" + renumbering.newBase() + " (ROUTER_SEQ_BASE=" + renumbering.newBase() + ")");
        }
        return 0;
    }

    /** The highest end offset of {@code topic}'s partitions: above every seq its router derived (but the base). */
    private static long highestEndOffset(Map<String, Object> clientConfig, String topic) throws Exception {
        return endOffsets(clientConfig, topic).stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** The partition count of {@code topic}, which must be empty (seqs are renumbered from offset 0). */
    private static int emptyTargetPartitions(Map<String, Object> clientConfig, String topic) throws Exception {
        List<Long> ends = endOffsets(clientConfig, topic);
        if (ends.stream().anyMatch(o -> o != 0)) {
            throw new RefusedException("--renumber-seqs needs an empty --to-topic: " + topic + " already holds records");
        }
        return ends.size();
    }

    private static List<Long> endOffsets(Map<String, Object> clientConfig, String topic) throws Exception {
        try (Admin admin = Admin.create(clientConfig)) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (var p : admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()) {
                latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get().values().stream().map(o -> o.offset()).toList();
        }
    }

    private static Instant instant(String option, String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be an ISO-8601 instant like 2026-11-28T04:00:00Z, was '" + text + "'");
        }
    }
}
