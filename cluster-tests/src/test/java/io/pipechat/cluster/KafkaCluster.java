package io.pipechat.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A KRaft cluster of separate broker JVMs ({@code kafka.Kafka serverN.properties}), each broker and
 * controller at once (three voters: the quorum survives the loss of one). Replicated like
 * production: default replication factor {@code n}, {@code min.insync.replicas} 2, internal topics
 * (offsets, transactions) replicated the same way, no unclean leader election, no auto-created topics.
 *
 * <p>Layout under {@code dir}: {@code serverN.properties} and the log directory {@code kafka-N/}
 * per broker; logs in the {@link JavaProcesses} log directory as {@code kafka-N.log}. A killed broker
 * is fenced after {@code broker.session.timeout.ms} (3 s here, 9 s by default).
 */
final class KafkaCluster {
    private final List<JavaProcesses.Child> brokers;
    private final String bootstrapServers;

    private KafkaCluster(List<JavaProcesses.Child> brokers, String bootstrapServers) {
        this.brokers = brokers;
        this.bootstrapServers = bootstrapServers;
    }

    static KafkaCluster start(JavaProcesses processes, Path dir, int n) throws IOException {
        int[] brokerPorts = new int[n];
        int[] controllerPorts = new int[n];
        for (int i = 0; i < n; i++) {
            brokerPorts[i] = freePort();
            controllerPorts[i] = freePort();
        }
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < n; i++) {
            voters.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(controllerPorts[i]);
        }
        String clusterId = Uuid.randomUuid().toString();
        List<JavaProcesses.Child> children = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i + 1;
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", Integer.toString(id));
            p.put("controller.quorum.voters", voters.toString());
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts[i] + ",CONTROLLER://127.0.0.1:" + controllerPorts[i]);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts[i]);
            p.put("controller.listener.names", "CONTROLLER");
            p.put("inter.broker.listener.name", "PLAINTEXT");
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("log.dirs", dir.resolve("kafka-" + id).toAbsolutePath().toString());
            p.put("num.partitions", "1");
            p.put("default.replication.factor", Integer.toString(n));
            p.put("min.insync.replicas", "2");
            p.put("unclean.leader.election.enable", "false");
            p.put("auto.create.topics.enable", "false");
            p.put("offsets.topic.replication.factor", Integer.toString(n));
            p.put("offsets.topic.num.partitions", "6");
            p.put("transaction.state.log.replication.factor", Integer.toString(n));
            p.put("transaction.state.log.min.isr", "2");
            p.put("transaction.state.log.num.partitions", "6");
            p.put("share.coordinator.state.topic.replication.factor", Integer.toString(n));
            p.put("share.coordinator.state.topic.min.isr", "2");
            p.put("group.initial.rebalance.delay.ms", "0");
            p.put("broker.session.timeout.ms", "3000");
            p.put("broker.heartbeat.interval.ms", "500");
            p.put("log.cleaner.dedupe.buffer.size", "2097152");
            p.put("num.network.threads", "2");
            p.put("num.io.threads", "2");
            p.put("num.recovery.threads.per.data.dir", "1");
            Path file = dir.resolve("server" + id + ".properties");
            try (var out = Files.newBufferedWriter(file)) {
                p.store(out, "pipechat cluster test broker " + id);
            }
            format(clusterId, file);
            children.add(processes.start("kafka-" + id, "kafka.Kafka", Map.of(), List.of("-Xmx384m"), file.toString()));
        }
        String bootstrap = java.util.Arrays.stream(brokerPorts).mapToObj(port -> "127.0.0.1:" + port)
                .collect(Collectors.joining(","));
        KafkaCluster cluster = new KafkaCluster(List.copyOf(children), bootstrap);
        cluster.awaitBrokers(n, Duration.ofSeconds(120));
        return cluster;
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    /** Broker {@code id} (1-based). */
    JavaProcesses.Child broker(int id) {
        return brokers.get(id - 1);
    }

    Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000"));
    }

    /** Waits until {@code n} brokers are registered and unfenced. */
    void awaitBrokers(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = admin()) {
            while (true) {
                try {
                    if (admin.describeCluster().nodes().get().size() >= n) {
                        return;
                    }
                } catch (Exception notYet) {
                    // brokers still starting
                }
                for (JavaProcesses.Child b : brokers) {
                    if (!b.process().isAlive()) {
                        throw new IllegalStateException(b.name() + " exited:\n" + b.tail(30));
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the Kafka cluster did not come up within " + timeout);
                }
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void format(String clusterId, Path file) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            int rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", file.toString()}, out);
            if (rc != 0) {
                throw new IllegalStateException("cannot format " + file + ": " + buffer);
            }
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
