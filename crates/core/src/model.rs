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
