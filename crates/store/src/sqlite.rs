//! SQLite: one file, WAL with `synchronous=NORMAL`: every commit survives a crash of the
//! process (a write's "sent" record must), and only a power loss can take the last commits —
//! the usual WAL trade, which saves an fsync per save.
//!
//! A SQLite file belongs to one server process: the store opens it with SQLite's `unix-excl`
//! VFS, which locks the file against other processes for as long as it is open — a second
//! process on the same file is refused at start instead of running turns the first one cannot
//! see — and keeps the WAL index in memory: no file-lock system calls per query. Turns are
//! serialized in-process.
//!
//! Turns use one connection in place: a point read or an upsert of one row takes
//! microseconds, less than handing it to another thread and back would cost. The one slow
//! operation — the checkpoint, which copies the WAL into the database file and syncs it — runs
//! on a second connection on a blocking thread every [`CHECKPOINT_EVERY`] saves, alongside
//! the turns' reads and writes (WAL lets it). The WAL starts over once a checkpoint finds it
//! all copied; under steady load that never happens, so past [`WAL_RESTART_FRAMES`] the
//! checkpoint also holds new writes back for a moment (saves wait a few milliseconds,
//! asynchronously, about once per 30 MiB written) to let it start over.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension};
use switchboard_core::agent::Conversation;
use switchboard_core::store::{ConversationStore, LocalLocks, StoreError, TurnLock};

use crate::now_ms;

/// Migrations, applied in order once each; embedded so the binary needs no files.
const MIGRATIONS: &[(&str, &str)] = &[(
    "0001_conversations",
    include_str!("../migrations/sqlite/0001_conversations.sql"),
)];

/// Saves between two checkpoints (each save appends a few pages to the WAL).
const CHECKPOINT_EVERY: usize = 1024;

/// WAL pages (4 KiB each) past which a checkpoint makes the WAL start over.
const WAL_RESTART_FRAMES: i64 = 8192;

/// How long a query waits for a checkpoint before it fails.
const BUSY_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

const LOAD: &str = "SELECT state FROM conversations WHERE id = ?1";
const SAVE: &str = "INSERT INTO conversations (id, state, version, updated_at) VALUES (?1, ?2, 1, ?3) \
     ON CONFLICT(id) DO UPDATE SET state = excluded.state, version = conversations.version + 1, updated_at = excluded.updated_at";

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Conversations in a SQLite file.
pub struct SqliteStore {
    // Dropped in this order: the connections close before the file lock is let go.
    connection: Mutex<Connection>,
    checkpointer: Arc<Mutex<Connection>>,
    locks: LocalLocks,
    saves_since_checkpoint: AtomicUsize,
    checkpointing: Arc<AtomicBool>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, takes the file's lock and applies
    /// pending migrations.
    pub async fn open(path: &std::path::Path) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path))
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    fn open_blocking(path: &std::path::Path) -> Result<Self, StoreError> {
        // The first access takes the file for this process, or finds another process has it.
        let connection = connect(path, std::time::Duration::ZERO).map_err(|e| {
            match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseBusy) => StoreError::Backend(format!(
                    "the SQLite file {} is in use by another process (one server per file; use PostgreSQL for several)",
                    path.display()
                )),
                _ => StoreError::Backend(format!(
                    "cannot open the SQLite file {}: {e}",
                    path.display()
                )),
            }
        })?;
        migrate(&connection)?;
        // The turns' connection waits for checkpoints asynchronously instead (`with_connection`).
        connection
            .busy_timeout(std::time::Duration::ZERO)
            .map_err(backend)?;
        let checkpointer = connect(path, BUSY_PATIENCE).map_err(backend)?;
        Ok(Self {
            connection: Mutex::new(connection),
            checkpointer: Arc::new(Mutex::new(checkpointer)),
            locks: LocalLocks::default(),
            saves_since_checkpoint: AtomicUsize::new(0),
            checkpointing: Arc::new(AtomicBool::new(false)),
        })
    }

    /// How many times a conversation was saved (its row version).
    pub async fn version(&self, id: &str) -> Result<Option<i64>, StoreError> {
        self.with_connection(|connection| {
            connection
                .query_row(
                    "SELECT version FROM conversations WHERE id = ?1",
                    [id],
                    |row| row.get(0),
                )
                .optional()
        })
        .await
    }

    /// Runs `query` on the turns' connection. While a checkpoint holds writes back (the
    /// database is busy), waits asynchronously and tries again: no runtime thread sleeps.
    async fn with_connection<T>(
        &self,
        query: impl Fn(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let patience = std::time::Instant::now() + BUSY_PATIENCE;
        loop {
            let done = query(&self.connection.lock().expect("the SQLite connection"));
            match done {
                Err(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() < patience =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                done => return done.map_err(backend),
            }
        }
    }

    /// Starts a checkpoint on a blocking thread unless one is running.
    fn checkpoint_soon(&self) {
        if self.checkpointing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (checkpointer, checkpointing) = (self.checkpointer.clone(), self.checkpointing.clone());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = checkpoint(&checkpointer.lock().expect("the SQLite checkpointer")) {
                tracing::warn!(error = %e, "SQLite checkpoint failed; the WAL keeps the data and the next one retries");
            }
            checkpointing.store(false, Ordering::Release);
        });
    }
}

/// Copies the WAL into the database file without holding anyone up; when steady writes kept
/// the WAL from ever being idle and it grew past [`WAL_RESTART_FRAMES`], also lets it start
/// over (holding new writes back for that last moment).
fn checkpoint(connection: &Connection) -> rusqlite::Result<()> {
    let frames: i64 =
        connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))?;
    if frames > WAL_RESTART_FRAMES {
        connection.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
    }
    Ok(())
}

/// A connection with the store's settings; `busy` is how long SQLite itself waits (sleeping
/// the thread) when another connection holds the database.
fn connect(path: &std::path::Path, busy: std::time::Duration) -> rusqlite::Result<Connection> {
    let connection =
        Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), c"unix-excl")?;
    connection.busy_timeout(busy)?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA wal_autocheckpoint = 0;
         PRAGMA cache_size = -32768;",
    )?;
    Ok(connection)
}

fn migrate(connection: &Connection) -> Result<(), StoreError> {
    connection
        .execute_batch("CREATE TABLE IF NOT EXISTS switchboard_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
        .map_err(backend)?;
    for (name, sql) in MIGRATIONS {
        let applied: Option<String> = connection
            .query_row(
                "SELECT name FROM switchboard_migrations WHERE name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()
            .map_err(backend)?;
        if applied.is_some() {
            continue;
        }
        let tx = connection.unchecked_transaction().map_err(backend)?;
        tx.execute_batch(sql).map_err(backend)?;
        tx.execute(
            "INSERT INTO switchboard_migrations (name, applied_at) VALUES (?1, ?2)",
            rusqlite::params![name, now_ms()],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl ConversationStore for SqliteStore {
    async fn load(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        let state: Option<String> = self
            .with_connection(|connection| {
                connection
                    .prepare_cached(LOAD)?
                    .query_row([id], |row| row.get(0))
                    .optional()
            })
            .await?;
        state
            .map(|state| {
                serde_json::from_str(&state)
                    .map_err(|e| StoreError::Corrupt(format!("conversation {id}: {e}")))
            })
            .transpose()
    }

    async fn save(&self, conversation: &Conversation) -> Result<(), StoreError> {
        let state =
            serde_json::to_string(conversation).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.with_connection(|connection| {
            connection.prepare_cached(SAVE)?.execute(rusqlite::params![
                conversation.id,
                state,
                now_ms()
            ])
        })
        .await?;
        if self.saves_since_checkpoint.fetch_add(1, Ordering::Relaxed) + 1 >= CHECKPOINT_EVERY {
            self.saves_since_checkpoint.store(0, Ordering::Relaxed);
            self.checkpoint_soon();
        }
        Ok(())
    }

    async fn lock(&self, id: &str) -> Result<TurnLock, StoreError> {
        Ok(self.locks.lock(id).await)
    }
}
