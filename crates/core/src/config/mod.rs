//! Configuration in two stages: YAML → [`raw`] (shape only, unknown fields rejected) →
//! [`Config`] (URLs parsed, templates, schemas and selectors compiled, secrets resolved).
//! Nothing downstream re-validates.

pub(crate) mod error;
mod located;
#[cfg(test)]
mod properties;
pub mod raw;
pub(crate) mod resolve;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub use error::{ConfigError, ConfigErrors};
pub use located::{Located, Position};
pub use raw::{Access, Effect, ModelProvider, OnError, RawConfig};

use crate::secret::{Redactor, Secret};
use crate::template::{BodyTemplate, Template, UrlTemplate};

/// The resolved configuration of one agent.
#[derive(Debug)]
pub struct Config {
    /// The agent itself.
    pub agent: AgentConfig,
    /// Outbound address policy.
    pub outbound: OutboundPolicy,
    /// The User Data API, if configured.
    pub user_data: Option<UserDataConfig>,
    /// Tools by name, in config order.
    pub tools: Vec<Arc<Tool>>,
    /// Compiled tasks, in config order.
    pub tasks: Vec<Arc<crate::task::TaskDef>>,
    /// Identity verification settings.
    pub identity: IdentityConfig,
    /// Scrubs every secret this config holds.
    pub redactor: Redactor,
    /// Compiled answer templates (tool answers, profile answers).
    pub templates: minijinja::Environment<'static>,
}

impl Config {
    /// Reads and resolves a config file, taking `${VAR}` references from `env`.
    pub fn load(
        path: &std::path::Path,
        env: &dyn crate::template::Environment,
    ) -> Result<Self, ConfigErrors> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                file: file.clone(),
                at: Position::default(),
                message: format!("cannot read the config file: {e}"),
                hint: "check the path passed with --config".into(),
            }])
        })?;
        Self::from_yaml(&file, &text, env)
    }

    /// Parses and resolves config text; `file` names it in errors.
    pub fn from_yaml(
        file: &str,
        text: &str,
        env: &dyn crate::template::Environment,
    ) -> Result<Self, ConfigErrors> {
        let raw: RawConfig = serde_saphyr::from_str(text)
            .map_err(|e| ConfigErrors(vec![error::from_yaml_error(file, &e)]))?;
        resolve::resolve(file, raw, env)
    }

    /// The task with this name.
    pub fn task(&self, name: &str) -> Option<&Arc<crate::task::TaskDef>> {
        self.tasks.iter().find(|t| t.name == name)
    }

    /// The tool with this name.
    pub fn tool(&self, name: &str) -> Option<&Arc<Tool>> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// The JSON Schema of the config file, for editors.
    pub fn json_schema() -> serde_json::Value {
        let schema = schemars::schema_for!(RawConfig);
        serde_json::to_value(schema).expect("a schema is always JSON")
    }
}

/// The agent's identity and model.
#[derive(Debug)]
pub struct AgentConfig {
    /// Name.
    pub name: String,
    /// System instructions.
    pub instructions: String,
    /// Model settings.
    pub model: ModelConfig,
    /// Most steps per turn.
    pub max_steps: u32,
    /// Most tool calls run from one model step.
    pub max_tool_calls_per_step: usize,
    /// The history budget of a model request, in characters.
    pub history_chars: usize,
    /// The key of this agent's operator view, if one is set.
    pub inspector_key: Option<Secret>,
    /// What to say when nothing else applies.
    pub fallback: Option<String>,
    /// A fixed language for the engine's phrases; `None`: the customer's.
    pub language: Option<crate::understand::Lang>,
    /// Additions to the built-in vocabularies.
    pub vocabulary: crate::understand::Vocabulary,
}

/// Resolved model settings.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// Provider.
    pub provider: ModelProvider,
    /// API base URL (providers other than offline).
    pub base_url: Option<url::Url>,
    /// Model name.
    pub model: String,
    /// API key.
    pub api_key: Option<Secret>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries on 429/5xx.
    pub max_retries: u32,
    /// Whether to stream.
    pub stream: bool,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Most output tokens.
    pub max_tokens: u32,
}

/// Which addresses outbound calls may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Loopback allowed.
    pub allow_loopback: bool,
    /// Private ranges allowed.
    pub allow_private: bool,
    /// Largest response body read.
    pub max_response_bytes: u64,
}

/// The User Data API.
#[derive(Debug)]
pub struct UserDataConfig {
    /// Endpoint.
    pub url: url::Url,
    /// Headers (may hold secrets).
    pub headers: Vec<(String, Template)>,
    /// Timeout.
    pub timeout: Duration,
    /// Size cap of `user_info` in characters.
    pub max_chars: usize,
    /// Allow-listed top-level fields.
    pub fields: Option<Vec<String>>,
    /// Refetch interval.
    pub ttl: Option<Duration>,
    /// Offline profile answers: lower-cased trigger phrases and the template name.
    pub answers: Vec<ProfileAnswer>,
}

/// An offline answer from user data.
#[derive(Clone, Debug)]
pub struct ProfileAnswer {
    /// Lower-cased trigger phrases.
    pub when: Vec<String>,
    /// Name of the template in [`Config::templates`].
    pub template: String,
}

/// Where a bound input's value comes from. Only the engine fills these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoundSource {
    /// The identified or verified customer's email.
    UserEmail,
    /// The identified customer's id (from an identifying lookup).
    UserId,
    /// The conversation id.
    ConversationId,
    /// A top-level field of the user data.
    UserData(String),
}

impl BoundSource {
    /// Whether this source ties a call to the customer.
    pub fn is_customer(&self) -> bool {
        !matches!(self, Self::ConversationId)
    }
}

/// Where an identifying lookup's response names the customer.
#[derive(Clone, Debug)]
pub struct Identifies {
    /// JSON pointer to the id.
    pub customer_id: String,
    /// JSON pointer to the email.
    pub email: Option<String>,
}

/// What of a response the agent sees.
#[derive(Debug)]
pub struct ResponseSelector {
    /// JSON pointer applied first.
    pub pointer: Option<String>,
    /// JMESPath applied second.
    pub jmespath: Option<jmespath::Expression<'static>>,
    /// Size cap in characters.
    pub max_chars: usize,
}

/// A resolved tool.
#[derive(Debug)]
pub struct Tool {
    /// Name.
    pub name: String,
    /// Description for the model.
    pub description: String,
    /// Example messages.
    pub examples: Vec<String>,
    /// Access level.
    pub access: Access,
    /// Read or write.
    pub effect: Effect,
    /// The input schema the model sees (bound inputs are not in it).
    pub input_schema: serde_json::Value,
    /// Validator for model inputs.
    pub validator: jsonschema::Validator,
    /// Bound inputs.
    pub bound: BTreeMap<String, BoundSource>,
    /// HTTP method.
    pub method: String,
    /// URL template.
    pub url: UrlTemplate,
    /// Header templates.
    pub headers: Vec<(String, Template)>,
    /// Body template.
    pub body: Option<BodyTemplate>,
    /// Response selection.
    pub response: ResponseSelector,
    /// Timeout.
    pub timeout: Duration,
    /// Retries (0 for writes).
    pub retries: u32,
    /// Whether the API honours idempotency keys.
    pub idempotency_keys: bool,
    /// Identifying lookup settings.
    pub identifies: Option<Identifies>,
    /// Name of the answer template in [`Config::templates`].
    pub answer_template: Option<String>,
}

impl Tool {
    /// The names of the model's inputs that are required.
    pub fn required_inputs(&self) -> Vec<String> {
        self.input_schema["required"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The schema of one model input.
    pub fn input_property(&self, name: &str) -> Option<&serde_json::Value> {
        self.input_schema["properties"].get(name)
    }
}

/// Resolved identity settings.
#[derive(Debug, Default)]
pub struct IdentityConfig {
    /// Widget HMAC secret.
    pub hmac_secret: Option<Secret>,
    /// JWT settings.
    pub jwt: Option<JwtConfig>,
    /// Trusted channel keys by name.
    pub channel_keys: Vec<(String, Secret)>,
}

/// JWT verification.
#[derive(Debug)]
pub struct JwtConfig {
    /// HS256 secret.
    pub secret: Option<Secret>,
    /// RS256 or ES256 public key (PEM).
    pub public_key: Option<Secret>,
    /// Where the identity provider publishes its keys (RS256, ES256).
    pub jwks_url: Option<url::Url>,
    /// Required issuer.
    pub issuer: Option<String>,
    /// Required audience.
    pub audience: Option<String>,
}

/// Lines where YAML ends a plain (unquoted) value at ` #` and reads the rest as a comment,
/// although the rest reads like part of the value (`prompt: Its id looks like #W0000000.`):
/// `file:line:col: …` warnings with the fix. Comments written as comments (`# …`, with a space)
/// are left alone.
pub fn comment_warnings(file: &str, source: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        let item = trimmed.trim_start_matches("- ");
        let (key, value) = match item.split_once(": ") {
            Some((key, value)) if !key.contains(' ') || key.starts_with('"') => {
                (Some(key), value.trim_start())
            }
            _ => (None, item),
        };
        if value.is_empty() || value.starts_with(['"', '\'', '|', '>', '[', '{', '&', '*', '!']) {
            continue;
        }
        let Some(at) = value.find(" #") else {
            continue;
        };
        let comment = &value[at + 2..];
        if comment.is_empty() || comment.starts_with([' ', '#', '\t']) {
            continue;
        }
        let column = line.len() - value.len() + at + 2;
        let what = key
            .map(|k| format!("the value of `{k}`"))
            .unwrap_or("this value".into());
        warnings.push(format!(
            "{file}:{}:{column}: {what} ends before ` #{comment}`: YAML reads it as a comment\n  fix: put the value in quotes if the `#` belongs to it",
            index + 1
        ));
    }
    warnings
}

#[cfg(test)]
mod comment_tests {
    #[test]
    fn a_hash_glued_to_text_in_a_plain_value_is_flagged() {
        let source = "a: Which order? (Its id looks like #W0000000.)\nb: \"quoted #W1\"\nc: plain # a real comment\n- item #1 of many\n# whole-line comment #x\n";
        let warnings = super::comment_warnings("f.yaml", source);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("f.yaml:1:36: the value of `a` ends before ` #W0000000.)`")
        );
        assert!(warnings[1].starts_with("f.yaml:4:"));
    }
}
