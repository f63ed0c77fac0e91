package io.pipechat.edge;

import io.helidon.config.Config;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Runs one edge. Configuration: {@code application.yaml}, system properties, environment. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        Edge edge = Edge.start(Config.create());
        Runtime.getRuntime().addShutdownHook(new Thread(edge::close, "edge-shutdown"));
    }
}
