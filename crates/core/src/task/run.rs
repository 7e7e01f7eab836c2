//! A task run's durable state: where it is, what it has collected and looked up, what the
//! customer confirmed, and every write it sent (keyed by idempotency key) — enough to resume
//! at the same step in a new process and never perform a write twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What the run waits for from the customer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Awaiting {
    /// Nothing: the engine runs on.
    #[default]
    Nothing,
    /// The value of a slot.
    Slot {
        /// Slot name.
        name: String,
    },
    /// Details that identify the customer.
    Identify {
        /// The lookup inputs the question asked for.
        asked: Vec<String>,
    },
    /// An explicit yes/no for exactly these writes.
    Confirmation {
        /// Digests of the writes the customer is asked to confirm.
        digests: Vec<String>,
        /// The question asked (repeated when the answer is unclear).
        question: String,
        /// Unclear answers so far (the second offers a person).
        #[serde(default)]
        unclear: u8,
    },
    /// The customer just said no to this confirmation. Nothing was done; a yes in the very
    /// next message ("no, wait… actually yes, go ahead") still confirms exactly these writes,
    /// anything else ends the task.
    Declined {
        /// Digests of the writes that were declined.
        digests: Vec<String>,
        /// The question that was declined.
        question: String,
    },
}

/// Where a write stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WriteState {
    /// Recorded before sending: it may or may not have reached the API.
    Sent,
    /// The API answered; this is what the task saw.
    Done {
        /// Whether it succeeded.
        ok: bool,
        /// The result or failure, as given to the task.
        outcome: Value,
    },
}

/// One write the run performed (or is performing).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteRecord {
    /// Tool name.
    pub tool: String,
    /// Its state.
    pub state: WriteState,
}

/// A request that waits for the current task to end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedRequest {
    /// The task.
    pub task: String,
    /// The part of the customer's message that asked for it.
    pub text: String,
}

/// The durable state of one task run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRun {
    /// Unique within the conversation.
    pub run_id: String,
    /// The task's name.
    pub task: String,
    /// The next instruction (structured tasks).
    pub pc: usize,
    /// Collected slot values.
    #[serde(default)]
    pub slots: BTreeMap<String, Value>,
    /// Saved call results.
    #[serde(default)]
    pub results: BTreeMap<String, Value>,
    /// What the run waits for.
    #[serde(default)]
    pub awaiting: Awaiting,
    /// Digests of writes the customer confirmed and that have not run yet.
    #[serde(default)]
    pub confirmed: Vec<String>,
    /// Writes by idempotency key.
    #[serde(default)]
    pub writes: BTreeMap<String, WriteRecord>,
    /// Identification details the customer gave, by lookup input.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub identify: BTreeMap<String, Value>,
    /// Identifying lookups that found nobody.
    #[serde(default)]
    pub identify_failures: u32,
    /// The details of the last lookup that found nobody: a customer who corrects one of them
    /// ("oops, my zip is 19031") keeps the others.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub identify_tried: BTreeMap<String, Value>,
    /// The words that asked for this task (its part of a message that asked for several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Parts of a value given so far (an address given line by line), by slot.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partial: BTreeMap<String, Value>,
    /// The tasks this request was switched away from (never switched back to).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub switched_from: Vec<String>,
}

impl TaskRun {
    /// A new run at its first step.
    pub fn new(run_id: String, task: &str) -> Self {
        Self {
            run_id,
            task: task.to_string(),
            pc: 0,
            slots: BTreeMap::new(),
            results: BTreeMap::new(),
            awaiting: Awaiting::Nothing,
            confirmed: Vec::new(),
            writes: BTreeMap::new(),
            identify: BTreeMap::new(),
            identify_failures: 0,
            identify_tried: BTreeMap::new(),
            partial: BTreeMap::new(),
            request: None,
            switched_from: Vec::new(),
        }
    }

    /// Starts the run over from its first instruction with the slots it holds (a corrected
    /// detail): lookups run again, anything confirmed must be confirmed again, and a task
    /// switched away from may be switched to again.
    pub fn restart(&mut self) {
        self.results.clear();
        self.confirmed.clear();
        self.awaiting = Awaiting::Nothing;
        self.switched_from.clear();
        self.pc = 0;
    }

    /// A write that was sent and whose outcome is unknown (a timeout, a 5xx, a crash after
    /// sending): it may have been made.
    pub fn unsettled_write(&self) -> Option<&WriteRecord> {
        self.writes
            .values()
            .find(|w| matches!(w.state, WriteState::Sent))
    }

    /// Whether a write has already reached a result (corrections can no longer change it).
    pub fn has_completed_write(&self) -> bool {
        self.writes
            .values()
            .any(|w| matches!(w.state, WriteState::Done { ok: true, .. }))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of a write: its tool and its exact inputs (keys sorted). A changed input is a
/// different digest, so it needs a new confirmation.
pub fn write_digest(tool: &str, inputs: &BTreeMap<String, Value>) -> String {
    let canonical = serde_json::to_string(inputs).expect("JSON values serialize");
    hex(&Sha256::digest(format!("{tool}\n{canonical}").as_bytes()))[..32].to_string()
}

/// The `Idempotency-Key` of a logical write: a function of (conversation, run, digest of the
/// tool and its exact inputs) and nothing else, so a retry, a restart after a crash, a
/// double-click or a model proposing the same write again sends the same key.
pub fn idempotency_key(conversation: &str, run_id: &str, digest: &str) -> String {
    let key = hex(&Sha256::digest(
        format!("{conversation}\n{run_id}\n{digest}").as_bytes(),
    ));
    format!("sb-{}", &key[..40])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digests_depend_on_every_input_and_keys_on_every_part() {
        let a = BTreeMap::from([
            ("order_id".to_string(), json!("W1")),
            ("reason".to_string(), json!("other")),
        ]);
        let mut b = a.clone();
        b.insert("order_id".into(), json!("W2"));
        assert_ne!(write_digest("cancel", &a), write_digest("cancel", &b));
        assert_eq!(
            write_digest("cancel", &a),
            write_digest("cancel", &a.clone())
        );
        let d = write_digest("cancel", &a);
        let e = write_digest("cancel", &b);
        assert_eq!(idempotency_key("c", "r", &d), idempotency_key("c", "r", &d));
        assert_ne!(idempotency_key("c", "r", &d), idempotency_key("c", "r", &e));
        assert_ne!(
            idempotency_key("c", "r", &d),
            idempotency_key("c", "r2", &d)
        );
        assert_ne!(
            idempotency_key("c", "r", &d),
            idempotency_key("c2", "r", &d)
        );
    }
}
