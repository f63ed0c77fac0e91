package io.pipechat.groups.observe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Flink's own Prometheus reporter ({@code flink-metrics-prometheus}) for a job on a mini cluster in
 * this JVM: {@link #reporterSettings(int)} are the Flink settings that make the mini cluster serve
 * every Flink metric (the job's {@code group_expander} counters, meters and histogram, the
 * deserializers' counters, Flink's own task, checkpoint and JVM metrics) as Prometheus text on
 * {@code http://<host>:<port>/metrics} (any path answers; all interfaces).
 *
 * <p>On a real Flink cluster the reporter is configured on the JobManager and TaskManagers
 * ({@code metrics.reporter.prom.*} in their config), never by the job: see the module README.
 *
 * <p>Port values, as the {@code metrics-port} argument of {@code GroupsJobMain} and the
 * {@code metricsPort} of {@code EmbeddedGroupsJob}: a port number; {@code 0} = a free port chosen
 * at start (logged, and returned by the handle); {@code -1} = no reporter. If the port is taken,
 * Flink logs the error and the job runs without the endpoint.
 */
public final class PrometheusMetrics {
    /** The reporter's name in the Flink settings: {@code metrics.reporter.prom.*}. */
    public static final String REPORTER = "prom";
    public static final String FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";
    /** Flink's default port of the Prometheus reporter. */
    public static final int DEFAULT_PORT = 9249;
    public static final int OFF = -1;

    private PrometheusMetrics() {
    }

    /** The port the reporter will listen on: empty for {@link #OFF}, a free one for 0. */
    public static OptionalInt resolve(int port) {
        if (port == OFF) {
            return OptionalInt.empty();
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("metrics port must be -1 (off), 0 (free port) or 1..65535, got " + port);
        }
        return OptionalInt.of(port == 0 ? freePort() : port);
    }

    /** The Flink settings of a Prometheus reporter on {@code port} (a resolved one, not 0 or -1). */
    public static Map<String, String> reporterSettings(int port) {
        if (port <= 0) {
            throw new IllegalArgumentException("resolve the port first: " + port);
        }
        Map<String, String> s = new LinkedHashMap<>();
        s.put("metrics.reporter." + REPORTER + ".factory.class", FACTORY);
        s.put("metrics.reporter." + REPORTER + ".port", Integer.toString(port));
        return s;
    }

    /** A port free at the moment (the reporter binds it a little later; a race only with another process). */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
