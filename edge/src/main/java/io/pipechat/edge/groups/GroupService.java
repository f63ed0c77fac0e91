package io.pipechat.edge.groups;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.config.Config;
import io.helidon.http.HeaderNames;
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
import io.pipechat.protocol.Media;
import io.pipechat.protocol.auth.TokenVerifier;
import io.pipechat.protocol.frames.FrameCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group HTTP API of PROTOCOL.md under {@code /v1/groups}, authenticated like the WebSocket.
 * Only members see a group (others get 404, so ids are not probed); who may change what is
 * {@link GroupStore}'s. Errors are JSON: {@code {"code", "message"}}; a 429 also carries
 * {@code Retry-After}.
 */
public final class GroupService implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(GroupService.class);

    private final GroupStore store;
    private final TokenVerifier tokens;

    public GroupService(GroupStore store, TokenVerifier tokens) {
        this.store = store;
        this.tokens = tokens;
    }

    /**
     * The API on {@code db} with the limits of the {@code groups} configuration node:
     * {@code max-members} (default 1024) and {@code max-created-per-day} (default 50).
     */
    public static GroupService create(Config groups, DataSource db, TokenVerifier tokens) {
        return new GroupService(new GroupStore(db, groups.get("max-members").asInt().orElse(1024),
                groups.get("max-created-per-day").asInt().orElse(50)), tokens);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", authenticated(this::create))
                .get("/", authenticated(this::mine))
                .get("/{id}", authenticated(this::get))
                .patch("/{id}", authenticated(this::update))
                .delete("/{id}", authenticated(this::delete))
                .post("/{id}/members", authenticated(this::addMember))
                .delete("/{id}/members/{user}", authenticated(this::removeMember))
                .put("/{id}/admins/{user}", authenticated(this::promote))
                .delete("/{id}/admins/{user}", authenticated(this::demote));
    }

    private Handler authenticated(Authenticated.UserHandler handler) {
        return Authenticated.handler(tokens, (user, req, res) -> {
            try {
                handler.handle(user, req, res);
            } catch (GroupException e) {
                if (e.retryAfter() != null) {
                    res.header(HeaderNames.RETRY_AFTER, Long.toString(Math.max(1, e.retryAfter().toSeconds())));
                }
                Errors.send(res, e.status(), e.code(), e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("group API failed", e);
                Errors.send(res, Status.INTERNAL_SERVER_ERROR_500, "internal", "internal error");
            }
        });
    }

    private void create(String user, ServerRequest req, ServerResponse res) {
        JsonNode body = body(req);
        String name = name(body.get("name"));
        if (name == null) {
            throw GroupException.badRequest("name: 1-" + GroupStore.MAX_NAME + " characters");
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
        Group g = store.create(name, user, members);
        json(res.status(Status.CREATED_201), Map.of("id", g.id(), "name", g.name()));
    }

    private void mine(String user, ServerRequest req, ServerResponse res) {
        List<Map<String, Object>> out = store.groupsOf(user).stream()
                .map(g -> Map.<String, Object>of("id", g.id(), "name", g.name(), "role", g.members().getFirst().role()))
                .toList();
        json(res, out);
    }

    private void get(String user, ServerRequest req, ServerResponse res) {
        Group g = store.find(groupId(req)).filter(x -> x.hasMember(user)).orElseThrow(GroupException::notFound);
        json(res, view(g));
    }

    /** {@code {"name"?, "description"?, "icon"?}}: what is present changes; null or "" clears a description, null an icon. */
    private void update(String user, ServerRequest req, ServerResponse res) {
        JsonNode body = body(req);
        String name = null;
        if (body.has("name")) {
            name = name(body.get("name"));
            if (name == null) {
                throw GroupException.badRequest("name: 1-" + GroupStore.MAX_NAME + " characters");
            }
        }
        String description = null;
        boolean clearDescription = false;
        if (body.has("description")) {
            JsonNode d = body.get("description");
            if (!d.isNull() && !d.isTextual() || d.isTextual() && d.asText().length() > GroupStore.MAX_DESCRIPTION) {
                throw GroupException.badRequest("description: a string of at most " + GroupStore.MAX_DESCRIPTION
                        + " characters, or null");
            }
            description = d.isNull() || d.asText().isBlank() ? null : d.asText();
            clearDescription = description == null;
        }
        Media icon = null;
        boolean clearIcon = false;
        if (body.has("icon")) {
            icon = icon(body.get("icon"));
            clearIcon = icon == null;
        }
        if (!body.has("name") && !body.has("description") && !body.has("icon")) {
            throw GroupException.badRequest("nothing to change: name, description or icon");
        }
        Group g = store.update(groupId(req), user, new GroupStore.Info(name, description, clearDescription, icon, clearIcon));
        json(res, view(g));
    }

    private void delete(String user, ServerRequest req, ServerResponse res) {
        store.delete(groupId(req), user);
        res.status(Status.NO_CONTENT_204).send();
    }

    private void addMember(String user, ServerRequest req, ServerResponse res) {
        String added = userId(body(req).get("user"));
        boolean created = store.addMember(groupId(req), user, added);
        json(res.status(created ? Status.CREATED_201 : Status.OK_200), Map.of("user", added));
    }

    private void removeMember(String user, ServerRequest req, ServerResponse res) {
        store.removeMember(groupId(req), user, pathUser(req));
        res.status(Status.NO_CONTENT_204).send();
    }

    private void promote(String user, ServerRequest req, ServerResponse res) {
        String promoted = pathUser(req);
        store.setAdmin(groupId(req), user, promoted, true);
        json(res, Map.of("user", promoted));
    }

    private void demote(String user, ServerRequest req, ServerResponse res) {
        store.setAdmin(groupId(req), user, pathUser(req), false);
        res.status(Status.NO_CONTENT_204).send();
    }

    private static Map<String, Object> view(Group g) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", g.id());
        out.put("name", g.name());
        if (g.description() != null) {
            out.put("description", g.description());
        }
        if (g.icon() != null) {
            out.put("icon", g.icon());
        }
        out.put("createdBy", g.createdBy());
        out.put("members", g.members().stream().map(Group.Member::user).toList());
        out.put("admins", g.members().stream().filter(Group.Member::admin).map(Group.Member::user).toList());
        return out;
    }

    /** A valid group name, or null. */
    private static String name(JsonNode node) {
        boolean ok = node != null && node.isTextual() && !node.asText().isBlank()
                && node.asText().length() <= GroupStore.MAX_NAME;
        return ok ? node.asText() : null;
    }

    /** A media object of an image, or null to remove the icon. */
    private static Media icon(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        Object media = FrameCodec.media(node);
        if (media instanceof String problem) {
            throw GroupException.badRequest("icon: " + problem);
        }
        Media icon = (Media) media;
        if (!icon.mime().startsWith("image/")) {
            throw GroupException.badRequest("icon: an image/* media object");
        }
        return icon;
    }

    private static String groupId(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }

    private static String pathUser(ServerRequest req) {
        String user = req.path().pathParameters().get("user");
        if (!Ids.isUserId(user)) {
            throw GroupException.badRequest("bad user id");
        }
        return user;
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
