package io.pipechat.local.cluster;

import io.pipechat.embedded.KraftConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
 *
 * <p>Ports: with a base port {@code p}, broker {@code i} (1-based) listens for clients on
 * {@code p + i - 1} and for its controller quorum on {@code p + 100 + i - 1}; with 0, on free ports.
 * A directory that already holds a formatted cluster (its {@code serverN.properties} and
 * {@code kafka-N/meta.properties}) is started again as it is, on the ports it was created with.
 */
public final class KafkaCluster {
    private final List<JavaProcesses.Child> brokers;
    private final String bootstrapServers;

    private KafkaCluster(List<JavaProcesses.Child> brokers, String bootstrapServers) {
        this.brokers = brokers;
        this.bootstrapServers = bootstrapServers;
    }

    public static KafkaCluster start(JavaProcesses processes, Path dir, int n, int basePort) throws IOException {
        if (Files.exists(dir.resolve("server1.properties")) && Files.exists(dir.resolve("kafka-1/meta.properties"))) {
            return restart(processes, dir, n);
        }
        Files.createDirectories(dir);
        int[] brokerPorts = new int[n];
        int[] controllerPorts = new int[n];
        for (int i = 0; i < n; i++) {
            brokerPorts[i] = basePort == 0 ? KraftConfig.freePort() : basePort + i;
            controllerPorts[i] = basePort == 0 ? KraftConfig.freePort() : basePort + 100 + i;
        }
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < n; i++) {
            voters.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(controllerPorts[i]);
        }
        String clusterId = Uuid.randomUuid().toString();
        List<JavaProcesses.Child> children = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i + 1;
            Properties p = KraftConfig.node(id, voters.toString(), brokerPorts[i], controllerPorts[i],
                    dir.resolve("kafka-" + id), n);
            p.put("default.replication.factor", Integer.toString(n));
            p.put("min.insync.replicas", "2");
            p.put("unclean.leader.election.enable", "false");
            p.put("auto.create.topics.enable", "false");
            p.put("broker.session.timeout.ms", "3000");
            p.put("broker.heartbeat.interval.ms", "500");
            p.put("num.network.threads", "2");
            p.put("num.io.threads", "2");
            p.put("num.recovery.threads.per.data.dir", "1");
            Path file = dir.resolve("server" + id + ".properties");
            try (var out = Files.newBufferedWriter(file)) {
                p.store(out, "pipechat cluster broker " + id);
            }
            KraftConfig.format(clusterId, file);
        }
        return restart(processes, dir, n);
    }

    /** Starts the brokers of a formatted cluster under {@code dir} and waits until all are registered. */
    private static KafkaCluster restart(JavaProcesses processes, Path dir, int n) throws IOException {
        List<JavaProcesses.Child> children = new ArrayList<>();
        List<String> bootstrap = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
            Path file = dir.resolve("server" + id + ".properties");
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file)) {
                p.load(in);
            }
            bootstrap.add(p.getProperty("advertised.listeners").replace("PLAINTEXT://", ""));
            children.add(processes.start("kafka-" + id, "kafka.Kafka", Map.of(), List.of("-Xmx384m"), file.toString()));
        }
        KafkaCluster cluster = new KafkaCluster(List.copyOf(children), String.join(",", bootstrap));
        cluster.awaitBrokers(n, Duration.ofSeconds(120));
        return cluster;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Broker {@code id} (1-based). */
    public JavaProcesses.Child broker(int id) {
        return brokers.get(id - 1);
    }

    public List<JavaProcesses.Child> brokers() {
        return brokers;
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000"));
    }

    /** Waits until {@code n} brokers are registered and unfenced. */
    public void awaitBrokers(int n, Duration timeout) {
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
}
