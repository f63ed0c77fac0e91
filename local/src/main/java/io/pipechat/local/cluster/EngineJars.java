package io.pipechat.local.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the cluster's third-party engines run from, as the build leaves it: the Flink session
 * cluster's classpath and the flink-groups job jar (module {@code cluster-flink}), the Kafka Connect
 * worker's classpath with the Debezium connectors (module {@code cluster-connect}). Each classpath is
 * a file of {@code :}-separated jars in the local Maven repository.
 *
 * <p>Found under the repository root: {@code pipechat.repository} if set, else the first directory
 * upwards from the working directory that holds {@code cluster-flink/} (the root for
 * {@code scripts/cluster.sh}, the parent for a module's tests).
 */
public record EngineJars(Path flinkClasspathFile, Path groupsJobJar, Path connectClasspathFile) {
    static final String BUILD = "./mvnw -B -DskipTests -pl cluster-flink,cluster-connect -am package";

    public static EngineJars locate() {
        Path root = root();
        return new EngineJars(root.resolve("cluster-flink/target/flink-classpath.txt"),
                root.resolve("cluster-flink/target/flink-groups-job.jar"),
                root.resolve("cluster-connect/target/connect-classpath.txt"));
    }

    public String flinkClasspath() {
        return read(flinkClasspathFile);
    }

    public String connectClasspath() {
        return read(connectClasspathFile);
    }

    public Path groupsJobJar() {
        require(groupsJobJar);
        return groupsJobJar;
    }

    private static Path root() {
        String configured = System.getProperty("pipechat.repository");
        if (configured != null) {
            return Path.of(configured).toAbsolutePath();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("cluster-flink"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no pipechat repository (with cluster-flink/) above " + Path.of("").toAbsolutePath()
                + "; set -Dpipechat.repository");
    }

    private static String read(Path file) {
        require(file);
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void require(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalStateException(file + " is missing: build it with " + BUILD);
        }
    }
}
