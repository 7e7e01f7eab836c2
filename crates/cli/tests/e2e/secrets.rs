//! Secrets under failure: a `switchboard serve` process whose company API answers 500 with the
//! credentials echoed (plain, JSON-escaped, percent-encoded, placed where every cap cuts), times
//! out, answers with the credentials where the response cap cuts, whose model server echoes its
//! key in an error and in streamed text, and whose config is reloaded with a new secret. Every
//! channel a client can reach — the trace log, API answers, the SSE stream, /metrics, admin
//! endpoints, the SQLite files with their WAL — is searched for every form of every secret.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::*;

/// The secret a reload adds (read from a file the first config does not name).
const RELOADED: &str = "sk-reloaded-9e8d7c6b5a";

/// The admin key of the server under test.
const ADMIN_KEY: &str = "admin-canary-4d5e6f7a8b";

/// Every form a secret may take in output: as is, JSON-escaped (each character as `\uXXXX`
/// in either case, or only the first), percent-encoded (either case; form encoding is the
/// same for a secret without spaces), and the start a cut would leave.
fn forms(secret: &str) -> Vec<String> {
    let first = secret.chars().next().unwrap() as u32;
    vec![
        secret.to_string(),
        format!("\\u{first:04x}{}", &secret[1..]),
        secret
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect(),
        secret
            .chars()
            .map(|c| format!("\\u{:04X}", c as u32))
            .collect(),
        secret.bytes().map(|b| format!("%{b:02X}")).collect(),
        secret.bytes().map(|b| format!("%{b:02x}")).collect(),
        secret[..10].to_string(),
    ]
}

/// Which form of which secret occurs in `text` (`None`: none does).
fn leak(text: &str) -> Option<String> {
    [CANARY, RELOADED, ADMIN_KEY]
        .iter()
        .flat_map(|secret| forms(secret))
        .find(|form| text.contains(form.as_str()))
}

/// The credential a request carries: its bearer token, `X-Api-Key` or a query value.
fn presented(headers: &HeaderMap, uri: &Uri) -> String {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("authorization")
        .map(|a| a.trim_start_matches("Bearer ").to_string())
        .or_else(|| header("x-api-key").map(str::to_string))
        .or_else(|| {
            uri.query()
                .and_then(|q| q.split('&').find_map(|p| p.split_once('=')))
                .map(|(_, v)| v.to_string())
        })
        .unwrap_or_default()
}

/// JSON-escaped and percent-encoded forms of a secret, as raw JSON text (the escapes intact).
fn encoded_json_strings(secret: &str) -> String {
    forms(secret)[1..6]
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(",")
}

/// A misbehaving company API: every answer echoes the credentials it was sent.
async fn echo_api() -> String {
    // A 500 whose body holds the credential in every encoding, with a plain copy where the
    // error detail (300 characters) and one where the response preview (500) is cut.
    let fail = |headers: HeaderMap, uri: Uri| async move {
        let secret = presented(&headers, &uri);
        let mut body = format!(
            "{{\"forms\":[{}],\"message\":\"{}{secret}\",\"detail\":\"",
            encoded_json_strings(&secret),
            "x".repeat(290)
        );
        body.push_str(&"y".repeat(490usize.saturating_sub(body.chars().count())));
        body.push_str(&format!("{secret}\"}}"));
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "application/json")],
            body,
        )
    };
    // A success whose result the cap (120 characters) cuts inside the credential.
    let long = |headers: HeaderMap, uri: Uri| async move {
        let secret = presented(&headers, &uri);
        let forms = forms(&secret)[1..6].join(" ");
        Json(json!({"note": format!("{}{secret} {forms}", "n".repeat(101))}))
    };
    let slow = || async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        Json(json!({}))
    };
    // User data whose cap (60 characters) cuts inside the credential.
    let user_data = |headers: HeaderMap, uri: Uri, Json(body): Json<Value>| async move {
        let secret = presented(&headers, &uri);
        Json(json!({
            "identifier": body["identifier"],
            "user_info": {"note": format!("{}{secret}", "u".repeat(41)), "plan": "Pro"},
        }))
    };
    serve(
        axum::Router::new()
            .route("/fail", get(fail))
            .route("/long", get(long))
            .route("/slow", get(slow))
            .route("/user-data", post(user_data)),
    )
    .await
}

fn sse(events: Vec<Value>) -> Response {
    let mut body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    ([("content-type", "text/event-stream")], body).into_response()
}

fn text_chunk(text: &str) -> Value {
    json!({"choices": [{"delta": {"content": text}}]})
}

/// A model server (OpenAI wire format, streaming) that does what the customer's message says,
/// echoing the key it was sent where that says so. Keeps every request body: the model's
/// context.
async fn model_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let context = Arc::new(Mutex::new(Vec::new()));
    let kept = context.clone();
    let complete = move |headers: HeaderMap, Json(body): Json<Value>| async move {
        kept.lock().unwrap().push(body.to_string());
        let key = presented(&headers, &Uri::from_static("/"));
        let last = body["messages"].as_array().and_then(|m| m.last()).cloned();
        let last = last.unwrap_or(Value::Null);
        if last["role"] == "tool" {
            return sse(vec![text_chunk("Done.")]);
        }
        let said = last["content"].as_str().unwrap_or_default().to_string();
        let echoed = format!("{} Bearer {key}", "m".repeat(283));
        match said.as_str() {
            "model fails" => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": {"message": echoed}})),
            )
                .into_response(),
            "model stream fails" => sse(vec![
                text_chunk("One moment."),
                json!({"error": {"message": echoed}}),
            ]),
            "model leaks" => {
                let (a, b) = key.split_at(6);
                sse(vec![
                    text_chunk("Your key is "),
                    text_chunk(a),
                    text_chunk(b),
                    text_chunk(&format!(", also {}.", forms(&key)[4])),
                ])
            }
            other => {
                let tool = other.strip_prefix("call ").unwrap_or("none");
                sse(vec![
                    json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": tool, "arguments": "{}"}}]}}]}),
                ])
            }
        }
    };
    let url = serve(axum::Router::new().route("/v1/chat/completions", post(complete))).await;
    (url, context)
}

fn agent_yaml(reloaded_key_file: Option<&str>) -> String {
    let mut yaml = String::from(
        r#"agent:
  name: canary
  fallback: Sorry, I cannot help with that.
  model:
    provider: openai
    base_url: ${MODEL_URL}/v1
    api_key: ${SHOP_API_KEY}
    max_retries: 0
outbound:
  allow_loopback: true
user_data:
  url: ${ECHO_URL}/user-data
  max_chars: 60
  headers:
    Authorization: Bearer ${SHOP_API_KEY}
tools:
  - name: echo_failure
    description: Fails with 500, echoing the credentials.
    retries: 0
    request:
      url: ${ECHO_URL}/fail
      headers:
        Authorization: Bearer ${SHOP_API_KEY}
  - name: echo_slow
    description: Never answers in time; the key rides in the URL.
    timeout_ms: 300
    retries: 0
    request:
      url: ${ECHO_URL}/slow?api_key=${SHOP_API_KEY}
  - name: echo_long
    description: Answers with the credentials where the cap cuts.
    response:
      max_chars: 120
    request:
      url: ${ECHO_URL}/long
      query:
        token: ${SHOP_API_KEY}
"#,
    );
    if let Some(path) = reloaded_key_file {
        yaml.push_str(&format!(
            "  - name: echo_reloaded\n    description: Fails with 500, echoing the reloaded key.\n    retries: 0\n    request:\n      url: ${{ECHO_URL}}/fail\n      headers:\n        X-Api-Key: ${{file:{path}}}\n"
        ));
    }
    yaml
}

struct Server {
    child: tokio::process::Child,
    url: String,
    log: Arc<Mutex<String>>,
}

/// Starts `switchboard serve` at trace level, keeping everything it writes to stderr.
async fn start_server(config: &str, database: &str, env: &[(&str, &str)]) -> Server {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .args([
            "serve",
            "--config",
            config,
            "--database-url",
            database,
            "--listen",
            "127.0.0.1:0",
            "--admin-key",
            ADMIN_KEY,
        ])
        .env("RUST_LOG", "trace")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the binary starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let log = Arc::new(Mutex::new(String::new()));
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            log.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(url) = line.strip_prefix("switchboard listening on ") {
                return url.to_string();
            }
        }
        panic!(
            "the server exited before listening:\n{}",
            log.lock().unwrap()
        );
    })
    .await
    .expect("the server starts");
    let keep = log.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            keep.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    Server { child, url, log }
}

/// Everything a client saw, by channel.
#[derive(Default)]
struct Seen(Vec<(String, String)>);

impl Seen {
    fn add(&mut self, channel: impl Into<String>, text: impl Into<String>) {
        self.0.push((channel.into(), text.into()));
    }

    fn assert_no_secret(&self) {
        for (channel, text) in &self.0 {
            if let Some(form) = leak(text) {
                panic!("`{form}` leaked into {channel}:\n{text}");
            }
        }
    }

    fn all(&self) -> String {
        self.0.iter().map(|(_, t)| t.as_str()).collect()
    }
}

async fn request(
    client: &reqwest::Client,
    seen: &mut Seen,
    channel: &str,
    builder: reqwest::RequestBuilder,
) -> String {
    let _ = client;
    let response = builder.send().await.expect("the server answers");
    let text = response.text().await.unwrap();
    seen.add(channel, text.clone());
    text
}

#[tokio::test]
async fn no_form_of_a_secret_reaches_any_output_when_everything_fails() {
    let echo = echo_api().await;
    let (model, model_context) = model_server().await;
    let dir = tempdir::Dir::new();
    let config = dir.path.join("canary.yaml");
    std::fs::write(&config, agent_yaml(None)).unwrap();
    let database = dir.path.join("switchboard.db");
    let env = [
        ("SHOP_API_KEY", CANARY),
        ("ECHO_URL", echo.as_str()),
        ("MODEL_URL", model.as_str()),
    ];
    let server = start_server(
        &config.display().to_string(),
        &format!("sqlite://{}", database.display()),
        &env,
    )
    .await;
    let client = reqwest::Client::new();
    let base = server.url.clone();
    let admin = |b: reqwest::RequestBuilder| b.header("x-admin-key", ADMIN_KEY);
    let mut seen = Seen::default();

    let created = request(
        &client,
        &mut seen,
        "POST /v1/conversations",
        client.post(format!("{base}/v1/conversations")),
    )
    .await;
    let id = serde_json::from_str::<Value>(&created).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let messages = [
        "call echo_failure",
        "call echo_slow",
        "call echo_long",
        "model fails",
        "model stream fails",
        "model leaks",
    ];
    for (i, text) in messages.iter().enumerate() {
        let post = client
            .post(format!("{base}/v1/conversations/{id}/messages"))
            .json(&json!({"text": text}));
        // Every other message as a stream, the operator's and the customer's view in turn.
        let post = if i % 2 == 0 {
            admin(post.header("accept", "text/event-stream"))
        } else {
            post
        };
        request(&client, &mut seen, &format!("the answer to `{text}`"), post).await;
    }
    // The customer's own view of the same messages, as a stream.
    request(
        &client,
        &mut seen,
        "the customer's stream",
        client
            .post(format!("{base}/v1/conversations/{id}/messages"))
            .header("accept", "text/event-stream")
            .json(&json!({"text": "model leaks"})),
    )
    .await;
    for (channel, builder) in [
        (
            "the conversation (operator)",
            admin(client.get(format!("{base}/v1/conversations/{id}"))),
        ),
        (
            "the conversation (customer)",
            client.get(format!("{base}/v1/conversations/{id}")),
        ),
        ("/metrics", client.get(format!("{base}/metrics"))),
        (
            "the admin config",
            admin(client.get(format!("{base}/v1/admin/agents/canary/config"))),
        ),
        (
            "the admin user data",
            admin(client.post(format!("{base}/v1/admin/agents/canary/user-data")))
                .json(&json!({"email": "alice@example.com"})),
        ),
    ] {
        request(&client, &mut seen, channel, builder).await;
    }
    for tool in ["echo_failure", "echo_slow", "echo_long"] {
        request(
            &client,
            &mut seen,
            &format!("the admin call of {tool}"),
            admin(client.post(format!("{base}/v1/admin/agents/canary/tools/{tool}/call")))
                .json(&json!({})),
        )
        .await;
    }

    // A reload brings a secret the process has not held before.
    let key_file = dir.path.join("reloaded_key");
    std::fs::write(&key_file, format!("{RELOADED}\n")).unwrap();
    std::fs::write(&config, agent_yaml(Some(&key_file.display().to_string()))).unwrap();
    let reloaded = request(
        &client,
        &mut seen,
        "the admin reload",
        admin(client.post(format!("{base}/v1/admin/reload"))),
    )
    .await;
    assert!(reloaded.contains("canary"), "{reloaded}");
    request(
        &client,
        &mut seen,
        "the admin call of echo_reloaded",
        admin(client.post(format!(
            "{base}/v1/admin/agents/canary/tools/echo_reloaded/call"
        )))
        .json(&json!({})),
    )
    .await;
    request(
        &client,
        &mut seen,
        "the answer to `call echo_reloaded`",
        client
            .post(format!("{base}/v1/conversations/{id}/messages"))
            .json(&json!({"text": "call echo_reloaded"})),
    )
    .await;

    for file in ["switchboard.db", "switchboard.db-wal", "switchboard.db-shm"] {
        if let Ok(bytes) = std::fs::read(dir.path.join(file)) {
            seen.add(file, String::from_utf8_lossy(&bytes));
        }
    }
    for body in model_context.lock().unwrap().iter() {
        seen.add("the model's context", body.clone());
    }
    let mut server = server;
    server.child.kill().await.unwrap();
    server.child.wait().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    seen.add("the trace log", server.log.lock().unwrap().clone());

    // The failures happened, and were reported, redacted.
    let everything = seen.all();
    for expected in [
        "the API failed with 500",
        "no answer within 300 ms",
        "api_key=[REDACTED]",
        "token=[REDACTED]",
        "model server answered 500",
        "unexpected model answer",
        "Your key is [REDACTED]",
        "[REDACTED]",
    ] {
        assert!(everything.contains(expected), "`{expected}` was not seen");
    }
    assert!(
        seen.0
            .iter()
            .any(|(c, t)| c == "the trace log" && t.contains("tool call")),
        "trace logs were captured"
    );
    assert!(
        seen.0.iter().any(|(c, _)| c == "switchboard.db-wal"),
        "the WAL was read"
    );
    assert!(
        seen.0
            .iter()
            .any(|(c, t)| c == "the model's context" && t.contains("the API failed with 500")),
        "the model saw the failures"
    );
    seen.assert_no_secret();
}

#[tokio::test]
async fn the_database_password_never_reaches_the_output() {
    let dir = tempdir::Dir::new();
    let config = dir.path.join("canary.yaml");
    std::fs::write(&config, agent_yaml(None)).unwrap();
    let password = "db-canary-1a2b3c4d5e";
    let run = run_binary(
        &[
            "serve",
            "--config",
            &config.display().to_string(),
            "--database-url",
            &format!("postgres://switchboard:{password}@127.0.0.1:9/switchboard"),
            "--listen",
            "127.0.0.1:0",
        ],
        "",
        &[
            ("SHOP_API_KEY", CANARY),
            ("ECHO_URL", "http://127.0.0.1:9"),
            ("MODEL_URL", "http://127.0.0.1:9"),
            ("RUST_LOG", "trace"),
        ],
    )
    .await;
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("cannot open the store"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("db-canary"), "{}", run.stderr);

    let short = run_binary(
        &[
            "serve",
            "--config",
            &config.display().to_string(),
            "--database-url",
            "postgres://switchboard:pw@127.0.0.1:9/switchboard",
            "--admin-key",
            ADMIN_KEY,
        ],
        "",
        &[
            ("SHOP_API_KEY", CANARY),
            ("ECHO_URL", "http://127.0.0.1:9"),
            ("MODEL_URL", "http://127.0.0.1:9"),
        ],
    )
    .await;
    assert_ne!(short.code, 0);
    assert!(
        short
            .stderr
            .contains("the database password is shorter than 8 characters"),
        "{}",
        short.stderr
    );
}

#[test]
fn the_log_redactor_learns_the_admin_key_and_every_secret_a_reload_brings() {
    use switchboard_core::secret::SharedRedactor;
    use switchboard_core::store::{ConversationStore, LocalBus, MemoryStore};
    use switchboard_server::{AppState, ConfigSource, ServerOptions};

    let dir = tempdir::Dir::new();
    let config = dir.path.join("canary.yaml");
    std::fs::write(&config, agent_yaml(None)).unwrap();
    let vars = std::collections::BTreeMap::from([
        ("SHOP_API_KEY".to_string(), CANARY.to_string()),
        ("ECHO_URL".to_string(), "http://127.0.0.1:9".to_string()),
        ("MODEL_URL".to_string(), "http://127.0.0.1:9".to_string()),
    ]);
    let options = |admin_key: &str| ServerOptions {
        configs: vec![ConfigSource::Path(config.clone())],
        vars: vars.clone(),
        admin_key: Some(admin_key.to_string()),
        ..ServerOptions::default()
    };
    let store: Arc<dyn ConversationStore> = Arc::new(MemoryStore::default());
    let log = SharedRedactor::default();
    let state = AppState::with_secrets(
        options(ADMIN_KEY),
        store.clone(),
        Arc::new(LocalBus::default()),
        log.clone(),
    )
    .unwrap();
    let line = format!("{ADMIN_KEY} {CANARY} {RELOADED}");
    assert_eq!(
        log.redact(&line),
        format!("[REDACTED] [REDACTED] {RELOADED}")
    );

    let key_file = dir.path.join("reloaded_key");
    std::fs::write(&key_file, RELOADED).unwrap();
    std::fs::write(&config, agent_yaml(Some(&key_file.display().to_string()))).unwrap();
    state.reload().unwrap();
    assert_eq!(log.redact(&line), "[REDACTED] [REDACTED] [REDACTED]");

    let short = AppState::with_secrets(
        options("short"),
        store,
        Arc::new(LocalBus::default()),
        SharedRedactor::default(),
    );
    assert!(
        short
            .err()
            .is_some_and(|e| e.contains("the admin key is shorter than 8 characters")),
    );
}
