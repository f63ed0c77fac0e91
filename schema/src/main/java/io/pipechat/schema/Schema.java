package io.pipechat.schema;

import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * The MySQL/MariaDB schema of the group service, as Flyway migrations under
 * {@code io/pipechat/schema/migration} (MySQL dialect: MySQL 8 and MariaDB 10.11/11.4).
 *
 * <p>Tables (names are part of the contract: the group API, Debezium's table list and the CDC topic
 * names use them):
 * <ul>
 *   <li>{@value #CHAT_GROUPS}: {@code id} (PK), {@code name}, {@code created_by}, {@code created_at},
 *       {@code description}, {@code icon} (a media object as JSON), {@code changed_by}</li>
 *   <li>{@value #GROUP_MEMBERS}: {@code (group_id, user_id)} (PK), {@code role} ({@value #ROLE_ADMIN}
 *       or {@value #ROLE_MEMBER}), {@code added_at}, {@code changed_by}, {@code last_change}; FK to
 *       {@code chat_groups} with ON DELETE CASCADE; index on {@code user_id} ("my groups")</li>
 *   <li>{@value #GROUP_QUOTAS}: {@code user_id} (PK), {@code window_start}, {@code created}: groups
 *       a user created in the current 24 h window (not captured by CDC)</li>
 *   <li>{@value #PUSH_SUBSCRIPTIONS}: {@code id} (auto increment), {@code user_id} (indexed),
 *       {@code endpoint} (unique through its SHA-256 in {@code endpoint_sha256}, a generated column),
 *       {@code p256dh}, {@code auth}, {@code created_at}</li>
 * </ul>
 * Ids are {@code utf8mb4_bin} (exact, case-sensitive matching), timestamps {@code TIMESTAMP(3)} UTC.
 *
 * <p>Who did what: {@code changed_by} is the user whose action made the row's latest change and
 * {@code last_change} (members only) what it was, one of the {@code LAST_CHANGE_*} values, so that
 * the row's change event says it. To remove a member, set both on the row, then delete it, in one
 * transaction: the delete event's {@code before} then names the remover and the reason. The group
 * job turns these into the system messages of the conversation.
 *
 * <p>Deleting a group: delete its {@code group_members} rows explicitly (same transaction) before
 * the {@code chat_groups} row. The foreign key's ON DELETE CASCADE is a safety net only: InnoDB
 * performs cascades below the binlog (MariaDB 11.4 verified by CdcIT; MySQL 8 alike), so Debezium never sees those
 * deletes and consumers of the CDC topic would keep the members.
 *
 * <p>{@link #migrate} is what every service that uses the database calls at start: already applied
 * migrations are skipped, and Flyway's lock (a MySQL named lock) makes services that start at the
 * same time apply each migration once, the others waiting and then finding nothing to do.
 */
public final class Schema {
    public static final String CHAT_GROUPS = "chat_groups";
    public static final String GROUP_MEMBERS = "group_members";
    public static final String PUSH_SUBSCRIPTIONS = "push_subscriptions";
    public static final String ROLE_ADMIN = "admin";
    public static final String ROLE_MEMBER = "member";
    public static final String GROUP_QUOTAS = "group_quotas";
    /** {@code group_members.last_change}: the member came with the new group. */
    public static final String LAST_CHANGE_CREATED = "created";
    public static final String LAST_CHANGE_MEMBER_ADDED = "member_added";
    public static final String LAST_CHANGE_ADMIN_ADDED = "admin_added";
    public static final String LAST_CHANGE_ADMIN_REMOVED = "admin_removed";
    /** Set just before the row is deleted: the member left themself. */
    public static final String LAST_CHANGE_MEMBER_LEFT = "member_left";
    /** Set just before the row is deleted: an admin ({@code changed_by}) removed the member. */
    public static final String LAST_CHANGE_MEMBER_REMOVED = "member_removed";
    /** Set just before the row is deleted: an admin ({@code changed_by}) deleted the group. */
    public static final String LAST_CHANGE_GROUP_DELETED = "group_deleted";
    /** The tables whose changes Debezium streams to Kafka. */
    public static final List<String> CDC_TABLES = List.of(CHAT_GROUPS, GROUP_MEMBERS);

    static final String LOCATION = "classpath:io/pipechat/schema/migration";

    private Schema() {
    }

    /**
     * Brings the database of {@code dataSource} to the newest schema version.
     *
     * @return how many migrations this call applied (0 when the schema was already current)
     * @throws org.flywaydb.core.api.FlywayException if a migration fails, or an applied one was changed
     */
    public static int migrate(DataSource dataSource) {
        return flyway(Flyway.configure().dataSource(dataSource)).migrate().migrationsExecuted;
    }

    /** The same with a JDBC URL (the driver must be on the class path). */
    public static int migrate(String jdbcUrl, String user, String password) {
        return flyway(Flyway.configure().dataSource(jdbcUrl, user, password)).migrate().migrationsExecuted;
    }

    private static Flyway flyway(FluentConfiguration config) {
        return config
                .locations(LOCATION)
                .failOnMissingLocations(true)
                .cleanDisabled(true)
                .validateMigrationNaming(true)
                .load();
    }
}
