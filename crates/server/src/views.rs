//! What the customer sees and what the operator sees of the same conversation.
//!
//! The customer's view (the widget, any client without the admin key) carries the reply, the
//! task's name and what it waits for, whether a person has taken over, and the few events a
//! chat window shows (a task started or finished, a confirmation asked). Nothing in it comes
//! raw from an upstream: no tool arguments or results, no request records or response
//! previews, no user data, no handoff summary. The operator's view (the playground's
//! inspector, with the admin key) has everything, redacted as the store keeps it.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::state::AppState;

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The customer (no admin key).
    Customer,
    /// An operator (the admin key).
    Operator,
}

impl View {
    /// The operator's view for a request with the admin key, or with the inspector key of
    /// `agent` (the conversation's agent, when the caller knows it), in `X-Admin-Key` or
    /// `Authorization: Bearer`; else the customer's.
    pub fn of(state: &AppState, headers: &HeaderMap, agent: Option<&str>) -> Self {
        let inspector = || {
            let agent = state.agent(Some(agent?))?;
            let key = agent.config.agent.inspector_key.as_ref()?;
            Some(key_matches(headers, key.expose()))
        };
        if admin_key_matches(state, headers) || inspector() == Some(true) {
            Self::Operator
        } else {
            Self::Customer
        }
    }
}

/// The key a request presents (`X-Admin-Key`, or `Authorization: Bearer`), if any.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    value("x-admin-key").or_else(|| value("authorization").and_then(|a| a.strip_prefix("Bearer ")))
}

/// Whether the request presents `key` (compared in constant time).
fn key_matches(headers: &HeaderMap, key: &str) -> bool {
    presented_key(headers).is_some_and(|given| {
        bool::from(subtle::ConstantTimeEq::ct_eq(
            given.as_bytes(),
            key.as_bytes(),
        ))
    })
}

/// Whether the request carries the configured admin key.
pub fn admin_key_matches(state: &AppState, headers: &HeaderMap) -> bool {
    state
        .admin_key
        .as_ref()
        .is_some_and(|key| key_matches(headers, key.expose()))
}

/// One turn event as the customer may see it, or `None` (tool calls, lookups, user data,
/// steps, failures are the operator's).
pub fn customer_event(event: &Value) -> Option<Value> {
    let kind = event["type"].as_str()?;
    Some(match kind {
        "task_started" | "task_corrected" => json!({"type": kind, "task": event["task"]}),
        "task_finished" => {
            json!({"type": kind, "task": event["task"], "outcome": event["outcome"]})
        }
        // The question the customer is shown anyway.
        "confirmation_requested" => {
            json!({"type": kind, "task": event["task"], "question": event["question"]})
        }
        "handed_off" => json!({"type": kind}),
        _ => return None,
    })
}

/// The customer's events of a list of serialized events.
pub fn customer_events(events: &Value) -> Value {
    Value::Array(
        events
            .as_array()
            .map(|all| all.iter().filter_map(customer_event).collect())
            .unwrap_or_default(),
    )
}

/// A running task as the customer sees it: its name and what it waits for.
pub fn customer_task(task: &Value) -> Value {
    if task.is_null() {
        return Value::Null;
    }
    json!({"task": task["task"], "awaiting": {"kind": task["awaiting"]["kind"]}})
}

/// Whether a person has the conversation, as the customer sees it: `true`, or `null` (as
/// the operator's view has `null` or the summary, so a client testing for `null` reads both).
pub fn handed_off(yes: bool) -> Value {
    if yes { Value::Bool(true) } else { Value::Null }
}

/// A turn's summary (reply, events, handoff, task, timing) as the customer sees it.
pub fn customer_summary(summary: &Value) -> Value {
    json!({
        "reply": summary["reply"],
        "events": customer_events(&summary["events"]),
        "handoff": handed_off(!summary["handoff"].is_null()),
        "task": customer_task(&summary["task"]),
        "timing": summary["timing"],
    })
}

/// A published event (name and JSON text) as this view may receive it, or `None`.
pub fn published(view: View, name: &str, data: &str) -> Option<String> {
    if view == View::Operator || name == "delta" {
        return Some(data.to_string());
    }
    let value: Value = serde_json::from_str(data).ok()?;
    match name {
        "done" => Some(customer_summary(&value).to_string()),
        "error" => Some(data.to_string()),
        _ => customer_event(&value).map(|v| v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_raw_reaches_the_customer() {
        let summary = json!({
            "reply": "Here you go.",
            "events": [
                {"type": "tool_call_started", "tool": "lookup", "arguments": {"email": "bob@example.com"}},
                {"type": "tool_call_finished", "tool": "lookup", "status": "refused",
                 "request": {"url": "http://x", "response_preview": "{\"email\":\"bob@example.com\"}"}},
                {"type": "user_data", "outcome": "fetched", "fields": ["plan"]},
                {"type": "task_started", "task": "cancel_order", "run_id": "r1"},
                {"type": "handed_off", "summary": "Bob's order W1 …"}
            ],
            "handoff": "Bob's order W1 …",
            "task": {"task": "cancel_order", "slots": {"order_id": "W1"}, "results": {"order": {"secret": 1}},
                     "awaiting": {"kind": "confirmation", "digests": ["abc"]}},
            "timing": {"total_ms": 3}
        });
        let seen = customer_summary(&summary).to_string();
        for raw in [
            "bob@example.com",
            "response_preview",
            "secret",
            "digests",
            "W1",
            "run_id",
        ] {
            assert!(!seen.contains(raw), "{raw} in {seen}");
        }
        assert!(seen.contains("Here you go.") && seen.contains("cancel_order"));
        assert_eq!(customer_summary(&summary)["handoff"], true);
        assert_eq!(
            published(
                View::Customer,
                "tool_call_finished",
                &summary["events"][1].to_string()
            ),
            None
        );
        assert!(
            published(View::Operator, "done", &summary.to_string())
                .unwrap()
                .contains("bob@")
        );
    }
}
