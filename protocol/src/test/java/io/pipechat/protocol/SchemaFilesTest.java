package io.pipechat.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.protocol.events.Delivery;
import io.pipechat.protocol.events.EdgeHeartbeat;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.PushRequest;
import io.pipechat.protocol.events.UserEvent;
import io.pipechat.protocol.frames.ServerFrame;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The JSON Schemas in {@code src/main/resources/schemas/} keep up with the Java records: every
 * {@code type} name Jackson writes is in the schema, and every record component has a property in
 * the schema branch of its type. (Validation of real records against the schemas, with a JSON
 * Schema validator, is {@code RecordSchemasTest} in the tools module.)
 */
class SchemaFilesTest {
    private static final List<String> FILES = List.of("common", "user-events", "group-events", "deliveries", "edges", "push",
            "server-frame", "client-frame");

    @Test
    void everyFileIsDraft202012WithItsOwnId() throws IOException {
        for (String file : FILES) {
            JsonNode s = schema(file);
            assertThat(s.path("$schema").asText()).as(file).isEqualTo("https://json-schema.org/draft/2020-12/schema");
            assertThat(s.path("$id").asText()).as(file).isEqualTo("https://pipechat.io/schemas/" + file + ".schema.json");
        }
    }

    @Test
    void typeNamesAndFieldsMatchTheRecords() throws IOException {
        checkSealed(UserEvent.class, schema("user-events"));
        checkSealed(Delivery.class, schema("deliveries"));
        checkSealed(ServerFrame.class, schema("server-frame"));
        checkSealed(GroupEvent.class, schema("group-events"));
        checkPlain(EdgeHeartbeat.class, schema("edges"));
        checkPlain(PushRequest.class, schema("push"));
    }

    /** The type names of a sealed interface, and for each one the schema branch that has its fields. */
    private static void checkSealed(Class<?> sealed, JsonNode schema) {
        Map<String, Class<?>> types = new LinkedHashMap<>();
        for (JsonSubTypes.Type t : sealed.getAnnotation(JsonSubTypes.class).value()) {
            types.put(t.name(), t.value());
        }
        assertThat(types.values()).as("every permitted type is named").containsExactlyInAnyOrder(sealed.getPermittedSubclasses());
        List<JsonNode> branches = branches(schema);
        Set<String> schemaTypes = new TreeSet<>();
        for (JsonNode b : branches) {
            if (b.path("properties").path("type").has("const")) {
                schemaTypes.add(b.path("properties").path("type").path("const").asText());
            }
        }
        assertThat(schemaTypes).as(sealed.getSimpleName() + " type names").isEqualTo(new TreeSet<>(types.keySet()));
        for (Map.Entry<String, Class<?>> t : types.entrySet()) {
            JsonNode branch = branches.stream()
                    .filter(b -> t.getKey().equals(b.path("properties").path("type").path("const").asText()))
                    .findFirst().orElseThrow();
            Set<String> properties = new HashSet<>();
            branch.path("properties").fieldNames().forEachRemaining(properties::add);
            schema.path("properties").fieldNames().forEachRemaining(properties::add);
            assertThat(properties).as("%s.%s fields in the schema", sealed.getSimpleName(), t.getValue().getSimpleName())
                    .containsAll(components(t.getValue()));
        }
    }

    private static void checkPlain(Class<?> record, JsonNode schema) {
        Set<String> properties = new TreeSet<>();
        schema.path("properties").fieldNames().forEachRemaining(properties::add);
        Set<String> fields = new TreeSet<>(components(record));
        fields.add("v");
        assertThat(properties).as(record.getSimpleName()).isEqualTo(fields);
    }

    /** The branches of a schema: its oneOf entries (resolving local $refs), or the schema itself. */
    private static List<JsonNode> branches(JsonNode schema) {
        if (!schema.has("oneOf")) {
            return List.of(schema);
        }
        List<JsonNode> out = new java.util.ArrayList<>();
        for (JsonNode b : schema.get("oneOf")) {
            String ref = b.path("$ref").asText();
            out.add(ref.startsWith("#/") ? schema.at(ref.substring(1)) : b);
        }
        return out;
    }

    private static List<String> components(Class<?> record) {
        return Arrays.stream(record.getRecordComponents()).map(RecordComponent::getName).toList();
    }

    private static JsonNode schema(String name) throws IOException {
        try (InputStream in = SchemaFilesTest.class.getResourceAsStream("/schemas/" + name + ".schema.json")) {
            assertThat(in).as(name).isNotNull();
            return Json.MAPPER.readTree(in);
        }
    }
}
