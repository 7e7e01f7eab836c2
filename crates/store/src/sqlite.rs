//! SQLite: one file, WAL with `synchronous=NORMAL`: every commit survives a crash of the
//! process (a write's "sent" record must), and only a power loss can take the last commits —
//! the usual WAL trade, which saves an fsync per save.
//! Turns are serialized in-process: a SQLite file belongs to one server process.

use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use switchboard_core::agent::Conversation;
use switchboard_core::store::{ConversationStore, LocalLocks, StoreError, TurnLock};

use crate::{backend, now_ms};

/// Migrations, applied in order once each; embedded so the binary needs no files.
const MIGRATIONS: &[(&str, &str)] = &[(
    "0001_conversations",
    include_str!("../migrations/sqlite/0001_conversations.sql"),
)];

/// Conversations in a SQLite file.
pub struct SqliteStore {
    pool: SqlitePool,
    locks: LocalLocks,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub async fn open(path: &std::path::Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(backend)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(backend)?;
        let store = Self {
            pool,
            locks: LocalLocks::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::query("CREATE TABLE IF NOT EXISTS switchboard_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        for (name, sql) in MIGRATIONS {
            let applied: Option<(String,)> =
                sqlx::query_as("SELECT name FROM switchboard_migrations WHERE name = ?")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
            if applied.is_some() {
                continue;
            }
            let mut tx = self.pool.begin().await.map_err(backend)?;
            sqlx::raw_sql(sql)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            sqlx::query("INSERT INTO switchboard_migrations (name, applied_at) VALUES (?, ?)")
                .bind(name)
                .bind(now_ms())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
        }
        Ok(())
    }

    /// How many times a conversation was saved (its row version).
    pub async fn version(&self, id: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT version FROM conversations WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.map(|(v,)| v))
    }
}

#[async_trait::async_trait]
impl ConversationStore for SqliteStore {
    async fn load(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT state FROM conversations WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|(state,)| {
            serde_json::from_str(&state)
                .map_err(|e| StoreError::Corrupt(format!("conversation {id}: {e}")))
        })
        .transpose()
    }

    async fn save(&self, conversation: &Conversation) -> Result<(), StoreError> {
        let state =
            serde_json::to_string(conversation).map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query(
            "INSERT INTO conversations (id, state, version, updated_at) VALUES (?, ?, 1, ?) \
             ON CONFLICT(id) DO UPDATE SET state = excluded.state, version = conversations.version + 1, updated_at = excluded.updated_at",
        )
        .bind(&conversation.id)
        .bind(state)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn lock(&self, id: &str) -> Result<TurnLock, StoreError> {
        Ok(self.locks.lock(id).await)
    }
}
