package io.pipechat.groups;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads samples out of Prometheus text exposition format (tests only). */
final class PrometheusText {
    private PrometheusText() {
    }

    /** {@code GET http://127.0.0.1:<port>/metrics}, the body of a 200. */
    static String scrape(int port) {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET /metrics on port " + port + ": " + r.statusCode());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sum of every sample of metric {@code name} (all label sets); NaN when there is none. */
    static double sum(String text, String name) {
        return sample(text, name, "");
    }

    /** The sum of the samples of {@code name} whose labels contain {@code label}; NaN when there is none. */
    static double sample(String text, String name, String label) {
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            String labels;
            String value;
            if (rest.startsWith("{")) {
                int end = rest.lastIndexOf('}');
                labels = rest.substring(1, end);
                value = rest.substring(end + 1).trim();
            } else if (rest.startsWith(" ")) {
                labels = "";
                value = rest.trim();
            } else {
                continue; // a longer name with this prefix
            }
            if (!labels.contains(label)) {
                continue;
            }
            sum += Double.parseDouble(value.split(" ")[0]);
            found = true;
        }
        return found ? sum : Double.NaN;
    }
}
