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
    /// Whether anyone may be listening to this conversation's events; publishers skip
    /// building events nobody receives.
    fn watched(&self, conversation: &str) -> bool;
    /// Sends an event (fire and forget: a lost event never fails a turn).
    fn publish(&self, event: PublishedEvent);
    /// Receives every event of this conversation published from now on.
    fn subscribe(&self, conversation: &str) -> Subscription;
}

/// One subscriber's events, in order.
pub type Subscription = tokio::sync::mpsc::Receiver<PublishedEvent>;

/// Events one subscriber may have waiting; past that, a subscriber too slow to keep up loses
/// the newest ones (its stream stays open). Queues take memory only for what waits in them,
/// so idle subscriptions cost next to nothing.
const SUBSCRIBER_BUFFER: usize = 256;

/// This process's subscribers, by conversation: an event reaches only its own conversation's
/// subscribers, however many conversations are watched at once.
#[derive(Default)]
pub struct Subscribers {
    channels: Mutex<HashMap<String, Vec<tokio::sync::mpsc::Sender<PublishedEvent>>>>,
}

impl Subscribers {
    /// Receives this conversation's events from now on.
    pub fn subscribe(&self, conversation: &str) -> Subscription {
        let (sender, receiver) = tokio::sync::mpsc::channel(SUBSCRIBER_BUFFER);
        let mut channels = self.channels.lock().expect("subscribers");
        // Subscriptions that ended are dropped now and then, so the map stays as small as the
        // number of open ones.
        if channels.len() >= 1024 && channels.len().is_power_of_two() {
            channels.retain(|_, senders| {
                senders.retain(|s| !s.is_closed());
                !senders.is_empty()
            });
        }
        channels
            .entry(conversation.to_string())
            .or_default()
            .push(sender);
        receiver
    }

    /// Whether this conversation has a subscriber here.
    pub fn watched(&self, conversation: &str) -> bool {
        self.channels
            .lock()
            .expect("subscribers")
            .get(conversation)
            .is_some_and(|senders| senders.iter().any(|s| !s.is_closed()))
    }

    /// Hands the event to its conversation's subscribers here, if any.
    pub fn deliver(&self, event: PublishedEvent) {
        let mut channels = self.channels.lock().expect("subscribers");
        let Some(senders) = channels.get_mut(&event.conversation) else {
            return;
        };
        senders.retain(|sender| {
            !matches!(
                sender.try_send(event.clone()),
                Err(tokio::sync::mpsc::error::TrySendError::Closed(_))
            )
        });
        if senders.is_empty() {
            channels.remove(&event.conversation);
        }
    }
}

/// Events inside one process.
#[derive(Default)]
pub struct LocalBus {
    subscribers: Subscribers,
}

impl EventBus for LocalBus {
    fn watched(&self, conversation: &str) -> bool {
        self.subscribers.watched(conversation)
    }

    fn publish(&self, event: PublishedEvent) {
        self.subscribers.deliver(event);
    }

    fn subscribe(&self, conversation: &str) -> Subscription {
        self.subscribers.subscribe(conversation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(conversation: &str, name: &str) -> PublishedEvent {
        PublishedEvent {
            conversation: conversation.into(),
            name: name.into(),
            data: "{}".into(),
        }
    }

    #[test]
    fn an_event_reaches_only_its_own_conversations_subscribers() {
        let bus = LocalBus::default();
        assert!(!bus.watched("a"));
        let mut a = bus.subscribe("a");
        let mut also_a = bus.subscribe("a");
        let mut b = bus.subscribe("b");
        assert!(bus.watched("a") && bus.watched("b") && !bus.watched("c"));
        bus.publish(event("a", "done"));
        bus.publish(event("c", "done"));
        assert_eq!(a.try_recv().unwrap().name, "done");
        assert_eq!(also_a.try_recv().unwrap().conversation, "a");
        assert!(b.try_recv().is_err(), "b saw nothing of a's or c's turns");
        drop(a);
        drop(also_a);
        assert!(!bus.watched("a"), "nobody listens to a any more");
        bus.publish(event("a", "done"));
        assert!(bus.watched("b"));
        assert!(
            !bus.subscribers.channels.lock().unwrap().contains_key("a"),
            "a's ended subscriptions are gone"
        );
    }

    #[test]
    fn subscriptions_that_ended_do_not_pile_up() {
        let bus = LocalBus::default();
        for n in 0..5000 {
            drop(bus.subscribe(&format!("c{n}")));
        }
        let _kept = bus.subscribe("kept");
        assert!(
            bus.subscribers.channels.lock().unwrap().len() < 2100,
            "ended subscriptions are swept"
        );
        assert!(bus.watched("kept") && !bus.watched("c4999"));
    }
}
