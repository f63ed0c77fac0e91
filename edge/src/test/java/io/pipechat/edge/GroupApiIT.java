package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.auth.Hs256Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The group HTTP API against a real MariaDB, with real tokens over real HTTP. */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
class GroupApiIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Edge edge;
    private static String base;

    @BeforeAll
    static void start(EmbeddedKafka kafka, EmbeddedMariaDb db) {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, 1);
        String database = MariaDbExtension.uniqueDatabase(db);
        Map<String, String> settings = TestEdges.settings(kafka, topics, db, database);
        settings.put("groups.max-members", "4");
        edge = Edge.start(Edge.config(settings));
        base = "http://127.0.0.1:" + edge.port();
    }

    @AfterAll
    static void stop() {
        edge.close();
    }

    private record Reply(int status, JsonNode body) {
    }

    private static Reply call(String user, String method, String path, String body) {
        HttpResponse<String> res = TestEdges.call(base, user, method, path, body);
        return new Reply(res.statusCode(), res.body().isEmpty() ? null : Json.read(res.body(), JsonNode.class));
    }

    private static String create(String creator, String name, String... members) {
        Reply r = call(creator, "POST", "/v1/groups",
                Json.write(Map.of("name", name, "members", List.of(members))));
        assertThat(r.status()).isEqualTo(201);
        return r.body().get("id").asText();
    }

    private static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    @Test
    void createsAGroupWithTheCreatorAsAdminAndListsItForItsMembers() {
        String id = create("ann", "Hiking", "ben", "cy");
        Reply got = call("ben", "GET", "/v1/groups/" + id, null);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body().get("name").asText()).isEqualTo("Hiking");
        assertThat(texts(got.body().get("members"))).containsExactlyInAnyOrder("ann", "ben", "cy");
        assertThat(texts(got.body().get("admins"))).containsExactly("ann");

        Reply mine = call("cy", "GET", "/v1/groups", null);
        assertThat(mine.status()).isEqualTo(200);
        assertThat(mine.body().findValuesAsText("id")).contains(id);
    }

    @Test
    void showsAGroupOnlyToItsMembers() {
        String id = create("dee", "Secret", "eve");
        assertThat(call("fay", "GET", "/v1/groups/" + id, null).status()).isEqualTo(404);
        assertThat(call("fay", "GET", "/v1/groups", null).body().findValuesAsText("id")).doesNotContain(id);
        assertThat(call("dee", "GET", "/v1/groups/gdoesnotexist", null).status()).isEqualTo(404);
    }

    @Test
    void letsOnlyAdminsAddOrRemoveOthersButAnyoneLeave() {
        String id = create("gus", "Band", "hal", "ida");
        assertThat(call("hal", "POST", "/v1/groups/" + id + "/members", "{\"user\":\"jo\"}").status()).isEqualTo(403);
        assertThat(call("hal", "DELETE", "/v1/groups/" + id + "/members/ida", null).status()).isEqualTo(403);
        assertThat(call("gus", "POST", "/v1/groups/" + id + "/members", "{\"user\":\"jo\"}").status()).isEqualTo(201);
        assertThat(call("gus", "POST", "/v1/groups/" + id + "/members", "{\"user\":\"jo\"}").status()).isEqualTo(200);
        assertThat(call("gus", "DELETE", "/v1/groups/" + id + "/members/jo", null).status()).isEqualTo(204);
        assertThat(call("ida", "DELETE", "/v1/groups/" + id + "/members/ida", null).status()).isEqualTo(204);
        assertThat(texts(call("gus", "GET", "/v1/groups/" + id, null).body().get("members")))
                .containsExactlyInAnyOrder("gus", "hal");
        assertThat(call("ida", "GET", "/v1/groups/" + id, null).status()).isEqualTo(404);
    }

    @Test
    void promotesAMemberWhenTheLastAdminLeavesAndDeletesAnEmptyGroup() {
        String id = create("kim", "Club", "lou");
        assertThat(call("kim", "DELETE", "/v1/groups/" + id + "/members/kim", null).status()).isEqualTo(204);
        assertThat(texts(call("lou", "GET", "/v1/groups/" + id, null).body().get("admins"))).containsExactly("lou");
        assertThat(call("lou", "DELETE", "/v1/groups/" + id + "/members/lou", null).status()).isEqualTo(204);
        assertThat(call("lou", "GET", "/v1/groups/" + id, null).status()).isEqualTo(404);
    }

    @Test
    void limitsGroupSize() {
        Reply tooBig = call("max", "POST", "/v1/groups",
                Json.write(Map.of("name", "Crowd", "members", List.of("a1", "a2", "a3", "a4"))));
        assertThat(tooBig.status()).isEqualTo(409);
        assertThat(tooBig.body().get("code").asText()).isEqualTo("group_full");
        String id = create("max", "Four", "b1", "b2", "b3");
        assertThat(call("max", "POST", "/v1/groups/" + id + "/members", "{\"user\":\"b4\"}").status()).isEqualTo(409);
    }

    @Test
    void refusesBadInputWithJsonErrors() {
        Reply noName = call("ned", "POST", "/v1/groups", "{\"members\":[]}");
        assertThat(noName.status()).isEqualTo(400);
        assertThat(noName.body().get("code").asText()).isEqualTo("bad_request");
        assertThat(call("ned", "POST", "/v1/groups", "{\"name\":\"x\",\"members\":[\"bad id!\"]}").status()).isEqualTo(400);
        assertThat(call("ned", "POST", "/v1/groups", "not json").status()).isEqualTo(400);
        String id = create("ned", "Ok");
        assertThat(call("ned", "POST", "/v1/groups/" + id + "/members", "{\"user\":5}").status()).isEqualTo(400);
    }

    @Test
    void refusesMissingAndForgedTokens() {
        assertThat(call(null, "GET", "/v1/groups", null).status()).isEqualTo(401);
        String forged = new Hs256Tokens("forged-secret-forged-secret-0123456789").issue("ann", Duration.ofHours(1));
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/groups"))
                .header("Authorization", "Bearer " + forged).build();
        try {
            assertThat(HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void takesTheTokenFromTheAuthorizationHeaderOnlyAndLimitsBodies() throws Exception {
        String token = io.pipechat.embedded.testing.ChatClient.devToken(base, "ola");
        HttpResponse<String> inQuery = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/groups?access_token=" + token))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(inQuery.statusCode()).as("access_token is for /v1/ws only").isEqualTo(401);
        assertThat(call("ola", "GET", "/v1/groups", null).status()).isEqualTo(200);

        String huge = Json.write(Map.of("name", "x".repeat(100_000), "members", List.of()));
        assertThat(call("ola", "POST", "/v1/groups", huge).status()).isEqualTo(413);
    }
}
