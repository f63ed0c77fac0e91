package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.edge.FuzzFrames.Answer;
import io.pipechat.edge.FuzzFrames.Binary;
import io.pipechat.edge.FuzzFrames.ControlPing;
import io.pipechat.edge.FuzzFrames.Error;
import io.pipechat.edge.FuzzFrames.Flood;
import io.pipechat.edge.FuzzFrames.Fragmented;
import io.pipechat.edge.FuzzFrames.Pong;
import io.pipechat.edge.FuzzFrames.Sent;
import io.pipechat.edge.FuzzFrames.Step;
import io.pipechat.edge.FuzzFrames.Text;
import io.pipechat.edge.FuzzFrames.Violation;
import io.pipechat.edge.session.ClientSession;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.embedded.testing.PrometheusText;
import io.pipechat.protocol.Topics;
import io.pipechat.router.Router;
import io.pipechat.router.RouterConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzz test of the client protocol: {@link FuzzFrames} scripts from {@value #ATTACKERS} connections
 * at a time (each a new connection of one of {@value #ATTACKERS} users, again and again) until
 * {@code fuzz.frames} frames (100,000 by default) have been sent, against a real edge and router on a
 * real broker. Meanwhile alice and bob, well-behaved, talk to each other without pause.
 *
 * <p>It asserts that the edge never crashes (its health stays UP and it keeps answering), that every
 * connection gets exactly the answers the protocol promises in the order of its frames (an
 * {@code error} per bad frame, a {@code pong} per ping, {@code sent} or {@code rate_limited} per valid
 * send), that a connection is only ever closed by the edge with the documented code for what it did
 * (4429 for a flood, 1013 "try again"; on a raw socket, 1009 for a frame above 4x the limit and 1002 for a breach of the
 * WebSocket protocol), that no session outlives its connection however the connection ended, and that
 * every message alice and bob got a {@code sent} for reached the other, in order, once.
 *
 * <p>Run again with the printed seed: {@code -Dfuzz.seed=N} (the interleaving of connections differs;
 * each connection's script is the same). {@code -Dfuzz.frames=N} for a longer run.
 */
@ExtendWith(KafkaExtension.class)
class FrameFuzzIT {
    private static final int ATTACKERS = 8;
    private static final int FRAMES = Integer.getInteger("fuzz.frames", 100_000);
    private static final long SEED = Long.getLong("fuzz.seed", System.nanoTime());
    /** Frames one connection may send before the edge's frame bucket (burst) could run dry. */
    private static final int FRAME_BUDGET = 800;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void hostileFramesFromManyConnectionsAreAnsweredAndLeaveOtherUsersConversationsIntact(EmbeddedKafka kafka)
            throws Exception {
        System.out.println("FrameFuzzIT seed " + SEED + " (-Dfuzz.seed=" + SEED + " to repeat)");
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 2, 1);
        Map<String, String> settings = TestEdges.settings(kafka, topics);
        settings.put("edge.token.secret", "fuzz-it-secret-fuzz-it-secret-0123456789ab");
        // Only a flood (far beyond the burst) trips the frame rate. (Connections from this host are not
        // limited per address.)
        settings.put("edge.rate.frames-per-second", "200");
        settings.put("edge.rate.burst", "1000");
        // A machine as busy as CI's can take the router longer than the default 15 s to flush a mailbox.
        settings.put("edge.flush-timeout", "PT60S");
        try (Router router = Router.start(RouterConfig.defaults().withApplicationId("fuzz-" + topics.userEvents()),
                kafka.bootstrapServers(), topics, dir.resolve("router"));
             Edge edge = Edge.start(Edge.config(settings))) {
            assertThat(router.awaitRunning(Duration.ofSeconds(60))).isTrue();
            String base = "http://127.0.0.1:" + edge.port();
            Peer alice = new Peer(base, "alice", "bob");
            Peer bob = new Peer(base, "bob", "alice");
            alice.start();
            bob.start();

            Queue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicLong frames = new AtomicLong();
            AtomicInteger connections = new AtomicInteger();
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            List<String> users = new ArrayList<>(List.of("alice", "bob"));
            for (int i = 0; i < ATTACKERS; i++) {
                users.add("fuzz-" + i);
            }
            long t0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(ATTACKERS);
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < ATTACKERS; i++) {
                String user = "fuzz-" + i;
                int attacker = i;
                running.add(pool.submit(() -> {
                    String token = ChatClient.devToken(base, user);
                    for (int round = 0; frames.get() < FRAMES && failures.size() < 5; round++) {
                        long seed = SEED * 31 + attacker * 1_000_003L + round;
                        // Spread the seeds: the first values of java.util.Random for neighbouring seeds are alike.
                        Random random = new Random(new java.util.SplittableRandom(seed).nextLong());
                        // A few devices per user, as a person has: the router registers at most 8.
                        String device = "d" + round % 4;
                        String failure = random.nextInt(8) == 0
                                ? runRaw(edge.port(), token, device, FuzzFrames.VIOLATIONS.next(random), random, frames, outcomes)
                                : run(base, token, device, FuzzFrames.script(FuzzFrames.recipients(users), FRAME_BUDGET)
                                        .next(random), seed, frames, outcomes);
                        connections.incrementAndGet();
                        if (failure != null) {
                            failures.add(user + " connection " + round + " (script seed " + seed + "): " + failure);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(10, TimeUnit.MINUTES);
            }
            pool.shutdown();
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("FrameFuzzIT: %,d frames on %,d connections in %.1f s (%,.0f frames/s); closes and answers: %s;"
                    + " alice sent %d, bob sent %d meanwhile (slowest sent: %d ms, %d ms)%n", frames.get(), connections.get(),
                    seconds, frames.get() / seconds, outcomes, alice.confirmed.size(), bob.confirmed.size(),
                    alice.slowestSent, bob.slowestSent);

            assertThat(failures).as("connections whose answers broke the protocol").isEmpty();
            alice.stop();
            bob.stop();
            alice.assertGotEverythingFrom(bob);
            bob.assertGotEverythingFrom(alice);
            assertThat(alice.confirmed).as("alice's messages during the fuzz").hasSizeGreaterThanOrEqualTo(3);
            assertThat(health(base)).as("edge health").isEqualTo(200);
            // Every session of a connection that ended, however it ended, is gone: only alice's and bob's are left.
            await().atMost(WAIT).untilAsserted(() -> assertThat(PrometheusText.value(
                    PrometheusText.scrape(base + "/observe/metrics"), "pipechat_edge_connections", "edge=\"0\"").orElse(-1))
                    .as("sessions on the edge").isEqualTo(2.0));
            assertThat(edge.failure()).as("delivery consumer").isNotDone();
            alice.close();
            bob.close();
        }
    }

    /**
     * Runs one connection's script and checks every answer; returns what went wrong, or null.
     */
    private static String run(String base, String token, String device, List<Step> script, long seed,
                              AtomicLong frames, Map<String, AtomicInteger> outcomes) throws InterruptedException {
        List<Answer> expected = new ArrayList<>(); // error and pong frames, in order
        Map<String, Integer> sends = new HashMap<>(); // valid send ids -> how many
        Step closing = null;
        int floodPongs = 0;
        try (FuzzClient c = new FuzzClient(base, token, device)) {
            JsonNode welcome = c.poll(WAIT);
            if (welcome == null || !"welcome".equals(welcome.path("type").asText())) {
                return "no welcome but " + welcome;
            }
            boolean open = true;
            for (Step step : script) {
                switch (step) {
                    case Text t -> {
                        open = c.text(t.text(), true);
                        expect(t.answer(), expected, sends);
                    }
                    case Fragmented f -> {
                        for (int i = 0; i < f.parts().size() && open; i++) {
                            open = c.text(f.parts().get(i), i == f.parts().size() - 1);
                        }
                        expect(f.answer(), expected, sends);
                    }
                    case Binary b -> {
                        for (int i = 0; i < b.parts().size() && open; i++) {
                            open = c.binary(b.parts().get(i), i == b.parts().size() - 1);
                        }
                        expected.add(new Error("bad_request"));
                    }
                    case ControlPing p -> open = c.ping(p.data());
                    case Flood f -> {
                        closing = f;
                        for (int i = 0; i < f.pings() && open; i++) {
                            open = c.text("{\"type\":\"ping\"}", true);
                            floodPongs++;
                        }
                    }
                }
                frames.addAndGet(step.frames());
                if (!open) {
                    break;
                }
            }
            if (closing == null) {
                if (!open) {
                    // 1013 is the edge's documented "try again" (the router did not finish the mailbox flush in
                    // time, on a machine this busy); the answers until then must still be right.
                    Integer code = waitForClose(c);
                    if (code == null || code != ClientSession.CLOSE_SLOW_CONSUMER) {
                        return "closed by the edge with " + code + " during " + script;
                    }
                    outcomes.computeIfAbsent("close 1013", k -> new AtomicInteger()).incrementAndGet();
                    return check(c.received, expected, sends, null, 0, outcomes, true);
                }
                long barrier = 7_000_000_000_000L + seed;
                c.text("{\"type\":\"ping\",\"ts\":" + barrier + "}", true);
                expected.add(new Pong(barrier));
                if (!awaitPong(c, barrier)) {
                    return "no pong for the last ping; closed: " + c.closed.getNow(null);
                }
                // sent comes when Kafka acknowledges, after the synchronous answers.
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (answeredSends(c.received, sends) < sends.values().stream().mapToInt(Integer::intValue).sum()
                        && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                outcomes.computeIfAbsent("open", k -> new AtomicInteger()).incrementAndGet();
            } else {
                Integer code = waitForClose(c);
                int wanted = 4429;
                if (code == null || code != wanted) {
                    return "expected close " + wanted + " after " + closing + ", got " + code;
                }
                outcomes.computeIfAbsent("close " + code, k -> new AtomicInteger()).incrementAndGet();
            }
            String failure = check(c.received, expected, sends, closing, floodPongs, outcomes, false);
            return failure == null ? null : failure + "; close code: " + c.closed.getNow(null);
        }
    }

    /**
     * A connection on a raw socket: a few pings (each answered), then a {@link Violation} of the
     * WebSocket protocol, which must end the connection as documented.
     */
    private static String runRaw(int port, String token, String device, Violation violation, Random random,
                                 AtomicLong frames, Map<String, AtomicInteger> outcomes) {
        try (RawWsClient c = new RawWsClient(port, token, device)) {
            int pings = violation.first() ? 0 : random.nextInt(20);
            for (int i = 0; i < pings; i++) {
                c.frame(true, RawWsClient.TEXT, ("{\"type\":\"ping\",\"ts\":" + i + "}").getBytes(StandardCharsets.UTF_8));
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (pongs(c.texts) < pings && !c.closed.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (pongs(c.texts) != pings) {
                return "raw connection: " + pongs(c.texts) + " pongs for " + pings + " pings; closed " + c.closed.getNow(null);
            }
            try {
                violation.attack().on(c);
            } catch (IOException e) {
                // the edge may drop the connection while it is still being written to
            }
            frames.addAndGet(pings + 1);
            Integer code = c.closeCode(WAIT);
            if (code == null || violation.close() != null && !violation.close().equals(code)) {
                return "after " + violation + " expected close " + (violation.close() == null ? "of any kind" : violation.close())
                        + ", got " + code;
            }
            outcomes.computeIfAbsent("raw close " + code, k -> new AtomicInteger()).incrementAndGet();
            return null;
        } catch (IOException e) {
            return "raw connection failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static long pongs(List<String> texts) {
        return texts.stream().filter(t -> t.startsWith("{\"type\":\"pong\"")).count();
    }

    private static void expect(Answer answer, List<Answer> expected, Map<String, Integer> sends) {
        switch (answer) {
            case Sent s -> sends.merge(s.id(), 1, Integer::sum);
            case FuzzFrames.Silent s -> {
            }
            default -> expected.add(answer);
        }
    }

    private static boolean awaitPong(FuzzClient c, long ts) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode f = c.poll(Duration.ofMillis(200));
            if (f != null && "pong".equals(f.path("type").asText()) && f.path("ts").asLong() == ts) {
                return true;
            }
        }
        return false;
    }

    private static Integer waitForClose(FuzzClient c) {
        try {
            return c.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    private static int answeredSends(List<JsonNode> received, Map<String, Integer> sends) {
        int n = 0;
        for (JsonNode f : received) {
            String type = f.path("type").asText();
            if (("sent".equals(type) || "error".equals(type) && "rate_limited".equals(f.path("code").asText()))
                    && sends.containsKey(f.path("id").asText())) {
                n++;
            }
        }
        return n;
    }

    /**
     * The synchronous answers (errors, pongs) must be exactly the expected ones in order (for a flood,
     * followed by at most one pong per ping of it; {@code cutShort}, closed with 1013: a prefix of them),
     * and each valid send must have one answer (at most one on a connection the edge closed).
     */
    private static String check(List<JsonNode> received, List<Answer> expected, Map<String, Integer> sends,
                                Step closing, int floodPongs, Map<String, AtomicInteger> outcomes, boolean cutShort) {
        List<Answer> actual = new ArrayList<>();
        Map<String, Integer> sendAnswers = new HashMap<>();
        for (JsonNode f : received) {
            String type = f.path("type").asText();
            switch (type) {
                // What others send this user, and what its other devices did.
                case "welcome", "msg", "receipt", "typing", "read", "devices" -> {
                }
                case "sent" -> sendAnswers.merge(f.path("id").asText(), 1, Integer::sum);
                case "pong" -> actual.add(new Pong(f.has("ts") ? f.get("ts").asLong() : null));
                case "error" -> {
                    String code = f.path("code").asText();
                    if ("rate_limited".equals(code) && sends.containsKey(f.path("id").asText())) {
                        sendAnswers.merge(f.path("id").asText(), 1, Integer::sum);
                    } else if ("mailbox_full".equals(code) && sends.containsKey(f.path("id").asText())) {
                        // The router's answer to a message it will not store, after its sent: not in frame order.
                        outcomes.computeIfAbsent("error mailbox_full", k -> new AtomicInteger()).incrementAndGet();
                        continue;
                    } else {
                        actual.add(new Error(code));
                        if (!f.path("message").isTextual() || f.path("message").asText().isBlank()) {
                            return "an error without a message: " + f;
                        }
                    }
                    outcomes.computeIfAbsent("error " + code, k -> new AtomicInteger()).incrementAndGet();
                }
                default -> {
                    return "a frame of a type the protocol does not have: " + f;
                }
            }
        }
        for (var s : sends.entrySet()) {
            int answers = sendAnswers.getOrDefault(s.getKey(), 0);
            if (answers > s.getValue() || closing == null && !cutShort && answers != s.getValue()) {
                return "send " + s.getKey() + " (" + s.getValue() + "x) answered " + answers + " times; frames with its id: "
                        + received.stream().filter(f -> s.getKey().equals(f.path("id").asText())).toList()
                        + "; last frames: " + received.subList(Math.max(0, received.size() - 5), received.size());
            }
        }
        boolean prefix = actual.size() <= expected.size() && actual.equals(expected.subList(0, actual.size()));
        if (closing == null && !cutShort && !actual.equals(expected) || cutShort && !prefix
                || closing instanceof Flood && !floodAnswers(actual, expected, floodPongs)) {
            return "answers differ at " + firstDifference(actual, expected) + ": expected " + expected.size()
                    + ", got " + actual.size() + (closing == null ? "" : " (closed after " + closing + ")");
        }
        return null;
    }

    private static boolean floodAnswers(List<Answer> actual, List<Answer> expected, int floodPongs) {
        if (actual.size() < expected.size() || actual.size() > expected.size() + floodPongs
                || !actual.subList(0, expected.size()).equals(expected)) {
            return false;
        }
        return actual.subList(expected.size(), actual.size()).stream().allMatch(a -> a.equals(new Pong(null)));
    }

    private static String firstDifference(List<Answer> actual, List<Answer> expected) {
        for (int i = 0; i < Math.min(actual.size(), expected.size()); i++) {
            if (!actual.get(i).equals(expected.get(i))) {
                return "answer " + i + ": expected " + expected.get(i) + ", got " + actual.get(i);
            }
        }
        return "answer " + Math.min(actual.size(), expected.size());
    }

    private static int health(String base) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/observe/health")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /**
     * A well-behaved user: sends the next message to {@code other} when the last one got its
     * {@code sent}, about 10 a second, reads everything, acks every 10 messages.
     */
    private static final class Peer {
        final String user;
        final String other;
        final FuzzClient client;
        final List<String> confirmed = new CopyOnWriteArrayList<>();
        final List<JsonNode> messages = new CopyOnWriteArrayList<>();
        final List<JsonNode> errors = new CopyOnWriteArrayList<>();
        private final Semaphore sent = new Semaphore(0);
        private final AtomicBoolean sending = new AtomicBoolean(true);
        private Thread sender;
        private Thread reader;
        volatile long slowestSent;

        Peer(String base, String user, String other) {
            this.user = user;
            this.other = other;
            this.client = new FuzzClient(base, ChatClient.devToken(base, user), "phone");
        }

        void start() {
            reader = Thread.ofPlatform().name("fuzz-" + user + "-reader").start(this::read);
            sender = Thread.ofPlatform().name("fuzz-" + user + "-sender").start(this::send);
        }

        private void send() {
            try {
                for (int i = 1; sending.get(); i++) {
                    String id = user + "-" + i;
                    client.text("{\"type\":\"send\",\"id\":\"" + id + "\",\"to\":{\"user\":\"" + other
                            + "\"},\"body\":\"" + id + "\"}", true);
                    long start = System.nanoTime();
                    if (!sent.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                        errors.add(textNode("no sent for " + id));
                        return;
                    }
                    confirmed.add(id);
                    slowestSent = Math.max(slowestSent, (System.nanoTime() - start) / 1_000_000);
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void read() {
            long lastSeq = 0;
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    JsonNode f = client.poll(Duration.ofMillis(200));
                    if (f == null) {
                        continue;
                    }
                    switch (f.path("type").asText()) {
                        case "sent" -> sent.release();
                        case "msg" -> {
                            lastSeq = Math.max(lastSeq, f.get("seq").asLong());
                            if (other.equals(f.path("from").asText())) {
                                messages.add(f);
                            }
                            if (messages.size() % 10 == 0) {
                                client.text("{\"type\":\"ack\",\"upto\":" + lastSeq + "}", true);
                            }
                        }
                        case "error" -> errors.add(f);
                        default -> {
                        }
                    }
                }
            } catch (InterruptedException e) {
                // stopped
            }
        }

        void stop() throws InterruptedException {
            sending.set(false);
            sender.join();
        }

        void assertGotEverythingFrom(Peer sender) {
            await().atMost(WAIT).until(() -> messages.size() >= sender.confirmed.size());
            assertThat(errors).as(user + "'s errors").isEmpty();
            assertThat(client.closed).as(user + "'s connection").isNotDone();
            List<String> ids = messages.stream().map(m -> m.get("id").asText()).toList();
            assertThat(ids).as("what " + user + " received from " + sender.user).containsExactlyElementsOf(sender.confirmed);
            assertThat(messages.stream().map(m -> m.get("seq").asLong()).toList()).as("seqs").isSorted().doesNotHaveDuplicates();
        }

        void close() {
            reader.interrupt();
            client.close();
        }

        private static JsonNode textNode(String s) {
            return io.pipechat.protocol.Json.MAPPER.getNodeFactory().textNode(s);
        }
    }
}
