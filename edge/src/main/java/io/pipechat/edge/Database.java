package io.pipechat.edge;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.helidon.config.Config;
import io.pipechat.schema.Schema;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The edge's MySQL/MariaDB side, present when {@code db.url} is configured (a MySQL or MariaDB JDBC
 * URL, with {@code db.user}, {@code db.password}, {@code db.pool-size}); the schema is migrated at
 * start. It backs the group API ({@code groups.max-members}, default 1024) and the push
 * subscriptions.
 */
final class Database implements AutoCloseable {
    private final HikariDataSource dataSource;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    static Optional<Database> start(Config config) {
        Optional<String> url = config.get("db.url").asString().asOptional();
        if (url.isEmpty()) {
            return Optional.empty();
        }
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(url.get());
        hikari.setUsername(config.get("db.user").asString().orElse("root"));
        hikari.setPassword(config.get("db.password").asString().orElse(""));
        hikari.setMaximumPoolSize(config.get("db.pool-size").asInt().orElse(8));
        hikari.setPoolName("edge-db");
        HikariDataSource ds = new HikariDataSource(hikari);
        try {
            Schema.migrate(ds);
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return Optional.of(new Database(ds));
    }

    DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
