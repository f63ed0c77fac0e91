-- What members see of a group beyond its name (a description, an icon), who made each change of a
-- group or of a membership and what it was, and the per-user quota of groups created.
--
-- changed_by / last_change describe the row's latest change, so that its Debezium change event says
-- who did what (the group job turns them into the system messages of the conversation). A removal
-- sets both on the member's row in the same transaction just before the DELETE: the delete's event
-- then carries them in `before` (member_left, member_removed or group_deleted).
-- NULL in rows written before this migration (the job then shows the change without its author).

ALTER TABLE chat_groups
    ADD COLUMN description VARCHAR(2048) NULL,
    -- The icon's media object as JSON: {"id", "mime", "size", "key"?, "name"?} (PROTOCOL.md, Media).
    ADD COLUMN icon        VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    ADD COLUMN changed_by  VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;

ALTER TABLE group_members
    ADD COLUMN changed_by  VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    ADD COLUMN last_change VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL;

-- Groups one user created in the current window (groups.max-created-per-day): one row per user,
-- reset when its window of 24 h has passed. Not captured by CDC.
CREATE TABLE group_quotas (
    user_id      VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    window_start TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    created      INT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
