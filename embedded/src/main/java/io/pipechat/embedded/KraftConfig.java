package io.pipechat.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import kafka.tools.StorageTool;

/**
 * What every KRaft node of this project has in common, the in-process broker ({@link EmbeddedKafka})
 * and the separate broker processes of the multi-process cluster alike: combined broker and
 * controller on 127.0.0.1, plaintext listeners, internal topics replicated {@code replicas} times,
 * a small log cleaner buffer; and formatting its log directory ({@code kafka-storage format}).
 */
public final class KraftConfig {
    private KraftConfig() {
    }

    /**
     * @param nodeId         this node's id
     * @param voters         {@code controller.quorum.voters}, e.g. {@code 1@127.0.0.1:9093}
     * @param brokerPort     the client listener's port
     * @param controllerPort the controller listener's port
     * @param logDir         {@code log.dirs}
     * @param replicas       replication of the internal topics (offsets, transactions, share state);
     *                       their {@code min.insync.replicas} is 2 when there are at least 3
     */
    public static Properties node(int nodeId, String voters, int brokerPort, int controllerPort, Path logDir,
                                  int replicas) {
        String minIsr = Integer.toString(replicas >= 3 ? 2 : 1);
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(nodeId));
        p.put("controller.quorum.voters", voters);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toAbsolutePath().toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", Integer.toString(replicas));
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", Integer.toString(replicas));
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", Integer.toString(replicas));
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        p.put("group.initial.rebalance.delay.ms", "0");
        // The default allocates 128 MiB of heap at start; these brokers are small.
        p.put("log.cleaner.dedupe.buffer.size", "2097152");
        return p;
    }

    /** Formats the log directory named in {@code propertiesFile} for the cluster {@code clusterId}. */
    public static void format(String clusterId, Path propertiesFile) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            int rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", propertiesFile.toString()}, out);
            if (rc != 0) {
                throw new IllegalStateException("cannot format the Kafka log of " + propertiesFile + ": " + buffer);
            }
        }
    }

    /** A TCP port free at the time of the call. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
