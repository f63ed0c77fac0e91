-- Runs once, when the MySQL data volume is new (docker-entrypoint-initdb.d). MYSQL_USER already
-- owns the `chat` database; the CDC service (Debezium) also reads the binlog with it.
GRANT RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'pipechat'@'%';
FLUSH PRIVILEGES;
