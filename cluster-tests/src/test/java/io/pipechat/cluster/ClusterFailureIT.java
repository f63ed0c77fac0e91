package io.pipechat.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.embedded.testing.LoadUser;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.protocol.Topics;
import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.local.cluster.JavaProcesses;
import io.pipechat.local.cluster.KafkaCluster;
import io.pipechat.local.cluster.ProcessCluster;
import io.pipechat.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 8's failure test, on the multi-process cluster of {@code scripts/cluster.sh}
 * ({@link ProcessCluster}): 3 Kafka brokers (KRaft, RF 3, min ISR 2), MariaDB, CDC, the Flink group
 * job, 2 routers (one Streams application, standby replicas 1), the notifier and 2 edges (delivery
 * partitions 0 and 1), each its own process. {@value #USERS} users spread over both edges send
 * {@value #MESSAGES} direct messages each; during that load one broker, one router and one edge are
 * killed with SIGKILL. The kills are triggered by progress (a share of all messages confirmed), not
 * by the clock. A group message goes through MariaDB, CDC and Flink before the load and another after
 * the kills.
 *
 * <p>Proves: every message that got {@code sent} reaches its recipient exactly once after the client
 * drops seqs it has already seen, and messages of one sender to one recipient arrive in send order;
 * group messages are still expanded and delivered after the kills. Logs the figures: messages,
 * duplicates dropped, re-sends, reconnections, and per kill how long until every user got a
 * {@code sent} again and until every user received a message sent after it.
 */
class ClusterFailureIT {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterFailureIT.class);
    static final int USERS = 24;
    static final int MESSAGES = 150;
    static final int PARTITIONS = 6;
    private static final String APP_ID = ProcessCluster.ROUTER_APPLICATION_ID;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Flink's Prometheus name of the membership deserializer's counter of change rows read. */
    private static final String MEMBERSHIP_CHANGES = "flink_taskmanager_job_task_operator_deserializer_group_members_cdc_changes";

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void everySentMessageArrivesOnceAndInOrderDespiteKillingABrokerARouterAndAnEdge() throws Exception {
        Path logs = Path.of("target", "cluster-it", "failure");
        List<LoadUser> users = new ArrayList<>();
        ScheduledExecutorService acks = Executors.newSingleThreadScheduledExecutor();
        long t0 = System.nanoTime();
        ProcessCluster cluster = ProcessCluster.start(ProcessCluster.Options.ephemeral().withLogDir(logs)
                .withSettings(Map.of("edge.rate.frames-per-second", "1000", "edge.rate.burst", "1000")));
        ChatClient groupSender = null;
        ChatClient groupReader = null;
        try {
            KafkaCluster kafka = cluster.kafka();
            List<String> bases = cluster.edgeUrls();
            JavaProcesses.Child edge0 = cluster.service("edge-0").process();
            JavaProcesses.Child edge1 = cluster.service("edge-1").process();
            JavaProcesses.Child router1 = cluster.service("router-1").process();
            JavaProcesses.Child router2 = cluster.service("router-2").process();
            try (Admin admin = kafka.admin()) {
                await("both routers own tasks").atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500))
                        .until(() -> userEventPartitionsPerMember(admin).size() == 2
                                && userEventPartitionsPerMember(admin).values().stream().allMatch(n -> n > 0));
            }
            LOG.info("cluster up in {} ms:\n{}", ms(System.nanoTime() - t0), cluster.describe());

            // Groups: MariaDB -> CDC -> Flink -> routers, on the surviving edge (edge-1).
            String base1 = bases.get(1);
            String group = createGroup(base1, "g-alice", "g-bob");
            groupSender = ChatClient.connect(base1, ChatClient.devToken(base1, "g-alice"), "it");
            groupReader = ChatClient.connect(base1, ChatClient.devToken(base1, "g-bob"), "it");
            // The job holds a message from a sender it does not know as a member for 5 s, then rejects it
            // (not_member). It has just started on a busy machine: wait until it has read both member rows.
            await("the group job read the membership").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> PrometheusText.value(PrometheusText.scrape(cluster.service("flink-groups").metricsUrl()),
                            MEMBERSHIP_CHANGES).orElse(0) >= 2);
            long groupBefore = sendToGroupAndAwait(groupSender, groupReader, group, "g-before");
            LOG.info("group message before the kills delivered in {} ms", groupBefore);

            for (int u = 0; u < USERS; u++) {
                String name = String.format("u%02d", u);
                users.add(new LoadUser(name, bases, u % 2, ChatClient.devToken(bases.get(u % 2), name)));
            }
            acks.scheduleWithFixedDelay(() -> users.forEach(LoadUser::ackAndKeepConnected), 300, 300, TimeUnit.MILLISECONDS);

            AtomicInteger progress = new AtomicInteger();
            int total = USERS * MESSAGES;
            List<Future<?>> senders = new ArrayList<>();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            long loadStart = System.nanoTime();
            for (int u = 0; u < USERS; u++) {
                LoadUser user = users.get(u);
                int me = u;
                // Each user writes to every other user in turn: many (sender, recipient) pairs, on both edges.
                senders.add(pool.submit(() -> {
                    user.sendAll(MESSAGES, k -> users.get((me + 1 + k % (USERS - 1)) % USERS).name,
                            Duration.ofMillis(150), progress);
                    return null;
                }));
            }

            // The victims: the leader of chat.user-events partition 0 (so leadership must move), router-1, edge-0.
            int brokerVictim;
            try (Admin admin = kafka.admin()) {
                brokerVictim = admin.describeTopics(List.of(Topics.USER_EVENTS)).allTopicNames().get()
                        .get(Topics.USER_EVENTS).partitions().getFirst().leader().id();
            }
            Map<String, Long> killedAt = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());
            killWhen(progress, total * 15 / 100, "broker-" + brokerVictim, kafka.broker(brokerVictim), killedAt);
            killWhen(progress, total * 35 / 100, "edge-0", edge0, killedAt);
            killWhen(progress, total * 55 / 100, "router-1", router1, killedAt);

            // When the surviving router owns every task (group description), measured from the router kill.
            AtomicLong takeover = new AtomicLong();
            Thread watcher = Thread.ofVirtual().start(() -> {
                try (Admin admin = kafka.admin()) {
                    while (!Thread.currentThread().isInterrupted()) {
                        Long killed = killedAt.get("router-1");
                        try {
                            if (killed != null && userEventPartitionsPerMember(admin).values().stream().toList()
                                    .equals(List.of(PARTITIONS))) {
                                takeover.set(System.nanoTime() - killed);
                                return;
                            }
                        } catch (InterruptedException e) {
                            throw e;
                        } catch (Exception transientError) {
                            LOG.debug("takeover watcher: {}", transientError.toString());
                        }
                        Thread.sleep(250);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (Future<?> s : senders) {
                s.get(4, TimeUnit.MINUTES);
            }
            pool.shutdown();
            long loadEnd = System.nanoTime();
            LOG.info("all {} messages confirmed with sent after {} ms", total, ms(loadEnd - loadStart));

            // Every sent message must reach its recipient (the survivors take over the killed router's tasks).
            Map<String, LoadUser> byName = new HashMap<>();
            users.forEach(u -> byName.put(u.name, u));
            await("every sent message delivered").atMost(Duration.ofSeconds(200)).pollInterval(Duration.ofMillis(500))
                    .until(() -> missing(users, byName) == 0);
            LOG.info("all delivered {} ms after the last sent", ms(System.nanoTime() - loadEnd));

            try (Admin admin = kafka.admin()) {
                await("the surviving router owns every task").atMost(Duration.ofSeconds(90))
                        .until(() -> userEventPartitionsPerMember(admin).values().stream().toList(), l -> l.equals(List.of(PARTITIONS)));
            }

            // Exactly once after de-duplication by seq, and in send order per (sender, recipient).
            int sentCount = 0;
            for (LoadUser sender : users) {
                sentCount += sender.sent.size();
            }
            assertThat(sentCount).isEqualTo(total);
            int duplicates = 0;
            int unique = 0;
            int resends = 0;
            int reconnects = 0;
            for (LoadUser recipient : users) {
                Map<String, Integer> copies = new HashMap<>();
                Map<String, Integer> lastIndex = new HashMap<>();
                for (LoadUser.Delivered d : recipient.messages()) {
                    copies.merge(d.id(), 1, Integer::sum);
                    int index = Integer.parseInt(d.id().substring(d.id().indexOf('-') + 1));
                    Integer before = lastIndex.put(d.from(), index);
                    assertThat(before == null || before < index)
                            .as("%s received %s after message %d of %s", recipient.name, d.id(), before, d.from())
                            .isTrue();
                    assertThat(d.id()).startsWith(d.from() + "-");
                }
                assertThat(copies).as("messages %s received under two seqs", recipient.name)
                        .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
                duplicates += recipient.duplicates.get();
                unique += recipient.messages().size();
                resends += recipient.resends.get();
                reconnects += recipient.reconnects.get();
            }
            for (LoadUser sender : users) {
                for (LoadUser.Sent s : sender.sent) {
                    assertThat(byName.get(s.to()).messages()).as("%s -> %s", s.id(), s.to())
                            .filteredOn(d -> d.id().equals(s.id())).hasSize(1);
                }
            }
            assertThat(reconnects).as("edge-0's users reconnected to edge-1").isGreaterThanOrEqualTo(USERS / 2);
            assertThat(killedAt).as("victims killed during the load").hasSize(3);
            assertThat(List.of(kafka.broker(brokerVictim), edge0, router1))
                    .allSatisfy(victim -> assertThat(victim.alive()).as(victim.name()).isFalse());
            assertThat(List.of(edge1, router2, cluster.service("cdc").process(), cluster.service("flink-groups").process()))
                    .as("survivors").allSatisfy(survivor -> assertThat(survivor.alive()).as(survivor.name()).isTrue());

            long groupAfter = sendToGroupAndAwait(groupSender, groupReader, group, "g-after");
            LOG.info("group message after the kills delivered in {} ms", groupAfter);

            StringBuilder figures = new StringBuilder();
            figures.append(String.format("messages sent=%d delivered(unique)=%d duplicates-dropped-by-seq=%d re-sends=%d "
                            + "reconnections=%d load=%d ms%n", sentCount, unique, duplicates, resends, reconnects,
                    ms(loadEnd - loadStart)));
            for (var kill : killedAt.entrySet()) {
                figures.append(String.format("kill -9 %s: every user got a sent again after %d ms; every user received a "
                                + "message sent after the kill %d ms after it%n", kill.getKey(),
                        ms(LoadUser.sendRecovery(users, kill.getValue()) - kill.getValue()),
                        ms(LoadUser.deliveryRecovery(users, kill.getValue()) - kill.getValue())));
            }
            watcher.join(Duration.ofSeconds(5));
            watcher.interrupt();
            figures.append(String.format("router-1 killed: router-2 owned all %d tasks (consumer group) after %d ms%n",
                    PARTITIONS, ms(takeover.get())));
            figures.append(String.format("group message (MariaDB -> CDC -> Flink -> router -> edge): %d ms before the "
                    + "kills, %d ms after them%n", groupBefore, groupAfter));
            LOG.info("figures:\n{}", figures);
            Files.writeString(logs.resolve("figures.txt"), figures.toString());
        } finally {
            acks.shutdownNow();
            users.forEach(LoadUser::close);
            for (ChatClient c : new ChatClient[] {groupSender, groupReader}) {
                if (c != null) {
                    c.abort();
                }
            }
            cluster.close();
            List<JavaProcesses.Child> left = cluster.survivors();
            assertThat(left).as("child processes left behind").isEmpty();
        }
    }

    private static String createGroup(String base, String creator, String... members) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/groups"))
                .header("Authorization", "Bearer " + ChatClient.devToken(base, creator))
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("name", "it", "members", List.of(members)))))
                .build();
        HttpResponse<String> res = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
        return Json.MAPPER.readTree(res.body()).get("id").asText();
    }

    /**
     * Sends {@code id} to the group and waits (up to 2 minutes: the Flink job may be restarting after
     * a broker died) until the other member has it; returns the milliseconds from send to delivery.
     */
    private static long sendToGroupAndAwait(ChatClient sender, ChatClient reader, String group, String id) {
        long start = System.nanoTime();
        sender.sendToGroup(group, id, "hello " + id);
        long deadline = start + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode error : sender.drain("error", Duration.ofMillis(1))) {
                throw new AssertionError("group message " + id + " refused: " + error);
            }
            for (JsonNode msg : reader.drain("msg", Duration.ofMillis(200))) {
                if (msg.path("id").asText().equals(id)) {
                    assertThat(msg.path("to").path("group").asText()).isEqualTo(group);
                    return ms(System.nanoTime() - start);
                }
            }
        }
        throw new AssertionError("group message " + id + " not delivered within 2 minutes");
    }

    /** Kills {@code victim} on a thread of its own once {@code threshold} messages have got {@code sent}. */
    private static void killWhen(AtomicInteger progress, int threshold, String name, JavaProcesses.Child victim,
                                 Map<String, Long> killedAt) {
        Thread.ofVirtual().start(() -> {
            try {
                while (progress.get() < threshold) {
                    Thread.sleep(20);
                }
                synchronized (killedAt) {
                    killedAt.put(name, System.nanoTime());
                }
                victim.kill();
                LOG.info("kill -9 {} (pid {}) after {} messages", name, victim.pid(), progress.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** user-events partitions held by each router instance (empty unless the group is stable). */
    private static Map<String, Integer> userEventPartitionsPerMember(Admin admin) throws Exception {
        return RouterGroup.counts(admin, APP_ID, Topics.USER_EVENTS);
    }

    private static int missing(List<LoadUser> users, Map<String, LoadUser> byName) {
        int missing = 0;
        for (LoadUser sender : users) {
            for (LoadUser.Sent s : sender.sent) {
                LoadUser r = byName.get(s.to());
                if (r.delivered.values().stream().noneMatch(d -> d.id().equals(s.id()))) {
                    missing++;
                }
            }
        }
        return missing;
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
