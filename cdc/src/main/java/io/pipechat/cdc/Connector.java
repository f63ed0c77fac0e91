package io.pipechat.cdc;

import java.util.Locale;

/** Which Debezium connector reads the binlog: MariaDB's own, or MySQL's (they disagree on MariaDB 11). */
public enum Connector {
    MARIADB("io.debezium.connector.mariadb.MariaDbConnector", "jdbc:mariadb://"),
    MYSQL("io.debezium.connector.mysql.MySqlConnector", "jdbc:mysql://");

    private final String connectorClass;
    private final String jdbcScheme;

    Connector(String connectorClass, String jdbcScheme) {
        this.connectorClass = connectorClass;
        this.jdbcScheme = jdbcScheme;
    }

    public String connectorClass() {
        return connectorClass;
    }

    /** JDBC URL of the same database, for the schema migrations. */
    public String jdbcUrl(String host, int port, String database) {
        return jdbcScheme + host + ":" + port + "/" + database;
    }

    /** {@code mariadb} or {@code mysql}, any case. */
    public static Connector parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("cdc.connector must be mariadb or mysql, was " + name);
        }
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
