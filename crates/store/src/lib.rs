//! Switchboard's conversation stores behind `switchboard_core::store::ConversationStore`:
//! SQLite (a file, WAL; the embedded default, created on first use).
//!
//! This crate owns the database schema and its migrations; it knows nothing of what a
//! conversation means — it stores the state the engine hands it and gives it back.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use switchboard_core::agent::Conversation;
use switchboard_core::store::{ConversationStore, StoreError};

/// Migrations, applied in order once each; embedded so the binary needs no files.
const SQLITE_MIGRATIONS: &[(&str, &str)] = &[(
    "0001_conversations",
    include_str!("../migrations/sqlite/0001_conversations.sql"),
)];

fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Conversations in a SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub async fn open(path: &std::path::Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(backend)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every save must survive a crash of this process: a write's "sent" record is the
            // only thing that stops a second send.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(backend)?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::query("CREATE TABLE IF NOT EXISTS switchboard_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        for (name, sql) in SQLITE_MIGRATIONS {
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
                .bind(now())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
        }
        Ok(())
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::identity::Identity;

    #[tokio::test]
    async fn conversations_survive_reopening_the_file() {
        let path =
            std::env::temp_dir().join(format!("switchboard-store-{}.db", uuid::Uuid::new_v4()));
        let store = SqliteStore::open(&path).await.unwrap();
        assert!(store.load("c1").await.unwrap().is_none());
        let mut conversation = Conversation::new("c1", Identity::Anonymous);
        conversation.task_count = 2;
        store.save(&conversation).await.unwrap();
        conversation.task_count = 3;
        store.save(&conversation).await.unwrap();
        drop(store);
        let reopened = SqliteStore::open(&path).await.unwrap();
        let loaded = reopened.load("c1").await.unwrap().unwrap();
        assert_eq!(loaded.task_count, 3);
        let (version,): (i64,) =
            sqlx::query_as("SELECT version FROM conversations WHERE id = 'c1'")
                .fetch_one(&reopened.pool)
                .await
                .unwrap();
        assert_eq!(version, 2);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
