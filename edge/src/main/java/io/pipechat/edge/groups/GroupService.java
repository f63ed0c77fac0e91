package io.pipechat.edge.groups;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pipechat.edge.auth.Authenticated;
import io.pipechat.edge.auth.Errors;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.auth.TokenVerifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group HTTP API of PROTOCOL.md under {@code /v1/groups}, authenticated like the WebSocket.
 * Only members see a group (others get 404, so ids are not probed), only admins add or remove
 * others, anyone may leave. Errors are JSON: {@code {"code", "message"}}.
 */
public final class GroupService implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(GroupService.class);
    private static final int MAX_NAME = 255;

    private final GroupStore store;
    private final TokenVerifier tokens;

    public GroupService(GroupStore store, TokenVerifier tokens) {
        this.store = store;
        this.tokens = tokens;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", authenticated(this::create))
                .get("/", authenticated(this::mine))
                .get("/{id}", authenticated(this::get))
                .post("/{id}/members", authenticated(this::addMember))
                .delete("/{id}/members/{user}", authenticated(this::removeMember));
    }

    private Handler authenticated(Authenticated.UserHandler handler) {
        return Authenticated.handler(tokens, (user, req, res) -> {
            try {
                handler.handle(user, req, res);
            } catch (GroupException e) {
                Errors.send(res, e.status(), e.code(), e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("group API failed", e);
                Errors.send(res, Status.INTERNAL_SERVER_ERROR_500, "internal", "internal error");
            }
        });
    }

    private void create(String user, ServerRequest req, ServerResponse res) {
        JsonNode body = body(req);
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank() || name.asText().length() > MAX_NAME) {
            throw GroupException.badRequest("name: 1-" + MAX_NAME + " characters");
        }
        List<String> members = new ArrayList<>();
        JsonNode list = body.get("members");
        if (list != null && !list.isNull()) {
            if (!list.isArray()) {
                throw GroupException.badRequest("members must be an array of user ids");
            }
            for (JsonNode m : list) {
                members.add(userId(m));
            }
        }
        Group g = store.create(name.asText(), user, members);
        json(res.status(Status.CREATED_201), Map.of("id", g.id(), "name", g.name()));
    }

    private void mine(String user, ServerRequest req, ServerResponse res) {
        List<Map<String, Object>> out = store.groupsOf(user).stream()
                .map(g -> Map.<String, Object>of("id", g.id(), "name", g.name(), "role", g.members().getFirst().role()))
                .toList();
        json(res, out);
    }

    private void get(String user, ServerRequest req, ServerResponse res) {
        Group g = store.find(req.path().pathParameters().get("id")).filter(x -> x.hasMember(user))
                .orElseThrow(GroupException::notFound);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", g.id());
        out.put("name", g.name());
        out.put("createdBy", g.createdBy());
        out.put("members", g.members().stream().map(Group.Member::user).toList());
        out.put("admins", g.members().stream().filter(Group.Member::admin).map(Group.Member::user).toList());
        json(res, out);
    }

    private void addMember(String user, ServerRequest req, ServerResponse res) {
        String added = userId(body(req).get("user"));
        boolean created = store.addMember(req.path().pathParameters().get("id"), user, added);
        json(res.status(created ? Status.CREATED_201 : Status.OK_200), Map.of("user", added));
    }

    private void removeMember(String user, ServerRequest req, ServerResponse res) {
        String removed = req.path().pathParameters().get("user");
        if (!Ids.isUserId(removed)) {
            throw GroupException.badRequest("bad user id");
        }
        store.removeMember(req.path().pathParameters().get("id"), user, removed);
        res.status(Status.NO_CONTENT_204).send();
    }

    private static String userId(JsonNode node) {
        if (node == null || !node.isTextual() || !Ids.isUserId(node.asText())) {
            throw GroupException.badRequest("user ids are 1-64 characters of [A-Za-z0-9._-]");
        }
        return node.asText();
    }

    private static JsonNode body(ServerRequest req) {
        try {
            JsonNode body = Json.MAPPER.readTree(req.content().as(String.class));
            if (body == null || !body.isObject()) {
                throw GroupException.badRequest("body must be a JSON object");
            }
            return body;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw GroupException.badRequest("body is not valid JSON");
        }
    }

    private static void json(ServerResponse res, Object value) {
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(Json.write(value));
    }
}
