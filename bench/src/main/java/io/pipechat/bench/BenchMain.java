package io.pipechat.bench;

import io.pipechat.bench.connections.ConnectionsBench;
import io.pipechat.bench.direct.DirectBench;
import io.pipechat.bench.groups.GroupsBench;
import io.pipechat.bench.media.MediaBench;
import io.pipechat.bench.offline.OfflineBench;
import io.pipechat.bench.soak.SoakBench;
import io.pipechat.bench.sweep.SweepBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Benchmarks and load generators, one subcommand per scenario:
 * <pre>
 *   java -jar bench/target/bench-*.jar media --embedded
 *   java -jar bench/target/bench-*.jar media --url http://127.0.0.1:8080 --secret ...
 * </pre>
 * A scenario never starts the system under test unless asked to ({@code --embedded}), so the
 * same command measures a local stack, a container deployment or an in-process server.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "pipechat benchmarks",
        subcommands = {ConnectionsBench.class, DirectBench.class, GroupsBench.class, OfflineBench.class, SoakBench.class, SweepBench.class, MediaBench.class, CommandLine.HelpCommand.class})
public final class BenchMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
