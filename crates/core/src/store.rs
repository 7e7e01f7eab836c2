//! The conversation store interface. The engine saves at every point a crash must not lose
//! (before and after a write, at the end of a turn); implementations live in
//! `switchboard-store` (SQLite, PostgreSQL). [`MemoryStore`] keeps nothing across processes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::agent::Conversation;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("the conversation store failed: {0}")]
    Backend(String),
    /// A stored conversation could not be read back.
    #[error("a stored conversation is unreadable: {0}")]
    Corrupt(String),
}

/// Where conversations (with their task runs) live.
#[async_trait::async_trait]
pub trait ConversationStore: Send + Sync {
    /// The conversation with this id, if stored.
    async fn load(&self, id: &str) -> Result<Option<Conversation>, StoreError>;
    /// Stores the conversation (replacing the previous state).
    async fn save(&self, conversation: &Conversation) -> Result<(), StoreError>;
    /// Waits until no other turn runs on this conversation — in this process, and in every
    /// process sharing the store — and holds that until the returned guard is dropped.
    async fn lock(&self, id: &str) -> Result<TurnLock, StoreError>;
}

/// Held while a turn runs on a conversation; dropping it lets the next turn in.
pub struct TurnLock(#[allow(dead_code)] Box<dyn Send>);

impl TurnLock {
    /// Wraps whatever keeps the lock held (a mutex guard, a database transaction).
    pub fn new(guard: impl Send + 'static) -> Self {
        Self(Box::new(guard))
    }
}

/// Per-conversation locks inside one process, for stores only one process uses.
#[derive(Default)]
pub struct LocalLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl LocalLocks {
    /// Waits for and takes the lock of conversation `id`.
    pub async fn lock(&self, id: &str) -> TurnLock {
        let lock = {
            let mut locks = self.locks.lock().expect("locks");
            // Locks nobody holds or waits for are dropped now and then, so the map stays as
            // small as the number of conversations in flight.
            if locks.len() >= 1024 && locks.len().is_power_of_two() {
                locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            locks.entry(id.to_string()).or_default().clone()
        };
        TurnLock::new(lock.lock_owned().await)
    }
}

/// A store in memory, for tests and one-off chats.
#[derive(Default)]
pub struct MemoryStore {
    conversations: Mutex<HashMap<String, String>>,
    locks: LocalLocks,
}

#[async_trait::async_trait]
impl ConversationStore for MemoryStore {
    async fn load(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        let stored = self
            .conversations
            .lock()
            .expect("store lock")
            .get(id)
            .cloned();
        stored
            .map(|json| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    async fn save(&self, conversation: &Conversation) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(conversation).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.conversations
            .lock()
            .expect("store lock")
            .insert(conversation.id.clone(), json);
        Ok(())
    }

    async fn lock(&self, id: &str) -> Result<TurnLock, StoreError> {
        Ok(self.locks.lock(id).await)
    }
}

/// One event of a turn, as channels subscribed to a conversation receive it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedEvent {
    /// The conversation.
    pub conversation: String,
    /// The event name (`tool_call_finished`, `delta`, `done`, …).
    pub name: String,
    /// The event as JSON text.
    pub data: String,
}

/// Carries turn events to every subscriber — on every node when nodes share a database — so
/// a channel connected to any node sees a conversation's events.
pub trait EventBus: Send + Sync {
    /// Sends an event (fire and forget: a lost event never fails a turn).
    fn publish(&self, event: PublishedEvent);
    /// Receives every event published from now on.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<PublishedEvent>;
}

/// Events inside one process.
pub struct LocalBus {
    sender: tokio::sync::broadcast::Sender<PublishedEvent>,
}

impl Default for LocalBus {
    fn default() -> Self {
        Self {
            sender: tokio::sync::broadcast::channel(1024).0,
        }
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: PublishedEvent) {
        let _ = self.sender.send(event);
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<PublishedEvent> {
        self.sender.subscribe()
    }
}
