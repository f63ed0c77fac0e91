package io.pipechat.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.embedded.testing.LoadUser;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.protocol.Topics;
import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.cdc.ConnectClient;
import io.pipechat.cdc.TopicReader;
import io.pipechat.local.cluster.ConnectCluster;
import io.pipechat.local.cluster.FlinkCluster;
import io.pipechat.local.cluster.FlinkJobSupervisor;
import io.pipechat.local.cluster.FlinkRest;
import io.pipechat.groups.GroupsJob;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The failure test of issues 8 and 17, on the multi-process cluster of {@code scripts/cluster.sh}
 * ({@link ProcessCluster}): 3 Kafka brokers (KRaft, RF 3, min ISR 2), MariaDB, Debezium on two Kafka
 * Connect workers, the group job on a Flink session cluster (JobManager and TaskManager JVMs, RocksDB,
 * kept running by {@link FlinkJobSupervisor}), 2 routers (one Streams application, standby replicas
 * 1), the notifier and 2 edges (delivery partitions 0 and 1), each its own process.
 *
 * <p>{@code chaos.users} users (default {@value #DEFAULT_USERS}) spread over both edges and over
 * groups of six send {@code chaos.messages} messages each (default {@value #DEFAULT_MESSAGES}; every
 * third to their group, the others to the other users in turn), one at a time, re-sending whatever
 * got no {@code sent}, reconnecting to the other edge when theirs dies, acking what they receive.
 * During that load, in turn, triggered by progress (a share of all messages confirmed), not by the
 * clock: {@code kill -9} of the leader of {@code chat.user-events} partition 0, of edge 0, of router
 * 1, of the TaskManager, of the JobManager, of the Connect worker running the CDC task, and a restart
 * of the database. A CDC probe (a group created through the API, its member rows awaited on the CDC
 * topic) runs after the Connect kill and after the database restart; a group created after all of it
 * gets a message through MariaDB, CDC, Flink and the routers.
 *
 * <p>Proves: every message that got {@code sent} reaches each of its recipients (the user, or every
 * other member of the group) exactly once after the client drops seqs it has already seen, and in
 * send order per (sender, conversation); the surviving router owns every task; the CDC task runs on
 * the surviving worker. Writes the figures (messages, duplicates dropped, re-sends, reconnections, and
 * per disruption how long until every user got a {@code sent} again, until every user received a
 * direct message sent after it, until every group got a message sent after it through, and what the
 * supervisor and Connect did) to {@code target/cluster-it/failure/figures.txt}.
 *
 * <p>The full run of issue 17 (100,000 messages) is the same test with larger numbers:
 * {@code -Dchaos.users=50 -Dchaos.messages=2000 -Dchaos.gap-ms=100} (docs/OPERATIONS.md).
 */
class ClusterFailureIT {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterFailureIT.class);
    static final int DEFAULT_USERS = 24;
    static final int DEFAULT_MESSAGES = 150;
    static final int USERS = Integer.getInteger("chaos.users", DEFAULT_USERS);
    static final int MESSAGES = Integer.getInteger("chaos.messages", DEFAULT_MESSAGES);
    static final Duration GAP = Duration.ofMillis(Integer.getInteger("chaos.gap-ms", 150));
    static final int GROUP_SIZE = 6;
    static final int PARTITIONS = 6;
    private static final String APP_ID = ProcessCluster.ROUTER_APPLICATION_ID;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Flink's Prometheus name of the membership deserializer's counter of change rows read. */
    private static final String MEMBERSHIP_CHANGES = "flink_taskmanager_job_task_operator_deserializer_group_members_cdc_changes";

    @Test
    @Timeout(value = 90, unit = TimeUnit.MINUTES) // every wait inside is bounded; the CI-sized run takes 6-8 minutes
    void everySentMessageArrivesOnceAndInOrderThroughKillsOfEveryKindOfProcessAndADatabaseRestart() throws Exception {
        Path logs = Path.of("target", "cluster-it", "failure");
        List<LoadUser> users = new ArrayList<>();
        AutoCloseable acks = () -> { };
        long t0 = System.nanoTime();
        ProcessCluster cluster = ProcessCluster.start(ProcessCluster.Options.ephemeral().withLogDir(logs)
                .withSettings(Map.of("edge.rate.frames-per-second", "1000", "edge.rate.burst", "1000")));
        ChatClient groupSender = null;
        ChatClient groupReader = null;
        Throwable failure = null;
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

            // Groups: MariaDB -> CDC (Connect) -> Flink -> routers, created on the surviving edge (edge-1).
            String base1 = bases.get(1);
            for (int u = 0; u < USERS; u++) {
                String name = String.format("u%02d", u);
                users.add(new LoadUser(name, bases, u % 2, ChatClient.devToken(bases.get(u % 2), name)));
            }
            int groups = Math.max(1, USERS / GROUP_SIZE);
            List<String> groupIds = new ArrayList<>();
            Map<String, List<String>> members = new HashMap<>();
            for (int g = 0; g < groups; g++) {
                List<String> names = new ArrayList<>();
                for (int u = g; u < USERS; u += groups) {
                    names.add(users.get(u).name);
                }
                String id = createGroup(base1, names.getFirst(), names.subList(1, names.size()).toArray(String[]::new));
                groupIds.add(id);
                members.put(LoadUser.GROUP + id, names);
            }
            String group = createGroup(base1, "g-alice", "g-bob");
            groupSender = ChatClient.connect(base1, ChatClient.devToken(base1, "g-alice"), "it");
            groupReader = ChatClient.connect(base1, ChatClient.devToken(base1, "g-bob"), "it");
            // The job holds a message from a sender it does not know as a member for 5 s, then rejects it
            // (not_member). It has just started on a busy machine: wait until it has read every member row.
            await("the group job read the membership").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> PrometheusText.value(PrometheusText.scrape(cluster.service(FlinkCluster.TASKMANAGER).metricsUrl()),
                            MEMBERSHIP_CHANGES).orElse(0) >= USERS + 2);
            long groupBefore = sendToGroupAndAwait(groupSender, groupReader, group, "g-before");
            LOG.info("group message before the kills delivered in {} ms", groupBefore);

            acks = LoadUser.keepConnected(users, Duration.ofMillis(300));
            AtomicInteger progress = new AtomicInteger();
            int planned = USERS * MESSAGES;
            // The load goes on until the last disruption has recovered (each waits for the one before).
            java.util.concurrent.atomic.AtomicBoolean chaosDone = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicReference<String> chaosError = new java.util.concurrent.atomic.AtomicReference<>();
            List<Future<?>> senders = new ArrayList<>();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            long loadStart = System.nanoTime();
            for (int u = 0; u < USERS; u++) {
                LoadUser user = users.get(u);
                int me = u;
                String myGroup = LoadUser.GROUP + groupIds.get(u % groups);
                // Every third message to the user's group, the others to every other user in turn.
                senders.add(pool.submit(() -> {
                    user.sendAll(MESSAGES, () -> !chaosDone.get(),
                            k -> k % 3 == 2 ? myGroup : users.get((me + 1 + k % (USERS - 1)) % USERS).name, GAP, progress);
                    return null;
                }));
            }

            // The victims, in turn: the leader of chat.user-events partition 0 (so leadership must move),
            // edge-0, router-1, the TaskManager, the JobManager, the Connect worker running the CDC task; then
            // the database restarts.
            int brokerVictim;
            try (Admin admin = kafka.admin()) {
                brokerVictim = admin.describeTopics(List.of(Topics.USER_EVENTS)).allTopicNames().get()
                        .get(Topics.USER_EVENTS).partitions().getFirst().leader().id();
            }
            ConnectCluster connect = cluster.connect();
            int connectVictim = connectWorkerOfTask(cluster);
            JavaProcesses.Child connectSurvivor = connect.worker(3 - connectVictim);
            Map<String, Long> disruptedAt = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());
            Map<String, Long> cdcProbes = new java.util.concurrent.ConcurrentHashMap<>();
            AtomicLong connectFailover = new AtomicLong();
            Map<String, Long> flinkRecovery = new java.util.concurrent.ConcurrentHashMap<>();
            AtomicLong databaseRestart = new AtomicLong();
            Recovery recovery = new Recovery(users, members, disruptedAt);
            Thread chaos = Thread.ofVirtual().start(() -> {
                try {
                    at(progress, planned * 10 / 100, "kill -9 broker-" + brokerVictim, recovery, () -> kafka.broker(brokerVictim).kill());
                    at(progress, planned * 22 / 100, "kill -9 edge-0", recovery, edge0::kill);
                    at(progress, planned * 34 / 100, "kill -9 router-1", recovery, router1::kill);
                    FlinkRest flinkRest = cluster.flink().rest();
                    at(progress, planned * 46 / 100, "kill -9 flink-taskmanager", recovery, () -> {
                        List<String> before = flinkRest.taskManagerIds();
                        long killed = System.nanoTime();
                        cluster.flink().taskManager().kill();
                        // Ready when the JobManager has let the dead TaskManager go and every task runs on the new one.
                        awaitFlink("the job on the new TaskManager", () -> {
                            List<String> now = flinkRest.taskManagerIds();
                            return now.size() == 1 && !before.contains(now.getFirst())
                                    && flinkRest.allTasksRunning(cluster.flinkSupervisor().currentJob());
                        });
                        flinkRecovery.put("kill -9 flink-taskmanager", System.nanoTime() - killed);
                    });
                    at(progress, planned * 58 / 100, "kill -9 flink-jobmanager", recovery, () -> {
                        String job = cluster.flinkSupervisor().currentJob();
                        long killed = System.nanoTime();
                        cluster.flink().jobManager().kill();
                        awaitFlink("the job resubmitted to the new JobManager", () -> flinkRest.activeJob(GroupsJob.NAME)
                                .filter(j -> !j.id().equals(job)).map(j -> flinkRest.allTasksRunning(j.id())).orElse(false));
                        flinkRecovery.put("kill -9 flink-jobmanager", System.nanoTime() - killed);
                    });
                    at(progress, planned * 70 / 100, "kill -9 connect-" + connectVictim, recovery, () -> {
                        long killed = System.nanoTime();
                        connect.worker(connectVictim).kill();
                        connectFailover.set(awaitConnectorOn(cluster, 3 - connectVictim) - killed);
                        cdcProbes.put("kill -9 connect-" + connectVictim, cdcProbe(cluster, base1, "connect", killed));
                    });
                    at(progress, planned * 82 / 100, "database restart", recovery, () -> {
                        long start = System.nanoTime();
                        cluster.restartDatabase();
                        databaseRestart.set(System.nanoTime() - start);
                        cdcProbes.put("database restart", cdcProbe(cluster, base1, "db", start));
                    });
                    recovery.awaitLast();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    LOG.error("chaos stopped", e);
                    chaosError.set(e.toString());
                } finally {
                    chaosDone.set(true);
                }
            });

            // When the surviving router owns every task (group description), measured from the router kill.
            AtomicLong takeover = new AtomicLong();
            Thread watcher = Thread.ofVirtual().start(() -> {
                try (Admin admin = kafka.admin()) {
                    while (!Thread.currentThread().isInterrupted()) {
                        Long killed = disruptedAt.get("kill -9 router-1");
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
            // The paced time, or 30 messages a second overall (this machine sustains about 50), plus the disruptions.
            long sendBudgetMinutes = 12 + Math.max((long) planned * GAP.toMillis() / USERS, planned / 30 * 1000L) / 60_000;
            for (Future<?> f : senders) {
                f.get(sendBudgetMinutes, TimeUnit.MINUTES);
            }
            int total = progress.get();
            pool.shutdown();
            long loadEnd = System.nanoTime();
            LOG.info("all {} messages confirmed with sent after {} ms", total, ms(loadEnd - loadStart));
            chaos.join(Duration.ofMinutes(1));
            assertThat(chaosError.get()).as("a disruption the cluster did not recover from").isNull();

            // Every sent message must reach its recipients (the survivors take over the killed processes' work).
            Map<String, LoadUser> byName = new HashMap<>();
            users.forEach(u -> byName.put(u.name, u));
            await("every sent message delivered").atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(500))
                    .until(() -> missing(users, byName, members) == 0);
            LOG.info("all delivered {} ms after the last sent", ms(System.nanoTime() - loadEnd));

            try (Admin admin = kafka.admin()) {
                await("the surviving router owns every task").atMost(Duration.ofSeconds(90))
                        .until(() -> userEventPartitionsPerMember(admin).values().stream().toList(), l -> l.equals(List.of(PARTITIONS)));
            }

            // Exactly once after de-duplication by seq, and in send order per (sender, conversation).
            int sentCount = 0;
            int groupSent = 0;
            for (LoadUser sender : users) {
                sentCount += sender.sent.size();
                groupSent += (int) sender.sent.stream().filter(LoadUser.Sent::toGroup).count();
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
                    Integer before = lastIndex.put(d.from() + " " + d.conversation(), index);
                    assertThat(before == null || before < index)
                            .as("%s received %s (%s) after message %d of %s", recipient.name, d.id(), d.conversation(),
                                    before, d.from())
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
            Map<String, Map<String, Long>> received = new HashMap<>();
            users.forEach(u -> received.put(u.name, u.messages().stream()
                    .collect(java.util.stream.Collectors.groupingBy(LoadUser.Delivered::id, java.util.stream.Collectors.counting()))));
            for (LoadUser sender : users) {
                for (LoadUser.Sent s : sender.sent) {
                    for (String to : recipients(s, sender.name, members)) {
                        Long n = received.get(to).get(s.id());
                        if (n == null || n != 1) {
                            throw new AssertionError(s.id() + " -> " + to + " received " + n + " times");
                        }
                    }
                }
            }
            assertThat(reconnects).as("edge-0's users reconnected to edge-1").isGreaterThanOrEqualTo(USERS / 2);
            assertThat(disruptedAt).as("disruptions during the load").hasSize(7);
            assertThat(List.of(kafka.broker(brokerVictim), edge0, router1, connect.worker(connectVictim)))
                    .allSatisfy(victim -> assertThat(victim.alive()).as(victim.name()).isFalse());
            assertThat(List.of(edge1, router2, connectSurvivor, cluster.flink().jobManager(), cluster.flink().taskManager()))
                    .as("survivors, and the Flink processes the supervisor started again")
                    .allSatisfy(survivor -> assertThat(survivor.alive()).as(survivor.name()).isTrue());
            assertThat(cluster.connect().client().status(io.pipechat.cdc.CdcConfig.defaults().name()).running()).isTrue();

            // A group made after all of it: MariaDB (restarted) -> CDC (the other worker) -> Flink (restarted) -> router.
            String after = createGroup(base1, "g-alice", "g-bob");
            // New connections: the first ones sat idle through the load (a long run outlasts the idle timeout).
            groupSender.abort();
            groupReader.abort();
            groupSender = ChatClient.connect(base1, ChatClient.devToken(base1, "g-alice"), "it");
            groupReader = ChatClient.connect(base1, ChatClient.devToken(base1, "g-bob"), "it");
            long groupAfter = sendToGroupAndAwait(groupSender, groupReader, after, "g-after");
            LOG.info("group message in a group made after the disruptions delivered in {} ms", groupAfter);

            StringBuilder figures = new StringBuilder();
            figures.append(String.format("messages sent=%d (%d to %d groups of %d) deliveries(unique)=%d "
                            + "duplicates-dropped-by-seq=%d re-sends=%d reconnections=%d load=%d ms%n", sentCount, groupSent,
                    groups, GROUP_SIZE, unique, duplicates, resends, reconnects, ms(loadEnd - loadStart)));
            for (var d : disruptedAt.entrySet()) {
                figures.append(String.format("%s: every user got a sent again after %d ms; every user received a direct "
                                + "message sent after it %d ms after it; every group got one through %d ms after it%n",
                        d.getKey(), ms(LoadUser.sendRecovery(users, d.getValue()) - d.getValue()),
                        ms(directDeliveryRecovery(users, d.getValue()) - d.getValue()),
                        ms(groupRecovery(users, members, d.getValue()) - d.getValue())));
            }
            watcher.join(Duration.ofSeconds(5));
            watcher.interrupt();
            figures.append(String.format("router-1 killed: router-2 owned all %d tasks (consumer group) after %d ms%n",
                    PARTITIONS, ms(takeover.get())));
            for (FlinkJobSupervisor.Event e : cluster.flinkSupervisor().events()) {
                var before = disruptedAt.entrySet().stream().filter(d -> d.getValue() <= e.nanos()).reduce((a, b) -> b);
                figures.append(before.map(d -> String.format("flink supervisor, %d ms after %s: %s%n",
                        ms(e.nanos() - d.getValue()), d.getKey(), e.what()))
                        .orElse(String.format("flink supervisor, at start: %s%n", e.what())));
            }
            flinkRecovery.forEach((what, nanos) -> figures.append(String.format(
                    "%s: every task of the job running again (Flink REST) %d ms after it%n", what, ms(nanos))));
            figures.append(String.format("connect-%d killed: the CDC task ran on connect-%d after %d ms%n", connectVictim,
                    3 - connectVictim, ms(connectFailover.get())));
            figures.append(String.format("database restart (clean stop, start): %d ms%n", ms(databaseRestart.get())));
            cdcProbes.forEach((what, nanos) -> figures.append(String.format(
                    "%s: a group created through the API reached the CDC topic %d ms after it%n", what, ms(nanos))));
            figures.append(String.format("group message (MariaDB -> CDC -> Flink -> router -> edge): %d ms before the "
                    + "disruptions, %d ms in a group made after them%n", groupBefore, groupAfter));
            LOG.info("figures:\n{}", figures);
            Files.writeString(logs.resolve("figures.txt"), figures.toString());
        } catch (Throwable t) {
            failure = t;
            throw t;
        } finally {
            acks.close();
            users.forEach(LoadUser::close);
            for (ChatClient c : new ChatClient[] {groupSender, groupReader}) {
                if (c != null) {
                    c.abort();
                }
            }
            cluster.close();
            List<JavaProcesses.Child> left = cluster.survivors();
            if (failure == null) {
                assertThat(left).as("child processes left behind").isEmpty();
            } else if (!left.isEmpty()) {
                failure.addSuppressed(new AssertionError("child processes left behind: " + left));
            }
        }
    }

    private static String createGroup(String base, String creator, String... members) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/groups"))
                .header("Authorization", "Bearer " + ChatClient.devToken(base, creator))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("name", "it", "members", List.of(members)))))
                .build();
        HttpResponse<String> res = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
        return Json.MAPPER.readTree(res.body()).get("id").asText();
    }

    /**
     * Creates a group through the API (retrying while the database is away) and waits until its member
     * rows are on the CDC topic; returns the nanoseconds from {@code since}.
     */
    private static long cdcProbe(ProcessCluster cluster, String base, String name, long since) {
        String group = null;
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (group == null && System.nanoTime() < deadline) {
            try {
                group = createGroup(base, "probe-" + name, "probe-" + name + "-2");
            } catch (Exception | AssertionError notYet) {
                sleep(200);
            }
        }
        assertThat(group).as("group API during the CDC probe " + name).isNotNull();
        String id = group;
        try (TopicReader rows = new TopicReader(cluster.kafka().bootstrapServers(), Topics.GROUP_MEMBERS_CDC)) {
            rows.awaitUntil(seen -> seen.stream().anyMatch(r -> r.key() != null && r.key().contains(id)), Duration.ofMinutes(2));
        }
        return System.nanoTime() - since;
    }

    /** Waits (up to 3 minutes) until {@code ready} holds; REST errors while Flink restarts count as not yet. */
    private static void awaitFlink(String what, java.util.concurrent.Callable<Boolean> ready) {
        await(what).atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(ready);
    }

    /** The Connect worker (1 or 2) that runs the CDC connector's task. */
    private static int connectWorkerOfTask(ProcessCluster cluster) {
        ConnectClient.Status status = cluster.connect().client().status(io.pipechat.cdc.CdcConfig.defaults().name());
        String worker = status.tasks().getFirst().worker();
        for (int w = 1; w <= cluster.connect().size(); w++) {
            if (cluster.connect().url(w).endsWith(":" + worker.substring(worker.lastIndexOf(':') + 1))) {
                return w;
            }
        }
        throw new IllegalStateException("task on unknown worker " + worker);
    }

    /** Waits until the CDC task runs on worker {@code w}; returns {@link System#nanoTime()} then. */
    private static long awaitConnectorOn(ProcessCluster cluster, int w) {
        ConnectClient client = new ConnectClient(cluster.connect().url(w));
        String port = cluster.connect().url(w).substring(cluster.connect().url(w).lastIndexOf(':'));
        await("the CDC task on connect-" + w).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> {
                    ConnectClient.Status s = client.status(io.pipechat.cdc.CdcConfig.defaults().name());
                    return s.running() && s.tasks().getFirst().worker().endsWith(port);
                });
        return System.nanoTime();
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

    /**
     * A disruption (a kill, a restart), on the chaos thread, once {@code threshold} messages have got
     * {@code sent} and the cluster has recovered from the disruption before (so that each recovery
     * time is its own). {@code disruption} returns once the disrupted part is back by its own measure.
     */
    private static void at(AtomicInteger progress, int threshold, String name, Recovery recovery,
                           Runnable disruption) throws InterruptedException {
        recovery.awaitLast();
        while (progress.get() < threshold) {
            Thread.sleep(20);
        }
        recovery.disrupted(name);
        LOG.info("{} after {} messages", name, progress.get());
        disruption.run();
        recovery.ready();
    }

    /**
     * The disruptions so far and whether the cluster has recovered from the last one: every user received a
     * direct message first sent after it was over and every group got such a message through to all its
     * other members.
     */
    private static final class Recovery {
        private static final Duration LIMIT = Duration.ofMinutes(3);
        private final List<LoadUser> users;
        private final Map<String, List<String>> members;
        private final Map<String, Long> disruptedAt;
        private volatile long readyAt;
        private volatile String lastName;

        Recovery(List<LoadUser> users, Map<String, List<String>> members, Map<String, Long> disruptedAt) {
            this.users = users;
            this.members = members;
            this.disruptedAt = disruptedAt;
        }

        void disrupted(String name) {
            lastName = name;
            disruptedAt.put(name, System.nanoTime());
        }

        /** The disruption's own wait (a process back, a task moved) is over: traffic must flow from now on. */
        void ready() {
            readyAt = System.nanoTime();
        }

        /** Waits until messages sent after the last disruption was over got through; throws after {@link #LIMIT}. */
        void awaitLast() throws InterruptedException {
            long at = readyAt;
            if (at == 0) {
                return;
            }
            long deadline = System.nanoTime() + LIMIT.toNanos();
            while (!(deliveredAfter(users, at) && groupsThroughAfter(users, members, at))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no messages through within " + LIMIT + " after " + lastName);
                }
                Thread.sleep(200);
            }
        }
    }

    /** True once every user received a direct message first sent after {@code at}. */
    private static boolean deliveredAfter(List<LoadUser> users, long at) {
        Map<String, Long> firstSent = new HashMap<>();
        users.forEach(u -> u.sent.stream().filter(s -> !s.toGroup()).forEach(s -> firstSent.put(s.id(), s.firstSendNanos())));
        return users.stream().allMatch(u -> u.messages().stream().anyMatch(d -> firstSent.getOrDefault(d.id(), 0L) > at));
    }

    /** True once every group had a message first sent after {@code at} delivered to all its other members. */
    private static boolean groupsThroughAfter(List<LoadUser> users, Map<String, List<String>> members, long at) {
        return members.keySet().stream().allMatch(g -> throughAfter(users, members, g, at));
    }

    private static boolean throughAfter(List<LoadUser> users, Map<String, List<String>> members, String group, long at) {
        Map<String, LoadUser> byName = new HashMap<>();
        users.forEach(u -> byName.put(u.name, u));
        for (LoadUser sender : users) {
            for (LoadUser.Sent s : sender.sent) {
                if (s.to().equals(group) && s.firstSendNanos() > at && recipients(s, sender.name, members).stream()
                        .allMatch(to -> byName.get(to).messages().stream().anyMatch(d -> d.id().equals(s.id())))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** user-events partitions held by each router instance (empty unless the group is stable). */
    private static Map<String, Integer> userEventPartitionsPerMember(Admin admin) throws Exception {
        return RouterGroup.counts(admin, APP_ID, Topics.USER_EVENTS);
    }

    /** Who must get {@code s}: its user, or every member of its group but the sender. */
    private static List<String> recipients(LoadUser.Sent s, String sender, Map<String, List<String>> members) {
        return s.toGroup() ? members.get(s.to()).stream().filter(m -> !m.equals(sender)).toList() : List.of(s.to());
    }

    private static int missing(List<LoadUser> users, Map<String, LoadUser> byName, Map<String, List<String>> members) {
        Map<String, java.util.Set<String>> ids = new HashMap<>();
        byName.forEach((name, u) -> ids.put(name, u.delivered.values().stream().map(LoadUser.Delivered::id)
                .collect(java.util.stream.Collectors.toSet())));
        int missing = 0;
        for (LoadUser sender : users) {
            for (LoadUser.Sent s : sender.sent) {
                for (String to : recipients(s, sender.name, members)) {
                    if (!ids.get(to).contains(s.id())) {
                        missing++;
                    }
                }
            }
        }
        return missing;
    }

    /** When the last user received its first direct message that was first sent after {@code at}. */
    private static long directDeliveryRecovery(List<LoadUser> users, long at) {
        Map<String, Long> firstSent = new HashMap<>();
        users.forEach(u -> u.sent.stream().filter(s -> !s.toGroup()).forEach(s -> firstSent.put(s.id(), s.firstSendNanos())));
        long worst = at;
        for (LoadUser u : users) {
            worst = Math.max(worst, u.messages().stream().filter(d -> firstSent.getOrDefault(d.id(), 0L) > at)
                    .mapToLong(LoadUser.Delivered::atNanos).min().orElse(at));
        }
        return worst;
    }

    /**
     * When the last group had a message first sent after {@code at} delivered to all its other members
     * (each group's earliest such message; the worst group).
     */
    private static long groupRecovery(List<LoadUser> users, Map<String, List<String>> members, long at) {
        Map<String, LoadUser> byName = new HashMap<>();
        users.forEach(u -> byName.put(u.name, u));
        Map<String, Long> firstThrough = new HashMap<>();
        for (LoadUser sender : users) {
            for (LoadUser.Sent s : sender.sent) {
                if (!s.toGroup() || s.firstSendNanos() <= at) {
                    continue;
                }
                long all = 0;
                for (String to : recipients(s, sender.name, members)) {
                    all = Math.max(all, byName.get(to).messages().stream().filter(d -> d.id().equals(s.id()))
                            .mapToLong(LoadUser.Delivered::atNanos).min().orElse(Long.MAX_VALUE));
                }
                firstThrough.merge(s.to(), all, Math::min);
            }
        }
        return firstThrough.values().stream().mapToLong(Long::longValue).max().orElse(at);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
