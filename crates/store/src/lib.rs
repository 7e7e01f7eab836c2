//! Switchboard's conversation stores behind `switchboard_core::store::ConversationStore`:
//! SQLite (a file, WAL; the embedded default, created on first use) and PostgreSQL (several
//! server processes sharing one database; turns on one conversation are serialized across them
//! by an advisory lock).
//!
//! This crate owns the database schemas and their migrations; it knows nothing of what a
//! conversation means — it stores the state the engine hands it and gives it back.

mod postgres;
mod sqlite;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use postgres::{PostgresBus, PostgresStore};
pub use sqlite::SqliteStore;
use switchboard_core::store::{ConversationStore, EventBus, LocalBus, StoreError};

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Opens the store a URL names: `postgres://…` (or `postgresql://…`) for PostgreSQL, anything
/// else (`sqlite://path`, or a plain path) for a SQLite file.
pub async fn open(url: &str) -> Result<Arc<dyn ConversationStore>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        Ok(Arc::new(
            SqliteStore::open(std::path::Path::new(path)).await?,
        ))
    }
}

/// The store a URL names and the event bus that goes with it: PostgreSQL shares events between
/// nodes through LISTEN/NOTIFY; a SQLite file belongs to one process, whose events stay local.
pub async fn open_with_events(
    url: &str,
) -> Result<(Arc<dyn ConversationStore>, Arc<dyn EventBus>), StoreError> {
    let store = open(url).await?;
    let events: Arc<dyn EventBus> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(PostgresBus::connect(url).await?)
        } else {
            Arc::new(LocalBus::default())
        };
    Ok((store, events))
}
