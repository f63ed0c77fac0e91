package io.pipechat.cdc;

import io.debezium.embedded.KafkaConnectUtil;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.KafkaOffsetBackingStore;
import org.apache.kafka.connect.util.SharedTopicAdmin;

/**
 * Kafka Connect's {@link KafkaOffsetBackingStore} (same topic layout: compacted, key
 * {@code ["<engine name>",{"server":"<topic prefix>"}]}, JSON value with the binlog position) that
 * also closes the admin client it uses. Debezium's built-in wiring of that store creates an admin
 * client per engine start and never closes it, leaving a thread behind after every stop.
 *
 * <p>Debezium instantiates it by name ({@code offset.storage}), through the public no-argument
 * constructor, then calls {@link #configure}, {@code start()} and {@link #stop()}.
 */
public final class KafkaOffsetStore extends KafkaOffsetBackingStore {
    private final AtomicReference<SharedTopicAdmin> admin;

    public KafkaOffsetStore() {
        this(new AtomicReference<>());
    }

    private KafkaOffsetStore(AtomicReference<SharedTopicAdmin> admin) {
        super(() -> admin.get().get(), () -> "pipechat-cdc-offsets", KafkaConnectUtil.converterForOffsetStore());
        this.admin = admin;
    }

    @Override
    public void configure(WorkerConfig config) {
        Map<String, Object> props = new HashMap<>(config.originals());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, adminClientId(String.valueOf(config.originals().get("name"))));
        admin.set(new SharedTopicAdmin(props));
        super.configure(config);
    }

    /** The client id of the admin client (its thread is named after it). */
    static String adminClientId(String engineName) {
        return engineName + "-offsets-admin";
    }

    @Override
    public void stop() {
        try {
            super.stop();
        } finally {
            SharedTopicAdmin a = admin.getAndSet(null);
            if (a != null) {
                a.close(Duration.ofSeconds(5));
            }
        }
    }
}
