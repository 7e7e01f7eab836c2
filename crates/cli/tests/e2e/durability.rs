//! Durable state: a conversation resumes at the same task step in a new process, and a
//! process killed right after a write reached the backend finishes it on restart without a
//! second effective write.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use switchboard_core::agent::{Conversation, Quiet, TurnEvent};
use switchboard_core::identity::{Identity, VerifiedEmail};
use switchboard_core::store::{ConversationStore, MemoryStore};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::support::*;

const SHOP_YAML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/shop/switchboard.yaml"
);

/// A running `switchboard chat --json` on a store, talked to line by line.
struct Chat {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Chat {
    fn start(shop_url: &str, store: &str, conversation: &str) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args([
                "chat",
                "--config",
                SHOP_YAML,
                "--json",
                "--email",
                "alice@example.com",
                "--store",
                store,
                "--conversation",
                conversation,
            ])
            .env("SHOP_URL", shop_url)
            .env("SHOP_API_KEY", CANARY)
            .env("SHOP_WIDGET_SECRET", WIDGET_SECRET)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            stdout,
        }
    }

    async fn send(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn say(&mut self, line: &str) -> Value {
        self.send(line).await;
        let reply = tokio::time::timeout(Duration::from_secs(30), self.stdout.next_line())
            .await
            .expect("a reply in time")
            .unwrap()
            .expect("a reply line");
        serde_json::from_str(&reply).unwrap()
    }
}

fn temp_store() -> (tempdir::Dir, String) {
    let dir = tempdir::Dir::new();
    let path = dir.path.join("switchboard.db").display().to_string();
    (dir, path)
}

#[tokio::test]
async fn a_new_process_resumes_the_conversation_at_the_same_step() {
    let shop = shop().await;
    let (_dir, store) = temp_store();
    let mut first = Chat::start(&shop.url(), &store, "resume-1");
    assert_eq!(
        first.say("cancel my order W1000002").await["reply"],
        "Why are you cancelling: no longer needed, ordered by mistake, found a better price, or other?"
    );
    drop(first);
    let mut second = Chat::start(&shop.url(), &store, "resume-1");
    assert_eq!(
        second.say("ordered by mistake").await["reply"],
        "Cancel order W1000002 (Desk lamp) because \"ordered by mistake\"?"
    );
    drop(second);
    let mut third = Chat::start(&shop.url(), &store, "resume-1");
    let done = third.say("yes").await;
    assert_eq!(
        done["reply"],
        "Done — order W1000002 is cancelled. You'll get a confirmation email shortly.\nIs there anything else I can help with?"
    );
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("cancelled"));
    assert_eq!(shop.effective_writes(), 1);
}

#[tokio::test]
async fn killed_after_the_write_reached_the_backend_the_restart_finishes_it_once() {
    let shop = shop().await;
    let (_dir, store) = temp_store();
    let mut chat = Chat::start(&shop.url(), &store, "crash-1");
    chat.say("cancel my order W1000002").await;
    chat.say("ordered by mistake").await;
    let reached = shop.stall_next_write();
    chat.send("yes").await;
    tokio::time::timeout(Duration::from_secs(30), reached)
        .await
        .expect("the write reaches the shop")
        .unwrap();
    // SIGKILL: no chance to record the answer.
    chat.child.kill().await.unwrap();
    assert_eq!(shop.effective_writes(), 1);

    let mut restarted = Chat::start(&shop.url(), &store, "crash-1");
    let turn = restarted.say("hello? did it work?").await;
    assert_eq!(
        turn["reply"],
        "Done — order W1000002 is cancelled. You'll get a confirmation email shortly.\nIs there anything else I can help with?"
    );
    let cancels: Vec<_> = shop
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/orders/W1000002/cancel")
        .collect();
    assert_eq!(cancels.len(), 2, "re-sent once after the restart");
    assert_eq!(
        cancels[0].headers["idempotency-key"], cancels[1].headers["idempotency-key"],
        "with the same key"
    );
    assert_eq!(shop.effective_writes(), 1, "the shop applied it once");
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("cancelled"));
    // The task is over: a further message starts nothing new.
    let after = restarted.say("thanks").await;
    assert_eq!(
        after["reply"],
        "You're welcome! Is there anything else I can help with?"
    );
}

#[tokio::test]
async fn never_mind_after_a_crash_mid_write_says_it_may_be_made_and_hands_off() {
    let shop = shop().await;
    let (_dir, store) = temp_store();
    let mut chat = Chat::start(&shop.url(), &store, "crash-2");
    chat.say("cancel my order W1000002").await;
    chat.say("ordered by mistake").await;
    let reached = shop.stall_next_write();
    chat.send("yes").await;
    tokio::time::timeout(Duration::from_secs(30), reached)
        .await
        .expect("the write reaches the shop")
        .unwrap();
    chat.child.kill().await.unwrap();
    assert_eq!(shop.effective_writes(), 1);

    // The customer, not knowing, takes it back: the sent write is not silently dropped.
    let mut restarted = Chat::start(&shop.url(), &store, "crash-2");
    let turn = restarted.say("never mind").await;
    let reply = turn["reply"].as_str().unwrap();
    assert!(reply.contains("may already have been made"), "{reply}");
    assert!(!reply.contains("stopped"), "{reply}");
    let handed_off = turn["events"].as_array().unwrap().iter().any(|e| {
        e["type"] == "handed_off"
            && e["summary"]
                .as_str()
                .unwrap()
                .contains("outcome is unknown")
    });
    assert!(handed_off, "{turn}");
    assert_eq!(shop.effective_writes(), 1, "nothing sent again");
}

#[tokio::test]
async fn without_idempotency_keys_an_interrupted_write_is_handed_off_not_guessed() {
    let shop = shop().await;
    let yaml = std::fs::read_to_string(SHOP_YAML).unwrap().replace(
        "  - name: submit_cancellation\n",
        "  - name: submit_cancellation\n    idempotency_keys: false\n",
    );
    let config = config(&yaml, &vars(&shop.url(), &[]));
    let store = Arc::new(MemoryStore::default());
    let mut agent = offline(config);
    agent.store = store.clone();
    let agent = Arc::new(agent);
    let identity = Identity::Verified {
        email: VerifiedEmail::new("alice@example.com").unwrap(),
        customer_id: None,
    };
    let mut conversation = Conversation::new("no-keys", identity);
    agent
        .turn(
            &mut conversation,
            "cancel my order W1000002 because I ordered by mistake",
            &Quiet,
        )
        .await;

    let reached = shop.stall_next_write();
    let running = {
        let agent = agent.clone();
        let mut conversation = conversation.clone();
        tokio::spawn(async move { agent.turn(&mut conversation, "yes", &Quiet).await })
    };
    tokio::time::timeout(Duration::from_secs(30), reached)
        .await
        .unwrap()
        .unwrap();
    running.abort();

    let mut resumed = store
        .load("no-keys")
        .await
        .unwrap()
        .expect("saved before the write");
    let output = agent.turn(&mut resumed, "hello?", &Quiet).await;
    assert_eq!(
        output.reply,
        "I'm handing this over to a person from our team, who will reply here."
    );
    let summary = output.events.iter().find_map(|e| match e {
        TurnEvent::HandedOff { summary } => Some(summary.clone()),
        _ => None,
    });
    assert!(summary.unwrap().contains("possibly executed"));
    let cancels = shop
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/cancel"))
        .count();
    assert_eq!(cancels, 1, "not re-sent");
    assert!(
        shop.requests()
            .iter()
            .all(|r| !r.headers.contains_key("idempotency-key"))
    );
}

/// In a model-driven task, "never mind" after a crash while the confirmed write was in
/// flight: the change may already have been made, and a person checks.
#[tokio::test]
async fn never_mind_after_a_crash_mid_write_in_an_instruction_task_says_it_may_be_made() {
    let shop = shop().await;
    let yaml = format!(
        "{}  - name: guided_cancel
    description: Cancel an order, guided by the model.
    access: verified
    instructions:
      - Look the order up with {{{{my_order}}}}.
      - If it is pending, cancel it with {{{{submit_cancellation}}}}; otherwise {{{{handover}}}}.
",
        std::fs::read_to_string(SHOP_YAML).unwrap()
    );
    let config = config(&yaml, &vars(&shop.url(), &[]));
    let cancel = serde_json::json!({"order_id": "W1000002", "reason": "other"});
    let model = ScriptedModel::new(vec![
        call("start_task", serde_json::json!({"task": "guided_cancel"})),
        call("submit_cancellation", cancel.clone()),
        // "yes": the write goes out, and the process dies while the shop holds it.
        call("submit_cancellation", cancel.clone()),
    ]);
    let store = Arc::new(MemoryStore::default());
    let mut agent = agent(config, model);
    agent.store = store.clone();
    let agent = Arc::new(agent);
    let identity = Identity::Verified {
        email: VerifiedEmail::new("alice@example.com").unwrap(),
        customer_id: None,
    };
    let mut conversation = Conversation::new("guided-crash", identity);
    let asked = agent
        .turn(&mut conversation, "cancel W1000002 for me", &Quiet)
        .await;
    assert!(
        asked.reply.starts_with("Just to confirm"),
        "{}",
        asked.reply
    );

    let reached = shop.stall_next_write();
    let running = {
        let agent = agent.clone();
        let mut conversation = conversation.clone();
        tokio::spawn(async move { agent.turn(&mut conversation, "yes", &Quiet).await })
    };
    tokio::time::timeout(Duration::from_secs(30), reached)
        .await
        .unwrap()
        .unwrap();
    running.abort();
    assert_eq!(shop.effective_writes(), 1);

    let mut resumed = store.load("guided-crash").await.unwrap().unwrap();
    let output = agent.turn(&mut resumed, "never mind", &Quiet).await;
    assert!(
        output.reply.contains("may already have been made"),
        "{}",
        output.reply
    );
    assert!(!output.reply.contains("stopped"), "{}", output.reply);
    assert!(resumed.handoff.is_some(), "a person checks the write");
}

/// Found by the crash harness: killed after the write was done (and saved as done) but before
/// the turn ended, the task was still active on restart, and "never mind" answered "OK, I've
/// stopped that." for an order the shop had cancelled. The same state arises without a crash
/// when a model does not finish the task after the write.
#[tokio::test]
async fn never_mind_after_the_write_was_made_does_not_say_stopped() {
    let shop = shop().await;
    let yaml = format!(
        "{}  - name: guided_cancel
    description: Cancel an order, guided by the model.
    access: verified
    instructions:
      - Cancel it with {{{{submit_cancellation}}}}.
",
        std::fs::read_to_string(SHOP_YAML).unwrap()
    );
    let config = config(&yaml, &vars(&shop.url(), &[]));
    let cancel = serde_json::json!({"order_id": "W1000002", "reason": "other"});
    let model = ScriptedModel::new(vec![
        call("start_task", serde_json::json!({"task": "guided_cancel"})),
        call("submit_cancellation", cancel.clone()),
        // "yes": the write is made; the turn ends with the task still active (as when the
        // process dies right after saving the write as done).
        call("submit_cancellation", cancel.clone()),
        say("One moment."),
    ]);
    let agent = agent(config, model);
    let identity = Identity::Verified {
        email: VerifiedEmail::new("alice@example.com").unwrap(),
        customer_id: None,
    };
    let mut conversation = Conversation::new("made-then-never-mind", identity);
    agent
        .turn(&mut conversation, "cancel W1000002 for me", &Quiet)
        .await;
    agent.turn(&mut conversation, "yes", &Quiet).await;
    assert_eq!(shop.effective_writes(), 1);
    assert!(conversation.task.is_some(), "the task is still active");

    let output = agent.turn(&mut conversation, "never mind", &Quiet).await;
    assert!(!output.reply.contains("stopped"), "{}", output.reply);
    assert!(output.reply.contains("already done"), "{}", output.reply);
    assert!(conversation.task.is_none());
    assert_eq!(shop.effective_writes(), 1);
}

/// A store that refuses to save a conversation holding a write recorded as *sent*.
#[derive(Default)]
struct RefusesSentWrites(MemoryStore);

#[async_trait::async_trait]
impl ConversationStore for RefusesSentWrites {
    async fn load(
        &self,
        id: &str,
    ) -> Result<Option<Conversation>, switchboard_core::store::StoreError> {
        self.0.load(id).await
    }
    async fn save(
        &self,
        conversation: &Conversation,
    ) -> Result<(), switchboard_core::store::StoreError> {
        let state = serde_json::to_string(conversation).unwrap();
        if state.contains(r#""state":"sent""#) {
            return Err(switchboard_core::store::StoreError::Backend(
                "pool timed out".into(),
            ));
        }
        self.0.save(conversation).await
    }
    async fn lock(
        &self,
        id: &str,
    ) -> Result<switchboard_core::store::TurnLock, switchboard_core::store::StoreError> {
        self.0.lock(id).await
    }
}

/// Found by the crash harness (PostgreSQL pool exhaustion): the write was sent although
/// saving it as *sent* had failed — a crash during the request would then leave no trace of
/// it. Nothing goes out until the record is saved.
#[tokio::test]
async fn a_write_is_not_sent_when_it_cannot_be_recorded_as_sent_first() {
    let shop = shop().await;
    let config = config(
        &std::fs::read_to_string(SHOP_YAML).unwrap(),
        &vars(&shop.url(), &[]),
    );
    let mut agent = offline(config);
    agent.store = Arc::new(RefusesSentWrites::default());
    let identity = Identity::Verified {
        email: VerifiedEmail::new("alice@example.com").unwrap(),
        customer_id: None,
    };
    let mut conversation = Conversation::new("unrecorded", identity);
    agent
        .turn(
            &mut conversation,
            "cancel my order W1000002 because I ordered by mistake",
            &Quiet,
        )
        .await;
    let output = agent.turn(&mut conversation, "yes", &Quiet).await;
    let cancels = shop
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/cancel"))
        .count();
    assert_eq!(cancels, 0, "nothing sent: {}", output.reply);
    assert!(!output.reply.contains("is cancelled"), "{}", output.reply);
    assert!(output.reply.contains("couldn't cancel"), "{}", output.reply);
}
