package io.pipechat.tools;

import io.pipechat.tools.replay.ReplayCommand;
import io.pipechat.tools.topics.TopicsCommand;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pipechat-admin}: the operators' and data teams' command line. Subcommands:
 * <ul>
 *   <li>{@code topics create | describe | add-edge-partitions}: see {@link TopicsCommand}
 *   <li>{@code replay}: read a topic range as JSON lines or re-publish it, see {@link ReplayCommand}
 * </ul>
 * Every subcommand takes {@code --bootstrap} (default: environment {@code KAFKA_BOOTSTRAP_SERVERS},
 * else {@code localhost:9092}) and {@code --client-property key=value} / {@code --client-config FILE}
 * for whatever else a cluster needs (TLS, SASL). Exit status: 0 success, 1 failure (the message on
 * stderr), 2 bad usage or a refused operation.
 *
 * <p>Output: stdout carries only what the command produces (a replay's JSON lines, topic listings), so
 * it can be piped; messages, summaries and log lines go to stderr, the log at WARN unless
 * {@code --verbose} (INFO).
 */
@Command(name = "pipechat-admin", mixinStandardHelpOptions = true, version = "pipechat-admin 0.1",
        description = "Topic administration and replay for pipechat.",
        subcommands = {TopicsCommand.class, ReplayCommand.class, CommandLine.HelpCommand.class})
public final class AdminMain {
    /** Read by logback.xml when logging starts, which is after {@link #main} has looked at the arguments. */
    static final String LOG_LEVEL_PROPERTY = "pipechat.admin.log-level";
    static final String VERBOSE = "--verbose";

    @Option(names = VERBOSE, scope = CommandLine.ScopeType.INHERIT,
            description = "Log the Kafka clients' and the tool's INFO messages (to stderr).")
    boolean verbose;

    public static void main(String[] args) {
        if (List.of(args).contains(VERBOSE) && System.getProperty(LOG_LEVEL_PROPERTY) == null) {
            System.setProperty(LOG_LEVEL_PROPERTY, "INFO");
        }
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command line with the given output streams; returns the exit status. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new AdminMain());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof RefusedException) {
                commandLine.getErr().println("refused: " + e.getMessage());
                return 2;
            }
            commandLine.getErr().println("error: " + describe(e));
            return 1;
        });
        int status = cli.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            b.append(" (caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(')');
        }
        return b.toString();
    }
}
