package io.pipechat.bench.load;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every load scenario shares: where the system is, where results go, how the generator connects. */
public final class RunOptions {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080",
            description = "an edge of a running stack (ignored with --embedded; default: ${DEFAULT-VALUE})")
    public String url;

    @Option(names = "--embedded", description = "start the whole stack in this JVM (temporary data), measure it, stop it")
    public boolean embedded;

    @Option(names = "--pid", defaultValue = "-1",
            description = "process id of the --url stack, for its CPU and RSS from /proc (default: none)")
    public long pid;

    @Option(names = "--out", description = "write the result as JSON to this file")
    public Path out;

    @Option(names = "--report", description = "write an HTML report (inline SVG charts) to this file")
    public Path report;

    @Option(names = "--source-addresses", defaultValue = "1",
            description = "loopback source addresses 127.0.0.1..n to spread client sockets over (default: ${DEFAULT-VALUE})")
    public int sourceAddresses;

    @Option(names = "--threads", defaultValue = "2", description = "WebSocket callback threads of the generator (default: ${DEFAULT-VALUE})")
    public int threads;

    @Option(names = "--edge-setting", description = "extra edge configuration key=value for --embedded (repeatable)")
    public Map<String, String> edgeSettings = new LinkedHashMap<>();

    @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
    public long seed;

    @Option(names = "--prefix", description = "user id prefix (default: a fresh one per run, so runs never share mailboxes)")
    public String prefix;

    public Target open() {
        return embedded ? Target.embedded(edgeSettings) : Target.remote(url, pid);
    }

    /** The user-id prefix of this run. */
    public String prefix(String scenario) {
        if (prefix != null) {
            return prefix;
        }
        return scenario.charAt(0) + Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    }
}
