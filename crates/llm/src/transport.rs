//! What both network providers share: POST with retries on 429/5xx and backoff, error
//! mapping without secrets, and a small server-sent-events reader.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;
use switchboard_core::config::Config;
use switchboard_core::model::{ModelError, TextSink};
use switchboard_core::secret::{Redactor, Secret};

use crate::BuildError;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Characters of a model server's error message kept (after redaction).
const ERROR_CHARS: usize = 300;

/// Settings for one provider's HTTP calls.
pub struct Transport {
    pub client: reqwest::Client,
    pub max_retries: u32,
    pub backoff: Duration,
    pub redactor: Redactor,
}

impl Transport {
    /// A transport with the config's timeout.
    pub fn new(timeout: Duration, max_retries: u32, redactor: Redactor) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client configuration is static and valid");
        Self {
            client,
            max_retries,
            backoff: Duration::from_millis(250),
            redactor,
        }
    }

    /// POSTs a JSON body; retries connection errors, 429 and 5xx with exponential backoff
    /// (honouring a short `Retry-After`). Returns a successful response.
    pub async fn post(
        &self,
        url: &reqwest::Url,
        headers: &HeaderMap,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, ModelError> {
        let body = bytes::Bytes::from(body);
        let mut attempt = 0u32;
        loop {
            let sent = self
                .client
                .post(url.clone())
                .headers(headers.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone())
                .send()
                .await;
            let retry_after = match sent {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retryable = status == 429 || status >= 500;
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s.min(10)));
                    let text = response.text().await.unwrap_or_default();
                    let message = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                        .unwrap_or(text);
                    if !retryable || attempt >= self.max_retries {
                        return Err(ModelError::Status {
                            status,
                            message: self.error_message(&message),
                        });
                    }
                    retry_after
                }
                Err(e) => {
                    if attempt >= self.max_retries {
                        let what = if e.is_timeout() {
                            "timed out"
                        } else {
                            "could not connect"
                        };
                        return Err(ModelError::Transport(what.into()));
                    }
                    None
                }
            };
            let backoff = self
                .backoff
                .saturating_mul(2u32.saturating_pow(attempt))
                .min(MAX_BACKOFF);
            tokio::time::sleep(retry_after.unwrap_or(backoff)).await;
            attempt += 1;
        }
    }
}

impl Transport {
    /// A model server's error message as it may be shown: redacted whole, then cut.
    pub fn error_message(&self, message: &str) -> String {
        self.redactor.excerpt(message, ERROR_CHARS)
    }
}

/// Passes a model's text on as it streams, with every secret redacted. A piece may end inside
/// a secret that the next piece completes, so text that may be part of one waits until the
/// next piece (or [`RedactedText::finish`]) settles it.
pub struct RedactedText<'a> {
    sink: &'a dyn TextSink,
    redactor: &'a Redactor,
    pending: Mutex<String>,
}

impl<'a> RedactedText<'a> {
    pub fn new(sink: &'a dyn TextSink, redactor: &'a Redactor) -> Self {
        Self {
            sink,
            redactor,
            pending: Mutex::default(),
        }
    }

    /// Passes on whatever text still waits (the answer is complete).
    pub fn finish(&self) {
        let rest =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if !rest.is_empty() {
            self.sink.text_delta(&self.redactor.redact(&rest));
        }
    }
}

impl TextSink for RedactedText<'_> {
    fn text_delta(&self, delta: &str) {
        let ready: String = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.push_str(delta);
            let settled = self.redactor.unfinished_from(&pending);
            pending.drain(..settled).collect()
        };
        if !ready.is_empty() {
            self.sink.text_delta(&self.redactor.redact(&ready));
        }
    }
}

/// Everything a network provider needs from the config: where to POST, with what.
pub struct Endpoint {
    /// Parsed once: a URL is not parsed again per call.
    pub url: reqwest::Url,
    pub model: String,
    pub api_key: Secret,
    pub stream: bool,
    pub temperature: Option<f32>,
    pub max_tokens: u32,
    pub transport: Transport,
}

impl Endpoint {
    /// The endpoint `{base_url}{path}` of `provider` (named in the missing-key error).
    pub fn from_config(
        config: &Config,
        provider: &'static str,
        path: &str,
    ) -> Result<Self, BuildError> {
        let m = &config.agent.model;
        let api_key = m.api_key.clone().ok_or(BuildError::MissingKey(provider))?;
        let base = m
            .base_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_string())
            .unwrap_or_default();
        let url = reqwest::Url::parse(&format!("{base}{path}"))
            .map_err(|e| BuildError::BadUrl(provider, e.to_string()))?;
        Ok(Self {
            url,
            model: m.model.clone(),
            api_key,
            stream: m.stream,
            temperature: m.temperature,
            max_tokens: m.max_tokens,
            transport: Transport::new(m.timeout, m.max_retries, config.redactor.clone()),
        })
    }
}

/// One server-sent event.
#[derive(Debug, Default, PartialEq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Reads server-sent events from a response, calling `on_event` for each; stops early when it
/// returns `false`.
pub async fn read_sse(
    response: reqwest::Response,
    mut on_event: impl FnMut(SseEvent) -> Result<bool, ModelError>,
) -> Result<(), ModelError> {
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ModelError::Transport("the stream broke off".into()))?;
        buffer.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if let Some(event) = parse_block(&block)
                && !on_event(event)?
            {
                return Ok(());
            }
        }
    }
    if let Some(event) = parse_block(&buffer) {
        on_event(event)?;
    }
    Ok(())
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let mut event = SseEvent::default();
    let mut has_data = false;
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("data:") {
            if has_data {
                event.data.push('\n');
            }
            event
                .data
                .push_str(value.strip_prefix(' ').unwrap_or(value));
            has_data = true;
        } else if let Some(value) = line.strip_prefix("event:") {
            event.event = Some(value.trim().to_string());
        }
    }
    has_data.then_some(event)
}

/// Parses a tool call's argument text; text that is not a JSON object is kept as a string so
/// the engine's validation reports it to the model.
pub fn parse_arguments(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Object(Default::default());
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Mutex<Vec<String>>);

    impl TextSink for Collect {
        fn text_delta(&self, delta: &str) {
            self.0.lock().unwrap().push(delta.to_string());
        }
    }

    #[test]
    fn streamed_text_never_passes_on_a_secret_split_across_pieces() {
        let canary = "sk-canary-7f3a9c1e5b";
        let redactor = Redactor::new([Secret::new(canary)]);
        let text = format!("Your key is {canary}, and \\u0073k-canary-7f3a9c1e5b too.");
        for split in 0..text.len() {
            for second in split..text.len() {
                if !(text.is_char_boundary(split) && text.is_char_boundary(second)) {
                    continue;
                }
                let out = Collect(Mutex::default());
                let stream = RedactedText::new(&out, &redactor);
                stream.text_delta(&text[..split]);
                stream.text_delta(&text[split..second]);
                stream.text_delta(&text[second..]);
                stream.finish();
                let pieces = out.0.into_inner().unwrap();
                assert_eq!(
                    pieces.concat(),
                    "Your key is [REDACTED], and [REDACTED] too.",
                    "{split} {second}"
                );
                assert!(pieces.iter().all(|p| !p.contains("canary")), "{pieces:?}");
            }
        }
        let out = Collect(Mutex::default());
        let stream = RedactedText::new(&out, &redactor);
        stream.text_delta("Hello ");
        stream.text_delta("there.");
        assert_eq!(
            out.0.lock().unwrap().concat(),
            "Hello there.",
            "ordinary text is not held"
        );
    }

    #[test]
    fn sse_blocks_parse() {
        assert_eq!(
            parse_block("event: x\ndata: {\"a\":1}\n\n"),
            Some(SseEvent {
                event: Some("x".into()),
                data: "{\"a\":1}".into()
            })
        );
        assert_eq!(parse_block(": comment\n\n"), None);
        assert_eq!(parse_block("data: a\ndata: b\n\n").unwrap().data, "a\nb");
    }
}
