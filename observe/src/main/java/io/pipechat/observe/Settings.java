package io.pipechat.observe;

import java.util.Locale;

/**
 * How the services without Helidon config (router, notifier, CDC) read a setting: the system property
 * {@code key} ({@code -Drouter.state-dir=...}), else the environment variable named by
 * {@link #environmentName} ({@code ROUTER_STATE_DIR}), as docker-compose.yml sets them.
 */
public final class Settings {
    private Settings() {
    }

    /** The setting's value, or null when neither the property nor the variable is set. */
    public static String get(String key) {
        String value = System.getProperty(key);
        return value != null ? value : System.getenv(environmentName(key));
    }

    /** {@code router.http-port} -> {@code ROUTER_HTTP_PORT}: upper case, dots and dashes as underscores. */
    public static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * The port of the {@link ObserveServer}: {@code defaultPort} when unset or blank, -1 (any negative)
     * for none, 0 for a free one.
     *
     * @throws IllegalArgumentException when it is not a number or above 65535
     */
    public static int httpPort(String key, String value, int defaultPort) {
        if (value == null || value.isBlank()) {
            return defaultPort;
        }
        int port;
        try {
            port = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, was " + value);
        }
        if (port > 65535) {
            throw new IllegalArgumentException(key + " must be -1 (off), 0 (any free port) or 1..65535, was " + value);
        }
        return port < 0 ? -1 : port;
    }
}
