//! Fault injection between Switchboard and every upstream (issue 11): the model server
//! (OpenAI-compatible and Anthropic, streamed and not), a read tool, a write tool and the User
//! Data API each play 5xx, 429, refused and reset connections, a server that never answers, a
//! body that trickles, malformed, truncated, empty, huge, deeply nested and non-UTF-8 bodies,
//! and broken event streams. For every case: the turn returns within the deadline the config
//! implies, the customer gets a graceful answer with nothing of the upstream's body in it, a
//! write whose outcome is unknown is not called done and is never sent under a second key, and
//! the same agent answers normally once the upstream is healthy again.
//!
//! One case list ([`cases`]), one runner ([`run_case`]); a failure names its case. A
//! representative subset also goes through the real `switchboard serve` binary over HTTP.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use switchboard_core::agent::{Agent, Conversation, Quiet, TurnEvent};
use switchboard_core::config::Config;
use switchboard_core::identity::{Identity, VerifiedEmail};
use switchboard_core::model::Message;
use switchboard_core::user_data::UserDataOutcome;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::*;

/// In every fault body: none of it may reach the customer.
const MARKER: &str = "upstream-body-7d1";
/// A secret-like value and another customer's address, in error bodies.
const FOREIGN: [&str; 2] = ["hunter2", "bob@example.com"];
/// What a crash would print.
const CRASH: [&str; 3] = ["panicked", "backtrace", "RUST_BACKTRACE"];

/// The longest `Retry-After` any fault server sends, in seconds.
const RETRY_AFTER_SECS: u64 = 1;
/// Slack for a turn over what its timeouts add up to (a debug build on a busy machine).
const MARGIN: Duration = Duration::from_secs(3);

// ----------------------------------------------------------------------------------------
// The upstreams and what each answers when it is healthy.

/// Every upstream the engine talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Upstream {
    OpenAi { stream: bool },
    Anthropic { stream: bool },
    ReadTool,
    WriteTool,
    UserData,
}

impl Upstream {
    const ALL: [Upstream; 7] = [
        Upstream::OpenAi { stream: false },
        Upstream::OpenAi { stream: true },
        Upstream::Anthropic { stream: false },
        Upstream::Anthropic { stream: true },
        Upstream::ReadTool,
        Upstream::WriteTool,
        Upstream::UserData,
    ];

    fn name(self) -> &'static str {
        match self {
            Upstream::OpenAi { stream: false } => "openai",
            Upstream::OpenAi { stream: true } => "openai-stream",
            Upstream::Anthropic { stream: false } => "anthropic",
            Upstream::Anthropic { stream: true } => "anthropic-stream",
            Upstream::ReadTool => "read-tool",
            Upstream::WriteTool => "write-tool",
            Upstream::UserData => "user-data",
        }
    }

    fn is_model(self) -> bool {
        matches!(self, Upstream::OpenAi { .. } | Upstream::Anthropic { .. })
    }

    fn streams(self) -> bool {
        matches!(
            self,
            Upstream::OpenAi { stream: true } | Upstream::Anthropic { stream: true }
        )
    }

    fn content_type(self) -> &'static str {
        if self.streams() {
            "text/event-stream"
        } else {
            "application/json"
        }
    }

    /// The healthy answer's body.
    fn healthy_body(self) -> Vec<u8> {
        match self {
            Upstream::OpenAi { stream: false } => {
                json!({"choices": [{"message": {"role": "assistant", "content": "All good."}}]})
                    .to_string()
                    .into_bytes()
            }
            Upstream::Anthropic { stream: false } => {
                json!({"content": [{"type": "text", "text": "All good."}], "stop_reason": "end_turn"})
                    .to_string()
                    .into_bytes()
            }
            Upstream::OpenAi { stream: true } | Upstream::Anthropic { stream: true } => {
                self.sse(&["All ", "good."], Ending::Marker, false)
            }
            Upstream::ReadTool => json!({"order_id": "W1000001", "status": "shipped", "carrier": "UPS", "eta": "2026-12-10", "items": [{"name": "Desk lamp"}]})
                .to_string()
                .into_bytes(),
            Upstream::WriteTool => json!({"order_id": "W1000002", "status": "cancelled"})
                .to_string()
                .into_bytes(),
            Upstream::UserData => json!({"identifier": "alice@example.com", "user_info": {"name": "Alice", "plan": "Pro"}})
                .to_string()
                .into_bytes(),
        }
    }

    /// Whether `reply` is the answer the healthy upstream leads to.
    fn answered(self, reply: &str) -> bool {
        match self {
            // A replacement character in a streamed text is still the text.
            Upstream::OpenAi { .. } | Upstream::Anthropic { .. } => reply.contains("All good."),
            Upstream::ReadTool => reply.contains("W1000001 is shipped"),
            Upstream::WriteTool => reply.starts_with("Done — order W1000002 is cancelled"),
            Upstream::UserData => reply == "You are on the Pro plan, Alice.",
        }
    }

    /// A streamed answer in this provider's wire format: the text `pieces`, optional noise
    /// between the events, and how the stream ends.
    fn sse(self, pieces: &[&str], ending: Ending, noise: bool) -> Vec<u8> {
        let anthropic = matches!(self, Upstream::Anthropic { .. });
        let noise_lines = if noise {
            ": keep-alive\r\ngarbage line without a colon\nretry: soon\nid: 7\n\n"
        } else {
            ""
        };
        let mut out = String::new();
        let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
        if anthropic {
            out.push_str(&event(
                "message_start",
                json!({"type": "message_start", "message": {"id": "m1", "content": []}}),
            ));
            out.push_str(&event("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})));
        }
        for piece in pieces {
            out.push_str(noise_lines);
            if anthropic {
                out.push_str(&event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})));
            } else {
                out.push_str(&format!(
                    "data: {}\n\n",
                    json!({"choices": [{"delta": {"content": piece}}]})
                ));
            }
        }
        out.push_str(noise_lines);
        if ending == Ending::Marker {
            out.push_str(if anthropic {
                "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
            } else {
                "data: [DONE]\n\n"
            });
        }
        out.into_bytes()
    }

    /// A body of about `total` bytes that is valid in this upstream's format: its one text
    /// field (or, streamed, its stream of small events) is `MARKER` over and over.
    fn huge(self, total: usize) -> Body {
        let text = format!("{MARKER} ");
        let (prefix, unit, suffix) = match self {
            Upstream::OpenAi { stream: false } => (
                r#"{"choices":[{"message":{"role":"assistant","content":""#.to_string(),
                text,
                r#""}}]}"#.to_string(),
            ),
            Upstream::Anthropic { stream: false } => (
                r#"{"content":[{"type":"text","text":""#.to_string(),
                text,
                r#""}],"stop_reason":"end_turn"}"#.to_string(),
            ),
            Upstream::OpenAi { stream: true } | Upstream::Anthropic { stream: true } => {
                // The stream's opening, one small text event over and over, its end marker.
                let sse = |pieces: &[&str], ending| {
                    String::from_utf8(self.sse(pieces, ending, false)).unwrap()
                };
                let start = sse(&[], Ending::Cut);
                let end = sse(&[], Ending::Marker)[start.len()..].to_string();
                let whole = sse(&[&text], Ending::Marker);
                let unit = whole[start.len()..whole.len() - end.len()].to_string();
                (start, unit, end)
            }
            Upstream::ReadTool => (
                r#"{"order_id":"W1000001","status":"shipped","notes":""#.to_string(),
                text,
                r#""}"#.to_string(),
            ),
            Upstream::WriteTool => (
                r#"{"order_id":"W1000002","status":"cancelled","notes":""#.to_string(),
                text,
                r#""}"#.to_string(),
            ),
            Upstream::UserData => (
                r#"{"identifier":"alice@example.com","user_info":{"name":"Alice","plan":""#
                    .to_string(),
                text,
                r#""}}"#.to_string(),
            ),
        };
        Body::Repeated {
            count: total / unit.len(),
            prefix: prefix.into_bytes(),
            unit: unit.into_bytes(),
            suffix: suffix.into_bytes(),
        }
    }

    /// One huge event (a single text delta of `total` bytes), then the end marker.
    fn huge_event(self, total: usize) -> Body {
        let anthropic = matches!(self, Upstream::Anthropic { .. });
        let head = String::from_utf8(self.sse(&[], Ending::Cut, false)).unwrap();
        let (open, close) = if anthropic {
            (
                r#"event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""#,
                "\"}}\n\n",
            )
        } else {
            (r#"data: {"choices":[{"delta":{"content":""#, "\"}}]}\n\n")
        };
        let end = String::from_utf8(self.sse(&[], Ending::Marker, false)).unwrap();
        let unit = format!("{MARKER} ");
        Body::Repeated {
            count: total / unit.len(),
            prefix: format!("{head}{open}").into_bytes(),
            unit: unit.into_bytes(),
            suffix: format!("{close}{}", &end[head.len()..]).into_bytes(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// `[DONE]` / `message_stop`.
    Marker,
    /// The stream just stops.
    Cut,
}

// ----------------------------------------------------------------------------------------
// The faults.

/// A response body.
#[derive(Clone, Debug)]
enum Body {
    Bytes(Vec<u8>),
    /// `prefix`, `unit` × `count`, `suffix`, written piece by piece without a length (the
    /// connection's end ends it), so it is never held in memory whole.
    Repeated {
        prefix: Vec<u8>,
        unit: Vec<u8>,
        count: usize,
        suffix: Vec<u8>,
    },
}

/// What the fault server does with a request.
#[derive(Clone, Debug)]
enum Fault {
    /// A complete response.
    Respond {
        status: u16,
        content_type: String,
        extra_headers: Vec<(String, String)>,
        body: Body,
    },
    /// Nobody listens on the port.
    Refused,
    /// These bytes, then a TCP reset.
    ResetAfter(Vec<u8>),
    /// The request is read and never answered.
    Hang,
    /// The healthy answer, one byte a second.
    Trickle,
    /// The healthy answer's headers, half its body, then the connection closes.
    CloseEarly,
}

/// What the customer should get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// A graceful reply: not the answer, nothing of the upstream in it.
    Graceful,
    /// The normal answer (the fault is one the engine rides out).
    Answer,
    /// Either (a replacement character in a streamed text is still a text).
    AnswerOrGraceful,
}

struct Case {
    name: String,
    upstream: Upstream,
    fault: Fault,
    /// How many requests get the fault before the upstream turns healthy by itself.
    faulty_requests: usize,
    expect: Expect,
}

fn respond(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Fault {
    Fault::Respond {
        status,
        content_type: content_type.into(),
        extra_headers: Vec::new(),
        body: Body::Bytes(body.into()),
    }
}

/// Puts bytes that are not UTF-8 at the start of the body's first string value.
fn with_invalid_utf8(body: &[u8]) -> Vec<u8> {
    let at = body
        .windows(3)
        .position(|w| w == b"\":\"")
        .map_or(0, |i| i + 3);
    [&body[..at], b"\xff\xfe\xc3", &body[at..]].concat()
}

fn http_head(status: u16, content_type: &str, length: Option<usize>) -> Vec<u8> {
    let mut head =
        format!("HTTP/1.1 {status} Fault\r\ncontent-type: {content_type}\r\nconnection: close\r\n");
    if let Some(length) = length {
        head.push_str(&format!("content-length: {length}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// The case list: every fault against every upstream it applies to.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for upstream in Upstream::ALL {
        let healthy = upstream.healthy_body();
        let ct = upstream.content_type();
        let secret_body = json!({
            "error": {"message": format!("db password=hunter2 ({MARKER})")},
            "message": format!("order of bob@example.com, card 4242 ({MARKER})"),
        })
        .to_string();
        // A write is never retried on 429 and a User Data API failure is not retried: only
        // the model and a read ride out a 429.
        let retries_429 = upstream.is_model() || upstream == Upstream::ReadTool;
        let mut add = |name: &str, fault: Fault, faulty_requests: usize, expect: Expect| {
            cases.push(Case {
                name: format!("{}: {name}", upstream.name()),
                upstream,
                fault,
                faulty_requests,
                expect,
            })
        };
        let always = usize::MAX;
        use Expect::*;
        add(
            "500 without a body",
            respond(500, "text/plain", ""),
            always,
            Graceful,
        );
        add(
            "502 with an HTML page",
            respond(
                502,
                "text/html",
                format!("<html><body>{MARKER} Bad Gateway</body></html>"),
            ),
            always,
            Graceful,
        );
        add(
            "503 with a secret and another customer's data",
            respond(503, "application/json", secret_body.clone()),
            always,
            Graceful,
        );
        add(
            "500 with a secret and another customer's data",
            respond(500, "application/json", secret_body),
            always,
            Graceful,
        );
        add(
            "429 with Retry-After, then healthy",
            Fault::Respond {
                status: 429,
                content_type: "application/json".into(),
                extra_headers: vec![("retry-after".into(), RETRY_AFTER_SECS.to_string())],
                body: Body::Bytes(
                    format!("{{\"error\":{{\"message\":\"{MARKER}\"}}}}").into_bytes(),
                ),
            },
            1,
            if retries_429 { Answer } else { Graceful },
        );
        add("connection refused", Fault::Refused, always, Graceful);
        add(
            "reset in the middle of the headers",
            Fault::ResetAfter(b"HTTP/1.1 200 OK\r\ncontent-ty".to_vec()),
            always,
            Graceful,
        );
        add(
            "reset in the middle of the body",
            Fault::ResetAfter(
                [
                    http_head(200, ct, Some(healthy.len())),
                    healthy[..healthy.len() / 2].to_vec(),
                ]
                .concat(),
            ),
            always,
            Graceful,
        );
        add("no answer (timeout)", Fault::Hang, always, Graceful);
        add(
            "a body trickling at 1 byte/s",
            Fault::Trickle,
            always,
            Graceful,
        );
        add(
            "a body shorter than its content-length",
            Fault::CloseEarly,
            always,
            Graceful,
        );
        add(
            "malformed JSON",
            respond(200, ct, format!("{{\"{MARKER}\": ,, ]")),
            always,
            Graceful,
        );
        add(
            "truncated JSON",
            respond(200, ct, healthy[..healthy.len() / 2].to_vec()),
            always,
            Graceful,
        );
        add(
            "an HTML page with status 200",
            respond(
                200,
                "text/html",
                format!("<html><body>{MARKER}</body></html>"),
            ),
            always,
            Graceful,
        );
        // An empty 2xx is a success without data: for a write that is "done".
        add(
            "an empty body",
            respond(200, ct, ""),
            always,
            if upstream == Upstream::WriteTool {
                Answer
            } else {
                Graceful
            },
        );
        // Just over the 1 MiB caps, and fast: only a cap stops it (not a timeout).
        add(
            "a valid 2 MB answer",
            Fault::Respond {
                status: 200,
                content_type: ct.into(),
                extra_headers: Vec::new(),
                body: upstream.huge(2 * 1024 * 1024),
            },
            always,
            Graceful,
        );
        add(
            "a 50 MB body",
            Fault::Respond {
                status: 200,
                content_type: ct.into(),
                extra_headers: Vec::new(),
                body: upstream.huge(50 * 1024 * 1024),
            },
            always,
            Graceful,
        );
        add(
            "JSON nested 100,000 deep",
            respond(
                200,
                ct,
                format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            ),
            always,
            Graceful,
        );
        add(
            "bytes that are not UTF-8",
            respond(200, ct, with_invalid_utf8(&healthy)),
            always,
            if upstream.streams() {
                AnswerOrGraceful
            } else {
                Graceful
            },
        );
        if upstream.streams() {
            add(
                "a stream cut before its end marker",
                respond(
                    200,
                    ct,
                    upstream.sse(&["Partial ", MARKER], Ending::Cut, false),
                ),
                always,
                Graceful,
            );
            add(
                "a stream with garbage lines between events",
                respond(
                    200,
                    ct,
                    upstream.sse(&["All ", "good."], Ending::Marker, true),
                ),
                always,
                Answer,
            );
            add(
                "a stream event that is not JSON",
                respond(
                    200,
                    ct,
                    [
                        format!("data: {MARKER} {{{{\n\n").into_bytes(),
                        healthy.clone(),
                    ]
                    .concat(),
                ),
                always,
                Graceful,
            );
            add(
                "one 2 MB stream event",
                Fault::Respond {
                    status: 200,
                    content_type: ct.into(),
                    extra_headers: Vec::new(),
                    body: upstream.huge_event(2 * 1024 * 1024),
                },
                always,
                Graceful,
            );
        }
    }
    cases
}

// ----------------------------------------------------------------------------------------
// The fault server: raw TCP, so it can reset, trickle and cut where HTTP servers will not.

/// A request the fault server received.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    headers: Vec<(String, String)>,
}

struct FaultServer {
    url: String,
    state: Arc<ServerState>,
}

struct ServerState {
    fault: Fault,
    upstream: Upstream,
    faulty_left: AtomicUsize,
    received: Mutex<Vec<Received>>,
}

impl FaultServer {
    async fn start(case: &Case) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(ServerState {
            fault: case.fault.clone(),
            upstream: case.upstream,
            faulty_left: AtomicUsize::new(case.faulty_requests),
            received: Mutex::default(),
        });
        if matches!(case.fault, Fault::Refused) {
            // Closed again: connecting is refused until the upstream heals.
            drop(listener);
        } else {
            tokio::spawn(accept(listener, state.clone()));
        }
        Self { url, state }
    }

    /// From now on every request gets the healthy answer.
    async fn heal(&self) {
        self.state.faulty_left.store(0, Ordering::SeqCst);
        if matches!(self.state.fault, Fault::Refused) {
            let address = self.url.trim_start_matches("http://");
            let listener = TcpListener::bind(address)
                .await
                .unwrap_or_else(|e| panic!("re-opening {address}: {e}"));
            tokio::spawn(accept(listener, self.state.clone()));
        }
    }

    fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }
}

async fn accept(listener: TcpListener, state: Arc<ServerState>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(answer_connection(stream, state.clone()));
    }
}

/// Reads one request (head and body); `None` if the client went away first.
async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.lines();
    let method = lines.next()?.split(' ').next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some(Received { method, headers })
}

async fn answer_connection(mut stream: TcpStream, state: Arc<ServerState>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    state.received.lock().unwrap().push(request);
    let faulty = state
        .faulty_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let upstream = state.upstream;
    let healthy = upstream.healthy_body();
    let ct = upstream.content_type();
    if !faulty {
        let _ = stream
            .write_all(&[http_head(200, ct, Some(healthy.len())), healthy].concat())
            .await;
        let _ = stream.shutdown().await;
        return;
    }
    // Write errors are expected: the client hangs up on a fault it has seen enough of.
    match &state.fault {
        Fault::Respond {
            status,
            content_type,
            extra_headers,
            body,
        } => {
            let length = match body {
                Body::Bytes(b) => Some(b.len()),
                Body::Repeated { .. } => None,
            };
            let mut head = http_head(*status, content_type, length);
            head.truncate(head.len() - 2);
            for (name, value) in extra_headers {
                head.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            }
            head.extend_from_slice(b"\r\n");
            if stream.write_all(&head).await.is_err() {
                return;
            }
            match body {
                Body::Bytes(b) => {
                    let _ = stream.write_all(b).await;
                }
                Body::Repeated {
                    prefix,
                    unit,
                    count,
                    suffix,
                } => {
                    let block = unit.repeat((64 * 1024 / unit.len()).max(1));
                    let per_block = block.len() / unit.len();
                    if stream.write_all(prefix).await.is_err() {
                        return;
                    }
                    let mut left = *count;
                    while left > 0 {
                        let n = left.min(per_block);
                        if stream.write_all(&block[..n * unit.len()]).await.is_err() {
                            return;
                        }
                        left -= n;
                    }
                    let _ = stream.write_all(suffix).await;
                }
            }
            let _ = stream.shutdown().await;
        }
        Fault::Refused => unreachable!("nothing listens while connections are refused"),
        Fault::ResetAfter(bytes) => {
            let _ = stream.write_all(bytes).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            // A zero linger makes the close a reset (RST), and never blocks: the deprecation
            // is about a non-zero linger blocking the thread on drop.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
        Fault::Hang => {
            tokio::time::sleep(Duration::from_secs(120)).await;
        }
        Fault::Trickle => {
            if stream
                .write_all(&http_head(200, ct, Some(healthy.len())))
                .await
                .is_err()
            {
                return;
            }
            for byte in healthy {
                if stream.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Fault::CloseEarly => {
            let _ = stream
                .write_all(
                    &[
                        http_head(200, ct, Some(healthy.len())),
                        healthy[..healthy.len() / 2].to_vec(),
                    ]
                    .concat(),
                )
                .await;
            let _ = stream.shutdown().await;
        }
    }
}

// ----------------------------------------------------------------------------------------
// Agents pointed at a fault server.

fn alice() -> Identity {
    Identity::Verified {
        email: VerifiedEmail::new("alice@example.com").unwrap(),
        customer_id: None,
    }
}

/// The shop's config with `upstream` moved to `fault_url` and short timeouts everywhere.
fn fault_yaml(upstream: Upstream, fault_url: &str) -> String {
    let yaml = shop_yaml()
        .replace(
            "  - name: order_status\n",
            "  - name: order_status\n    timeout_ms: 1000\n",
        )
        .replace(
            "  - name: submit_cancellation\n",
            "  - name: submit_cancellation\n    timeout_ms: 1000\n",
        )
        .replace(
            "user_data:\n  url: ${SHOP_URL}/api/user-data\n",
            "user_data:\n  url: ${SHOP_URL}/api/user-data\n  timeout_ms: 1000\n",
        );
    match upstream {
        Upstream::OpenAi { stream } | Upstream::Anthropic { stream } => {
            let provider = if matches!(upstream, Upstream::OpenAi { .. }) {
                "openai"
            } else {
                "anthropic"
            };
            yaml.replace(
                "  model:\n    provider: offline\n",
                &format!("  model:\n    provider: {provider}\n    base_url: {fault_url}/v1\n    model: test-model\n    api_key: ${{MODEL_KEY}}\n    stream: {stream}\n    timeout_secs: 2\n    max_retries: 1\n"),
            )
        }
        Upstream::ReadTool => yaml.replace(
            "url: ${SHOP_URL}/api/orders/{order_id}?zip={zip}",
            &format!("url: {fault_url}/api/orders/{{order_id}}?zip={{zip}}"),
        ),
        Upstream::WriteTool => yaml.replace(
            "url: ${SHOP_URL}/api/orders/{order_id}/cancel",
            &format!("url: {fault_url}/api/orders/{{order_id}}/cancel"),
        ),
        Upstream::UserData => yaml.replace(
            "url: ${SHOP_URL}/api/user-data",
            &format!("url: {fault_url}/api/user-data"),
        ),
    }
}

/// The longest a turn may take under this config: every timeout it can meet, each attempt,
/// and the waits between attempts, plus [`MARGIN`].
fn turn_deadline(config: &Config) -> Duration {
    let model = &config.agent.model;
    let model_budget = if model.base_url.is_some() {
        // Transport: attempts × timeout, and between attempts the longer of the backoff
        // (250 ms doubling) and the Retry-After the test servers send.
        let waits: Duration = (0..model.max_retries)
            .map(|i| Duration::from_millis(250 << i).max(Duration::from_secs(RETRY_AFTER_SECS)))
            .sum();
        model.timeout * (model.max_retries + 1) + waits
    } else {
        Duration::ZERO
    };
    let user_data = config
        .user_data
        .as_ref()
        .map_or(Duration::ZERO, |u| u.timeout);
    // A task step with `on_error: retry` runs its call twice.
    let tool = config
        .tools
        .iter()
        .map(|t| t.timeout * (t.retries + 1) * 2)
        .max()
        .unwrap_or_default();
    model_budget + user_data + tool + MARGIN
}

/// What the customer does to reach `upstream`: the conversation's identity and messages.
fn script(upstream: Upstream) -> (Identity, &'static [&'static str]) {
    match upstream {
        Upstream::OpenAi { .. } | Upstream::Anthropic { .. } => {
            (Identity::Anonymous, &["hello there"])
        }
        Upstream::ReadTool => (
            Identity::Anonymous,
            &["Where is my order W1000001? ZIP 10001"],
        ),
        Upstream::WriteTool => (
            alice(),
            &["Please cancel order W1000002, I ordered by mistake", "yes"],
        ),
        Upstream::UserData => (alice(), &["what plan am I on?"]),
    }
}

/// One scripted conversation: the last reply, every event, the tool results the model got.
struct Played {
    reply: String,
    events: Vec<TurnEvent>,
    tool_messages: Vec<String>,
}

async fn play(
    agent: &Agent,
    upstream: Upstream,
    id: &str,
    deadline: Duration,
) -> Result<Played, String> {
    let (identity, messages) = script(upstream);
    let mut conversation = Conversation::new(id, identity);
    let mut reply = String::new();
    let mut events = Vec::new();
    for message in messages {
        let started = Instant::now();
        let output = tokio::time::timeout(deadline, agent.turn(&mut conversation, message, &Quiet))
            .await
            .map_err(|_| {
                format!("the turn {message:?} took longer than its deadline of {deadline:?}")
            })?;
        if started.elapsed() > deadline {
            return Err(format!("the turn {message:?} overran its deadline"));
        }
        reply = output.reply;
        events.extend(output.events);
    }
    let tool_messages = conversation
        .messages
        .iter()
        .filter_map(|m| match m {
            Message::Tool { content, .. } => Some(content.clone()),
            _ => None,
        })
        .collect();
    Ok(Played {
        reply,
        events,
        tool_messages,
    })
}

/// What must hold of anything a customer (or the model) reads after a fault.
fn leaks(text: &str) -> Option<&'static str> {
    std::iter::once(MARKER)
        .chain(FOREIGN)
        .chain(CRASH)
        .find(|needle| text.contains(needle))
}

/// Runs one case; `Err` says what went wrong.
async fn run_case(case: &Case, shop_url: &str) -> Result<(), String> {
    let server = FaultServer::start(case).await;
    let config = config(
        &fault_yaml(case.upstream, &server.url),
        &vars(shop_url, &[("MODEL_KEY", "sk-model-key-4242")]),
    );
    let deadline = turn_deadline(&config);
    let model = switchboard_llm::build_model(config.clone()).map_err(|e| e.to_string())?;
    let agent = agent(config, model);

    let played = play(&agent, case.upstream, "faulty", deadline).await?;
    let reply = &played.reply;
    if reply.trim().is_empty() {
        return Err("the reply is empty".into());
    }
    if let Some(leak) = leaks(reply) {
        return Err(format!("the reply shows {leak:?}: {reply:.300}"));
    }
    for content in &played.tool_messages {
        if let Some(leak) = leaks(content) {
            return Err(format!("the model was given {leak:?}: {content:.300}"));
        }
    }
    let answered = case.upstream.answered(reply);
    match case.expect {
        Expect::Answer if !answered => {
            return Err(format!("expected the normal answer, got: {reply:.300}"));
        }
        Expect::Graceful if answered => {
            return Err(format!(
                "expected a graceful failure, got the answer: {reply:.300}"
            ));
        }
        _ => {}
    }
    let failed_upstream = !answered;
    match case.upstream {
        upstream
            if upstream.is_model()
                && failed_upstream
                && !played
                    .events
                    .iter()
                    .any(|e| matches!(e, TurnEvent::ModelFailed { .. })) =>
        {
            return Err(format!(
                "no model failure was recorded; reply: {reply:.300}"
            ));
        }
        Upstream::UserData if failed_upstream => {
            let failed = played.events.iter().any(|e| {
                matches!(
                    e,
                    TurnEvent::UserData {
                        outcome: UserDataOutcome::Failed { .. }
                    }
                )
            });
            if !failed {
                return Err("the user-data failure was not recorded".into());
            }
        }
        Upstream::WriteTool => {
            let writes: Vec<Received> = server
                .received()
                .into_iter()
                .filter(|r| r.method == "POST")
                .collect();
            let keys: Vec<Option<&str>> = writes
                .iter()
                .map(|w| {
                    w.headers
                        .iter()
                        .find(|(k, _)| k == "idempotency-key")
                        .map(|(_, v)| v.as_str())
                })
                .collect();
            if keys.is_empty() && !matches!(case.fault, Fault::Refused) {
                return Err("the write never reached the API".into());
            }
            if keys.iter().any(Option::is_none) || keys.windows(2).any(|w| w[0] != w[1]) {
                return Err(format!("one write went out under several keys: {keys:?}"));
            }
            if failed_upstream && (reply.contains("Done") || reply.contains("is cancelled")) {
                return Err(format!("a failed write is reported as done: {reply:.300}"));
            }
        }
        _ => {}
    }

    // The same agent is fine once the upstream is: the next conversation gets its answer.
    server.heal().await;
    let healthy = play(&agent, case.upstream, "healed", deadline).await?;
    if !case.upstream.answered(&healthy.reply) {
        return Err(format!(
            "after the upstream healed, the next turn did not get its answer: {:.300}",
            healthy.reply
        ));
    }
    Ok(())
}

/// Every case, in parallel (a few at a time); each in its own task, so a panic is reported
/// as that case's failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_upstream_fault_gets_a_graceful_answer_within_the_deadline() {
    let shop = shop().await;
    let shop_url = shop.url();
    let cases = cases();
    let total = cases.len();
    let started = Instant::now();
    let failures: Vec<String> = futures::stream::iter(cases)
        .map(|case| {
            let shop_url = shop_url.clone();
            async move {
                let name = case.name.clone();
                let outcome = tokio::spawn(async move { run_case(&case, &shop_url).await }).await;
                match outcome {
                    Ok(Ok(())) => None,
                    Ok(Err(problem)) => Some(format!("{name}: {problem}")),
                    Err(panic) => Some(format!("{name}: PANICKED: {panic}")),
                }
            }
        })
        .buffer_unordered(8)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    eprintln!(
        "fault injection: {total} cases, {} passed, {} failed, in {:.1} s",
        total - failures.len(),
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} fault cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ----------------------------------------------------------------------------------------
// A representative subset through the real binary over HTTP.

/// Cases played through `switchboard serve`: one of each kind of fault, every upstream.
const SERVED: [&str; 8] = [
    "openai-stream: no answer (timeout)",
    "openai-stream: a stream cut before its end marker",
    "openai: reset in the middle of the body",
    "anthropic: a 50 MB body",
    "read-tool: 503 with a secret and another customer's data",
    "read-tool: JSON nested 100,000 deep",
    "write-tool: 500 with a secret and another customer's data",
    "user-data: a body trickling at 1 byte/s",
];

/// Plays the upstream's script in a new conversation over HTTP; returns the last reply and
/// every response body the customer received.
async fn play_http(
    served: &ServedBinary,
    upstream: Upstream,
    deadline: Duration,
) -> Result<(String, String), String> {
    let client = reqwest::Client::new();
    let (identity, messages) = script(upstream);
    let proof = match identity {
        Identity::Anonymous => json!({}),
        _ => {
            json!({"email": "alice@example.com", "user_hash": switchboard_server::identity::user_hash(WIDGET_SECRET, "alice@example.com")})
        }
    };
    let created: Value = client
        .post(format!("{}/v1/conversations", served.url))
        .json(&proof)
        .send()
        .await
        .map_err(|e| format!("creating a conversation: {e}"))?
        .json()
        .await
        .map_err(|e| format!("creating a conversation: {e}"))?;
    let id = created["id"].as_str().ok_or("no conversation id")?;
    let mut seen = String::new();
    let mut reply = String::new();
    for message in messages {
        let response = client
            .post(format!("{}/v1/conversations/{id}/messages", served.url))
            .timeout(deadline)
            .json(&json!({"text": message}))
            .send()
            .await
            .map_err(|e| format!("the turn {message:?} got no answer within {deadline:?}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!(
                "the turn {message:?} answered {status}: {text:.300}"
            ));
        }
        let body: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text:.300}"))?;
        reply = body["reply"].as_str().unwrap_or_default().to_string();
        seen.push_str(&text);
    }
    Ok((reply, seen))
}

async fn run_served_case(case: &Case, shop_url: &str) -> Result<(), String> {
    let server = FaultServer::start(case).await;
    let yaml = fault_yaml(case.upstream, &server.url);
    let env = [
        ("SHOP_URL", shop_url),
        ("SHOP_API_KEY", CANARY),
        ("SHOP_WIDGET_SECRET", WIDGET_SECRET),
        ("MODEL_KEY", "sk-model-key-4242"),
    ];
    let deadline = turn_deadline(&config(
        &yaml,
        &vars(shop_url, &[("MODEL_KEY", "sk-model-key-4242")]),
    ));
    let mut served = serve_binary(&yaml, &env).await;

    let (reply, seen) = play_http(&served, case.upstream, deadline).await?;
    if reply.trim().is_empty() {
        return Err("the reply is empty".into());
    }
    if let Some(leak) = leaks(&seen) {
        return Err(format!("the customer received {leak:?}: {seen:.300}"));
    }
    if case.upstream.answered(&reply) {
        return Err(format!(
            "expected a graceful failure, got the answer: {reply:.300}"
        ));
    }
    if case.upstream == Upstream::WriteTool
        && (reply.contains("Done") || reply.contains("is cancelled"))
    {
        return Err(format!("a failed write is reported as done: {reply:.300}"));
    }
    let health = reqwest::get(format!("{}/healthz", served.url))
        .await
        .map_err(|e| format!("/healthz: {e}"))?;
    if health.status() != 200 {
        return Err(format!("/healthz answered {}", health.status()));
    }
    server.heal().await;
    let (reply, _) = play_http(&served, case.upstream, deadline).await?;
    if !case.upstream.answered(&reply) {
        return Err(format!(
            "after the upstream healed, the next turn did not get its answer: {reply:.300}"
        ));
    }
    if let Ok(Some(status)) = served.child.try_wait() {
        return Err(format!("the server exited: {status}"));
    }
    let stderr = served.stderr.lock().unwrap().clone();
    if let Some(crash) = CRASH.iter().find(|c| stderr.contains(*c)) {
        return Err(format!("the server's log shows {crash:?}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_binary_answers_every_fault_and_stays_healthy() {
    let shop = shop().await;
    let shop_url = shop.url();
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| SERVED.contains(&c.name.as_str()))
        .collect();
    assert_eq!(
        cases.len(),
        SERVED.len(),
        "every served case is in the case list"
    );
    let failures: Vec<String> = futures::stream::iter(cases)
        .map(|case| {
            let shop_url = shop_url.clone();
            async move {
                let name = case.name.clone();
                match tokio::spawn(async move { run_served_case(&case, &shop_url).await }).await {
                    Ok(Ok(())) => None,
                    Ok(Err(problem)) => Some(format!("{name}: {problem}")),
                    Err(panic) => Some(format!("{name}: PANICKED: {panic}")),
                }
            }
        })
        .buffer_unordered(8)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} served fault cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
