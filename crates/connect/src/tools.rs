//! The HTTP tool executor: builds the request from the tool's compiled templates, enforces
//! timeouts and bounded retries (reads only), reads a capped body and hands the parsed JSON to
//! the core's response selection. Every failure becomes data for the agent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use switchboard_core::agent::{CallRecord, ToolOutcome, ToolRunner};
use switchboard_core::config::{Config, Effect};
use switchboard_core::secret::Redactor;
use switchboard_core::tool_call::{
    CallFailure, FailureKind, PreparedCall, identified_customer, select_response,
};

use crate::body::{BodyError, describe_transport_error, guarded_client, read_capped};
use crate::guard::{NameLookup, SystemLookup, check_url};

/// Characters of a response body kept in the transcript record.
const PREVIEW_CHARS: usize = 500;
/// Characters of an error body passed to the agent.
const ERROR_BODY_CHARS: usize = 300;

/// Runs tool calls over HTTP.
pub struct HttpToolRunner {
    config: Arc<Config>,
    client: reqwest::Client,
    backoff: Duration,
}

impl HttpToolRunner {
    /// An executor for this config using the system resolver.
    pub fn new(config: Arc<Config>) -> Self {
        Self::with_lookup(config, Arc::new(SystemLookup))
    }

    /// An executor with a custom name lookup (tests point names at chosen addresses).
    pub fn with_lookup(config: Arc<Config>, lookup: Arc<dyn NameLookup>) -> Self {
        let client = guarded_client(config.outbound, lookup);
        Self {
            config,
            client,
            backoff: Duration::from_millis(200),
        }
    }

    /// Sets the first retry delay (doubles per retry).
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    fn preview(&self, body: &[u8]) -> String {
        self.config
            .redactor
            .excerpt(&String::from_utf8_lossy(body), PREVIEW_CHARS)
    }
}

fn failure(kind: FailureKind, status: Option<u16>, message: impl Into<String>) -> CallFailure {
    CallFailure {
        kind,
        status,
        message: message.into(),
    }
}

struct Built {
    url: url::Url,
    headers: HeaderMap,
    body: Option<Value>,
}

impl HttpToolRunner {
    fn build(&self, call: &PreparedCall, record: &mut CallRecord) -> Result<Built, CallFailure> {
        let tool = &call.tool;
        let (url, shown) = tool
            .url
            .render(&call.inputs)
            .map_err(|e| failure(FailureKind::BadRequest, None, e.to_string()))?;
        // The template shows its own secrets as `[REDACTED]`; the redactor also catches any
        // other secret the URL holds, in any encoding.
        record.url = self.config.redactor.redact(&shown);
        let mut headers = HeaderMap::new();
        for (name, template) in &tool.headers {
            let Some(rendered) = template.render(&call.inputs, str::to_string) else {
                continue;
            };
            let value = HeaderValue::from_str(&rendered.wire).map_err(|_| {
                failure(
                    FailureKind::BadRequest,
                    None,
                    format!("a value for header `{name}` holds characters headers cannot carry"),
                )
            })?;
            let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                failure(
                    FailureKind::BadRequest,
                    None,
                    format!("`{name}` is not a header name"),
                )
            })?;
            headers.insert(header_name, value);
            record
                .headers
                .insert(name.clone(), self.config.redactor.redact(&rendered.shown));
        }
        if let Some(key) = &call.idempotency_key {
            let value = HeaderValue::from_str(key)
                .map_err(|_| failure(FailureKind::BadRequest, None, "invalid idempotency key"))?;
            headers.insert("idempotency-key", value);
            record.headers.insert("Idempotency-Key".into(), key.clone());
        }
        let body = tool
            .body
            .as_ref()
            .and_then(|b| b.render(&call.inputs))
            .map(|(wire, shown)| {
                record.body = Some(self.config.redactor.redact_json(&shown));
                wire
            });
        Ok(Built { url, headers, body })
    }

    async fn attempt(
        &self,
        call: &PreparedCall,
        built: &Built,
        record: &mut CallRecord,
    ) -> (bool, Result<Value, CallFailure>) {
        let tool = &call.tool;
        let method =
            reqwest::Method::from_bytes(tool.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = self
            .client
            .request(method, built.url.clone())
            .headers(built.headers.clone())
            .timeout(tool.timeout)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = &built.body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let (retryable, message) = describe_transport_error(&e, tool.timeout.as_millis());
                let kind = if crate::guard::refusal_in(&e).is_some() || e.is_redirect() {
                    FailureKind::Refused
                } else if e.is_timeout() {
                    FailureKind::Timeout
                } else {
                    FailureKind::Unreachable
                };
                return (retryable, Err(failure(kind, None, message)));
            }
        };
        let status = response.status();
        record.status = Some(status.as_u16());
        let body = match read_capped(response, self.config.outbound.max_response_bytes).await {
            Ok(b) => b,
            Err(BodyError::TooLarge(max)) => {
                return (
                    false,
                    Err(failure(
                        FailureKind::TooLarge,
                        Some(status.as_u16()),
                        format!("the response was larger than {max} bytes"),
                    )),
                );
            }
            Err(BodyError::Transport(e)) => {
                let (retryable, message) = describe_transport_error(&e, tool.timeout.as_millis());
                let kind = if e.is_timeout() {
                    FailureKind::Timeout
                } else {
                    FailureKind::Unreachable
                };
                return (
                    retryable,
                    Err(failure(kind, Some(status.as_u16()), message)),
                );
            }
        };
        record.response_preview = Some(self.preview(&body));
        interpret_response(status, &body, &self.config.redactor)
    }
}

/// What a response means once its body is read: the parsed JSON of a success, or the failure
/// the agent is told about, with whether another attempt may help. A hint from an error body
/// passes through `redactor`.
pub fn interpret_response(
    status: reqwest::StatusCode,
    body: &[u8],
    redactor: &Redactor,
) -> (bool, Result<Value, CallFailure>) {
    if status.is_success() {
        if body.iter().all(u8::is_ascii_whitespace) {
            return (false, Ok(Value::Null));
        }
        return match serde_json::from_slice::<Value>(body) {
            Ok(v) => (false, Ok(v)),
            Err(_) => (
                false,
                Err(failure(
                    FailureKind::NotJson,
                    Some(status.as_u16()),
                    "the API answered with something that is not JSON",
                )),
            ),
        };
    }
    let code = status.as_u16();
    let reason = status.canonical_reason().unwrap_or("");
    if status.is_server_error() || code == 429 {
        // The body of a server failure is the server's own business (a stack trace, a
        // database error, whatever record it was handling, another customer's): the model
        // and the customer learn only the status. It stays in the operator's preview.
        let message = format!("the API failed with {code} {reason}");
        let kind = if code == 429 {
            FailureKind::ClientError
        } else {
            FailureKind::ServerError
        };
        return (true, Err(failure(kind, Some(code), message)));
    }
    // A 4xx message says what was wrong with the request, which the model can act on.
    let detail = error_detail(body, redactor);
    (
        false,
        Err(failure(
            FailureKind::ClientError,
            Some(code),
            format!("the API answered {code} {reason}{detail}"),
        )),
    )
}

/// A short, redacted hint from an error body (`message`/`error` field, or the text).
fn error_detail(body: &[u8], redactor: &Redactor) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) => v
            .get("message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("detail"))
            .map(|m| match m {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if text.is_empty() {
        return String::new();
    }
    format!(": {}", redactor.excerpt(&text, ERROR_BODY_CHARS))
}

#[async_trait::async_trait]
impl ToolRunner for HttpToolRunner {
    async fn run(&self, call: &PreparedCall) -> ToolOutcome {
        let tool = &call.tool;
        let started = Instant::now();
        let mut record = CallRecord {
            method: tool.method.clone(),
            ..CallRecord::default()
        };
        let result = match self.build(call, &mut record) {
            Err(f) => Err(f),
            Ok(built) => match check_url(&built.url, &self.config.outbound) {
                Err(refused) => Err(failure(FailureKind::Refused, None, refused.to_string())),
                Ok(()) => {
                    let retries = if tool.effect == Effect::Write {
                        0
                    } else {
                        tool.retries
                    };
                    let mut attempt = 0;
                    loop {
                        attempt += 1;
                        let (retryable, result) = self.attempt(call, &built, &mut record).await;
                        if result.is_ok() || !retryable || attempt > retries {
                            break result;
                        }
                        let backoff = self
                            .backoff
                            .saturating_mul(2u32.saturating_pow(attempt - 1))
                            .min(std::time::Duration::from_secs(30));
                        tokio::time::sleep(backoff).await;
                    }
                    .inspect(|_| record.attempts = attempt)
                    .inspect_err(|_| record.attempts = attempt)
                }
            },
        };
        record.latency_ms = started.elapsed().as_millis() as u64;
        let identified = result
            .as_ref()
            .ok()
            .and_then(|body| identified_customer(tool, body));
        let result = result.map(|body| select_response(tool, body, &self.config.redactor));
        let failure = result
            .as_ref()
            .err()
            .map(|f| self.config.redactor.redact(&f.message));
        tracing::info!(
            tool = %tool.name,
            method = %record.method,
            url = %record.url,
            status = record.status,
            latency_ms = record.latency_ms,
            attempts = record.attempts,
            error = failure.as_deref(),
            "tool call"
        );
        ToolOutcome {
            result,
            identified,
            record,
        }
    }
}

/// Inputs from `key=value` pairs (the CLI's `tool call`), typed by the tool's input schema: a
/// value for a `string` input stays text (`zip=01234`); any other value that parses as JSON
/// keeps its JSON type (`qty=3`, `gift=true`).
pub fn inputs_from_pairs<'a>(
    tool: &switchboard_core::config::Tool,
    pairs: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<String, Value>, String> {
    let mut inputs = BTreeMap::new();
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not key=value"))?;
        let is_text = tool
            .input_property(key)
            .is_none_or(|p| p["type"] == "string");
        let parsed = if is_text {
            Value::String(value.to_string())
        } else {
            serde_json::from_str::<Value>(value)
                .unwrap_or_else(|_| Value::String(value.to_string()))
        };
        inputs.insert(key.to_string(), parsed);
    }
    Ok(inputs)
}

#[cfg(test)]
mod properties {
    //! The handling of a tool's response, from the bytes the API sent to what the agent sees:
    //! any body with any status is a value or a failure without panicking; what is selected
    //! fits the tool's cap; and a secret in a response never reaches the agent, in whatever
    //! form the API wrote it.

    use std::sync::LazyLock;

    use proptest::prelude::*;
    use serde_json::json;
    use switchboard_core::secret::Secret;

    use super::*;

    static SHOP: LazyLock<Config> = LazyLock::new(|| {
        let env = BTreeMap::from([
            ("SHOP_URL".to_string(), "http://127.0.0.1:9".to_string()),
            ("SHOP_API_KEY".to_string(), "sk-test-123456".to_string()),
            (
                "SHOP_WIDGET_SECRET".to_string(),
                "widget-secret-123".to_string(),
            ),
        ]);
        Config::from_yaml(
            "examples/shop/switchboard.yaml",
            include_str!("../../../examples/shop/switchboard.yaml"),
            &env,
        )
        .expect("the shop config loads")
    });

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        proptest::sample::select(
                            &[
                                "order_id",
                                "status",
                                "carrier",
                                "eta",
                                "items",
                                "name",
                                "customer_id",
                                "email",
                                "orders",
                                "message",
                                "error",
                                "detail"
                            ][..]
                        )
                        .prop_map(str::to_string),
                        any::<String>(),
                    ],
                    inner,
                    0..6,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn bodies() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            json_value().prop_map(|v| serde_json::to_vec(&v).expect("JSON")),
            (json_value(), any::<usize>()).prop_map(|(v, cut)| {
                let bytes = serde_json::to_vec(&v).expect("JSON");
                bytes[..cut % (bytes.len() + 1)].to_vec()
            }),
            proptest::collection::vec(any::<u8>(), 0..512),
        ]
    }

    fn statuses() -> impl Strategy<Value = reqwest::StatusCode> {
        prop_oneof![
            Just(200u16),
            Just(201),
            Just(204),
            Just(404),
            Just(429),
            Just(500),
            100u16..600
        ]
        .prop_map(|code| reqwest::StatusCode::from_u16(code).expect("a status"))
    }

    /// Secrets of the shapes keys and passwords take, digits-only ones included.
    fn secrets() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9_-]{8,24}",
            "[0-9]{8,12}",
            "[a-z]{3}-[A-Za-z0-9/+=.]{8,16}",
        ]
    }

    /// The secret as an API might echo it, inside otherwise ordinary JSON text.
    fn echoed(secret: &str, form: u8) -> String {
        let escaped: String = secret
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let quoted = serde_json::to_string(secret).expect("JSON");
        match form % 6 {
            0 => format!(r#"{{"order_id": "W1", "status": {quoted}}}"#),
            1 => format!(
                r#"{{"message": "bad key {}", "error": "x"}}"#,
                &quoted[1..quoted.len() - 1]
            ),
            2 => format!(r#"{{"items": [{{"name": "{escaped}"}}], "status": "ok"}}"#),
            3 => format!(r#"{{{quoted}: 1, "status": "s"}}"#),
            4 => format!(
                r#"{{"detail": "Bearer {}", "customer_id": "c1"}}"#,
                quoted[1..quoted.len() - 1].replace('/', "\\/")
            ),
            _ => {
                if secret.chars().all(|c| c.is_ascii_digit()) {
                    format!(
                        r#"{{"status": {secret}, "order_id": {secret}, "customer_id": {secret}}}"#
                    )
                } else {
                    format!(r#"{{"status": "{escaped}"}}"#)
                }
            }
        }
    }

    proptest! {
        #[test]
        fn any_body_with_any_status_is_a_value_or_a_failure(
            status in statuses(),
            body in bodies(),
        ) {
            let (_, outcome) = interpret_response(status, &body, &SHOP.redactor);
            if let Ok(value) = outcome {
                prop_assert!(status.is_success());
                for tool in &SHOP.tools {
                    let _ = identified_customer(tool, &value);
                    let selected = select_response(tool, value.clone(), &SHOP.redactor);
                    let chars = match &selected.value {
                        Value::String(s) => s.chars().count(),
                        other => other.to_string().chars().count(),
                    };
                    prop_assert!(
                        chars <= tool.response.max_chars,
                        "{} selected {} characters over its cap of {}", tool.name, chars, tool.response.max_chars
                    );
                }
            }
        }

        #[test]
        fn a_secret_in_a_response_never_reaches_the_agent(
            secret in secrets(),
            form in any::<u8>(),
            status in statuses(),
        ) {
            let redactor = Redactor::new([Secret::new(secret.clone())]);
            let body = echoed(&secret, form);
            let (_, outcome) = interpret_response(status, body.as_bytes(), &redactor);
            let shown = match outcome {
                Ok(value) => SHOP
                    .tools
                    .iter()
                    .map(|tool| {
                        select_response(tool, value.clone(), &redactor).value.to_string()
                    })
                    .chain([redactor.redact_json(&value).to_string()])
                    .collect::<Vec<_>>()
                    .join("\n"),
                Err(failure) => failure.message,
            };
            prop_assert!(
                !shown.contains(&secret) && !redactor.contains_secret(&shown),
                "{:?} from {} leaked in {}", secret, body, shown
            );
        }
    }
}
