//! The raw configuration: exactly what the YAML file says, with unknown fields rejected.
//! Nothing here is checked beyond its shape; [`super::resolve`] turns it into the resolved
//! configuration. The JSON Schema for editors (`switchboard schema`) is generated from these types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::located::Located;

/// One agent: who it is, which model drives it, the customer's data, its tools and tasks.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// The agent's identity and behaviour.
    pub agent: RawAgent,
    /// Which addresses tools and the User Data API may reach.
    #[serde(default)]
    pub outbound: RawOutbound,
    /// The company's User Data API, called once for a verified customer.
    #[serde(default)]
    pub user_data: Option<RawUserData>,
    /// HTTP operations the agent may call.
    #[serde(default)]
    pub tools: Vec<RawTool>,
    /// Multi-step workflows that wrap tools.
    #[serde(default)]
    pub tasks: Vec<RawTask>,
    /// How channels prove who the customer is.
    #[serde(default)]
    pub identity: RawIdentity,
}

/// The agent's name, instructions and model.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAgent {
    /// A short name, letters, digits, `-` and `_` (used in routes and logs).
    pub name: Located<String>,
    /// What the agent is for and how it should behave (the model's system prompt).
    #[serde(default)]
    pub instructions: String,
    /// The model that drives the agent. Defaults to the built-in offline engine.
    #[serde(default)]
    pub model: RawModel,
    /// Most model/tool steps in one turn before the agent must answer (default 6).
    #[serde(default)]
    pub max_steps: Option<u32>,
    /// Most tool calls the agent runs from one model step (default 8, at most 32); calls past
    /// it are answered "not run" and the model must go on with what it has.
    #[serde(default)]
    pub max_tool_calls_per_step: Option<u32>,
    /// How much of the conversation a model request carries, in characters (default 24000,
    /// at least 2000): the newest whole turns that fit, the latest one always.
    #[serde(default)]
    pub history_chars: Option<u32>,
    /// A key that opens this agent's operator view (the inspector: tool calls, requests,
    /// user data) and lets its holder hand conversations back to the agent, as the admin key
    /// does for every agent. A secret: `${ENV_VAR}` or `${file:…}`.
    #[serde(default)]
    pub inspector_key: Option<Located<String>>,
    /// What the agent says when it cannot help (offline engine and failures).
    #[serde(default)]
    pub fallback: Option<String>,
    /// The language of the engine's own phrases and recognisers: `en`, `de`, `fr`, `es` or
    /// `nl`. Unset: recognised from the customer's words (English when unclear).
    #[serde(default)]
    pub language: Option<crate::understand::Lang>,
    /// Words and phrases added to the built-in vocabularies, in any language.
    #[serde(default)]
    pub vocabulary: RawVocabulary,
}

/// Additions to the engine's vocabularies (five languages are built in).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVocabulary {
    /// More ways to say yes to a confirmation ("jawoll", "let's go"). They still count only
    /// when nothing in the reply negates, questions, hedges or conditions it.
    #[serde(default)]
    pub yes: Vec<String>,
    /// More ways to say no.
    #[serde(default)]
    pub no: Vec<String>,
    /// More ways to abandon a task ("scrap that").
    #[serde(default)]
    pub cancel: Vec<String>,
    /// More ways to correct an earlier detail ("I misspoke").
    #[serde(default)]
    pub correction: Vec<String>,
    /// More ways to ask for a person ("a specialist").
    #[serde(default)]
    pub person: Vec<String>,
}

/// Which model provider drives the agent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModelProvider {
    /// The built-in deterministic engine: no network, no key.
    #[default]
    Offline,
    /// Any OpenAI-compatible chat-completions server (OpenAI, Azure, Ollama, vLLM, …).
    Openai,
    /// The Anthropic Messages API.
    Anthropic,
}

/// Model settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    /// `offline` (default), `openai` or `anthropic`.
    #[serde(default)]
    pub provider: ModelProvider,
    /// The API base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    #[serde(default)]
    pub base_url: Option<Located<String>>,
    /// The model name, e.g. `gpt-4o-mini`.
    #[serde(default)]
    pub model: Option<String>,
    /// The API key, as a reference: `${OPENAI_API_KEY}` or `${file:/run/secrets/key}`.
    #[serde(default)]
    pub api_key: Option<Located<String>>,
    /// Per-request timeout in seconds (default 60).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Retries on 429 and 5xx, with backoff (default 2, at most 10).
    #[serde(default)]
    pub max_retries: Option<Located<u32>>,
    /// Stream responses (default true).
    #[serde(default)]
    pub stream: Option<bool>,
    /// Sampling temperature.
    #[serde(default)]
    pub temperature: Option<f32>,
    /// Most tokens per model answer (default 1024).
    #[serde(default)]
    pub max_tokens: Option<u32>,
}

/// Which kinds of addresses outbound calls may reach. Link-local and cloud-metadata addresses
/// are always refused.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOutbound {
    /// Allow 127.0.0.0/8 and ::1 (local development, the demo, tests).
    #[serde(default)]
    pub allow_loopback: bool,
    /// Allow private ranges (10/8, 172.16/12, 192.168/16, fc00::/7).
    #[serde(default)]
    pub allow_private: bool,
    /// Largest response body read from any API, in bytes (default 1 MiB).
    #[serde(default)]
    pub max_response_bytes: Option<u64>,
}

/// The company's User Data API (`POST {"identifier": email}` → `{identifier, user_info}`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUserData {
    /// The endpoint. `${VAR}` in the origin (`${SHOP_URL}/…`) is plain configuration; after
    /// it, a secret.
    pub url: Located<String>,
    /// Headers sent with every call, e.g. `Authorization: Bearer ${USER_DATA_KEY}`.
    #[serde(default)]
    pub headers: BTreeMap<String, Located<String>>,
    /// Timeout in milliseconds (default 10000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Most characters of `user_info` given to the agent (default 4000).
    #[serde(default)]
    pub max_chars: Option<usize>,
    /// Keep only these top-level fields of `user_info` (when it is an object).
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Refetch after this many seconds (default: once per conversation).
    #[serde(default)]
    pub ttl_secs: Option<u64>,
    /// Answers the offline engine gives from user data, e.g. `when: [plan]`,
    /// `answer: "You are on the {{ user.plan }} plan."`.
    #[serde(default)]
    pub answers: Vec<RawProfileAnswer>,
}

/// An answer from user data, chosen when the message mentions one of `when`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProfileAnswer {
    /// Words or phrases that select this answer (`plan`, `last order`).
    pub when: Vec<String>,
    /// A template over `user` (the user data).
    pub answer: Located<String>,
}

/// Who may use a tool or a task.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Anyone, including anonymous customers.
    #[default]
    Public,
    /// Customers identified by an identifying lookup, or verified.
    Identified,
    /// Customers verified by the channel (HMAC, JWT, trusted channel key).
    Verified,
}

/// Whether a tool reads or changes data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Reads: retried on failure, usable anywhere.
    #[default]
    Read,
    /// Changes data: only inside a task, after confirmation, with an idempotency key.
    Write,
}

/// One HTTP operation on a company API.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTool {
    /// Unique name, `snake_case` (what the model calls).
    pub name: Located<String>,
    /// When to use the tool, for the model.
    pub description: String,
    /// Example customer messages that call for this tool (the offline engine matches on them).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Who may use it (default `public`).
    #[serde(default)]
    pub access: Access,
    /// `read` (default) or `write`.
    #[serde(default)]
    pub effect: Effect,
    /// The inputs the model supplies, as a JSON Schema object.
    #[serde(default)]
    pub input: Option<Located<serde_json::Value>>,
    /// Inputs filled by the engine from trusted context; the model cannot see or set them.
    /// Sources: `user.email`, `user.id`, `conversation.id`, `user_data.<field>`.
    #[serde(default)]
    pub bound: BTreeMap<String, Located<String>>,
    /// The HTTP request.
    pub request: RawRequest,
    /// What the agent sees of the response.
    #[serde(default)]
    pub response: RawResponse,
    /// Timeout in milliseconds (default 10000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Retries for a read on connection errors, timeouts, 429 and 5xx (default 2, at most 10;
    /// writes never).
    #[serde(default)]
    pub retries: Option<Located<u32>>,
    /// Whether the API honours `Idempotency-Key` (default true; writes only).
    #[serde(default)]
    pub idempotency_keys: Option<bool>,
    /// Marks an identifying lookup: where the customer's id (and email) are in the response.
    #[serde(default)]
    pub identifies: Option<RawIdentifies>,
    /// The answer the offline engine gives from the result, e.g.
    /// `"Order {{ result.order_id }} is {{ result.status }}."`.
    #[serde(default)]
    pub answer: Option<Located<String>>,
}

/// The request a tool makes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    /// HTTP method (default `GET`).
    #[serde(default)]
    pub method: Option<Located<String>>,
    /// URL template: `{input}` placeholders in path and query values only. `${VAR}` in the
    /// origin (`${SHOP_URL}/…`) is plain configuration; after it, a secret.
    pub url: Located<String>,
    /// Extra query parameters; a parameter whose inputs have no value is left out. `${VAR}`
    /// here is a secret.
    #[serde(default)]
    pub query: BTreeMap<String, Located<String>>,
    /// Header templates. `${VAR}` here is a secret.
    #[serde(default)]
    pub headers: BTreeMap<String, Located<String>>,
    /// JSON body template; a string that is exactly `{input}` becomes the typed value.
    #[serde(default)]
    pub body: Option<Located<serde_json::Value>>,
}

/// Response selection.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    /// A JSON pointer to the part the agent sees, e.g. `/order`.
    #[serde(default)]
    pub pointer: Option<Located<String>>,
    /// A JMESPath expression applied after `pointer`, e.g. `{status: status, eta: eta}`.
    #[serde(default)]
    pub jmespath: Option<Located<String>>,
    /// Most characters of the selected result given to the agent (default 4000).
    #[serde(default)]
    pub max_chars: Option<usize>,
}

/// Where an identifying lookup's response names the customer.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIdentifies {
    /// JSON pointer to the customer's id, e.g. `/customer_id`.
    pub customer_id: Located<String>,
    /// JSON pointer to the customer's email, if the API returns it.
    #[serde(default)]
    pub email: Option<Located<String>>,
}

/// A multi-step workflow (run by the task engine).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    /// Unique name.
    pub name: Located<String>,
    /// What the task does.
    pub description: String,
    /// Messages that start it.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Messages that look similar but must not start it.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Who may run it.
    #[serde(default)]
    pub access: Access,
    /// Task-specific guidance (tone, policy).
    #[serde(default)]
    pub guidance: Option<String>,
    /// When to hand off to a human.
    #[serde(default)]
    pub handoff: Option<String>,
    /// Structured steps (engine-driven).
    #[serde(default)]
    pub steps: Vec<Located<RawStep>>,
    /// Plain-English steps (model-driven) referencing tools as `{{tool}}` and `{{handover}}`.
    #[serde(default)]
    pub instructions: Vec<Located<String>>,
}

/// One structured task step.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum RawStep {
    /// Find out who the customer is with the identifying lookups their words supply (skipped
    /// when the customer is already identified).
    Identify(RawIdentify),
    /// Ask for a value.
    Collect(Box<RawCollect>),
    /// Call a tool.
    Call(RawCall),
    /// Branch on a condition.
    If(RawIf),
    /// Ask the customer to confirm.
    Confirm(RawConfirm),
    /// Say something.
    Say(String),
    /// Hand off to a human.
    Handoff(RawHandoff),
    /// End the task.
    End(RawEnd),
    /// Go on as another task with what this one has gathered (the same request, the slots
    /// of the same name): "change an item" of an order that turns out to be delivered is an
    /// exchange. A task switched to does not switch back.
    Switch(String),
}

/// An identification step.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIdentify {
    /// Identifying lookups (tools with `identifies:`), in order of preference: the first whose
    /// inputs the customer's words supply is called (e.g. by email, or by name and ZIP code).
    pub using: Vec<String>,
    /// The question when details are missing (default: built from the lookups' inputs, in the
    /// customer's language).
    #[serde(default)]
    pub prompt: Option<String>,
    /// Failed lookups before a person takes over (default 3).
    #[serde(default)]
    pub attempts: Option<u32>,
}

/// Choosing a slot's value among the customer's own records by description.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChooseFrom {
    /// Where the records are in the task's context: `order.items`, `profile.payment_methods`
    /// (a list, or an object whose values are the records).
    #[serde(default)]
    pub list: String,
    /// The field of a record that is the slot's value (`item_id`, `id`).
    pub value: String,
    /// The fields that describe a record, its name first (`[name, options]`,
    /// `[brand, source, last_four]`).
    pub describe: Vec<String>,
    /// Phrases that mean one particular value, as a template over the task's context, e.g.
    /// `original payment method: "{{ order.payment_history[0].payment_method_id }}"`.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Replacements: for each value of another list slot, in its order, the record of the
    /// same group that the customer describes ("the same shirt in blue") — e.g. new item
    /// variants for the items being exchanged. `list` is then not used.
    #[serde(default)]
    pub replacing: Option<RawReplacing>,
    /// Where else the records may be: when an answer names none of them ("the desk lamp" for
    /// an order that holds a tea kettle), the read that loaded them runs again for each other
    /// value of `slot` listed at `among` (the customer's other orders); when exactly one of
    /// those holds what the answer names, it becomes the slot's value — the customer is told,
    /// and confirms it with everything else. E.g. `{slot: order_id, among: profile.orders}`.
    #[serde(default)]
    pub elsewhere: Option<RawElsewhere>,
}

/// Where else a choice's records may be (see `RawChooseFrom::elsewhere`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawElsewhere {
    /// The slot the records were looked up with (`order_id`).
    pub slot: String,
    /// Where the other values of that slot are in the task's context (`profile.orders`): a
    /// list of values, or an object whose keys are the values.
    pub among: String,
}

/// How replacements are found.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReplacing {
    /// The list slot whose values are replaced (`item_ids`).
    pub slot: String,
    /// Where the replaced records are (`order.items`), found by the `value` field.
    pub records: String,
    /// The field a replacement shares with the record it replaces (`product_id`).
    pub key: String,
    /// A saved list of groups, each with that field (`products`, from a `for_each` call).
    pub groups: String,
    /// The field of a group that holds its records (`variants`: a list or an object).
    pub members: String,
}

/// A slot to collect.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCollect {
    /// Slot name.
    pub slot: String,
    /// `string`, `email`, `number`, `integer`, `date`, `enum`, `address` (street, unit, city,
    /// state, ZIP and country read from one sentence: `{{ slot.city }}`), or `list` (several
    /// values, each matching `pattern`).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// A regular expression the value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Allowed values.
    #[serde(default, rename = "enum")]
    pub choices: Option<Vec<String>>,
    /// The question to ask.
    pub prompt: String,
    /// What to say when the answer is not valid (before asking again).
    #[serde(default)]
    pub invalid: Option<String>,
    /// Fill the slot from trusted context when known: `user.email`, `user.id` or
    /// `user_data.<field>`.
    #[serde(default)]
    pub from: Option<String>,
    /// Other ways to say each allowed value (`enum`): `{ordered by mistake: [by accident]}`.
    #[serde(default)]
    pub synonyms: BTreeMap<String, Vec<String>>,
    /// Choose the value among the customer's records by what they say about them.
    #[serde(default)]
    pub choose_from: Option<RawChooseFrom>,
}

/// A tool call step.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCall {
    /// The tool to call.
    pub tool: String,
    /// Inputs: templates over slots and earlier results (`"{{ order_id }}"` alone keeps the
    /// value's type); lists and objects of templates build lists and objects.
    #[serde(default, rename = "with")]
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// Save the result under this name.
    #[serde(default)]
    pub save: Option<String>,
    /// What to do when the call fails: `say` (default: tell the customer and end the task),
    /// `retry` (once more, then say) or `handoff` (to a human).
    #[serde(default)]
    pub on_error: Option<OnError>,
    /// The message for `on_error: say` (template).
    #[serde(default)]
    pub error_message: Option<String>,
    /// Call a read tool once per element of this list (an expression over the task's
    /// context, e.g. `order['items'] | map(attribute='product_id') | unique | list`); inputs
    /// use `{{ item }}`; `save` keeps the list of results.
    #[serde(default)]
    pub for_each: Option<String>,
}

/// What a failed `call` step does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Tell the customer and end the task.
    #[default]
    Say,
    /// Try once more, then say.
    Retry,
    /// Hand off to a human.
    Handoff,
}

/// A branch.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIf {
    /// The condition, e.g. `order.status == "pending"`.
    pub when: String,
    /// Steps when true.
    #[serde(default)]
    pub then: Vec<Located<RawStep>>,
    /// Steps when false.
    #[serde(default, rename = "else")]
    pub otherwise: Vec<Located<RawStep>>,
}

/// A confirmation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConfirm {
    /// What the customer confirms (template).
    pub message: String,
}

/// A handoff.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHandoff {
    /// The summary for the human (template).
    #[serde(default)]
    pub summary: Option<String>,
}

/// The end of a task.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEnd {
    /// A closing message (template).
    #[serde(default)]
    pub message: Option<String>,
}

/// How channels prove the customer's identity.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIdentity {
    /// Widget HMAC secret: `user_hash = hex(HMAC-SHA256(secret, email))`.
    #[serde(default)]
    pub hmac_secret: Option<Located<String>>,
    /// JWTs signed by the company.
    #[serde(default)]
    pub jwt: Option<RawJwt>,
    /// Server-to-server channel keys (helpdesk bridges) that assert a verified email.
    #[serde(default)]
    pub channel_keys: Vec<RawChannelKey>,
}

/// JWT verification settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawJwt {
    /// HS256 shared secret (a reference).
    #[serde(default)]
    pub secret: Option<Located<String>>,
    /// RS256 or ES256 public key in PEM (a reference, e.g. `${file:/etc/keys/jwt.pem}`).
    #[serde(default)]
    pub public_key: Option<Located<String>>,
    /// The identity provider's JSON Web Key Set (`…/.well-known/jwks.json`): RS256 and ES256
    /// tokens are checked with the key their `kid` names. Fetched through the outbound guard,
    /// kept 10 minutes, fetched again when a token names a key the set lacks (key rotation).
    #[serde(default)]
    pub jwks_url: Option<Located<String>>,
    /// Required issuer.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Required audience.
    #[serde(default)]
    pub audience: Option<String>,
}

/// A named key a trusted channel presents.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChannelKey {
    /// The channel's name (e.g. `zendesk`).
    pub name: String,
    /// The key (a reference).
    pub key: Located<String>,
}
