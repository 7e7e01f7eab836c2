//! A scripted model behind an OpenAI-compatible `/v1/chat/completions` (not streamed). It keeps
//! no state: every answer follows from the request's messages and offered tools, so it plays
//! its part the same way after the server was killed and restarted mid-turn. It starts the
//! instruction task, looks the order up, proposes the cancellation (the engine asks the
//! customer), proposes it again on the customer's yes, finishes the task and reports.
//! Sometimes it is slow, so kills land while a turn waits on the model.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use crate::rng::Rng;

/// The model server's state: only its source of delays.
pub struct ScriptedModel {
    rng: Mutex<Rng>,
    /// Share of answers that take a while.
    slow_share: f64,
}

impl ScriptedModel {
    /// A model whose answers are slow (up to 300 ms) with probability `slow_share`.
    pub fn new(seed: u64, slow_share: f64) -> Arc<Self> {
        Arc::new(Self {
            rng: Mutex::new(Rng::derived(seed, 0x30DE1)),
            slow_share,
        })
    }
}

/// The last order number (W and seven digits) in a text.
pub fn order_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(7))
        .rev()
        .find(|&i| bytes[i] == b'W' && bytes[i + 1..i + 8].iter().all(u8::is_ascii_digit))
        .map(|i| text[i..i + 8].to_string())
}

fn call(name: &str, arguments: Value) -> Value {
    json!({"role": "assistant", "content": null, "tool_calls": [{
        "id": format!("call-{name}"),
        "type": "function",
        "function": {"name": name, "arguments": arguments.to_string()}
    }]})
}

fn say(text: &str) -> Value {
    json!({"role": "assistant", "content": text})
}

/// The next assistant message for a chat-completions request body.
pub fn answer(body: &Value) -> Value {
    let empty = Vec::new();
    let messages = body["messages"].as_array().unwrap_or(&empty);
    let offered: Vec<&str> = body["tools"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    let in_task = offered.contains(&"submit_cancellation");
    let order = messages
        .iter()
        .rev()
        .filter(|m| m["role"] == "user")
        .find_map(|m| m["content"].as_str().and_then(order_in));
    let Some(last) = messages.last() else {
        return say("How can I help?");
    };
    let cancel = |order: &str| {
        call(
            "submit_cancellation",
            json!({"order_id": order, "reason": "other"}),
        )
    };
    if last["role"] == "tool" {
        let id = last["tool_call_id"].as_str().unwrap_or("");
        let name = messages
            .iter()
            .filter_map(|m| m["tool_calls"].as_array())
            .flatten()
            .find(|c| c["id"] == id)
            .and_then(|c| c["function"]["name"].as_str())
            .unwrap_or("");
        let content: Value =
            serde_json::from_str(last["content"].as_str().unwrap_or("")).unwrap_or(Value::Null);
        let ok = content.get("error").is_none();
        let order = order.unwrap_or_default();
        return match name {
            "start_task" if in_task => call("my_order", json!({"order_id": order})),
            "my_order" if ok => cancel(&order),
            "my_order" => say(&format!("I couldn't find order {order}.")),
            "submit_cancellation" if ok => call("finish_task", json!({"outcome": "done"})),
            "submit_cancellation" if content["error"]["kind"] == "needs_confirmation" => {
                say(&format!("Shall I cancel order {order}?"))
            }
            "submit_cancellation" => say(&format!("I couldn't cancel order {order}.")),
            "finish_task" if content["error"].is_null() => {
                say(&format!("Done — order {order} is cancelled."))
            }
            _ => say("Is there anything else I can help with?"),
        };
    }
    let text = last["content"].as_str().unwrap_or("").to_lowercase();
    match order {
        Some(order) if in_task => {
            let looked_up = messages
                .iter()
                .filter_map(|m| m["tool_calls"].as_array())
                .flatten()
                .any(|c| {
                    c["function"]["name"] == "my_order"
                        && c["function"]["arguments"]
                            .as_str()
                            .is_some_and(|a| a.contains(&order))
                });
            if looked_up {
                cancel(&order)
            } else {
                call("my_order", json!({"order_id": order}))
            }
        }
        Some(_) if text.contains("cancel") && offered.contains(&"start_task") => {
            call("start_task", json!({"task": "guided_cancel"}))
        }
        _ if text.contains("thank") => {
            say("You're welcome! Is there anything else I can help with?")
        }
        _ => say("I can help you cancel an order: which one?"),
    }
}

async fn complete(State(model): State<Arc<ScriptedModel>>, Json(body): Json<Value>) -> Json<Value> {
    let delay = {
        let mut rng = model.rng.lock().unwrap();
        if rng.chance(model.slow_share) {
            rng.range(20, 300)
        } else {
            0
        }
    };
    tokio::time::sleep(Duration::from_millis(delay)).await;
    let message = answer(&body);
    let finish = if message["tool_calls"].is_array() {
        "tool_calls"
    } else {
        "stop"
    };
    Json(json!({
        "id": "crash-1",
        "object": "chat.completion",
        "model": "crash-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}]
    }))
}

/// Serves the model on 127.0.0.1 (port 0) and returns its base URL (without `/v1`).
pub async fn serve(model: Arc<ScriptedModel>) -> anyhow::Result<String> {
    let router = axum::Router::new()
        .route("/v1/chat/completions", post(complete))
        .with_state(model);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{address}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools(names: &[&str]) -> Value {
        names
            .iter()
            .map(|n| json!({"type": "function", "function": {"name": n}}))
            .collect()
    }

    #[test]
    fn it_starts_the_task_then_looks_up_then_proposes_the_write() {
        let user = json!({"role": "user", "content": "please cancel W1000002 for me"});
        let start = answer(&json!({"messages": [user], "tools": tools(&["start_task"])}));
        assert_eq!(start["tool_calls"][0]["function"]["name"], "start_task");
        let started = json!({"role": "tool", "tool_call_id": "call-start_task", "content": "{\"result\":\"started\"}"});
        let body = json!({"messages": [user, start, started], "tools": tools(&["my_order", "submit_cancellation"])});
        let lookup = answer(&body);
        assert_eq!(lookup["tool_calls"][0]["function"]["name"], "my_order");
        let yes = json!({"role": "user", "content": "yes"});
        let body = json!({"messages": [user, start, started, lookup, yes], "tools": tools(&["my_order", "submit_cancellation"])});
        let write = answer(&body);
        assert_eq!(
            write["tool_calls"][0]["function"]["name"],
            "submit_cancellation"
        );
        assert!(
            write["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .unwrap()
                .contains("W1000002")
        );
    }
}
