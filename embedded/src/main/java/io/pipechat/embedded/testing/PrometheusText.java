package io.pipechat.embedded.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * Reads a service's {@code /metrics} as Prometheus does, for tests: {@link #scrape} fetches the text,
 * {@link #value} finds samples by metric name and label fragments ({@code client_id="edge-5"}).
 */
public final class PrometheusText {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PrometheusText() {
    }

    /** {@code GET url}, the body of a 200 (anything else throws). */
    public static String scrape(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                    .header("Accept", "text/plain").build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + url + ": " + r.statusCode());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The sum of the samples of metric {@code name} (exactly that name) whose label set contains every
     * one of {@code labels}; empty when there is none. With one matching series, its value.
     */
    public static OptionalDouble value(String text, String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (!line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            String labelSet = "";
            if (rest.startsWith("{")) {
                int end = rest.lastIndexOf('}');
                labelSet = rest.substring(1, end);
                rest = rest.substring(end + 1);
            } else if (!rest.startsWith(" ")) {
                continue; // a longer name with this prefix
            }
            if (!containsAll(labelSet, labels)) {
                continue;
            }
            sum += number(rest.trim().split(" ")[0]);
            found = true;
        }
        return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
    }

    /** As {@link #value}, NaN when there is no such sample. */
    public static double sum(String text, String name, String... labels) {
        return value(text, name, labels).orElse(Double.NaN);
    }

    private static boolean containsAll(String labelSet, String[] labels) {
        for (String l : labels) {
            if (!labelSet.contains(l)) {
                return false;
            }
        }
        return true;
    }

    private static double number(String s) {
        return switch (s) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }
}
