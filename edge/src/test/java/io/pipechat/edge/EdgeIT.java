package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.protocol.Address;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.auth.Hs256Tokens;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One real edge on a real broker, without a router: what the edge itself promises. */
@ExtendWith(KafkaExtension.class)
class EdgeIT {
    private static final String SECRET = "edge-it-secret-edge-it-secret-0123456789";
    private static Topics topics;
    private static EmbeddedKafka kafka;
    private static Edge edge;
    private static String base;

    @BeforeAll
    static void start(EmbeddedKafka broker) {
        kafka = broker;
        topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 2, 2);
        Map<String, String> settings = TestEdges.settings(kafka, topics);
        settings.put("edge.partition", "0");
        settings.put("edge.token.secret", SECRET);
        settings.put("edge.rate.frames-per-second", "10");
        settings.put("edge.rate.burst", "40");
        // No router here: the tests that need the end-of-flush marker write it themselves.
        settings.put("edge.flush-timeout", "PT60S");
        settings.put("edge.max-connections-per-user", "3");
        settings.put("edge.rate.user-sends-per-second", "1");
        settings.put("edge.rate.user-send-burst", "5");
        edge = Edge.start(Edge.config(settings));
        base = "http://127.0.0.1:" + edge.port();
    }

    @AfterAll
    static void stop() {
        edge.close();
    }

    private static ChatClient connect(String user) {
        return connect(user, "default");
    }

    private static ChatClient connect(String user, String device) {
        ChatClient c = ChatClient.connect(base, ChatClient.devToken(base, user), device);
        JsonNode welcome = c.next();
        assertThat(welcome.get("type").asText()).isEqualTo("welcome");
        assertThat(welcome.get("user").asText()).isEqualTo(user);
        return c;
    }

    @Test
    void refusesMissingForgedMalformedAndExpiredTokensBeforeTheUpgrade() {
        Hs256Tokens forger = new Hs256Tokens("not-the-secret-not-the-secret-0123456789");
        Hs256Tokens past = new Hs256Tokens(SECRET, Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC));
        assertThat(ChatClient.refusedStatus(base, null)).isEqualTo(401);
        assertThat(ChatClient.refusedStatus(base, "Bearer " + forger.issue("alice", Duration.ofHours(1)))).isEqualTo(401);
        assertThat(ChatClient.refusedStatus(base, "Bearer not.a.jwt")).isEqualTo(401);
        assertThat(ChatClient.refusedStatus(base, "Bearer " + past.issue("alice", Duration.ofHours(1)))).isEqualTo(401);
        assertThat(ChatClient.refusedStatus(base, "Bearer " + new Hs256Tokens(SECRET).issue("alice", Duration.ofHours(1))))
                .isEqualTo(101);
    }

    @Test
    void refusesPagesOfOtherOriginsBeforeTheUpgrade() {
        String token = "Bearer " + ChatClient.devToken(base, "olga");
        assertThat(TestEdges.upgradeStatus(base, Map.of("Authorization", token, "Origin", base))).isEqualTo(101);
        assertThat(TestEdges.upgradeStatus(base, Map.of("Authorization", token))).as("no Origin: not a browser").isEqualTo(101);
        assertThat(TestEdges.upgradeStatus(base, Map.of("Authorization", token, "Origin", "https://evil.example")))
                .isEqualTo(403);
    }

    @Test
    void refusesMoreConnectionsOfOneUserThanTheCapBeforeTheUpgrade() {
        String token = ChatClient.devToken(base, "pat");
        try (ChatClient a = ChatClient.connect(base, token, "a"); ChatClient b = ChatClient.connect(base, token, "b");
             ChatClient c = ChatClient.connect(base, token, "c")) {
            Map<String, String> auth = Map.of("Authorization", "Bearer " + token);
            assertThat(TestEdges.upgradeStatus(base, "?device=d", auth)).isEqualTo(429);
            assertThat(TestEdges.upgradeStatus(base, "?device=a", auth)).as("a device replacing itself").isEqualTo(101);
            assertThat(TestEdges.upgradeStatus(base, "?device=d", Map.of("Authorization",
                    "Bearer " + ChatClient.devToken(base, "quin")))).as("other users").isEqualTo(101);
        }
    }

    @Test
    void sharesOneSendBucketAmongAllConnectionsOfAUser() {
        try (ChatClient a = connect("sid", "a"); ChatClient b = connect("sid", "b")) {
            for (int i = 0; i < 5; i++) {
                a.sendTo("bob", "sid-a-" + i, "hi");
                b.sendTo("bob", "sid-b-" + i, "hi");
            }
            long limited = 0;
            for (ChatClient c : List.of(a, b)) {
                for (int i = 0; i < 5; i++) {
                    JsonNode reply = c.next();
                    if ("error".equals(reply.path("type").asText())) {
                        assertThat(reply.get("code").asText()).isEqualTo("rate_limited");
                        limited++;
                    } else {
                        assertThat(reply.get("type").asText()).isEqualTo("sent");
                    }
                }
            }
            // 10 sends against a burst of 5 at 1/s: some are refused, whichever connection made them.
            assertThat(limited).isPositive();
        }
    }

    @Test
    void limitsTheBodiesOfItsHttpApi() {
        String huge = "{\"user\":\"" + "x".repeat(100_000) + "\"}";
        assertThat(TestEdges.call(base, null, "POST", "/v1/dev/token", huge).statusCode()).isEqualTo(413);
    }

    @Test
    void writesSendToUserEventsKeyedByRecipientWithSenderFromTokenThenAnswersSent() {
        String id = "m-" + UUID.randomUUID();
        try (ChatClient alice = connect("alice")) {
            alice.send("{\"type\":\"send\",\"id\":\"" + id + "\",\"from\":\"mallory\",\"to\":{\"user\":\"bob\"},\"body\":\"hi\"}");
            JsonNode sent = alice.next("sent");
            assertThat(sent.get("id").asText()).isEqualTo(id);
            assertThat(sent.get("ts").asLong()).isPositive();
        }
        List<UserEvent> events = readAll(topics.userEvents(), e -> e instanceof UserEvent.Message m && m.id().equals(id));
        assertThat(events).hasSize(1);
        UserEvent.Message m = (UserEvent.Message) events.getFirst();
        assertThat(m.user()).isEqualTo("bob");
        assertThat(m.from()).isEqualTo("alice");
        assertThat(m.to()).isEqualTo(Address.user("bob"));
        assertThat(m.body()).isEqualTo("hi");
    }

    @Test
    void recordsSessionOpenAndCloseAsUserEvents() {
        String user = "carol-" + UUID.randomUUID().toString().substring(0, 8);
        connect(user, "phone").close();
        List<UserEvent> events = readAll(topics.userEvents(), e -> e.user().equals(user), 2);
        assertThat(events).hasSize(2);
        assertThat(events.get(0)).isInstanceOfSatisfying(UserEvent.SessionOpened.class, o -> {
            assertThat(o.device()).isEqualTo("phone");
            assertThat(o.edge()).isZero();
        });
        assertThat(events.get(1)).isInstanceOf(UserEvent.SessionClosed.class);
        assertThat(((UserEvent.SessionClosed) events.get(1)).session())
                .isEqualTo(((UserEvent.SessionOpened) events.get(0)).session());
    }

    @Test
    void answersMalformedUnknownAndOversizeFramesWithErrorsAndKeepsTheConnection() {
        try (ChatClient alice = connect("alice2"); ChatClient bob = connect("bob2")) {
            alice.send("{not json");
            assertThat(alice.next("error").get("code").asText()).isEqualTo("bad_request");
            alice.send("{\"type\":\"teleport\"}");
            assertThat(alice.next("error").get("code").asText()).isEqualTo("bad_request");
            alice.send("{\"type\":\"send\",\"id\":\"x1\",\"to\":{\"user\":\"bob\"}}");
            JsonNode noBody = alice.next("error");
            assertThat(noBody.get("id").asText()).isEqualTo("x1");
            alice.send("{\"type\":\"send\",\"id\":\"big\",\"to\":{\"user\":\"bob\"},\"body\":\"" + "x".repeat(70_000) + "\"}");
            assertThat(alice.next("error").get("code").asText()).isEqualTo("too_large");

            alice.send("{\"type\":\"ping\",\"ts\":42}");
            assertThat(alice.next("pong").get("ts").asLong()).isEqualTo(42);
            bob.send("{\"type\":\"ping\",\"ts\":7}");
            assertThat(bob.next("pong").get("ts").asLong()).isEqualTo(7);
        }
    }

    @Test
    void closesConnectionsThatSendFramesTooFastWith4429() {
        try (ChatClient flooder = connect("flooder"); ChatClient calm = connect("calm")) {
            for (int i = 0; i < 100 && !flooder.isClosed(); i++) {
                try {
                    flooder.send("{\"type\":\"ping\"}");
                } catch (RuntimeException closedAlready) {
                    break;
                }
            }
            assertThat(flooder.closeCode()).isEqualTo(4429);
            calm.send("{\"type\":\"ping\",\"ts\":1}");
            assertThat(calm.next("pong").get("ts").asLong()).isEqualTo(1);
        }
    }

    @Test
    void countsBinaryFramesAgainstTheRateLimitToo() throws Exception {
        var closed = new java.util.concurrent.CompletableFuture<Integer>();
        var ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Authorization", "Bearer " + ChatClient.devToken(base, "binny"))
                .buildAsync(URI.create(base.replaceFirst("^http", "ws") + "/v1/ws"), new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onClose(java.net.http.WebSocket w, int code, String reason) {
                        closed.complete(code);
                        return null;
                    }
                }).get(20, java.util.concurrent.TimeUnit.SECONDS);
        for (int i = 0; i < 100 && !closed.isDone(); i++) {
            try {
                ws.sendBinary(java.nio.ByteBuffer.wrap(new byte[] {1}), true).get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException closedAlready) {
                break;
            }
        }
        assertThat(closed.get(20, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(4429);
        ws.abort();
    }

    @Test
    void pushesRecordsOfItsOwnDeliveryPartitionOnly() {
        try (ChatClient dave = connect("dave"); var producer = producer()) {
            producer.send(new ProducerRecord<>(topics.deliveries(), 0, "dave",
                    new Delivery.Flushed("dave", sessionOf("dave", "default"))));
            ServerFrame.Msg other = new ServerFrame.Msg(1, "elsewhere", "x", Address.user("dave"), 1, "not for edge 0", null);
            ServerFrame.Msg mine = new ServerFrame.Msg(2, "here", "x", Address.user("dave"), 1, "for edge 0", null);
            producer.send(new ProducerRecord<>(topics.deliveries(), 1, "dave", Delivery.Frame.of("dave", null, other)));
            producer.send(new ProducerRecord<>(topics.deliveries(), 0, "dave", Delivery.Frame.of("dave", null, mine)));
            producer.flush();
            JsonNode msg = dave.next("msg");
            assertThat(msg.get("id").asText()).isEqualTo("here");
            assertThat(msg.get("seq").asLong()).isEqualTo(2);
            assertThat(dave.drain("msg", Duration.ofMillis(500))).isEmpty();
        }
    }

    /**
     * Issue 15: a live frame written for all of the user's sessions while a new session's flush is on
     * its way must not reach the new session before its flush (the client would drop the flush as
     * duplicates of a higher seq it has seen, and ack over the gap).
     */
    @Test
    void aNewSessionSeesItsMailboxFlushBeforeLiveFramesWrittenMeanwhile() {
        try (ChatClient ivy = connect("ivy"); var producer = producer()) {
            String session = sessionOf("ivy", "default");
            producer.send(new ProducerRecord<>(topics.deliveries(), 0, "ivy", Delivery.Frame.of("ivy", null, msg("ivy", 79))));
            for (long seq = 1; seq <= 3; seq++) {
                producer.send(new ProducerRecord<>(topics.deliveries(), 0, "ivy", Delivery.Frame.of("ivy", session, msg("ivy", seq))));
            }
            producer.send(new ProducerRecord<>(topics.deliveries(), 0, "ivy", new Delivery.Flushed("ivy", session)));
            producer.send(new ProducerRecord<>(topics.deliveries(), 0, "ivy", Delivery.Frame.of("ivy", null, msg("ivy", 80))));
            producer.flush();
            assertThat(ivy.next("msg", 4)).extracting(m -> m.get("seq").asLong()).containsExactly(1L, 2L, 3L, 80L);
        }
    }

    @Test
    void closesASessionWhoseFlushDoesNotEndInTimeWith1013() {
        // Own topics and a partition no other edge of this JVM uses: its heartbeats and meters stay apart.
        int partition = 4;
        Topics own = KafkaExtension.uniqueTopics();
        kafka.createTopics(own, 1, partition + 1);
        Map<String, String> settings = TestEdges.settings(kafka, own);
        settings.put("edge.partition", Integer.toString(partition));
        settings.put("edge.flush-timeout", "PT5S");
        try (Edge impatient = Edge.start(Edge.config(settings)); var producer = producer()) {
            String impatientBase = "http://127.0.0.1:" + impatient.port();
            try (ChatClient flushed = ChatClient.connect(impatientBase, ChatClient.devToken(impatientBase, "jo"), "default")) {
                String session = ((UserEvent.SessionOpened) readAll(own.userEvents(),
                        e -> e instanceof UserEvent.SessionOpened o && o.user().equals("jo"), 1).getLast()).session();
                producer.send(new ProducerRecord<>(own.deliveries(), partition, "jo", new Delivery.Flushed("jo", session)));
                producer.send(new ProducerRecord<>(own.deliveries(), partition, "jo", Delivery.Frame.of("jo", null, msg("jo", 1))));
                producer.flush();
                assertThat(flushed.next("msg").get("seq").asLong()).as("the marker arrived").isEqualTo(1);
                try (ChatClient waiting = ChatClient.connect(impatientBase, ChatClient.devToken(impatientBase, "kim"), "default")) {
                    assertThat(waiting.closeCode()).isEqualTo(1013);
                }
                // jo connected first, so its deadline has passed as well: the marker kept it open.
                flushed.send("{\"type\":\"ping\",\"ts\":5}");
                assertThat(flushed.next("pong").get("ts").asLong()).isEqualTo(5);
                assertThat(flushed.isClosed()).isFalse();
            }
        }
    }

    private static ServerFrame.Msg msg(String user, long seq) {
        return new ServerFrame.Msg(seq, "m" + seq, "x", Address.user(user), 1, "message " + seq, null);
    }

    /** The id of the user's session on that device, from its session-opened event. */
    private static String sessionOf(String user, String device) {
        return ((UserEvent.SessionOpened) readAll(topics.userEvents(), e -> e instanceof UserEvent.SessionOpened o
                && o.user().equals(user) && o.device().equals(device), 1).getLast()).session();
    }

    @Test
    void pushesAFrameNamingASessionToThatSessionOnly() {
        try (ChatClient phone = connect("hank", "phone"); ChatClient laptop = connect("hank", "laptop");
             var producer = producer()) {
            UserEvent.SessionOpened phoneOpened = (UserEvent.SessionOpened) readAll(topics.userEvents(),
                    e -> e instanceof UserEvent.SessionOpened o && o.user().equals("hank") && o.device().equals("phone"), 1)
                    .getFirst();
            ServerFrame.Msg msg = new ServerFrame.Msg(5, "to-phone", "x", Address.user("hank"), 1, "phone only", null);
            producer.send(new ProducerRecord<>(topics.deliveries(), 0, "hank",
                    Delivery.Frame.of("hank", phoneOpened.session(), msg)));
            producer.flush();
            assertThat(phone.next("msg").get("id").asText()).isEqualTo("to-phone");
            assertThat(laptop.drain("msg", Duration.ofMillis(500))).isEmpty();
        }
    }

    @Test
    void closesTheSessionNamedByACloseDelivery() {
        try (ChatClient erin = connect("erin"); var producer = producer()) {
            UserEvent.SessionOpened opened = (UserEvent.SessionOpened) readAll(topics.userEvents(),
                    e -> e.user().equals("erin") && e instanceof UserEvent.SessionOpened, 1).getFirst();
            producer.send(new ProducerRecord<>(topics.deliveries(), 0, "erin",
                    new Delivery.Close("erin", opened.session(), 4409, "connected elsewhere")));
            producer.flush();
            assertThat(erin.closeCode()).isEqualTo(4409);
        }
    }

    @Test
    void replacesASessionOfTheSameDeviceWith4409() {
        try (ChatClient first = connect("frank", "laptop"); ChatClient second = connect("frank", "laptop")) {
            assertThat(first.closeCode()).isEqualTo(4409);
            second.send("{\"type\":\"ping\",\"ts\":3}");
            assertThat(second.next("pong").get("ts").asLong()).isEqualTo(3);
        }
    }

    @Test
    void publishesHeartbeatsWithItsEpoch() {
        var beats = new ArrayList<EdgeHeartbeat>();
        try (var consumer = consumer()) {
            TopicPartition p = new TopicPartition(topics.edges(), 0);
            consumer.assign(List.of(p));
            consumer.seekToBeginning(List.of(p));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            var de = JsonSerde.deserializer(EdgeHeartbeat.class);
            while (beats.size() < 2 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> beats.add(de.deserialize(r.topic(), r.value().getBytes())));
            }
        }
        assertThat(beats).hasSizeGreaterThanOrEqualTo(2);
        assertThat(beats).allSatisfy(b -> {
            assertThat(b.edge()).isZero();
            assertThat(b.up()).isTrue();
            assertThat(b.epoch()).isEqualTo(beats.getFirst().epoch());
        });
    }

    @Test
    void servesHealthAndMetrics() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (ChatClient ignored = connect("gina")) {
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/observe/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isIn(200, 204);
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/observe/metrics"))
                    .header("Accept", "text/plain").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("pipechat_edge_connections").contains("pipechat_edge_frames_in");
        }
    }

    private static KafkaProducer<String, Delivery> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), JsonSerde.<Delivery>serializer());
    }

    private static KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringDeserializer(), new StringDeserializer());
    }

    private static List<UserEvent> readAll(String topic, java.util.function.Predicate<UserEvent> matching) {
        return readAll(topic, matching, 1);
    }

    /** Reads the topic from the beginning until {@code atLeast} matching events came (or 10 s passed). */
    private static List<UserEvent> readAll(String topic, java.util.function.Predicate<UserEvent> matching, int atLeast) {
        var de = JsonSerde.deserializer(UserEvent.class);
        List<UserEvent> out = new ArrayList<>();
        try (var consumer = consumer()) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (out.size() < atLeast && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    UserEvent e = de.deserialize(topic, r.value().getBytes());
                    if (matching.test(e)) {
                        assertThat(r.key()).isEqualTo(e.user());
                        out.add(e);
                    }
                });
            }
            // Anything more that matches within a short while counts too (duplicates must show).
            consumer.poll(Duration.ofMillis(300)).forEach(r -> {
                UserEvent e = de.deserialize(topic, r.value().getBytes());
                if (matching.test(e)) {
                    out.add(e);
                }
            });
        }
        return out;
    }
}
