//! The policy around one tool call: who may call it, which inputs the model may set, what the
//! engine binds, and what of the response the agent sees. Pure functions; the HTTP executor
//! lives in `switchboard-connect`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::{Access, BoundSource, Effect, Tool};
use crate::identity::Identity;
use crate::secret::Redactor;

/// What the engine knows that a bound input may come from.
#[derive(Clone, Copy, Debug)]
pub struct TrustedContext<'a> {
    /// The customer's identity.
    pub identity: &'a Identity,
    /// The conversation id.
    pub conversation_id: &'a str,
    /// The user data as given to the agent (already filtered and capped).
    pub user_data: Option<&'a Value>,
}

/// Why a call was not made. Returned to the model as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallRefused {
    /// No such tool (or not offered to this customer).
    #[error("there is no tool named `{name}`")]
    UnknownTool {
        /// Requested name.
        name: String,
    },
    /// The customer's identity is below the tool's access level.
    #[error("`{name}` needs a {needed} customer; this customer is {has}")]
    NotAllowed {
        /// Tool.
        name: String,
        /// Needed level.
        needed: String,
        /// Current level.
        has: String,
    },
    /// A write outside a confirmed task step.
    #[error("`{name}` changes data and runs only inside a task after the customer confirms")]
    WriteOutsideTask {
        /// Tool.
        name: String,
    },
    /// The model's inputs do not match the schema.
    #[error("invalid input: {}", problems.join("; "))]
    InvalidInput {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A bound input has no value in this conversation.
    #[error("`{name}` needs {source_name}, which this conversation does not have")]
    MissingContext {
        /// Tool.
        name: String,
        /// The missing source.
        source_name: String,
    },
}

fn level_name(access: Access) -> &'static str {
    match access {
        Access::Public => "anonymous",
        Access::Identified => "identified",
        Access::Verified => "verified",
    }
}

/// A call that passed every policy check: inputs validated, bound inputs filled by the engine.
#[derive(Clone, Debug)]
pub struct PreparedCall {
    /// The tool.
    pub tool: Arc<Tool>,
    /// Model inputs plus bound inputs.
    pub inputs: BTreeMap<String, Value>,
    /// Model-supplied names that were ignored because the engine binds them.
    pub ignored_inputs: Vec<String>,
    /// The `Idempotency-Key` for a write (set only by the task engine).
    pub idempotency_key: Option<String>,
}

/// Checks and prepares a read call chosen by the model in the open conversation (no task).
pub fn prepare_read(
    tool: &Arc<Tool>,
    arguments: &Value,
    context: TrustedContext<'_>,
) -> Result<PreparedCall, CallRefused> {
    if tool.effect == Effect::Write {
        return Err(CallRefused::WriteOutsideTask {
            name: tool.name.clone(),
        });
    }
    prepare(tool, arguments, context)
}

/// Prepares a call an operator makes directly (`switchboard tool call`, the admin API): the
/// same access, bound-input and validation checks, and a write only when `allow_write` says
/// the operator asked for it explicitly.
pub fn prepare_operator_call(
    tool: &Arc<Tool>,
    arguments: &Value,
    context: TrustedContext<'_>,
    allow_write: bool,
) -> Result<PreparedCall, CallRefused> {
    if tool.effect == Effect::Write && !allow_write {
        return Err(CallRefused::WriteOutsideTask {
            name: tool.name.clone(),
        });
    }
    prepare(tool, arguments, context)
}

/// Checks access, strips and fills bound inputs, validates the model's inputs.
fn prepare(
    tool: &Arc<Tool>,
    arguments: &Value,
    context: TrustedContext<'_>,
) -> Result<PreparedCall, CallRefused> {
    if !context.identity.allows(tool.access) {
        return Err(CallRefused::NotAllowed {
            name: tool.name.clone(),
            needed: level_name(tool.access).into(),
            has: level_name(context.identity.level()).into(),
        });
    }
    let mut model_inputs = match arguments {
        Value::Object(map) => map.clone(),
        Value::Null => serde_json::Map::new(),
        _ => {
            return Err(CallRefused::InvalidInput {
                problems: vec!["arguments must be a JSON object".into()],
            });
        }
    };
    // The model cannot set a bound input: drop whatever it sent under those names.
    let mut ignored_inputs = Vec::new();
    for name in tool.bound.keys() {
        if model_inputs.remove(name).is_some() {
            ignored_inputs.push(name.clone());
        }
    }
    // Models often send `null` for an optional input they do not know; treat it as absent.
    model_inputs.retain(|_, v| !v.is_null());
    let instance = Value::Object(model_inputs);
    let problems: Vec<String> = tool
        .validator
        .iter_errors(&instance)
        .map(|e| {
            let path = e.instance_path().to_string();
            if path.is_empty() {
                e.to_string()
            } else {
                format!("{path}: {e}")
            }
        })
        .collect();
    if !problems.is_empty() {
        return Err(CallRefused::InvalidInput { problems });
    }
    let Value::Object(model_inputs) = instance else {
        unreachable!("built as an object above")
    };
    let mut inputs: BTreeMap<String, Value> = model_inputs.into_iter().collect();
    for (name, source) in &tool.bound {
        let value = match source {
            BoundSource::UserEmail => context.identity.email().map(|e| json!(e)),
            BoundSource::UserId => context.identity.customer_id().map(|c| json!(c)),
            BoundSource::ConversationId => Some(json!(context.conversation_id)),
            BoundSource::UserData(field) => context
                .user_data
                .and_then(|d| d.get(field))
                .filter(|v| !v.is_null())
                .cloned(),
        };
        let Some(value) = value else {
            return Err(CallRefused::MissingContext {
                name: tool.name.clone(),
                source_name: match source {
                    BoundSource::UserEmail => "the customer's email".into(),
                    BoundSource::UserId => "the customer's id".into(),
                    BoundSource::ConversationId => "a conversation id".into(),
                    BoundSource::UserData(f) => format!("the user data field `{f}`"),
                },
            });
        };
        inputs.insert(name.clone(), value);
    }
    Ok(PreparedCall {
        tool: tool.clone(),
        inputs,
        ignored_inputs,
        idempotency_key: None,
    })
}

/// Why a call that was made did not produce a result. Returned to the model as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The API answered 4xx.
    ClientError,
    /// The API answered 5xx.
    ServerError,
    /// No answer in time.
    Timeout,
    /// Could not connect.
    Unreachable,
    /// The outbound guard refused the address.
    Refused,
    /// The body was not JSON.
    NotJson,
    /// The body was larger than allowed.
    TooLarge,
    /// The request could not be built from the inputs.
    BadRequest,
    /// A write may have been executed before an interruption and the API cannot say.
    PossiblyExecuted,
}

/// A failed call, as the agent sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CallFailure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// HTTP status, if the API answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A short explanation (redacted).
    pub message: String,
}

/// The selected, capped result the agent sees.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Selected {
    /// The selected JSON (or a truncated string of it).
    pub value: Value,
    /// Whether the cap cut it.
    pub truncated: bool,
}

/// Redacts a parsed response body, then applies the tool's pointer, JMESPath and size cap.
pub fn select_response(tool: &Tool, body: Value, redactor: &Redactor) -> Selected {
    let mut body = redactor.redact_json(&body);
    let mut value = match &tool.response.pointer {
        Some(p) if !p.is_empty() => body.pointer_mut(p).map(Value::take).unwrap_or(Value::Null),
        _ => body,
    };
    if let Some(expression) = &tool.response.jmespath {
        value = expression
            .search(value)
            .ok()
            .and_then(|v| serde_json::to_value(&*v).ok())
            .unwrap_or(Value::Null);
    }
    cap_redacted(value, tool.response.max_chars)
}

/// Redacts a JSON value, then caps it at `max_chars` characters of its compact text; a value
/// over the cap becomes a truncated string of that text. Redaction comes first: a secret the
/// cap cut in two would no longer be recognised.
pub fn cap_json(value: Value, max_chars: usize, redactor: &Redactor) -> Selected {
    cap_redacted(redactor.redact_json(&value), max_chars)
}

/// [`cap_json`] for a value already redacted.
fn cap_redacted(value: Value, max_chars: usize) -> Selected {
    let fits = match &value {
        Value::String(s) => s.chars().count() <= max_chars,
        other => compact_chars(other) <= max_chars,
    };
    if fits {
        return Selected {
            value,
            truncated: false,
        };
    }
    let text = match value {
        Value::String(s) => s,
        other => other.to_string(),
    };
    let cut: String = text.chars().take(max_chars).collect();
    Selected {
        value: Value::String(cut),
        truncated: true,
    }
}

/// Characters in a value's compact JSON text, counted without building the text.
fn compact_chars(value: &Value) -> usize {
    struct Chars(usize);
    impl std::io::Write for Chars {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            // Every UTF-8 character has exactly one byte that is not a continuation byte.
            self.0 += bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut chars = Chars(0);
    // Writing into a counter cannot fail.
    let _ = serde_json::to_writer(&mut chars, value);
    chars.0
}

/// The customer an identifying lookup's response names (id, email).
pub fn identified_customer(tool: &Tool, body: &Value) -> Option<(String, Option<String>)> {
    let identifies = tool.identifies.as_ref()?;
    let id = match body.pointer(&identifies.customer_id)? {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let email = identifies
        .email
        .as_ref()
        .and_then(|p| body.pointer(p))
        .and_then(Value::as_str)
        .map(str::to_string);
    Some((id, email))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn capping_counts_characters_of_the_compact_text() {
        // {"city":"Zürich ☃"} is 19 characters (21 bytes).
        let value = json!({"city": "Zürich ☃"});
        assert_eq!(value.to_string().chars().count(), 19);
        let none = Redactor::default();
        let kept = cap_json(value.clone(), 19, &none);
        assert!(!kept.truncated);
        assert_eq!(kept.value, value);
        let cut = cap_json(value, 18, &none);
        assert!(cut.truncated);
        assert_eq!(cut.value, json!("{\"city\":\"Zürich ☃\""));
        // A string is measured as itself, not as its quoted JSON.
        assert!(!cap_json(json!("☃☃☃"), 3, &none).truncated);
        assert_eq!(cap_json(json!("☃☃☃☃"), 3, &none).value, json!("☃☃☃"));
    }

    #[test]
    fn a_secret_the_cap_would_cut_is_redacted_first() {
        let redactor = Redactor::new([crate::secret::Secret::new("canary-7f3a9c1e")]);
        let body = json!({"error": "bad credentials: Bearer canary-7f3a9c1e"});
        let cut = cap_json(body, 40, &redactor);
        assert!(cut.truncated);
        assert_eq!(
            cut.value,
            json!("{\"error\":\"bad credentials: Bearer [REDAC")
        );
    }
}
