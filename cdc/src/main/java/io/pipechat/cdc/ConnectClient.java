package io.pipechat.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Kafka Connect's REST API for the CDC connector, the calls an operator makes with {@code curl}
 * (cdc/README.md): create or update a connector's configuration ({@code PUT
 * /connectors/<name>/config}, idempotent), read its status, delete it. Any worker of the Connect
 * cluster answers (a worker that is not the leader forwards writes to it). Every call is bounded
 * (connect 2 s, request 30 s).
 */
public final class ConnectClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * A connector's state and its tasks' states ({@code RUNNING}, {@code PAUSED}, {@code FAILED},
     * {@code UNASSIGNED}, {@code RESTARTING}), with the worker each runs on and the error of a
     * failed task.
     */
    public record Status(String connector, String connectorWorker, List<Task> tasks) {
        public boolean running() {
            return connector.equals("RUNNING") && !tasks.isEmpty() && tasks.stream().allMatch(t -> t.state().equals("RUNNING"));
        }
    }

    public record Task(int id, String state, String worker, String trace) {
    }

    private final String base;

    /** @param base a worker's REST URL, e.g. {@code http://connect:8083} */
    public ConnectClient(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    /** True if the worker answers {@code GET /} (it has joined its group and serves requests). */
    public boolean reachable() {
        try {
            return send(HttpRequest.newBuilder(URI.create(base + "/")).GET()).statusCode() == 200;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /** {@code PUT /connectors/<name>/config}: creates the connector or updates its configuration. */
    public void putConfig(String name, Map<String, String> config) {
        HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create(base + "/connectors/" + name + "/config"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(Json.write(config))));
        if (res.statusCode() / 100 != 2) {
            throw new IllegalStateException("Kafka Connect refused the configuration of " + name + " ("
                    + res.statusCode() + "): " + res.body());
        }
    }

    /** {@code GET /connectors/<name>/status}; empty answer (404) as {@code UNKNOWN} without tasks. */
    public Status status(String name) {
        HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create(base + "/connectors/" + name + "/status")).GET());
        if (res.statusCode() == 404) {
            return new Status("UNKNOWN", "", List.of());
        }
        if (res.statusCode() != 200) {
            throw new IllegalStateException("status of " + name + ": " + res.statusCode() + " " + res.body());
        }
        try {
            JsonNode s = Json.MAPPER.readTree(res.body());
            List<Task> tasks = new ArrayList<>();
            for (JsonNode t : s.path("tasks")) {
                tasks.add(new Task(t.path("id").asInt(), t.path("state").asText(), t.path("worker_id").asText(),
                        t.path("trace").asText("")));
            }
            return new Status(s.path("connector").path("state").asText(), s.path("connector").path("worker_id").asText(),
                    tasks);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until the connector and all its tasks run. A failed task is restarted (every few seconds:
     * it may have failed on a configuration that was just replaced, e.g. a database that moved); one
     * still failed at {@code timeout} fails the wait with its trace.
     */
    public Status awaitRunning(String name, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextRestart = 0;
        Status last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = status(name);
                if (last.running()) {
                    return last;
                }
                if (last.tasks().stream().anyMatch(t -> t.state().equals("FAILED")) && System.nanoTime() > nextRestart) {
                    restartFailed(name);
                    nextRestart = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                }
            } catch (UncheckedIOException workerNotUp) {
                // retry until the deadline
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        String failed = last == null ? "" : last.tasks().stream().filter(t -> t.state().equals("FAILED"))
                .map(t -> "; task " + t.id() + " failed on " + t.worker() + ": " + t.trace()).findFirst().orElse("");
        throw new IllegalStateException("connector " + name + " not running within " + timeout + "; last status "
                + (last == null ? "none" : last.connector()) + failed);
    }

    /** {@code POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true}. */
    public void restartFailed(String name) {
        send(HttpRequest.newBuilder(URI.create(base + "/connectors/" + name + "/restart?includeTasks=true&onlyFailed=true"))
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** {@code DELETE /connectors/<name>} (its offsets stay in the worker's offsets topic). */
    public void delete(String name) {
        send(HttpRequest.newBuilder(URI.create(base + "/connectors/" + name)).DELETE());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("Kafka Connect at " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
