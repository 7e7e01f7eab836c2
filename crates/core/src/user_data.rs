//! User data: what the company's User Data API returned for a verified customer, reduced to
//! what the agent may see. Pure functions; the HTTP client lives in `switchboard-connect`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::UserDataConfig;
use crate::secret::Redactor;
use crate::tool_call::cap_json;

/// The wire format of the User Data API's answer.
#[derive(Debug, Deserialize)]
pub struct UserDataResponse {
    /// Must equal the email that was sent.
    pub identifier: String,
    /// A string or a JSON object.
    pub user_info: Value,
}

/// What a fetch produced, kept in the conversation and shown in the inspector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum UserDataOutcome {
    /// The agent has this data.
    Fetched {
        /// The filtered, capped `user_info`.
        data: Value,
        /// Whether the cap cut it.
        truncated: bool,
        /// Latency in milliseconds.
        latency_ms: u64,
    },
    /// The conversation goes on without user data, for this reason.
    Failed {
        /// Why (redacted).
        reason: String,
        /// Latency in milliseconds.
        latency_ms: u64,
    },
    /// Not fetched: the customer is not verified or no API is configured.
    Skipped {
        /// Why.
        reason: String,
    },
}

impl UserDataOutcome {
    /// The data, when fetched.
    pub fn data(&self) -> Option<&Value> {
        match self {
            Self::Fetched { data, .. } => Some(data),
            _ => None,
        }
    }
}

/// Checks the response against the email sent, applies the field allow-list, redacts and
/// caps it.
pub fn accept_response(
    config: &UserDataConfig,
    sent_email: &str,
    response: UserDataResponse,
    redactor: &Redactor,
) -> Result<(Value, bool), String> {
    if !response.identifier.eq_ignore_ascii_case(sent_email) {
        return Err("the response is for a different identifier than the one sent".into());
    }
    let info = match (response.user_info, &config.fields) {
        (Value::Object(map), Some(fields)) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| fields.iter().any(|f| f == k))
                .collect(),
        ),
        (Value::Null, _) => return Err("`user_info` is null".into()),
        (other @ (Value::Object(_) | Value::String(_)), _) => other,
        _ => return Err("`user_info` must be a string or a JSON object".into()),
    };
    let selected = cap_json(info, config.max_chars, redactor);
    Ok((selected.value, selected.truncated))
}
