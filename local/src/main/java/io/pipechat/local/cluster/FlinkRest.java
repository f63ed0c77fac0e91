package io.pipechat.local.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pipechat.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The calls an operator makes to Flink's REST API ({@code curl} equivalents in docs/OPERATIONS.md):
 * upload a job jar and run it (optionally from a savepoint or retained checkpoint), list jobs, stop a
 * job with a savepoint, read checkpoint counts. Every call is bounded (connect 2 s, request 30 s);
 * an error answer becomes an {@link IllegalStateException} with Flink's own message.
 */
public final class FlinkRest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** One job as {@code GET /jobs/overview} lists it. */
    public record Job(String id, String name, String state) {
        /** Not FINISHED, CANCELED or FAILED: the job runs, starts, restarts or is being stopped. */
        public boolean active() {
            return !(state.equals("FINISHED") || state.equals("CANCELED") || state.equals("FAILED"));
        }
    }

    /** {@code GET /jobs/<id>/checkpoints}: completed and failed counts, the newest completed one's path. */
    public record Checkpoints(long completed, long failed, Optional<String> latestPath) {
    }

    private final String base;

    public FlinkRest(String base) {
        this.base = base;
    }

    /** True if the REST endpoint answers {@code GET /overview}. */
    public boolean reachable() {
        try {
            get("/overview");
            return true;
        } catch (IllegalStateException | UncheckedIOException e) {
            return false;
        }
    }

    public int taskManagers() {
        return get("/overview").path("taskmanagers").asInt();
    }

    /** The ids of the TaskManagers registered now ({@code GET /taskmanagers}). */
    public List<String> taskManagerIds() {
        List<String> ids = new ArrayList<>();
        for (JsonNode tm : get("/taskmanagers").path("taskmanagers")) {
            ids.add(tm.path("id").asText());
        }
        return ids;
    }

    /** {@code POST /jars/upload}: returns the jar id for {@link #run}. */
    public String uploadJar(Path jar) {
        String boundary = "pipechat-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                    + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            body.write(Files.readAllBytes(jar));
            body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar, e);
        }
        JsonNode answer = send(HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())), "upload " + jar.getFileName());
        String file = answer.path("filename").asText();
        return file.substring(file.lastIndexOf('/') + 1);
    }

    /**
     * {@code POST /jars/<jar id>/run}: the jar's main class (its manifest's) with {@code args}; from
     * {@code restorePath} (a savepoint or retained checkpoint, {@code NO_CLAIM}: the new job never
     * depends on the old files) if given. Returns the job id.
     */
    public String run(String jarId, List<String> args, Optional<String> restorePath) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.putPOJO("programArgsList", args);
        restorePath.ifPresent(p -> body.put("savepointPath", p).put("allowNonRestoredState", false)
                .put("claimMode", "NO_CLAIM"));
        return post("/jars/" + jarId + "/run", body).path("jobid").asText();
    }

    /** {@code DELETE /jars/<jar id>}: the uploaded copy is no longer needed once its job was submitted. */
    public void deleteJar(String jarId) {
        send(HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId)).DELETE(), "delete jar " + jarId);
    }

    public List<Job> jobs() {
        List<Job> jobs = new ArrayList<>();
        for (JsonNode j : get("/jobs/overview").path("jobs")) {
            jobs.add(new Job(j.path("jid").asText(), j.path("name").asText(), j.path("state").asText()));
        }
        return jobs;
    }

    /** The active job named {@code name}, if any. */
    public Optional<Job> activeJob(String name) {
        return jobs().stream().filter(j -> j.name().equals(name) && j.active()).findFirst();
    }

    /** True if the job is RUNNING and so is every one of its tasks (sources read, the sink writes). */
    public boolean allTasksRunning(String jobId) {
        JsonNode job = get("/jobs/" + jobId);
        if (!job.path("state").asText().equals("RUNNING")) {
            return false;
        }
        for (JsonNode v : job.path("vertices")) {
            if (!v.path("status").asText().equals("RUNNING")) {
                return false;
            }
        }
        return true;
    }

    public Checkpoints checkpoints(String jobId) {
        JsonNode c = get("/jobs/" + jobId + "/checkpoints");
        JsonNode latest = c.path("latest").path("completed");
        return new Checkpoints(c.path("counts").path("completed").asLong(), c.path("counts").path("failed").asLong(),
                latest.isObject() ? Optional.of(latest.path("external_path").asText()) : Optional.empty());
    }

    /**
     * {@code POST /jobs/<id>/stop}, then polls the operation: the job takes a savepoint into
     * {@code targetDirectory} and finishes. Returns the savepoint's path.
     */
    public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("targetDirectory", targetDirectory).put("drain", false);
        String trigger = post("/jobs/" + jobId + "/stop", body).path("request-id").asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = get("/jobs/" + jobId + "/savepoints/" + trigger);
            if (status.path("status").path("id").asText().equals("COMPLETED")) {
                JsonNode op = status.path("operation");
                if (op.has("failure-cause")) {
                    throw new IllegalStateException("stop-with-savepoint of " + jobId + " failed: "
                            + op.path("failure-cause").path("stack-trace").asText(op.toString()));
                }
                return op.path("location").asText();
            }
            sleep(200);
        }
        throw new IllegalStateException("stop-with-savepoint of " + jobId + " did not complete within " + timeout);
    }

    /** Waits until {@code n} TaskManagers are registered; {@code check} throws if a process died meanwhile. */
    public void awaitTaskManagers(int n, Duration timeout, Runnable check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            check.run();
            try {
                if (taskManagers() >= n) {
                    return;
                }
            } catch (IllegalStateException | UncheckedIOException notYet) {
                // the JobManager is still starting
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(n + " TaskManager(s) did not register at " + base + " within " + timeout);
            }
            sleep(250);
        }
    }

    private JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), "GET " + path);
    }

    private JsonNode post(String path, JsonNode body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())), "POST " + path);
    }

    private JsonNode send(HttpRequest.Builder request, String what) {
        try {
            HttpResponse<String> res = HTTP.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() / 100 != 2) {
                throw new IllegalStateException("Flink REST " + what + " answered " + res.statusCode() + ": " + res.body());
            }
            return res.body().isBlank() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(res.body());
        } catch (IOException e) {
            throw new UncheckedIOException("Flink REST " + what + " at " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
