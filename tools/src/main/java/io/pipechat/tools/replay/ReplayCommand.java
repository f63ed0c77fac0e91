package io.pipechat.tools.replay;

import io.pipechat.tools.KafkaOptions;
import io.pipechat.tools.RefusedException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
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
            sink = new Replay.ToTopic(clientConfig, target.toTopic);
            destination = "topic " + target.toTopic;
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
        return 0;
    }

    private static Instant instant(String option, String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be an ISO-8601 instant like 2026-11-28T04:00:00Z, was '" + text + "'");
        }
    }
}
