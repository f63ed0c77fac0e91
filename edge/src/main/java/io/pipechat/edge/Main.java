package io.pipechat.edge;

import io.helidon.config.Config;
import java.util.function.IntConsumer;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Runs one edge. Configuration: {@code application.yaml}, system properties, environment. The
 * process exits with {@link #EXIT_DELIVERIES_FAILED} when the edge's delivery consumer dies, so that a
 * supervisor restarts it (its clients reconnect and get their mailboxes flushed again).
 */
public final class Main {
    /** EX_SOFTWARE: the edge can no longer deliver. */
    public static final int EXIT_DELIVERIES_FAILED = 70;

    private Main() {
    }

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        Edge edge = start(Config.create(), System::exit);
        Runtime.getRuntime().addShutdownHook(new Thread(edge::close, "edge-shutdown"));
    }

    /** Starts the edge as {@link #main} does, with {@code exit} called when the process must end. */
    static Edge start(Config config, IntConsumer exit) {
        Edge edge = Edge.start(config);
        edge.failure().thenRun(() -> exit.accept(EXIT_DELIVERIES_FAILED));
        return edge;
    }
}
