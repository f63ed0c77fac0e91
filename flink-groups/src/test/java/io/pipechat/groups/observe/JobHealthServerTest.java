package io.pipechat.groups.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobStatus;
import org.junit.jupiter.api.Test;

/** {@link JobHealthServer} over real HTTP, with the job status as a variable. */
class JobHealthServerTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void upOnlyWhileRunning() throws Exception {
        AtomicReference<JobStatus> status = new AtomicReference<>(JobStatus.CREATED);
        try (JobHealthServer server = JobHealthServer.start("127.0.0.1", 0, status::get)) {
            assertThat(get(server, "/health")).isEqualTo("503 {\"status\":\"DOWN\",\"detail\":\"CREATED\"}");
            status.set(JobStatus.RUNNING);
            assertThat(get(server, "/health")).isEqualTo("200 {\"status\":\"UP\",\"detail\":\"RUNNING\"}");
            status.set(JobStatus.RESTARTING);
            assertThat(get(server, "/health")).isEqualTo("503 {\"status\":\"DOWN\",\"detail\":\"RESTARTING\"}");
            status.set(JobStatus.FAILED);
            assertThat(get(server, "/health")).isEqualTo("503 {\"status\":\"DOWN\",\"detail\":\"FAILED\"}");
            assertThat(get(server, "/metrics")).startsWith("404 ");
        }
    }

    @Test
    void downWhenTheStatusCannotBeRead() throws Exception {
        try (JobHealthServer server = JobHealthServer.start("127.0.0.1", 0, () -> {
            throw new IllegalStateException("mini cluster is gone");
        })) {
            assertThat(get(server, "/health")).isEqualTo("503 {\"status\":\"DOWN\",\"detail\":\"UNKNOWN\"}");
        }
    }

    private String get(JobHealthServer server, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }
}
