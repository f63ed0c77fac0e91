package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.Media;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.auth.Hs256Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The group HTTP API against a real MariaDB, with real tokens over real HTTP; and the rows it
 * leaves for the change stream ({@code changed_by}, {@code last_change}), read back with JDBC.
 */
@ExtendWith({KafkaExtension.class, MariaDbExtension.class})
class GroupApiIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ICON = "{\"id\":\"" + "a".repeat(64) + "\",\"mime\":\"image/png\",\"size\":1234,\"key\":\"k1\"}";
    private static Edge edge;
    private static String base;
    private static String jdbcUrl;
    private static EmbeddedMariaDb mariaDb;

    @BeforeAll
    static void start(EmbeddedKafka kafka, EmbeddedMariaDb db) {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, 1);
        String database = MariaDbExtension.uniqueDatabase(db);
        Map<String, String> settings = TestEdges.settings(kafka, topics, db, database);
        settings.put("groups.max-members", "4");
        settings.put("groups.max-created-per-day", "3");
        edge = Edge.start(Edge.config(settings));
        jdbcUrl = db.jdbcUrl(database);
        mariaDb = db;
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

    @Test
    void adminsRenameAndSetADescriptionAndAnIconThatMembersSee() {
        String id = create("ray", "Choir", "sam");
        assertThat(call("sam", "PATCH", "/v1/groups/" + id, "{\"name\":\"Mine now\"}").status()).isEqualTo(403);
        assertThat(call("zoe", "PATCH", "/v1/groups/" + id, "{\"name\":\"Nope\"}").status()).isEqualTo(404);

        Reply renamed = call("ray", "PATCH", "/v1/groups/" + id, "{\"name\":\"Choir 2\"}");
        assertThat(renamed.status()).isEqualTo(200);
        assertThat(renamed.body().get("name").asText()).isEqualTo("Choir 2");
        assertThat(call("ray", "PATCH", "/v1/groups/" + id,
                "{\"description\":\"Tuesdays at 8\",\"icon\":" + ICON + "}").status()).isEqualTo(200);
        JsonNode seen = call("sam", "GET", "/v1/groups/" + id, null).body();
        assertThat(seen.get("name").asText()).isEqualTo("Choir 2");
        assertThat(seen.get("description").asText()).isEqualTo("Tuesdays at 8");
        assertThat(Json.read(seen.get("icon").toString(), Media.class)).isEqualTo(Json.read(ICON, Media.class));
        assertThat(row("SELECT changed_by FROM chat_groups WHERE id = ?", id)).isEqualTo("ray");

        assertThat(call("ray", "PATCH", "/v1/groups/" + id, "{\"description\":null,\"icon\":null}").status()).isEqualTo(200);
        seen = call("sam", "GET", "/v1/groups/" + id, null).body();
        assertThat(seen.has("description")).isFalse();
        assertThat(seen.has("icon")).isFalse();
    }

    @Test
    void refusesBadGroupInfo() {
        String id = create("tia", "Info");
        String path = "/v1/groups/" + id;
        assertThat(call("tia", "PATCH", path, "{}").status()).isEqualTo(400);
        assertThat(call("tia", "PATCH", path, "{\"name\":\" \"}").status()).isEqualTo(400);
        assertThat(call("tia", "PATCH", path, "{\"description\":5}").status()).isEqualTo(400);
        assertThat(call("tia", "PATCH", path, Json.write(Map.of("description", "d".repeat(2049)))).status()).isEqualTo(400);
        assertThat(call("tia", "PATCH", path, "{\"icon\":{\"id\":\"nothex\",\"mime\":\"image/png\",\"size\":1}}").status())
                .isEqualTo(400);
        Reply notAnImage = call("tia", "PATCH", path, ICON.replace("image/png", "text/plain").transform(i -> "{\"icon\":" + i + "}"));
        assertThat(notAnImage.status()).isEqualTo(400);
        assertThat(notAnImage.body().get("message").asText()).contains("image");
    }

    @Test
    void adminsPromoteAndDemoteButNeitherTheCreatorByOthersNorTheLastAdmin() {
        String id = create("uma", "Board", "vic", "wes");
        String admins = "/v1/groups/" + id + "/admins/";
        assertThat(call("vic", "PUT", admins + "wes", null).status()).as("members do not promote").isEqualTo(403);
        assertThat(call("uma", "PUT", admins + "vic", null).status()).isEqualTo(200);
        assertThat(call("uma", "PUT", admins + "vic", null).status()).as("again: no change").isEqualTo(200);
        assertThat(texts(call("wes", "GET", "/v1/groups/" + id, null).body().get("admins"))).containsExactly("uma", "vic");
        assertThat(row("SELECT CONCAT(changed_by, ' ', last_change) FROM group_members WHERE group_id = ? AND user_id = 'vic'", id))
                .isEqualTo("uma admin_added");

        assertThat(call("vic", "DELETE", admins + "uma", null).status()).as("the creator, by another admin").isEqualTo(403);
        assertThat(call("vic", "DELETE", "/v1/groups/" + id + "/members/uma", null).status()).isEqualTo(403);
        assertThat(call("vic", "PUT", admins + "nobody", null).status()).isEqualTo(404);
        assertThat(call("uma", "DELETE", admins + "vic", null).status()).isEqualTo(204);
        Reply last = call("uma", "DELETE", admins + "uma", null);
        assertThat(last.status()).isEqualTo(409);
        assertThat(last.body().get("code").asText()).isEqualTo("last_admin");
        assertThat(call("uma", "PUT", admins + "vic", null).status()).isEqualTo(200);
        assertThat(call("uma", "DELETE", admins + "uma", null).status()).as("the creator demotes themself").isEqualTo(204);
        assertThat(texts(call("wes", "GET", "/v1/groups/" + id, null).body().get("admins"))).containsExactly("vic");
    }

    @Test
    void marksWhoRemovedAMemberAndWhyBeforeTheRowGoes() {
        String id = create("xan", "Team", "yul", "zed");
        assertThat(row("SELECT CONCAT(changed_by, ' ', last_change) FROM group_members WHERE group_id = ? AND user_id = 'yul'", id))
                .isEqualTo("xan created");
        assertThat(call("xan", "POST", "/v1/groups/" + id + "/members", "{\"user\":\"abe\"}").status()).isEqualTo(201);
        assertThat(row("SELECT CONCAT(changed_by, ' ', last_change) FROM group_members WHERE group_id = ? AND user_id = 'abe'", id))
                .isEqualTo("xan member_added");
        // The marks themselves go with the rows; Debezium sees them in the delete's `before` (GroupFlowIT).
        assertThat(call("xan", "DELETE", "/v1/groups/" + id + "/members/abe", null).status()).isEqualTo(204);
        assertThat(call("zed", "DELETE", "/v1/groups/" + id + "/members/zed", null).status()).isEqualTo(204);
        assertThat(row("SELECT COUNT(*) FROM group_members WHERE group_id = ?", id)).isEqualTo("2");
    }

    @Test
    void adminsDeleteAGroupWithAllItsMembers() {
        String id = create("bea", "Gone soon", "cal", "dan");
        assertThat(call("cal", "DELETE", "/v1/groups/" + id, null).status()).isEqualTo(403);
        assertThat(call("eli", "DELETE", "/v1/groups/" + id, null).status()).isEqualTo(404);
        assertThat(call("bea", "PUT", "/v1/groups/" + id + "/admins/cal", null).status()).isEqualTo(200);
        assertThat(call("cal", "DELETE", "/v1/groups/" + id, null).status()).as("any admin").isEqualTo(204);
        assertThat(call("bea", "GET", "/v1/groups/" + id, null).status()).isEqualTo(404);
        assertThat(call("dan", "GET", "/v1/groups", null).body().findValuesAsText("id")).doesNotContain(id);
        assertThat(row("SELECT COUNT(*) FROM group_members WHERE group_id = ?", id)).isEqualTo("0");
        assertThat(row("SELECT COUNT(*) FROM chat_groups WHERE id = ?", id)).isEqualTo("0");
    }

    @Test
    void limitsTheGroupsOneUserCreatesPerDayWith429() {
        for (int i = 0; i < 3; i++) {
            create("fin", "Group " + i);
        }
        HttpResponse<String> refused = TestEdges.call(base, "fin", "POST", "/v1/groups", "{\"name\":\"One too many\"}");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Json.read(refused.body(), JsonNode.class).get("code").asText()).isEqualTo("rate_limited");
        long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 24 * 3600L);
        assertThat(row("SELECT COUNT(*) FROM chat_groups WHERE created_by = ?", "fin")).isEqualTo("3");
        create("gil", "Someone else's");
    }

    /** The first column of the first row of {@code sql} with {@code arg}, as a string. */
    private static String row(String sql, String arg) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, mariaDb.user(), mariaDb.password());
             PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as(sql).isTrue();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
