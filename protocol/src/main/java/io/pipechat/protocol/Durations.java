package io.pipechat.protocol;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration syntax of every service's configuration: {@code 500ms}, {@code 10s},
 * {@code 5m} or {@code 5min}, {@code 24h}, {@code 30d}, ISO-8601 ({@code PT10S}), or a plain number
 * of milliseconds.
 */
public final class Durations {
    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|min|m|h|d)?");

    private Durations() {
    }

    /** @throws IllegalArgumentException if {@code text} is none of the forms above */
    public static Duration parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SHORT.matcher(s);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "ms" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m", "min" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a duration (like 500ms, 10s, 5m, 24h, 30d, PT10S): " + text, e);
        }
    }
}
