package io.pipechat.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.local.cluster.EngineJars;
import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * What the build leaves for the cluster's engines (modules cluster-flink and cluster-connect): the
 * RocksDB trap of STACK.md stays out of Flink's JVMs and of the job jar, the job jar carries the job
 * and its Kafka connector but not Flink itself, and the Connect worker has its REST server and the
 * Debezium connectors.
 */
class EngineJarsTest {
    private final EngineJars jars = EngineJars.locate();

    @Test
    void flinkClasspathHasFlinksRocksDbOnlyAndNoKafkaStreams() throws IOException {
        List<String> cp = entries(jars.flinkClasspath());
        assertThat(cp).noneMatch(e -> e.contains("/rocksdbjni-")).noneMatch(e -> e.contains("kafka-streams"))
                .anyMatch(e -> e.contains("frocksdbjni-")).anyMatch(e -> e.contains("flink-runtime-web-"))
                .anyMatch(e -> e.contains("flink-statebackend-rocksdb-"));
        long withRocksDb = 0;
        for (String e : cp) {
            try (JarFile jar = new JarFile(e)) {
                withRocksDb += jar.getEntry("org/rocksdb/RocksDB.class") == null ? 0 : 1;
            }
        }
        assertThat(withRocksDb).as("jars with org.rocksdb.RocksDB").isEqualTo(1);
    }

    @Test
    void jobJarHoldsTheJobAndItsConnectorButNeitherFlinkNorRocksDb() throws IOException {
        try (JarFile jar = new JarFile(jars.groupsJobJar().toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.pipechat.groups.GroupsJobMain");
            assertThat(jar.getEntry("io/pipechat/groups/GroupsJob.class")).isNotNull();
            assertThat(jar.getEntry("org/apache/flink/connector/kafka/source/KafkaSource.class")).isNotNull();
            assertThat(jar.stream().map(java.util.zip.ZipEntry::getName))
                    .noneMatch(n -> n.startsWith("org/rocksdb/"))
                    .noneMatch(n -> n.startsWith("org/apache/kafka/streams/"))
                    .noneMatch(n -> n.startsWith("org/apache/flink/runtime/"))
                    .noneMatch(n -> n.startsWith("org/apache/flink/streaming/api/"));
        }
    }

    @Test
    void connectClasspathHasTheWorkerRestServerAndTheDebeziumConnectors() {
        assertThat(entries(jars.connectClasspath()))
                .anyMatch(e -> e.contains("connect-runtime-4.2."))
                .anyMatch(e -> e.contains("jetty-server-"))
                .anyMatch(e -> e.contains("debezium-connector-mariadb-3.5."))
                .anyMatch(e -> e.contains("debezium-storage-kafka-"));
    }

    private static List<String> entries(String classpath) {
        return Arrays.asList(classpath.split(File.pathSeparator));
    }
}
