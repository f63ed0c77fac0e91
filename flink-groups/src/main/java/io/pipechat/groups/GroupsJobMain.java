package io.pipechat.groups;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Entry point on a real Flink cluster ({@code flink run -c io.pipechat.groups.GroupsJobMain ...} or
 * the manifest of the {@code cluster} job jar). Arguments are {@code key=value} pairs: the
 * {@link GroupsConfig} keys ({@code bootstrap-servers=kafka:9092}, {@code hold=5s}, ...), and any
 * key starting with {@code flink.} is passed to Flink without the prefix
 * ({@code flink.execution.checkpointing.dir=s3://bucket/pipechat/groups}).
 *
 * <p>State backend: RocksDB ({@code state.backend.type: rocksdb}, incremental checkpoints) unless
 * overridden with {@code flink.state.backend.type=...}. On a cluster each TaskManager is its own JVM
 * with Flink's RocksDB; nothing of Kafka Streams is in the job jar.
 */
public final class GroupsJobMain {
    private GroupsJobMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> values = parse(args);
        GroupsConfig config = GroupsConfig.from(values);
        Map<String, String> settings = GroupsJob.flinkSettings(config);
        settings.put("state.backend.type", "rocksdb");
        settings.put("execution.checkpointing.incremental", "true");
        values.forEach((k, v) -> {
            if (k.startsWith("flink.")) {
                settings.put(k.substring("flink.".length()), v);
            }
        });
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(settings));
        GroupsJob.kafka(config).execute(env);
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String arg : args) {
            String a = arg.startsWith("--") ? arg.substring(2) : arg;
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got '" + arg + "'");
            }
            values.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return values;
    }
}
