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
use crate::sse::SseDecoder;
pub use crate::sse::SseEvent;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Characters of a model server's error message kept (after redaction).
const ERROR_CHARS: usize = 300;

/// Bytes of a model server's error body read: enough for any message worth showing.
const ERROR_BODY_BYTES: usize = 64 * 1024;

/// The smallest cap on one answer's bytes, whatever `max_tokens` says.
const MIN_ANSWER_BYTES: usize = 1024 * 1024;

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
                    let text = read_error_body(response).await;
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
    /// The most bytes one answer may take on the wire, streamed or not: a model server that
    /// sends more (a runaway stream, a 50 MB body) is cut off, not read into memory.
    pub max_answer_bytes: usize,
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
            max_answer_bytes: answer_cap(m.max_tokens),
            transport: Transport::new(m.timeout, m.max_retries, config.redactor.clone()),
        })
    }
}

/// The byte cap of one answer: 1 KiB per output token (a streamed token costs a few hundred
/// bytes of JSON around it), and never less than 1 MiB.
fn answer_cap(max_tokens: u32) -> usize {
    (max_tokens as usize)
        .saturating_mul(1024)
        .max(MIN_ANSWER_BYTES)
}

/// Why a response body could not be read whole.
enum BodyError {
    /// It passed the cap.
    TooLarge,
    /// The connection broke (or the deadline passed) before the end.
    BrokeOff,
}

/// Reads a body up to `max_bytes`; a body announcing or reaching more is refused without
/// reading the rest.
async fn read_capped(response: reqwest::Response, max_bytes: usize) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|len| len > max_bytes as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::BrokeOff)?;
        if body.len() + chunk.len() > max_bytes {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A model server's error body, as much of it as a message needs: the rest is not read.
async fn read_error_body(response: reqwest::Response) -> String {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= ERROR_BODY_BYTES {
            body.truncate(ERROR_BODY_BYTES);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// Reads a whole (non-streamed) answer of at most `max_bytes`.
pub async fn read_answer(
    response: reqwest::Response,
    max_bytes: usize,
) -> Result<Vec<u8>, ModelError> {
    read_capped(response, max_bytes).await.map_err(|e| match e {
        BodyError::TooLarge => too_large(max_bytes),
        BodyError::BrokeOff => ModelError::Transport("the answer broke off".into()),
    })
}

fn too_large(max_bytes: usize) -> ModelError {
    ModelError::Protocol(format!("the answer is larger than {max_bytes} bytes"))
}

/// Reads server-sent events from a response, calling `on_event` for each until it returns
/// `false` — it has seen the stream's end marker. A stream that ends before that was cut
/// short, and its answer is incomplete: an error, never a partial answer. At most `max_bytes`
/// are read in all.
pub async fn read_sse(
    response: reqwest::Response,
    max_bytes: usize,
    mut on_event: impl FnMut(SseEvent) -> Result<bool, ModelError>,
) -> Result<(), ModelError> {
    let mut stream = response.bytes_stream();
    let mut decoder = SseDecoder::new(max_bytes);
    let mut read = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ModelError::Transport("the stream broke off".into()))?;
        read += chunk.len();
        if read > max_bytes {
            return Err(too_large(max_bytes));
        }
        for event in decoder.push(&chunk).map_err(|e| too_large(e.max_bytes))? {
            if !on_event(event)? {
                return Ok(());
            }
        }
    }
    if let Some(event) = decoder.finish()
        && !on_event(event)?
    {
        return Ok(());
    }
    Err(ModelError::Protocol(
        "the stream ended before its end marker".into(),
    ))
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

    /// Serves `body` (with `content_type`, no length) at `/` on port 0.
    async fn serve_once(content_type: &'static str, body: Vec<u8>) -> reqwest::Response {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let body = bytes::Bytes::from(body);
        // In pieces, without a length, as a model server streams.
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let body = body.clone();
                async move {
                    let pieces: Vec<Result<bytes::Bytes, std::io::Error>> = (0..body.len())
                        .step_by(16 * 1024)
                        .map(|i| Ok(body.slice(i..(i + 16 * 1024).min(body.len()))))
                        .collect();
                    (
                        [("content-type", content_type)],
                        axum::body::Body::from_stream(futures::stream::iter(pieces)),
                    )
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        reqwest::get(url).await.unwrap()
    }

    #[tokio::test]
    async fn an_answer_past_the_cap_is_refused_streamed_or_not() {
        let cap = answer_cap(16);
        assert_eq!(cap, MIN_ANSWER_BYTES, "never below 1 MiB");
        assert_eq!(answer_cap(4096), 4096 * 1024, "1 KiB per token above that");
        let too_large = |e: ModelError| e.to_string().contains("larger than");

        // A valid answer one byte over the cap, delivered fast: only the cap stops it.
        let text = "x".repeat(cap);
        let whole = format!("{{\"choices\":[{{\"message\":{{\"content\":\"{text}\"}}}}]}}");
        let response = serve_once("application/json", whole.into_bytes()).await;
        assert!(too_large(read_answer(response, cap).await.unwrap_err()));

        // Many small events adding up past the cap, then the end marker.
        let event = "data: {\"choices\":[{\"delta\":{\"content\":\"xxxxxxxx\"}}]}\n\n";
        let stream = format!("{}data: [DONE]\n\n", event.repeat(cap / event.len() + 1));
        let mut events = 0usize;
        let response = serve_once("text/event-stream", stream.into_bytes()).await;
        let outcome = read_sse(response, cap, |e| {
            events += 1;
            Ok(e.data != "[DONE]")
        })
        .await;
        assert!(too_large(outcome.unwrap_err()));
        assert!(
            events * event.len() <= cap,
            "nothing past the cap was handed on"
        );

        // One event larger than the cap, before its line even ends.
        let huge = format!("data: {text}x\n\ndata: [DONE]\n\n");
        let response = serve_once("text/event-stream", huge.into_bytes()).await;
        let outcome = read_sse(response, cap, |_| panic!("no event is complete")).await;
        assert!(too_large(outcome.unwrap_err()));

        // Under the cap, with its end marker: read whole; without it: an error.
        let response =
            serve_once("text/event-stream", b"data: a\n\ndata: [DONE]\n\n".to_vec()).await;
        let mut seen = Vec::new();
        read_sse(response, cap, |e| {
            seen.push(e.data.clone());
            Ok(e.data != "[DONE]")
        })
        .await
        .unwrap();
        assert_eq!(seen, ["a", "[DONE]"]);
        let response = serve_once("text/event-stream", b"data: a\n\n".to_vec()).await;
        let cut = read_sse(response, cap, |_| Ok(true)).await.unwrap_err();
        assert!(cut.to_string().contains("end marker"), "{cut}");
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
}
