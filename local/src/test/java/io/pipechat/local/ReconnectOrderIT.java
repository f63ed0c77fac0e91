package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.embedded.testing.ChatClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ordering promise of docs/PROTOCOL.md under traffic: every connection receives the flush of
 * the unacked mailbox first, then live messages, whatever the timing between router and edge. A
 * client that drops {@code seq <= lastSeq} (as the protocol tells it to) and then acks must never
 * be able to ack over a message it did not see.
 *
 * <p>A sender keeps sending while the recipient, who never acks, reconnects again and again to the
 * same edge. Every connection must therefore start with the oldest message (nothing was acked) and
 * see strictly increasing seqs. Before the flush marker the edge handed live frames meant for the
 * previous session to the new one, which then saw new seqs before its flush.
 */
@ExtendWith(StackExtension.class)
class ReconnectOrderIT {
    private static final int RECONNECTS = 15;
    private static LocalStack stack;

    @BeforeAll
    static void start(LocalStack shared) {
        stack = shared;
    }

    @Test
    void everyConnectionSeesItsFlushBeforeAnyLiveMessage() throws Exception {
        String alice = People.named("alice");
        String bob = People.named("bob");
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicInteger sent = new AtomicInteger();
        List<List<Long>> connections = new ArrayList<>();
        try (ChatClient a = People.connect(stack, 0, alice, "phone")) {
            Thread sender = Thread.ofPlatform().name("reconnect-order-sender").start(() -> {
                while (sending.get()) {
                    a.sendTo(bob, "m" + sent.incrementAndGet(), "hi");
                    sleep(20); // ~50 msg/s
                }
            });
            try {
                // Something is in the mailbox before the first connection.
                a.next("sent");
                for (int i = 0; i < RECONNECTS; i++) {
                    try (ChatClient b = People.connect(stack, 1, bob, "laptop")) {
                        List<Long> seqs = new ArrayList<>();
                        seqs.add(b.next("msg").get("seq").asLong());
                        // Stay a different while each time, so closes fall at every point of the traffic.
                        for (JsonNode msg : b.drain("msg", Duration.ofMillis(50 + 40L * i))) {
                            seqs.add(msg.get("seq").asLong());
                        }
                        connections.add(seqs);
                    }
                }
            } finally {
                sending.set(false);
                sender.join();
            }
        }
        long oldest = connections.stream().flatMap(List::stream).mapToLong(Long::longValue).min().orElseThrow();
        for (int i = 0; i < connections.size(); i++) {
            List<Long> seqs = connections.get(i);
            assertThat(seqs.getFirst()).as("first seq of connection %d: %s", i, seqs).isEqualTo(oldest);
            assertThat(seqs).as("seqs of connection %d", i).isSorted().doesNotHaveDuplicates();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
