package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.StreamSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Several devices of one person, end to end on the real stack (two edges): per-device ack cursors,
 * own messages and reads synced to the other devices, and the device list (PROTOCOL.md, Devices).
 */
@ExtendWith(StackExtension.class)
class DevicesFlowIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static LocalStack stack;

    @BeforeAll
    static void start(LocalStack shared) {
        stack = shared;
    }

    /**
     * Connects a second device and waits until the router lists it, asking through edge 0, where the
     * first device is: the answer comes after what the router told that edge about the devices.
     */
    private static ChatClient secondDevice(ChatClient first, int edge, String user, String device) {
        ChatClient c = People.connect(stack, edge, user, device);
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> names(Json.MAPPER.readTree(devices(user, "GET", "").body())).size() == 2);
        return c;
    }

    private static List<String> names(JsonNode devices) {
        return StreamSupport.stream(devices.spliterator(), false).map(d -> d.get("device").asText()).toList();
    }

    private static List<String> ids(List<JsonNode> frames) {
        return frames.stream().map(f -> f.get("id").asText()).toList();
    }

    @Test
    void aDeviceThatWasOfflineWhileTheOtherAckedGetsEveryMessageOnceInOrder() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient phone = People.connect(stack, 0, alice, "phone"); ChatClient b = People.connect(stack, 1, bob, "default")) {
            secondDevice(phone, 1, alice, "laptop").close();
            for (int i = 1; i <= 3; i++) {
                b.sendTo(alice, "m" + i, "message " + i);
            }
            b.next("sent", 3);
            List<JsonNode> onPhone = phone.next("msg", 3);
            assertThat(ids(onPhone)).containsExactly("m1", "m2", "m3");
            phone.ack(onPhone.getLast().get("seq").asLong());
            assertThat(b.next("receipt", 3)).extracting(r -> r.get("id").asText() + " " + r.get("status").asText())
                    .containsExactly("m1 delivered", "m2 delivered", "m3 delivered");

            try (ChatClient laptop = People.connect(stack, 1, alice, "laptop")) {
                List<JsonNode> onLaptop = laptop.next("msg", 3);
                assertThat(ids(onLaptop)).containsExactly("m1", "m2", "m3");
                assertThat(onLaptop).extracting(f -> f.get("seq").asLong())
                        .isEqualTo(onPhone.stream().map(f -> f.get("seq").asLong()).toList());
                laptop.ack(onLaptop.getLast().get("seq").asLong());
                assertThat(laptop.drain("msg", Duration.ofMillis(500))).as("once").isEmpty();
            }
            assertThat(b.drain("receipt", Duration.ofMillis(500))).as("one delivered receipt per message, not per device")
                    .isEmpty();
        }
    }

    @Test
    void whatOneDeviceSendsOrReadsTheOtherDeviceShows() {
        String alice = People.named("alice");
        String bob = People.named("bob");
        try (ChatClient phone = People.connect(stack, 0, alice, "phone");
             ChatClient laptop = secondDevice(phone, 1, alice, "laptop");
             ChatClient b = People.connect(stack, 1, bob, "default")) {
            phone.sendTo(bob, "x1", "hi from my phone");
            phone.next("sent");
            JsonNode own = laptop.next("msg");
            assertThat(own.get("id").asText()).isEqualTo("x1");
            assertThat(own.get("from").asText()).isEqualTo(alice);
            assertThat(own.get("to").get("user").asText()).isEqualTo(bob);
            assertThat(b.next("msg").get("id").asText()).isEqualTo("x1");
            laptop.ack(own.get("seq").asLong());

            b.sendTo(alice, "y1", "hi alice");
            long onPhone = phone.next("msg", f -> f.get("id").asText().equals("y1")).get("seq").asLong();
            laptop.ack(laptop.next("msg", f -> f.get("id").asText().equals("y1")).get("seq").asLong());
            phone.ack(onPhone);
            phone.sendFrame(java.util.Map.of("type", "read", "id", "y1", "from", bob));

            JsonNode sync = laptop.next("read");
            assertThat(sync.get("id").asText()).isEqualTo("y1");
            assertThat(sync.get("from").asText()).isEqualTo(bob);
            assertThat(b.next("receipt", r -> r.get("status").asText().equals("read")).get("id").asText()).isEqualTo("y1");
            assertThat(phone.drain("read", Duration.ofMillis(500))).as("the phone read it: no sync back").isEmpty();
            assertThat(phone.drain("msg", Duration.ofMillis(1))).extracting(f -> f.get("id").asText())
                    .as("its own message is not sent back to the phone").doesNotContain("x1");
        }
    }

    @Test
    void aGroupMessageSentFromOneDeviceShowsOnTheOther() throws Exception {
        String alice = People.named("alice");
        String bob = People.named("bob");
        String base = stack.url(0);
        HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/groups"))
                .header("Authorization", "Bearer " + ChatClient.devToken(base, alice))
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(java.util.Map.of("name", "pals", "members", List.of(bob)))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String group = Json.MAPPER.readTree(created.body()).get("id").asText();
        try (ChatClient phone = People.connect(stack, 0, alice, "phone");
             ChatClient laptop = secondDevice(phone, 1, alice, "laptop");
             ChatClient b = People.connect(stack, 1, bob, "default")) {
            phone.sendToGroup(group, "g1", "hello pals");
            phone.next("sent");
            // Both also get the system message of the group's creation; the test is about g1.
            JsonNode own = laptop.next("msg", f -> !f.has("system"));
            assertThat(own.get("id").asText()).isEqualTo("g1");
            assertThat(own.get("from").asText()).isEqualTo(alice);
            assertThat(own.get("to").get("group").asText()).isEqualTo(group);
            assertThat(b.next("msg", f -> !f.has("system")).get("id").asText()).isEqualTo("g1");
        }
    }

    @Test
    void removingADeviceClosesItsConnectionAndTheListShowsTheRest() throws Exception {
        String alice = People.named("alice");
        try (ChatClient phone = People.connect(stack, 0, alice, "phone");
             ChatClient tablet = secondDevice(phone, 1, alice, "tablet")) {
            assertThat(names(Json.MAPPER.readTree(devices(alice, "GET", "").body()))).containsExactly("phone", "tablet");

            assertThat(devices(alice, "DELETE", "/tablet").statusCode()).isEqualTo(202);

            assertThat(tablet.closeCode()).isEqualTo(4410);
            assertThat(names(phone.next("devices", f -> f.get("devices").size() == 1).get("devices"))).containsExactly("phone");
            JsonNode list = Json.MAPPER.readTree(devices(alice, "GET", "").body());
            assertThat(names(list)).containsExactly("phone");
            assertThat(list.get(0).get("online").asBoolean()).isTrue();
        }
    }

    private static HttpResponse<String> devices(String user, String method, String path) throws Exception {
        String base = stack.url(0);
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/devices" + path))
                .header("Authorization", "Bearer " + ChatClient.devToken(base, user))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
