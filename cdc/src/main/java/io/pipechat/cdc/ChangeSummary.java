package io.pipechat.cdc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * What the metrics need of one Debezium change event, read from its compact JSON value without
 * building a tree ({@code before} and {@code after} are skipped).
 *
 * @param op           {@code read} (snapshot), {@code create}, {@code update}, {@code delete},
 *                     {@code truncate}, {@code message}, {@code tombstone} (null value after a delete)
 *                     or {@code other} (a value that is not a Debezium envelope)
 * @param sourceMillis {@code source.ts_ms}: when the change was made in the database (MariaDB's binlog
 *                     has whole seconds; MySQL 8 gives the commit time to the microsecond), or -1
 * @param engineMillis the envelope's {@code ts_ms}: when the connector processed the change, or -1
 */
record ChangeSummary(String op, long sourceMillis, long engineMillis) {
    static final ChangeSummary TOMBSTONE = new ChangeSummary("tombstone", -1, -1);
    private static final ChangeSummary OTHER = new ChangeSummary("other", -1, -1);
    private static final JsonFactory JSON = new JsonFactory();

    /** Never throws: a value it cannot read is {@code other} without timestamps. */
    static ChangeSummary of(String value) {
        if (value == null) {
            return TOMBSTONE;
        }
        try (JsonParser p = JSON.createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return OTHER;
            }
            String op = null;
            long source = -1;
            long engine = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken token = p.nextToken();
                switch (field) {
                    case "op" -> op = token == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "ts_ms" -> engine = token == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                    case "source" -> {
                        if (token == JsonToken.START_OBJECT) {
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String inner = p.currentName();
                                JsonToken t = p.nextToken();
                                if (inner.equals("ts_ms") && t == JsonToken.VALUE_NUMBER_INT) {
                                    source = p.getLongValue();
                                } else {
                                    p.skipChildren();
                                }
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            return op == null ? OTHER : new ChangeSummary(opName(op), source, engine);
        } catch (IOException | RuntimeException e) {
            return OTHER;
        }
    }

    private static String opName(String code) {
        return switch (code) {
            case "r" -> "read";
            case "c" -> "create";
            case "u" -> "update";
            case "d" -> "delete";
            case "t" -> "truncate";
            case "m" -> "message";
            default -> "other";
        };
    }
}
