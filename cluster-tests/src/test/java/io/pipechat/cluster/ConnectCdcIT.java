package io.pipechat.cluster;

import io.pipechat.cdc.CdcConfig;
import io.pipechat.cdc.CdcConnectMain;
import io.pipechat.cdc.CdcContract;
import io.pipechat.embedded.Directories;
import io.pipechat.local.cluster.ConnectCluster;
import io.pipechat.local.cluster.EngineJars;
import io.pipechat.local.cluster.JavaProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/**
 * {@link CdcContract}, module cdc's CDC assertions, on Debezium in Kafka Connect: one distributed
 * worker ({@link ConnectCluster}, its own JVM on module cluster-connect's classpath) against the
 * test's broker, the connector deployed as an operator does ({@link CdcConnectMain#deploy}: topics,
 * {@code PUT /connectors/<name>/config} of {@link CdcConfig#connectorConfig()}, wait for RUNNING).
 * A clean stop is the worker's SIGTERM (it commits the task's offsets); the restart starts the worker
 * again, which resumes the connector it finds in its config topic.
 */
class ConnectCdcIT extends CdcContract {
    private static JavaProcesses processes;
    private static ConnectCluster connect;
    private static Path dir;

    @Override
    protected Capture start(CdcConfig config) throws IOException {
        if (connect == null) {
            dir = Files.createTempDirectory("pipechat-connect-it");
            processes = new JavaProcesses(Path.of("target", "cluster-it", "connect").toAbsolutePath());
            connect = ConnectCluster.start(processes, dir, EngineJars.locate().connectClasspath(),
                    config.bootstrapServers(), 1, 1);
        } else if (!connect.worker(1).alive()) {
            connect = ConnectCluster.start(processes, dir, EngineJars.locate().connectClasspath(),
                    config.bootstrapServers(), 1, 1);
        }
        CdcConnectMain.deploy(config, connect.url(1), WAIT);
        return () -> connect.worker(1).stop();
    }

    @AfterAll
    static void stopWorker() {
        if (processes != null) {
            processes.close();
            Directories.deleteRecursively(dir);
        }
        connect = null;
    }
}
