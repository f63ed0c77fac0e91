package io.pipechat.tools;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;

/** The connection options every subcommand shares (a picocli mixin). */
public final class KafkaOptions {

    @Option(names = {"-b", "--bootstrap"}, paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).")
    String bootstrap;

    @Option(names = "--client-config", paramLabel = "FILE",
            description = "A properties file of extra client settings (security.protocol, sasl.*, ssl.*).")
    Path clientConfig;

    @Option(names = "--client-property", paramLabel = "KEY=VALUE",
            description = "An extra client setting; repeatable, overrides --client-config.")
    Map<String, String> clientProperties = new LinkedHashMap<>();

    public String bootstrap() {
        return bootstrap;
    }

    /** Bootstrap servers plus the extra settings, for an admin client, consumer or producer. */
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (clientConfig != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(clientConfig)) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --client-config " + clientConfig + ": " + e.getMessage(), e);
            }
            p.stringPropertyNames().forEach(k -> config.put(k, p.getProperty(k)));
        }
        config.putAll(clientProperties);
        return config;
    }
}
