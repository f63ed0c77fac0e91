package io.pipechat.edge;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.helidon.config.Config;
import io.pipechat.edge.groups.GroupService;
import io.pipechat.edge.groups.GroupStore;
import io.pipechat.protocol.auth.TokenVerifier;
import io.pipechat.schema.Schema;
import java.util.Optional;

/**
 * The group API's database side: present when {@code db.url} is configured (a MySQL or MariaDB
 * JDBC URL, with {@code db.user}, {@code db.password}); the schema is migrated at start.
 * {@code groups.max-members} (default 1024) limits group size.
 */
final class Groups implements AutoCloseable {
    private final HikariDataSource dataSource;
    private final GroupService service;

    private Groups(HikariDataSource dataSource, GroupService service) {
        this.dataSource = dataSource;
        this.service = service;
    }

    static Groups start(Config config, TokenVerifier tokens) {
        Optional<String> url = config.get("db.url").asString().asOptional();
        if (url.isEmpty()) {
            return new Groups(null, null);
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
        GroupStore store = new GroupStore(ds, config.get("groups.max-members").asInt().orElse(1024));
        return new Groups(ds, new GroupService(store, tokens));
    }

    Optional<GroupService> service() {
        return Optional.ofNullable(service);
    }

    @Override
    public void close() {
        if (dataSource != null) {
            dataSource.close();
        }
    }
}
