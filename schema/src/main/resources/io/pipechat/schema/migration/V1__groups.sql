-- Groups and their members: the source of truth of group membership. Debezium streams every change
-- of both tables to Kafka (cdc.<database>.chat_groups, cdc.<database>.group_members).
-- Ids compare byte for byte (utf8mb4_bin), like the Kafka keys derived from them.
-- Explicit DEFAULTs keep servers with explicit_defaults_for_timestamp=OFF from adding
-- ON UPDATE CURRENT_TIMESTAMP to the first TIMESTAMP column.

CREATE TABLE chat_groups (
    id         VARCHAR(64)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    name       VARCHAR(255) NOT NULL,
    created_by VARCHAR(64)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE group_members (
    group_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    user_id  VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    role     VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    added_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (group_id, user_id),
    KEY group_members_user_id (user_id),
    CONSTRAINT group_members_group FOREIGN KEY (group_id) REFERENCES chat_groups (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
