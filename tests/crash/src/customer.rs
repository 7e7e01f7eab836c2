//! A customer, driven over the HTTP API as a real client would: it answers what it is asked,
//! says yes to confirmations, and when a request gets no answer (the server was killed) it
//! waits for the server and sends the message again — or, sometimes, changes its mind
//! ("never mind") or corrects the order number instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::rng::Rng;
use crate::verdict::{CustomerRecord, claim_of, claim_order};

/// Which kind of task the customer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// The engine's `cancel_order` steps (offline engine).
    Structured,
    /// The model-driven `guided_cancel` instructions (scripted model).
    Instruction,
}

impl TaskKind {
    /// The agent that runs it.
    pub fn agent(self) -> &'static str {
        match self {
            Self::Structured => "crash-structured",
            Self::Instruction => "crash-instruction",
        }
    }
}

/// What all customers share: the server's address and what is in flight.
pub struct Shared {
    /// HTTP client.
    pub client: reqwest::Client,
    /// The server's base URL (stable across restarts).
    pub url: String,
    /// The channel key that proves the customers' emails.
    pub channel_key: String,
    /// Requests waiting for an answer right now.
    pub in_flight: AtomicUsize,
    /// Longest pause between a reply and the customer's next message, in milliseconds.
    pub think_ms: u64,
    /// Customers done playing (finished or not).
    pub finished: AtomicUsize,
}

/// One customer's script.
pub struct Customer {
    /// Its number (orders and email follow from it).
    pub index: usize,
    /// Structured or instruction task.
    pub kind: TaskKind,
    /// The orders it owns: it cancels the first, and may correct to the second.
    pub orders: [String; 2],
    /// Its email.
    pub email: String,
    /// Its choices.
    pub rng: Rng,
}

enum Sent {
    Answered(Value),
    Gone,
    NoAnswer,
}

const MAX_TURNS: usize = 14;

impl Shared {
    async fn post(&self, path: &str, body: Value) -> Sent {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let response = self
            .client
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await;
        let sent = match response {
            Ok(r) if r.status().is_success() => match r.json::<Value>().await {
                Ok(v) => Sent::Answered(v),
                Err(_) => Sent::NoAnswer,
            },
            Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => Sent::Gone,
            _ => Sent::NoAnswer,
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        sent
    }

    /// Waits until the (restarted) server answers again.
    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(r) = self.client.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
}

impl Customer {
    /// The customer number `index` of a run seeded with `seed`.
    pub fn new(seed: u64, index: usize) -> Self {
        let mut rng = Rng::derived(seed, index as u64 + 1);
        let kind = if rng.chance(0.5) {
            TaskKind::Structured
        } else {
            TaskKind::Instruction
        };
        let first = 1_000_000 + 2 * index;
        Self {
            index,
            kind,
            orders: [format!("W{first:07}"), format!("W{:07}", first + 1)],
            email: format!("customer{index}@crash.test"),
            rng,
        }
    }

    fn opening(&mut self) -> String {
        let order = &self.orders[0];
        match (self.kind, self.rng.range(0, 3)) {
            (TaskKind::Structured, 0) => {
                format!("Please cancel order {order}, I ordered by mistake")
            }
            (TaskKind::Structured, _) => format!("cancel my order {order}"),
            (TaskKind::Instruction, _) => format!("please cancel {order} for me"),
        }
    }

    /// Plays the conversation to its end and returns what the customer saw.
    pub async fn play(mut self, shared: Arc<Shared>) -> CustomerRecord {
        let mut record = CustomerRecord::default();
        // Creating a conversation: retried until it gets an id (an unanswered creation
        // loses nothing the customer knows of).
        let create = format!("/v1/agents/{}/conversations", self.kind.agent());
        let body = json!({"email": self.email, "channel_key": shared.channel_key});
        record.id = loop {
            match shared.post(&create, body.clone()).await {
                Sent::Answered(v) if v["id"].is_string() => break v["id"].as_str().unwrap().into(),
                _ => shared.wait_ready().await,
            }
        };
        let path = format!("/v1/conversations/{}/messages", record.id);
        let mut current = self.orders[0].clone();
        record.orders.insert(current.clone());
        let mut next = self.opening();
        let mut gave_up = false;
        let mut thanked = false;
        for _ in 0..MAX_TURNS {
            tokio::time::sleep(Duration::from_millis(self.rng.range(0, shared.think_ms))).await;
            let reply = loop {
                match shared.post(&path, json!({"text": next})).await {
                    Sent::Answered(reply) => break reply,
                    Sent::Gone => {
                        record.vanished = true;
                        return record;
                    }
                    Sent::NoAnswer => {
                        shared.wait_ready().await;
                        // A write may have been in flight: sometimes the customer takes it
                        // back or corrects it rather than asking again.
                        if next == "yes" && !gave_up {
                            if self.rng.chance(0.2) {
                                next = "never mind".into();
                                gave_up = true;
                            } else if self.kind == TaskKind::Structured && self.rng.chance(0.12) {
                                current = self.orders[1].clone();
                                record.orders.insert(current.clone());
                                next = format!("actually it's {current}");
                            }
                        }
                    }
                }
            };
            record.answered_turns += 1;
            let text = reply["reply"].as_str().unwrap_or("");
            if let Some(claim) = claim_of(text) {
                record
                    .claims
                    .push((claim_order(text, &claim, &current), claim));
            }
            if reply["handoff"] == true {
                record.finished = true;
                break;
            }
            let confirming = reply["task"]["awaiting"]["kind"] == "confirmation";
            next = if confirming {
                if gave_up { "no" } else { "yes" }.to_string()
            } else if text.contains("Why are you cancelling") {
                "ordered by mistake".to_string()
            } else if text.contains("Which order") {
                current.clone()
            } else if thanked {
                record.finished = true;
                break;
            } else {
                thanked = true;
                "thanks".to_string()
            };
        }
        record
    }
}
