//! PostgreSQL: several server processes share one database. A turn holds a transaction-scoped
//! advisory lock on its conversation for as long as it runs, so concurrent turns on one
//! conversation — on any node — run one after the other.

use sqlx::Connection;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::sync::Arc;
use switchboard_core::agent::Conversation;

use switchboard_core::store::{
    ConversationStore, EventBus, PublishedEvent, StoreError, Subscribers, Subscription, TurnLock,
};

use crate::{backend, now_ms};

const MIGRATIONS: &[(&str, &str)] = &[(
    "0001_conversations",
    include_str!("../migrations/postgres/0001_conversations.sql"),
)];

/// Keeps all migrations of all processes apart (an arbitrary constant).
const MIGRATION_LOCK: i64 = 0x5357_4254_4348;

/// A connection that sat idle is pinged before use (it may have died with a restart or a
/// failover); one in steady use is not — a ping is a round trip per query.
fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for > std::time::Duration::from_secs(1) {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Connections in the store's pool.
const POOL_SIZE: u32 = 16;

/// Turns that may hold their conversation's lock at once, on this node. A turn holds a
/// connection for its lock and needs a second one for each load and save; were every
/// connection a lock, each turn would wait for a connection only another waiting turn could
/// free (until the acquire timeout). Capped at half the pool, a lock holder always finds a
/// connection for its queries; the turns over the cap wait their turn here, holding nothing.
const TURN_LOCKS: usize = POOL_SIZE as usize / 2;

/// Conversations in PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
    turn_locks: Arc<tokio::sync::Semaphore>,
}

impl PostgresStore {
    /// Connects and applies pending migrations (one process at a time).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = pool_options()
            .max_connections(POOL_SIZE)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(backend)?;
        let store = Self {
            pool,
            turn_locks: Arc::new(tokio::sync::Semaphore::new(TURN_LOCKS)),
        };
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
        let slot = self
            .turn_locks
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        // Held until the transaction ends: dropping the guard rolls it back and releases it
        // (then the slot).
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Ok(TurnLock::new((tx, slot)))
    }
}

/// The NOTIFY channel turn events travel on.
const EVENTS_CHANNEL: &str = "switchboard_events";

/// NOTIFY payloads must stay under 8000 bytes; bigger events travel without their details.
const MAX_PAYLOAD: usize = 7_500;

/// Events sent in one round trip at most.
const BATCH: usize = 64;

/// Turn events shared by every node through PostgreSQL LISTEN/NOTIFY. One task sends them,
/// in order, batching what piled up while the previous batch was on its way.
pub struct PostgresBus {
    outgoing: tokio::sync::mpsc::UnboundedSender<PublishedEvent>,
    subscribers: Arc<Subscribers>,
}

impl PostgresBus {
    /// Listens for every node's events (including this node's own) and relays them to this
    /// node's subscribers.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = pool_options()
            .max_connections(2)
            .connect(url)
            .await
            .map_err(backend)?;
        let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
            .await
            .map_err(backend)?;
        listener.listen(EVENTS_CHANNEL).await.map_err(backend)?;
        let subscribers = Arc::new(Subscribers::default());
        let relay = subscribers.clone();
        tokio::spawn(async move {
            // `recv` reconnects by itself after a dropped connection.
            while let Ok(notification) = listener.recv().await {
                if let Ok(event) = serde_json::from_str::<PublishedEvent>(notification.payload()) {
                    relay.deliver(event);
                }
            }
        });
        let (outgoing, pending) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(send_events(pool, pending));
        Ok(Self {
            outgoing,
            subscribers,
        })
    }
}

/// The NOTIFY payload of an event: the event and a sequence number (PostgreSQL folds identical
/// notifications of one transaction into one; two equal deltas in a batch must both arrive).
fn payload(seq: u64, mut event: PublishedEvent) -> String {
    let wire = |event: &PublishedEvent| {
        let mut wire = serde_json::json!(event);
        wire["seq"] = seq.into();
        wire.to_string()
    };
    let mut payload = wire(&event);
    if payload.len() > MAX_PAYLOAD {
        event.data = serde_json::json!({"type": event.name, "truncated": true}).to_string();
        payload = wire(&event);
    }
    payload
}

/// Sends queued events in order, a batch per round trip, until the bus is dropped.
async fn send_events(
    pool: PgPool,
    mut pending: tokio::sync::mpsc::UnboundedReceiver<PublishedEvent>,
) {
    let mut seq = 0u64;
    let mut batch = Vec::with_capacity(BATCH);
    while pending.recv_many(&mut batch, BATCH).await > 0 {
        let payloads: Vec<String> = batch
            .drain(..)
            .map(|event| {
                seq += 1;
                payload(seq, event)
            })
            .collect();
        if let Err(e) = sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .bind(EVENTS_CHANNEL)
            .bind(&payloads)
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, events = payloads.len(), "publishing turn events failed");
        }
    }
}

impl EventBus for PostgresBus {
    fn watched(&self, _conversation: &str) -> bool {
        // A subscriber may sit on any node.
        true
    }

    fn publish(&self, event: PublishedEvent) {
        let _ = self.outgoing.send(event);
    }

    fn subscribe(&self, conversation: &str) -> Subscription {
        self.subscribers.subscribe(conversation)
    }
}
