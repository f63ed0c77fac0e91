package io.pipechat.groups.observe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.JobStatus;

/**
 * {@code GET /health} of a job on a mini cluster in this JVM, on the JDK's HTTP server (Flink's
 * Prometheus reporter has no health endpoint): 200 {@code {"status":"UP","detail":"RUNNING"}} while
 * the job is {@link JobStatus#RUNNING}; 503 {@code {"status":"DOWN","detail":"<job status>"}}
 * otherwise (created, restarting, failed, cancelled), and {@code "detail":"UNKNOWN"} when the status
 * cannot be read (the mini cluster is gone). Same reply shape as {@code io.pipechat.observe.ObserveServer}
 * of the other services. Any other path answers 404.
 *
 * <p>On a real Flink cluster the JobManager's REST API serves this instead:
 * {@code GET /jobs/overview} lists each job with its {@code state}.
 */
public final class JobHealthServer implements AutoCloseable {
    private final HttpServer server;

    private JobHealthServer(HttpServer server) {
        this.server = server;
    }

    /**
     * @param port   0 for a free one
     * @param status reads the job's status; may block briefly, may throw
     */
    public static JobHealthServer start(String host, int port, Callable<JobStatus> status) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", exchange -> {
                if (!exchange.getRequestURI().getPath().equals("/health")) {
                    reply(exchange, 404, "text/plain; charset=utf-8", "not found\n");
                    return;
                }
                String detail = read(status);
                boolean up = detail.equals(JobStatus.RUNNING.name());
                reply(exchange, up ? 200 : 503, "application/json",
                        "{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"detail\":\"" + detail + "\"}");
            });
            server.start();
            return new JobHealthServer(server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static String read(Callable<JobStatus> status) {
        try {
            JobStatus s = status.call();
            return s == null ? "UNKNOWN" : s.name();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "UNKNOWN";
        } catch (Exception e) {
            return "UNKNOWN";
        }
    }

    private static void reply(HttpExchange exchange, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(code, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
