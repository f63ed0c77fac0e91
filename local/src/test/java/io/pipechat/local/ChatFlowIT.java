package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.protocol.JsonSerde;
import io.pipechat.protocol.events.PushRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One-to-one chat end to end on the real stack: embedded Kafka broker, the Kafka Streams router
 * with RocksDB, two Helidon edges on delivery partitions 0 and 1, and real WebSocket clients.
 */
@ExtendWith(StackExtension.class)
class ChatFlowIT {
    private static LocalStack stack;

    @BeforeAll
    static void start(LocalStack shared) {
        stack = shared;
    }

    private static ChatClient connect(int edge, String user) {
        return connect(edge, user, "default");
    }

    private static ChatClient connect(int edge, String user, String device) {
        return People.connect(stack, edge, user, device);
    }

    private static List<String> ids(List<JsonNode> frames) {
        return frames.stream().map(f -> f.get("id").asText()).toList();
    }

    private static List<Long> seqs(List<JsonNode> frames) {
        return frames.stream().map(f -> f.get("seq").asLong()).toList();
    }

    @Test
    void deliversAcrossEdgesAndConfirmsSentFirst() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient a = connect(0, alice); ChatClient b = connect(1, bob)) {
            a.sendTo(bob, "m1", "hello bob");
            assertThat(a.next("sent").get("id").asText()).isEqualTo("m1");
            JsonNode msg = b.next("msg");
            assertThat(msg.get("id").asText()).isEqualTo("m1");
            assertThat(msg.get("from").asText()).isEqualTo(alice);
            assertThat(msg.get("to").get("user").asText()).isEqualTo(bob);
            assertThat(msg.get("body").asText()).isEqualTo("hello bob");
            assertThat(msg.get("seq").asLong()).isPositive();
        }
    }

    @Test
    void deliversEverythingInSeqOrderWhenAnOfflineUserConnects() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient a = connect(0, alice)) {
            for (int i = 1; i <= 5; i++) {
                a.sendTo(bob, "m" + i, "message " + i);
            }
            assertThat(ids(a.next("sent", 5))).containsExactly("m1", "m2", "m3", "m4", "m5");
        }
        try (ChatClient b = connect(1, bob)) {
            List<JsonNode> msgs = b.next("msg", 5);
            assertThat(ids(msgs)).containsExactly("m1", "m2", "m3", "m4", "m5");
            assertThat(seqs(msgs)).isSorted().doesNotHaveDuplicates();
        }
    }

    @Test
    void redeliversTheSameSeqsOnReconnectWithoutAckAndNothingAfterAck() {
        List<Long> first;
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient a = connect(0, alice); ChatClient b = connect(1, bob)) {
            a.sendTo(bob, "x1", "one");
            a.sendTo(bob, "x2", "two");
            first = seqs(b.next("msg", 2));
            assertThat(first).isSorted().doesNotHaveDuplicates();
        }
        try (ChatClient b = connect(0, bob)) {
            List<JsonNode> again = b.next("msg", 2);
            assertThat(ids(again)).containsExactly("x1", "x2");
            assertThat(seqs(again)).isEqualTo(first);
            b.ack(first.getLast());
            assertThat(b.drain("msg", Duration.ofMillis(300))).isEmpty();
        }
        try (ChatClient a = connect(0, alice); ChatClient b = connect(1, bob)) {
            assertThat(b.drain("msg", Duration.ofSeconds(1))).isEmpty();
            a.sendTo(bob, "x3", "three");
            JsonNode next = b.next("msg");
            assertThat(next.get("id").asText()).isEqualTo("x3");
            assertThat(next.get("seq").asLong()).isGreaterThan(first.getLast());
        }
    }

    @Test
    void deliversTheSameClientIdOnlyOnce() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient a = connect(0, alice); ChatClient b = connect(1, bob)) {
            a.sendTo(bob, "retry-1", "are you there?");
            a.sendTo(bob, "retry-1", "are you there?");
            a.sendTo(bob, "after", "after the retry");
            assertThat(a.next("sent", 3)).hasSize(3);
            List<JsonNode> got = new ArrayList<>(b.next("msg", 2));
            got.addAll(b.drain("msg", Duration.ofMillis(500)));
            assertThat(ids(got)).containsExactly("retry-1", "after");
        }
    }

    @Test
    void keepsEveryMailboxWhenTheRouterRestartsMidConversation() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient a = connect(0, alice)) {
            a.sendTo(bob, "before", "before the restart");
            a.next("sent");
            stack.stopRouter();
            a.sendTo(bob, "during", "while the router is down");
            assertThat(a.next("sent").get("id").asText()).isEqualTo("during");
            stack.startRouter();
            a.sendTo(bob, "after", "after the restart");
            a.next("sent");
        }
        try (ChatClient b = connect(1, bob)) {
            List<JsonNode> msgs = b.next("msg", 3);
            assertThat(ids(msgs)).containsExactly("before", "during", "after");
            assertThat(seqs(msgs)).isSorted().doesNotHaveDuplicates();
        }
    }

    @Test
    void losesNothingWhenAnEdgeCrashesWithSessionsOpen() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        ChatClient onDoomedEdge = connect(1, bob);
        try (ChatClient a = connect(0, alice)) {
            a.sendTo(bob, "c1", "before the crash");
            assertThat(onDoomedEdge.next("msg").get("id").asText()).isEqualTo("c1");
            stack.edge(1).halt();
            a.sendTo(bob, "c2", "right after the crash");
            a.sendTo(bob, "c3", "later");
            assertThat(a.next("sent", 3)).hasSize(3);
        } finally {
            onDoomedEdge.abort();
            stack.startEdge(1);
        }
        try (ChatClient b = connect(0, bob)) {
            List<JsonNode> msgs = b.next("msg", 3);
            assertThat(ids(msgs)).containsExactly("c1", "c2", "c3");
            assertThat(seqs(msgs)).isSorted().doesNotHaveDuplicates();
        }
    }

    @Test
    void routesDeliveredAndReadReceiptsToTheSenderAlsoWhenItWasOffline() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient a = connect(0, alice)) {
            a.sendTo(bob, "r1", "please read");
            a.next("sent");
        }
        try (ChatClient b = connect(1, bob)) {
            JsonNode msg = b.next("msg");
            b.ack(msg.get("seq").asLong());
            b.send("{\"type\":\"read\",\"id\":\"r1\",\"from\":\"" + alice + "\"}");
            b.drain("msg", Duration.ofMillis(300));
        }
        try (ChatClient a = connect(1, alice)) {
            List<JsonNode> receipts = a.next("receipt", 2);
            // The edge writes `read` directly, the router writes `delivered` at its next commit:
            // the two may arrive in either order (a client treats read as delivered too).
            assertThat(receipts).extracting(r -> r.get("status").asText())
                    .containsExactlyInAnyOrder("delivered", "read");
            assertThat(receipts).allSatisfy(r -> {
                assertThat(r.get("id").asText()).isEqualTo("r1");
                assertThat(r.get("by").asText()).isEqualTo(bob);
            });
        }
    }

    @Test
    void deliversTypingToOnlineUsersOnlyAndNeverStoresIt() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient a = connect(0, alice)) {
            a.send("{\"type\":\"typing\",\"to\":{\"user\":\"" + bob + "\"}}");
            a.send("{\"type\":\"ping\",\"ts\":1}");
            a.next("pong");
        }
        try (ChatClient a = connect(0, alice); ChatClient b = connect(1, bob)) {
            assertThat(b.drain("typing", Duration.ofMillis(500))).isEmpty();
            a.send("{\"type\":\"typing\",\"to\":{\"user\":\"" + bob + "\"}}");
            assertThat(b.next("typing").get("from").asText()).isEqualTo(alice);
        }
    }

    @Test
    void aClientSendingGarbageDoesNotDisturbOthers() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        String mallory = People.named("mallory");
        try (ChatClient a = connect(0, alice); ChatClient b = connect(1, bob); ChatClient m = connect(0, mallory)) {
            IntStream.range(0, 5).forEach(i -> m.send("{garbage " + i));
            m.send("{\"type\":\"send\",\"id\":\"huge\",\"to\":{\"user\":\"" + bob + "\"},\"body\":\"" + "x".repeat(100_000) + "\"}");
            a.sendTo(bob, "ok", "still fine");
            assertThat(b.next("msg").get("id").asText()).isEqualTo("ok");
            assertThat(m.next("error", e -> e.get("code").asText().equals("too_large"))).isNotNull();
            m.send("{\"type\":\"ping\",\"ts\":9}");
            assertThat(m.next("pong").get("ts").asLong()).isEqualTo(9);
        }
    }

    @Test
    void requestsAPushWhenAMessageWaitsForAnOfflineUser() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient a = connect(0, alice)) {
            a.sendTo(bob, "p1", "wake up");
            a.sendTo(bob, "p2", "wake up again");
            a.next("sent", 2);
        }
        List<PushRequest> pushes = new ArrayList<>();
        var de = JsonSerde.deserializer(PushRequest.class);
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(stack.topics().push()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && pushes.isEmpty()) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.key().equals(bob)) {
                        pushes.add(de.deserialize(r.topic(), r.value()));
                    }
                });
            }
            consumer.poll(Duration.ofMillis(500)).forEach(r -> {
                if (r.key().equals(bob)) {
                    pushes.add(de.deserialize(r.topic(), r.value()));
                }
            });
        }
        assertThat(pushes).hasSize(1);
        assertThat(pushes.getFirst().user()).isEqualTo(bob);
    }
}
