package io.pipechat.cdc;

import io.pipechat.schema.Schema;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Configuration of the CDC engine. Defaults run against the embedded stack (MariaDB on
 * 127.0.0.1:3306 as root, Kafka on 127.0.0.1:9092, replication factor 1).
 *
 * <p>Keys for {@link #from(Function)} (system properties {@code cdc.db.host}, or environment
 * variables {@code CDC_DB_HOST}): {@code cdc.connector} ({@code mariadb}|{@code mysql}),
 * {@code cdc.db.host}, {@code cdc.db.port}, {@code cdc.db.user}, {@code cdc.db.password},
 * {@code cdc.db.database}, {@code cdc.db.server-id}, {@code cdc.kafka.bootstrap-servers},
 * {@code cdc.name}, {@code cdc.topic-prefix}, {@code cdc.offsets-topic}, {@code cdc.history-topic},
 * {@code cdc.partitions}, {@code cdc.replication-factor}, {@code cdc.offset-flush-ms},
 * {@code cdc.poll-interval-ms}; any Debezium property as {@code cdc.debezium.<property>}.
 *
 * @param connector         which Debezium connector reads the binlog
 * @param dbHost            MySQL/MariaDB host
 * @param dbPort            its port
 * @param dbUser            a user with {@code RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.*} and
 *                          {@code SELECT} on the database
 * @param dbPassword        its password
 * @param database          the database holding the group tables ({@code chat})
 * @param serverId          Debezium's own replication server id, unique among the server's replicas
 * @param bootstrapServers  Kafka
 * @param name              engine name; part of the offset key, so it must stay the same across restarts
 * @param topicPrefix       Debezium's {@code topic.prefix}: topics are {@code <prefix>.<database>.<table>}
 * @param offsetsTopic      compacted topic holding the binlog position (Kafka Connect offsets format)
 * @param historyTopic      topic holding the DDL history of the captured tables
 * @param partitions        partitions of the change topics, when this engine creates them
 * @param replicationFactor replication of every topic this engine creates
 * @param offsetFlush       how often acknowledged positions are committed; after a crash at most the
 *                          changes of this interval are written again
 * @param pollInterval      how long Debezium waits to fill a batch before handing it over: the floor of
 *                          the commit-to-Kafka delay (100 ms by default; Debezium's own default is 500 ms;
 *                          below that Debezium's queue spins for the last millisecond of every wait, which
 *                          at 10 ms cost 8% of a core with nothing to do, BENCHMARKS.md)
 * @param debezium          further Debezium properties, overriding the derived ones
 */
public record CdcConfig(Connector connector, String dbHost, int dbPort, String dbUser, String dbPassword,
                        String database, long serverId, String bootstrapServers, String name, String topicPrefix,
                        String offsetsTopic, String historyTopic, int partitions, short replicationFactor,
                        Duration offsetFlush, Duration pollInterval, Map<String, String> debezium) {

    public static final String DEFAULT_TOPIC_PREFIX = "cdc";

    public CdcConfig {
        require(connector != null, "cdc.connector is required");
        require(notBlank(dbHost), "cdc.db.host is required");
        require(dbPort > 0 && dbPort <= 65535, "cdc.db.port must be 1..65535, was " + dbPort);
        require(notBlank(dbUser), "cdc.db.user is required");
        dbPassword = dbPassword == null ? "" : dbPassword;
        require(database != null && database.matches("[A-Za-z0-9_]{1,64}"),
                "cdc.db.database must be a plain identifier, was " + database);
        require(serverId > 0 && serverId <= 0xFFFFFFFFL, "cdc.db.server-id must be 1..2^32-1, was " + serverId);
        require(notBlank(bootstrapServers), "cdc.kafka.bootstrap-servers is required");
        require(notBlank(name), "cdc.name is required");
        require(topicPrefix != null && topicPrefix.matches("[A-Za-z0-9_.\\-]+"),
                "cdc.topic-prefix must be a valid topic name part, was " + topicPrefix);
        require(notBlank(offsetsTopic), "cdc.offsets-topic is required");
        require(notBlank(historyTopic), "cdc.history-topic is required");
        require(partitions > 0, "cdc.partitions must be positive, was " + partitions);
        require(replicationFactor > 0, "cdc.replication-factor must be positive, was " + replicationFactor);
        require(offsetFlush != null && offsetFlush.toMillis() > 0, "cdc.offset-flush-ms must be positive");
        require(pollInterval != null && pollInterval.toMillis() > 0, "cdc.poll-interval-ms must be positive");
        debezium = Map.copyOf(debezium == null ? Map.of() : debezium);
    }

    /** MariaDB root@127.0.0.1:3306/chat, Kafka 127.0.0.1:9092, topics {@code cdc.chat.*}. */
    public static CdcConfig defaults() {
        return new CdcConfig(Connector.MARIADB, "127.0.0.1", 3306, "root", "", "chat", 5400,
                "127.0.0.1:9092", "pipechat-cdc", DEFAULT_TOPIC_PREFIX, "cdc.offsets", "cdc.schema-history",
                1, (short) 1, Duration.ofSeconds(1), Duration.ofMillis(100), Map.of());
    }

    /**
     * Reads the keys listed in the class comment through {@code lookup}, defaulting the missing
     * ones; {@code extra} holds the {@code cdc.debezium.*} pass-through properties (prefix removed).
     */
    public static CdcConfig from(Function<String, String> lookup, Map<String, String> extra) {
        CdcConfig d = defaults();
        Function<String, String> get = key -> {
            String v = lookup.apply(key);
            return v == null || v.isBlank() ? null : v.trim();
        };
        return new CdcConfig(
                or(get.apply("cdc.connector"), Connector::parse, d.connector),
                or(get.apply("cdc.db.host"), s -> s, d.dbHost),
                or(get.apply("cdc.db.port"), s -> integer("cdc.db.port", s), d.dbPort),
                or(get.apply("cdc.db.user"), s -> s, d.dbUser),
                or(lookup.apply("cdc.db.password"), s -> s, d.dbPassword),
                or(get.apply("cdc.db.database"), s -> s, d.database),
                or(get.apply("cdc.db.server-id"), s -> (long) integerLong("cdc.db.server-id", s), d.serverId),
                or(get.apply("cdc.kafka.bootstrap-servers"), s -> s, d.bootstrapServers),
                or(get.apply("cdc.name"), s -> s, d.name),
                or(get.apply("cdc.topic-prefix"), s -> s, d.topicPrefix),
                or(get.apply("cdc.offsets-topic"), s -> s, d.offsetsTopic),
                or(get.apply("cdc.history-topic"), s -> s, d.historyTopic),
                or(get.apply("cdc.partitions"), s -> integer("cdc.partitions", s), d.partitions),
                or(get.apply("cdc.replication-factor"), s -> (short) integer("cdc.replication-factor", s),
                        d.replicationFactor),
                or(get.apply("cdc.offset-flush-ms"), s -> Duration.ofMillis(integerLong("cdc.offset-flush-ms", s)),
                        d.offsetFlush),
                or(get.apply("cdc.poll-interval-ms"), s -> Duration.ofMillis(integerLong("cdc.poll-interval-ms", s)),
                        d.pollInterval),
                extra);
    }

    /** From a flat map of the same keys; {@code cdc.debezium.*} entries become Debezium properties. */
    public static CdcConfig from(Map<String, String> values) {
        String prefix = "cdc.debezium.";
        Map<String, String> extra = values.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .collect(Collectors.toMap(e -> e.getKey().substring(prefix.length()), Map.Entry::getValue));
        return from(values::get, extra);
    }

    /** The Kafka topic of a captured table: {@code <topicPrefix>.<database>.<table>}. */
    public String topic(String table) {
        return topicPrefix + "." + database + "." + table;
    }

    /** Topics of {@link Schema#CDC_TABLES}: {@code cdc.chat.chat_groups}, {@code cdc.chat.group_members}. */
    public List<String> changeTopics() {
        return Schema.CDC_TABLES.stream().map(this::topic).toList();
    }

    /** JDBC URL of the database (MariaDB or MySQL driver, after {@link #connector}). */
    public String jdbcUrl() {
        return connector.jdbcUrl(dbHost, dbPort, database);
    }

    public CdcConfig withDatabase(String host, int port, String user, String password, String db) {
        return new CdcConfig(connector, host, port, user, password, db, serverId, bootstrapServers, name,
                topicPrefix, offsetsTopic, historyTopic, partitions, replicationFactor, offsetFlush, pollInterval,
                debezium);
    }

    public CdcConfig withKafka(String servers) {
        return new CdcConfig(connector, dbHost, dbPort, dbUser, dbPassword, database, serverId, servers, name,
                topicPrefix, offsetsTopic, historyTopic, partitions, replicationFactor, offsetFlush, pollInterval,
                debezium);
    }

    /** Engine name, topic prefix and the offsets/history topic names derived from {@code prefix}. */
    public CdcConfig withTopicPrefix(String prefix) {
        return new CdcConfig(connector, dbHost, dbPort, dbUser, dbPassword, database, serverId, bootstrapServers,
                "pipechat-" + prefix, prefix, prefix + ".offsets", prefix + ".schema-history", partitions,
                replicationFactor, offsetFlush, pollInterval, debezium);
    }

    public CdcConfig withServerId(long id) {
        return new CdcConfig(connector, dbHost, dbPort, dbUser, dbPassword, database, id, bootstrapServers, name,
                topicPrefix, offsetsTopic, historyTopic, partitions, replicationFactor, offsetFlush, pollInterval,
                debezium);
    }

    /** With further Debezium properties (replacing those given before), overriding the derived ones. */
    public CdcConfig withDebezium(Map<String, String> properties) {
        return new CdcConfig(connector, dbHost, dbPort, dbUser, dbPassword, database, serverId, bootstrapServers, name,
                topicPrefix, offsetsTopic, historyTopic, partitions, replicationFactor, offsetFlush, pollInterval,
                properties);
    }

    /**
     * The Debezium engine properties: connector, snapshot then binlog, compact JSON, offsets and
     * schema history in Kafka (what {@link #connectorConfig()} gives a Connect worker, plus what the
     * embedded engine has to be told that a worker knows).
     */
    public Properties engineProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("offset.storage", KafkaOffsetStore.class.getName());
        p.put("offset.storage.topic", offsetsTopic);
        p.put("offset.storage.partitions", "1");
        p.put("offset.storage.replication.factor", Short.toString(replicationFactor));
        p.put("offset.flush.interval.ms", Long.toString(offsetFlush.toMillis()));
        p.put("bootstrap.servers", bootstrapServers);
        p.put("converter.schemas.enable", "false");
        p.putAll(capture());
        p.putAll(debezium);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    /**
     * The connector's configuration as Kafka Connect takes it ({@code PUT /connectors/<name>/config}):
     * the same connector, tables, snapshot, tombstones and schema history as the embedded engine, and
     * the same compact JSON without schemas (JsonConverter, {@code schemas.enable=false}) for keys and
     * values, so both write the same bytes to the same topics. Topics the worker creates are
     * compacted with {@link #partitions} and {@link #replicationFactor}, as {@link CdcEngine} creates
     * them. The {@code cdc.debezium.*} properties come last and win.
     */
    public Map<String, String> connectorConfig() {
        Map<String, String> p = capture();
        p.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        p.put("key.converter.schemas.enable", "false");
        p.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        p.put("value.converter.schemas.enable", "false");
        p.put("topic.creation.default.partitions", Integer.toString(partitions));
        p.put("topic.creation.default.replication.factor", Short.toString(replicationFactor));
        p.put("topic.creation.default.cleanup.policy", "compact");
        p.putAll(debezium);
        return p;
    }

    /** What to capture and how: the same for the embedded engine and a Connect worker. */
    private Map<String, String> capture() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("connector.class", connector.connectorClass());
        p.put("tasks.max", "1");
        p.put("database.hostname", dbHost);
        p.put("database.port", Integer.toString(dbPort));
        p.put("database.user", dbUser);
        p.put("database.password", dbPassword);
        p.put("database.server.id", Long.toString(serverId));
        p.put("topic.prefix", topicPrefix);
        p.put("database.include.list", database);
        p.put("table.include.list", Schema.CDC_TABLES.stream().map(t -> database + "." + t)
                .collect(Collectors.joining(",")));
        p.put("snapshot.mode", "initial");
        p.put("include.schema.changes", "false");
        p.put("tombstones.on.delete", "true");
        p.put("poll.interval.ms", Long.toString(pollInterval.toMillis()));
        p.put("schema.history.internal", "io.debezium.storage.kafka.history.KafkaSchemaHistory");
        p.put("schema.history.internal.kafka.topic", historyTopic);
        p.put("schema.history.internal.kafka.bootstrap.servers", bootstrapServers);
        p.put("schema.history.internal.store.only.captured.tables.ddl", "true");
        p.put("schema.history.internal.store.only.captured.databases.ddl", "true");
        return p;
    }

    private static <T> T or(String value, Function<String, T> parse, T fallback) {
        return value == null ? fallback : parse.apply(value);
    }

    private static int integer(String key, String value) {
        long v = integerLong(key, value);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new IllegalArgumentException(key + " is out of range: " + value);
        }
        return (int) v;
    }

    private static long integerLong(String key, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, was " + value);
        }
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
