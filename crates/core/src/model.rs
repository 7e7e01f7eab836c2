//! The model interface: one trait for every way of choosing the agent's next step (an
//! OpenAI-compatible server, Anthropic, the built-in offline engine).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message in the model conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Message {
    /// What the customer wrote (untrusted).
    User {
        /// Text.
        content: String,
    },
    /// What the agent answered or decided to call.
    Assistant {
        /// Text, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        /// Tool calls, if any.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// A tool's result (untrusted data), answering one call.
    Tool {
        /// The call this answers.
        call_id: String,
        /// The tool's name.
        name: String,
        /// The result as JSON text.
        content: String,
    },
}

impl Message {
    /// About how much of a model's context this message takes, in characters.
    fn size(&self) -> usize {
        match self {
            Message::User { content } => content.len(),
            Message::Assistant {
                content,
                tool_calls,
            } => {
                content.as_deref().map_or(0, str::len)
                    + tool_calls
                        .iter()
                        .map(|c| c.name.len() + c.arguments.to_string().len())
                        .sum::<usize>()
            }
            Message::Tool { name, content, .. } => name.len() + content.len(),
        }
    }
}

/// The newest part of a conversation that fits `budget` characters, as sent to a model: it
/// starts at a customer's message (so no tool result is sent without the call it answers),
/// and holds at least the latest customer message with what followed it, whatever its size.
pub fn history_window(messages: &[Message], budget: usize) -> &[Message] {
    let mut used = 0;
    let mut start = None;
    for (i, message) in messages.iter().enumerate().rev() {
        used += message.size();
        if start.is_some() && used > budget {
            break;
        }
        if matches!(message, Message::User { .. }) {
            start = Some(i);
        }
    }
    start.map_or(messages, |i| &messages[i..])
}

/// A tool call chosen by the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Call id (from the provider, or generated).
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments (a JSON object when the model behaves).
    pub arguments: Value,
}

/// A tool as offered to the model: bound inputs are not in `parameters`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolSpec {
    /// Name.
    pub name: String,
    /// When to use it.
    pub description: String,
    /// JSON Schema of the model's inputs.
    pub parameters: Value,
}

/// One request for the model's next step.
#[derive(Clone, Debug)]
pub struct ModelRequest<'a> {
    /// The system prompt (instructions, identity, user data as delimited data).
    pub system: String,
    /// The conversation so far.
    pub messages: &'a [Message],
    /// Tools offered for this identity.
    pub tools: Vec<ToolSpec>,
    /// The customer's user data, for engines that read it structurally (the offline engine).
    pub user_data: Option<&'a Value>,
}

/// The model's answer: text, tool calls, or both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelReply {
    /// Text for the customer.
    pub text: Option<String>,
    /// Tool calls to execute.
    pub tool_calls: Vec<ToolCall>,
}

/// Why a model call failed.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The model server could not be reached or timed out.
    #[error("model server unreachable: {0}")]
    Transport(String),
    /// The model server answered with an error status.
    #[error("model server answered {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The server's message (redacted, capped).
        message: String,
    },
    /// The answer could not be understood.
    #[error("unexpected model answer: {0}")]
    Protocol(String),
}

/// Receives text as the model produces it.
pub trait TextSink: Send + Sync {
    /// A piece of the answer text.
    fn text_delta(&self, delta: &str);
}

/// A sink that drops everything.
pub struct NoText;

impl TextSink for NoText {
    fn text_delta(&self, _: &str) {}
}

/// Chooses the agent's next step.
#[async_trait::async_trait]
pub trait ChatModel: Send + Sync {
    /// A short name for logs and the inspector (`openai:gpt-4o-mini`, `offline`).
    fn name(&self) -> String;

    /// Whether this is the deterministic offline engine: the task engine then relies on its
    /// own recognisers alone instead of asking the model to interpret a message.
    fn is_deterministic(&self) -> bool {
        false
    }

    /// Asks for the next step; text deltas go to `text` as they arrive when streaming.
    async fn complete(
        &self,
        request: &ModelRequest<'_>,
        text: &dyn TextSink,
    ) -> Result<ModelReply, ModelError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Message {
        Message::User {
            content: text.into(),
        }
    }

    fn call(id: &str) -> Message {
        Message::Assistant {
            content: None,
            tool_calls: vec![ToolCall {
                id: id.into(),
                name: "lookup".into(),
                arguments: serde_json::json!({"q": "x"}),
            }],
        }
    }

    fn result(id: &str, size: usize) -> Message {
        Message::Tool {
            call_id: id.into(),
            name: "lookup".into(),
            content: "r".repeat(size),
        }
    }

    fn reply(text: &str) -> Message {
        Message::Assistant {
            content: Some(text.into()),
            tool_calls: Vec::new(),
        }
    }

    #[test]
    fn a_short_conversation_goes_whole() {
        let messages = vec![
            user("hi"),
            reply("hello"),
            user("order?"),
            call("1"),
            result("1", 10),
        ];
        assert_eq!(history_window(&messages, 1000).len(), messages.len());
    }

    #[test]
    fn old_turns_are_dropped_whole_and_the_window_starts_at_a_customer_message() {
        let mut messages = Vec::new();
        for turn in 0..50 {
            messages.push(user(&format!("question {turn}")));
            messages.push(call(&turn.to_string()));
            messages.push(result(&turn.to_string(), 200));
            messages.push(reply("answer"));
        }
        let window = history_window(&messages, 2000);
        assert!(window.len() < messages.len());
        assert!(matches!(window[0], Message::User { .. }), "{:?}", window[0]);
        let size: usize = window.iter().map(Message::size).sum();
        assert!(size <= 2000, "{size}");
        // The newest turn is always in it.
        assert_eq!(window.last(), messages.last());
        // Every tool result in the window comes after the call it answers.
        for (i, m) in window.iter().enumerate() {
            if let Message::Tool { call_id, .. } = m {
                assert!(window[..i].iter().any(|c| matches!(c, Message::Assistant { tool_calls, .. } if tool_calls.iter().any(|t| &t.id == call_id))));
            }
        }
    }

    #[test]
    fn the_latest_turn_goes_even_over_budget() {
        let messages = vec![
            user("old"),
            reply("ok"),
            user(&"x".repeat(5000)),
            call("1"),
            result("1", 5000),
        ];
        let window = history_window(&messages, 100);
        assert_eq!(window.len(), 3);
        assert_eq!(window[0], messages[2]);
    }
}
