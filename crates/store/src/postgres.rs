//! PostgreSQL: several server processes share one database. A turn holds a transaction-scoped
//! advisory lock on its conversation for as long as it runs, so concurrent turns on one
//! conversation — on any node — run one after the other.

use sqlx::postgres::{PgPool, PgPoolOptions};
use switchboard_core::agent::Conversation;
use switchboard_core::store::{ConversationStore, EventBus, PublishedEvent, StoreError, TurnLock};

use crate::{backend, now_ms};

const MIGRATIONS: &[(&str, &str)] = &[(
    "0001_conversations",
    include_str!("../migrations/postgres/0001_conversations.sql"),
)];

/// Keeps all migrations of all processes apart (an arbitrary constant).
const MIGRATION_LOCK: i64 = 0x5357_4254_4348;

/// Conversations in PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects and applies pending migrations (one process at a time).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(backend)?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("CREATE TABLE IF NOT EXISTS switchboard_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        for (name, sql) in MIGRATIONS {
            let applied: Option<(String,)> =
                sqlx::query_as("SELECT name FROM switchboard_migrations WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
            if applied.is_none() {
                sqlx::raw_sql(sql)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                sqlx::query(
                    "INSERT INTO switchboard_migrations (name, applied_at) VALUES ($1, $2)",
                )
                .bind(name)
                .bind(now_ms())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)
    }

    /// How many times a conversation was saved (its row version).
    pub async fn version(&self, id: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT version FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.map(|(v,)| v))
    }
}

#[async_trait::async_trait]
impl ConversationStore for PostgresStore {
    async fn load(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT state::text FROM conversations WHERE id = $1")
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
            "INSERT INTO conversations (id, state, version, updated_at) VALUES ($1, $2::jsonb, 1, $3) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, version = conversations.version + 1, updated_at = excluded.updated_at",
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
        // Held until the transaction ends: dropping the guard rolls it back and releases it.
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Ok(TurnLock::new(tx))
    }
}

/// The NOTIFY channel turn events travel on.
const EVENTS_CHANNEL: &str = "switchboard_events";

/// NOTIFY payloads must stay under 8000 bytes; bigger events travel without their details.
const MAX_PAYLOAD: usize = 7_500;

/// Turn events shared by every node through PostgreSQL LISTEN/NOTIFY.
pub struct PostgresBus {
    pool: PgPool,
    local: tokio::sync::broadcast::Sender<PublishedEvent>,
}

impl PostgresBus {
    /// Listens for every node's events (including this node's own) and relays them locally.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(url)
            .await
            .map_err(backend)?;
        let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
            .await
            .map_err(backend)?;
        listener.listen(EVENTS_CHANNEL).await.map_err(backend)?;
        let (local, _) = tokio::sync::broadcast::channel(1024);
        let relay = local.clone();
        tokio::spawn(async move {
            // `recv` reconnects by itself after a dropped connection.
            while let Ok(notification) = listener.recv().await {
                if let Ok(event) = serde_json::from_str::<PublishedEvent>(notification.payload()) {
                    let _ = relay.send(event);
                }
            }
        });
        Ok(Self { pool, local })
    }
}

impl EventBus for PostgresBus {
    fn publish(&self, mut event: PublishedEvent) {
        let mut payload = serde_json::to_string(&event).unwrap_or_default();
        if payload.len() > MAX_PAYLOAD {
            event.data = serde_json::json!({"type": event.name, "truncated": true}).to_string();
            payload = serde_json::to_string(&event).unwrap_or_default();
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(EVENTS_CHANNEL)
                .bind(payload)
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "publishing a turn event failed");
            }
        });
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<PublishedEvent> {
        self.local.subscribe()
    }
}
