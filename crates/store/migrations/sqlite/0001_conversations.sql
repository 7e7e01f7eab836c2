-- One row per conversation: its whole state (messages, identity, user data, task run) as JSON.
-- `version` increases with every save.
CREATE TABLE IF NOT EXISTS conversations (
    id         TEXT PRIMARY KEY,
    state      TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
