-- One row per conversation: its whole state (messages, identity, user data, task run).
-- `version` increases with every save.
CREATE TABLE IF NOT EXISTS conversations (
    id         TEXT PRIMARY KEY,
    state      JSONB  NOT NULL,
    version    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
