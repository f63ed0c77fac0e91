-- Web Push subscriptions of a user's browsers. An endpoint URL is unique (the push service issues
-- it), but up to 2048 characters is too long for an index, so the unique key is on its SHA-256,
-- computed by the server (STORED generated column: MySQL 5.7+ and MariaDB 10.2+ both index it).

CREATE TABLE push_subscriptions (
    id              BIGINT NOT NULL AUTO_INCREMENT,
    user_id         VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    endpoint        VARCHAR(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    endpoint_sha256 BINARY(32) GENERATED ALWAYS AS (UNHEX(SHA2(endpoint, 256))) STORED,
    p256dh          VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    auth            VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at      TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY push_subscriptions_endpoint (endpoint_sha256),
    KEY push_subscriptions_user_id (user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
