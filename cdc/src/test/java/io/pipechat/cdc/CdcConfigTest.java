package io.pipechat.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipechat.protocol.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class CdcConfigTest {

    @Test
    void defaultsRunTheEmbeddedStackAndNameTheTopicsOfTheProtocol() {
        CdcConfig config = CdcConfig.defaults();
        assertThat(config.topic("group_members")).isEqualTo(Topics.GROUP_MEMBERS_CDC);
        assertThat(config.changeTopics()).containsExactly("cdc.chat.chat_groups", "cdc.chat.group_members");
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:3306/chat");

        Properties p = config.engineProperties();
        assertThat(p).containsEntry("connector.class", "io.debezium.connector.mariadb.MariaDbConnector")
                .containsEntry("snapshot.mode", "initial")
                .containsEntry("table.include.list", "chat.chat_groups,chat.group_members")
                .containsEntry("converter.schemas.enable", "false")
                .containsEntry("tombstones.on.delete", "true")
                .containsEntry("offset.storage", KafkaOffsetStore.class.getName())
                .containsEntry("offset.storage.topic", "cdc.offsets")
                .containsEntry("schema.history.internal", "io.debezium.storage.kafka.history.KafkaSchemaHistory")
                .containsEntry("schema.history.internal.kafka.topic", "cdc.schema-history")
                .containsEntry("bootstrap.servers", "127.0.0.1:9092");
    }

    @Test
    void readsEveryKeyAndPassesDebeziumPropertiesThrough() {
        CdcConfig config = CdcConfig.from(Map.ofEntries(
                Map.entry("cdc.connector", "MySQL"),
                Map.entry("cdc.db.host", "db.internal"),
                Map.entry("cdc.db.port", "3307"),
                Map.entry("cdc.db.user", "debezium"),
                Map.entry("cdc.db.password", "s3cret"),
                Map.entry("cdc.db.database", "groups"),
                Map.entry("cdc.db.server-id", "184054"),
                Map.entry("cdc.kafka.bootstrap-servers", "k1:9092,k2:9092"),
                Map.entry("cdc.name", "cdc-prod"),
                Map.entry("cdc.topic-prefix", "prod"),
                Map.entry("cdc.offsets-topic", "prod.offsets"),
                Map.entry("cdc.history-topic", "prod.history"),
                Map.entry("cdc.partitions", "6"),
                Map.entry("cdc.replication-factor", "3"),
                Map.entry("cdc.offset-flush-ms", "5000"),
                Map.entry("cdc.poll-interval-ms", "250"),
                Map.entry("cdc.debezium.heartbeat.interval.ms", "10000")));

        assertThat(config.connector()).isEqualTo(Connector.MYSQL);
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:mysql://db.internal:3307/groups");
        assertThat(config.changeTopics()).containsExactly("prod.groups.chat_groups", "prod.groups.group_members");
        assertThat(config.partitions()).isEqualTo(6);
        assertThat(config.replicationFactor()).isEqualTo((short) 3);
        assertThat(config.offsetFlush()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.engineProperties())
                .containsEntry("connector.class", "io.debezium.connector.mysql.MySqlConnector")
                .containsEntry("database.hostname", "db.internal")
                .containsEntry("database.port", "3307")
                .containsEntry("database.user", "debezium")
                .containsEntry("database.password", "s3cret")
                .containsEntry("database.server.id", "184054")
                .containsEntry("database.include.list", "groups")
                .containsEntry("name", "cdc-prod")
                .containsEntry("topic.prefix", "prod")
                .containsEntry("offset.storage.replication.factor", "3")
                .containsEntry("offset.flush.interval.ms", "5000")
                .containsEntry("poll.interval.ms", "250")
                .containsEntry("heartbeat.interval.ms", "10000");
    }

    @Test
    void rejectsBadValuesWithTheKeyInTheMessage() {
        assertThatThrownBy(() -> CdcConfig.from(Map.of("cdc.connector", "postgres")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cdc.connector");
        assertThatThrownBy(() -> CdcConfig.from(Map.of("cdc.db.port", "abc")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cdc.db.port");
        assertThatThrownBy(() -> CdcConfig.from(Map.of("cdc.db.port", "70000")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cdc.db.port");
        assertThatThrownBy(() -> CdcConfig.from(Map.of("cdc.db.database", "chat; DROP")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cdc.db.database");
        assertThatThrownBy(() -> CdcConfig.from(Map.of("cdc.db.server-id", "0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cdc.db.server-id");
    }
}
