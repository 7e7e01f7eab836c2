//! The HTTP API end to end: a real server on 127.0.0.1:0 with the demo shop behind it, driven
//! over real HTTP (JSON and SSE).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use switchboard_core::store::{ConversationStore, MemoryStore};
use switchboard_server::{AppState, ConfigSource, Limits, ServerOptions};
use tokio_stream::StreamExt;

const CANARY: &str = "sk-canary-server-31337";
const WIDGET_SECRET: &str = "widget-secret-for-server-tests";
const JWT_SECRET: &str = "jwt-hs256-secret-for-server-tests";
const HELPDESK_KEY: &str = "helpdesk-channel-key-4711";
const INSPECTOR_KEY: &str = "inspector-key-for-acme-shop";
const ADMIN_KEY: &str = "admin-key-for-server-tests";

struct App {
    url: String,
    shop: shop_demo::ShopHandle,
    state: Arc<AppState>,
    client: reqwest::Client,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn shop_yaml() -> String {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/shop/switchboard.yaml"
    ))
    .unwrap();
    yaml.replace(
        "  name: acme-shop\n",
        "  name: acme-shop\n  inspector_key: ${SHOP_INSPECTOR_KEY}\n",
    )
    .replace(
        "  hmac_secret: ${SHOP_WIDGET_SECRET}\n",
        "  hmac_secret: ${SHOP_WIDGET_SECRET}\n  jwt:\n    secret: ${JWT_SECRET}\n    public_key: ${file:JWT_PUBLIC_KEY_PATH}\n    audience: switchboard\n    issuer: acme\n  channel_keys:\n    - name: helpdesk\n      key: ${HELPDESK_KEY}\n",
    )
    .replace("JWT_PUBLIC_KEY_PATH", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt_test_public.pem"))
}

async fn spawn_app_with(limits: Limits) -> App {
    spawn_app_on(limits, Arc::new(MemoryStore::default())).await
}

async fn spawn_app_on(limits: Limits, store: Arc<dyn ConversationStore>) -> App {
    let shop = shop_demo::start(CANARY).await.unwrap();
    let dir =
        std::env::temp_dir().join(format!("switchboard-server-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let config_path = dir.join("shop.yaml");
    std::fs::write(&config_path, shop_yaml()).unwrap();
    let vars = BTreeMap::from([
        ("SHOP_URL".to_string(), shop.url()),
        ("SHOP_API_KEY".to_string(), CANARY.to_string()),
        ("SHOP_WIDGET_SECRET".to_string(), WIDGET_SECRET.to_string()),
        ("JWT_SECRET".to_string(), JWT_SECRET.to_string()),
        ("HELPDESK_KEY".to_string(), HELPDESK_KEY.to_string()),
        ("SHOP_INSPECTOR_KEY".to_string(), INSPECTOR_KEY.to_string()),
    ]);
    let options = ServerOptions {
        configs: vec![ConfigSource::Path(config_path)],
        vars,
        admin_key: Some(ADMIN_KEY.to_string()),
        limits,
        demo_signing: false,
    };
    let state = AppState::new(options, store).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = state.clone();
    tokio::spawn(async move {
        switchboard_server::serve(listener, served, std::future::pending()).await
    });
    App {
        url,
        shop,
        state,
        client: reqwest::Client::new(),
        _dir: TempDir(dir),
    }
}

async fn spawn_app() -> App {
    spawn_app_with(Limits::default()).await
}

fn user_hash(email: &str) -> String {
    switchboard_server::identity::user_hash(WIDGET_SECRET, email)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn hs256(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn rs256(claims: Value) -> String {
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/jwt_test_private.pem"
    ))
    .unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap(),
    )
    .unwrap()
}

impl App {
    /// Sends a bad request and checks the status and the stable error code.
    async fn check(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        status: u16,
        code: &str,
    ) {
        let (got_status, got) = self.raw(method, path, content_type, body, false).await;
        assert_eq!(
            (got_status, got["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {got}"
        );
        assert!(got["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    async fn create(&self, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/v1/conversations", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    /// A message as the customer sends it (the customer's view of the answer).
    async fn say(&self, id: &str, text: &str) -> Value {
        self.say_with(id, text, false).await
    }

    /// A message with the admin key (the operator's view of the answer).
    async fn say_operator(&self, id: &str, text: &str) -> Value {
        self.say_with(id, text, true).await
    }

    async fn say_with(&self, id: &str, text: &str, admin: bool) -> Value {
        let mut request = self
            .client
            .post(format!("{}/v1/conversations/{id}/messages", self.url))
            .json(&json!({"text": text}));
        if admin {
            request = request.header("x-admin-key", ADMIN_KEY);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
        response.json().await.unwrap()
    }

    /// Posts a raw request; returns status and JSON body.
    async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        admin: bool,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.url))
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        if admin {
            request = request.header("x-admin-key", ADMIN_KEY);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn the_demo_conversations_over_json() {
    let app = spawn_app().await;
    let anonymous = app.create(json!({})).await;
    assert_eq!(anonymous["identity"]["level"], "anonymous");
    let id = anonymous["id"].as_str().unwrap();
    assert_eq!(
        app.say(id, "Where is my order W1000001?").await["reply"],
        "Could you tell me the ZIP code of the shipping address?"
    );
    let turn = app.say_operator(id, "10001").await;
    assert_eq!(
        turn["reply"],
        "Order W1000001 is shipped with UPS, expected on 2026-11-29."
    );
    assert!(
        turn["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "tool_call_finished" && e["status"] == "ok")
    );

    let verified = app
        .create(json!({"email": "alice@example.com", "user_hash": user_hash("alice@example.com")}))
        .await;
    assert_eq!(verified["identity"]["level"], "verified");
    assert_eq!(verified["identity_note"], "hmac");
    let id = verified["id"].as_str().unwrap();
    assert_eq!(
        app.say(id, "What plan am I on?").await["reply"],
        "You are on the Pro plan, Alice Martin."
    );
    let confirm = app
        .say(id, "Please cancel order W1000002, I ordered by mistake")
        .await;
    assert_eq!(confirm["task"]["task"], "cancel_order");
    assert_eq!(confirm["task"]["awaiting"]["kind"], "confirmation");
    let done = app.say(id, "yes").await;
    assert!(
        done["reply"]
            .as_str()
            .unwrap()
            .starts_with("Done — order W1000002 is cancelled")
    );
    assert!(done["task"].is_null());
    assert_eq!(
        app.shop.order_status("W1000002").as_deref(),
        Some("cancelled")
    );

    // The transcript: messages, identity, task steps and tool calls, secrets redacted (the
    // operator's view).
    let transcript = app
        .client
        .get(format!("{}/v1/conversations/{id}", app.url))
        .header("x-admin-key", ADMIN_KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !transcript.contains(CANARY),
        "a secret leaked into the transcript"
    );
    let transcript: Value = serde_json::from_str(&transcript).unwrap();
    assert_eq!(transcript["transcript"].as_array().unwrap().len(), 6);
    assert_eq!(transcript["identity"]["level"], "verified");
    let events: Vec<&Value> = transcript["turns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["events"].as_array().unwrap())
        .collect();
    assert!(events.iter().any(|e| e["type"] == "task_step"));
    assert!(events.iter().any(|e| e["type"] == "tool_call_finished"
        && e["request"]["headers"]["Authorization"] == "Bearer [REDACTED]"));
}

#[tokio::test]
async fn messages_stream_as_server_sent_events() {
    let app = spawn_app().await;
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let response = app
        .client
        .post(format!("{}/v1/conversations/{id}/messages", app.url))
        .header("accept", "text/event-stream")
        .header("x-admin-key", ADMIN_KEY)
        .json(&json!({"text": "Where is order W2000001? My ZIP is 94105"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = response.text().await.unwrap();
    let events: Vec<(String, Value)> = body
        .split("\n\n")
        .filter_map(|block| {
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))?
                .to_string();
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((name, serde_json::from_str(data).unwrap()))
        })
        .collect();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "user_data",
        "tool_call_started",
        "tool_call_finished",
        "delta",
        "done",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert_eq!(names.last(), Some(&"done"));
    let (_, done) = events.last().unwrap();
    assert_eq!(done["reply"], "Order W2000001 is delivered with USPS.");
    let deltas: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, "Order W2000001 is delivered with USPS.");
}

#[tokio::test]
async fn the_stateless_chat_endpoint_takes_the_whole_history() {
    let app = spawn_app().await;
    let (status, body) = app
        .raw(
            "POST",
            "/v1/chat",
            Some("application/json"),
            serde_json::to_vec(&json!({"messages": [
                {"role": "user", "content": "Where is my order W1000001?"},
                {"role": "assistant", "content": "Could you tell me the ZIP code of the shipping address?"},
                {"role": "user", "content": "10001"},
            ]}))
            .unwrap(),
            false,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["reply"],
        "Order W1000001 is shipped with UPS, expected on 2026-11-29."
    );
    let (status, body) = app
        .raw(
            "POST",
            "/v1/chat",
            Some("application/json"),
            br#"{"messages": [{"role": "assistant", "content": "hi"}]}"#.to_vec(),
            false,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("last_message_not_user"))
    );
}

#[tokio::test]
async fn identity_proofs_verify_or_fall_back_to_anonymous() {
    let app = spawn_app().await;
    let email = "alice@example.com";
    let good = [
        (
            json!({"email": email, "user_hash": user_hash(email)}),
            "hmac",
        ),
        (
            json!({"token": hs256(json!({"email": email, "exp": now() + 300, "aud": "switchboard", "iss": "acme"}), JWT_SECRET)}),
            "jwt",
        ),
        (
            json!({"token": rs256(json!({"email": email, "exp": now() + 300, "aud": "switchboard", "iss": "acme"}))}),
            "jwt",
        ),
        (
            json!({"email": email, "channel_key": HELPDESK_KEY}),
            "channel:helpdesk",
        ),
    ];
    for (proof, note) in good {
        let created = app.create(proof.clone()).await;
        assert_eq!(created["identity"]["level"], "verified", "{proof}");
        assert_eq!(created["identity_note"], note);
    }
    let bad = [
        (
            json!({"email": email, "user_hash": user_hash("bob@example.com")}),
            "does not match",
        ),
        (json!({"email": email}), "without proof"),
        (
            json!({"token": hs256(json!({"email": email, "exp": now() + 300, "aud": "switchboard", "iss": "acme"}), "forged-secret")}),
            "bad signature",
        ),
        (
            json!({"token": hs256(json!({"email": email, "exp": now() - 3600, "aud": "switchboard", "iss": "acme"}), JWT_SECRET)}),
            "expired",
        ),
        (
            json!({"token": hs256(json!({"email": email, "exp": now() + 300, "aud": "someone-else", "iss": "acme"}), JWT_SECRET)}),
            "wrong audience",
        ),
        (
            json!({"token": hs256(json!({"email": email, "exp": now() + 300, "nbf": now() + 3600, "aud": "switchboard", "iss": "acme"}), JWT_SECRET)}),
            "not valid yet",
        ),
        (json!({"token": "not.a.jwt"}), "malformed"),
        // The configured issuer and audience are required claims, for every algorithm.
        (
            json!({"token": rs256(json!({"email": email, "exp": now() + 300}))}),
            "missing required claim",
        ),
        (
            json!({"token": rs256(json!({"email": email, "exp": now() + 300, "aud": "switchboard"}))}),
            "missing required claim",
        ),
        (
            json!({"token": hs256(json!({"email": email, "exp": now() + 300, "iss": "acme"}), JWT_SECRET)}),
            "missing required claim",
        ),
        (
            json!({"token": rs256(json!({"email": email, "email_verified": false, "exp": now() + 300, "aud": "switchboard", "iss": "acme"}))}),
            "not verified",
        ),
        (
            json!({"email": email, "channel_key": "guessed-key"}),
            "unknown channel key",
        ),
    ];
    for (proof, reason) in bad {
        let created = app.create(proof.clone()).await;
        assert_eq!(created["identity"]["level"], "anonymous", "{proof}");
        assert!(
            created["identity_note"].as_str().unwrap().contains(reason),
            "{}: {reason}",
            created["identity_note"]
        );
        // The verified task and the User Data API are not used.
        let id = created["id"].as_str().unwrap();
        let turn = app
            .say(id, "Please cancel order W1000002, I ordered by mistake")
            .await;
        assert!(
            turn["reply"]
                .as_str()
                .unwrap()
                .starts_with("I can only help with that once we know it's you")
        );
    }
    assert!(
        !app.shop
            .requests()
            .iter()
            .any(|r| r.path.contains("cancel") || r.path == "/api/user-data")
    );
    // Headers work as well as the body.
    let response = app
        .client
        .post(format!("{}/v1/conversations", app.url))
        .header("x-switchboard-email", email)
        .header("x-switchboard-user-hash", user_hash(email))
        .send()
        .await
        .unwrap();
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["identity"]["level"], "verified");
}

#[tokio::test]
async fn bad_requests_get_the_right_status_and_code_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let messages = format!("/v1/conversations/{id}/messages");
    let json_ct = Some("application/json");
    let long = |n: usize| serde_json::to_vec(&json!({"text": "x".repeat(n)})).unwrap();
    app.check(
        "POST",
        &messages,
        json_ct,
        b"{\"text\": ".to_vec(),
        400,
        "invalid_json",
    )
    .await;
    app.check(
        "POST",
        "/v1/conversations/nope/messages",
        json_ct,
        br#"{"text": "hi"}"#.to_vec(),
        404,
        "conversation_not_found",
    )
    .await;
    app.check(
        "GET",
        "/v1/conversations/nope",
        None,
        Vec::new(),
        404,
        "conversation_not_found",
    )
    .await;
    app.check(
        "POST",
        &messages,
        json_ct,
        long(200_000),
        413,
        "payload_too_large",
    )
    .await;
    app.check(
        "POST",
        &messages,
        json_ct,
        long(5_000),
        413,
        "message_too_long",
    )
    .await;
    app.check(
        "POST",
        &messages,
        json_ct,
        br#"{"txt": "hi"}"#.to_vec(),
        422,
        "invalid_body",
    )
    .await;
    app.check(
        "POST",
        &messages,
        json_ct,
        br#"{"text": "   "}"#.to_vec(),
        422,
        "empty_message",
    )
    .await;
    app.check(
        "POST",
        &messages,
        Some("text/plain"),
        br#"{"text": "hi"}"#.to_vec(),
        415,
        "unsupported_media_type",
    )
    .await;
    app.check(
        "POST",
        "/v1/conversations",
        Some("text/plain"),
        b"email=x".to_vec(),
        415,
        "unsupported_media_type",
    )
    .await;
    app.check(
        "POST",
        "/v1/agents/nobody/conversations",
        None,
        Vec::new(),
        404,
        "agent_not_found",
    )
    .await;
    app.check(
        "GET",
        "/v1/admin/agents/acme-shop/config",
        None,
        Vec::new(),
        401,
        "admin_key_required",
    )
    .await;
    app.check(
        "POST",
        "/v1/admin/reload",
        None,
        Vec::new(),
        401,
        "admin_key_required",
    )
    .await;
    app.check(
        "GET",
        "/v1/nothing-here",
        None,
        Vec::new(),
        404,
        "not_found",
    )
    .await;
    let health = app
        .client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        app.say(&id, "hello").await["reply"]
            .as_str()
            .map(|r| !r.is_empty()),
        Some(true)
    );
}

/// Error statuses written below the handlers (unknown paths, wrong methods, bodies over the
/// limit on routes that read raw bytes) get the same `{code, message}` body as the rest, and
/// every route that carries a customer's message applies the same limits.
#[tokio::test]
async fn every_error_status_has_a_code_and_every_route_the_same_message_limits() {
    let app = spawn_app().await;
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let json_ct = Some("application/json");
    app.check(
        "GET",
        "/v1/chat",
        None,
        Vec::new(),
        405,
        "method_not_allowed",
    )
    .await;
    let allow = app
        .client
        .delete(format!("{}/v1/conversations/{id}/messages", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(allow.status(), 405);
    assert!(allow.headers().contains_key("allow"), "405 keeps `Allow`");
    app.check("GET", "/no-such-page", None, Vec::new(), 404, "not_found")
        .await;
    let big = serde_json::to_vec(&json!({"summary": "x".repeat(100_000)})).unwrap();
    app.check(
        "POST",
        &format!("/v1/conversations/{id}/handoff"),
        json_ct,
        big,
        413,
        "payload_too_large",
    )
    .await;
    let chat = |text: String| {
        serde_json::to_vec(&json!({"messages": [{"role": "user", "content": text}]})).unwrap()
    };
    app.check(
        "POST",
        "/v1/chat",
        json_ct,
        chat("x".repeat(5_000)),
        413,
        "message_too_long",
    )
    .await;
    app.check(
        "POST",
        "/v1/chat",
        json_ct,
        chat("  ".into()),
        422,
        "empty_message",
    )
    .await;
    let long_history = serde_json::to_vec(&json!({"messages": [
        {"role": "user", "content": "y".repeat(5_000)},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "hi"},
    ]}))
    .unwrap();
    app.check(
        "POST",
        "/v1/chat",
        json_ct,
        long_history,
        413,
        "message_too_long",
    )
    .await;
    app.check(
        "POST",
        &format!("/v1/conversations/{id}/handoff"),
        json_ct,
        serde_json::to_vec(&json!({"summary": "z".repeat(5_000)})).unwrap(),
        413,
        "message_too_long",
    )
    .await;
}

/// A raw client connection from a chosen loopback address (all of 127/8 is local on Linux), so
/// one test can be several clients.
async fn connect_from(source: &str, url: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let address = url.trim_start_matches("http://").parse().unwrap();
    socket.connect(address).await.unwrap()
}

/// Reads what the server sends until it closes the connection (or 20 s pass, which fails).
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut got))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&got).into_owned()
}

/// Slow clients: headers that never finish are cut off, one address cannot hold more than its
/// share of connections (the rest are answered 503 with a code), and health keeps answering
/// for everyone else meanwhile.
#[tokio::test]
async fn slow_clients_are_cut_off_and_cannot_starve_the_rest() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app_with(Limits {
        header_read_timeout: Duration::from_secs(1),
        max_connections_per_ip: 8,
        ..Limits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut stream = connect_from("127.0.0.2", &app.url).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    // The attacker's ninth connection is refused with a code, not left hanging.
    let mut ninth = connect_from("127.0.0.2", &app.url).await;
    let refused = read_until_closed(&mut ninth).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.contains(r#""code":"too_many_connections""#),
        "{refused}"
    );
    // Everyone else is still served while the attacker holds its connections.
    let health = app
        .client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // The refusal is counted where operators look.
    let metrics = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("switchboard_api_errors_total{code=\"too_many_connections\"} 1"),
        "{metrics}"
    );
    // The unfinished headers are cut off: the server closes each connection.
    for stream in &mut held {
        let rest = read_until_closed(stream).await;
        assert!(!rest.contains("200 OK"), "{rest}");
    }
    // Their places are free again.
    let mut again = connect_from("127.0.0.2", &app.url).await;
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let answered = read_until_closed(&mut again).await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
}

/// A body that trickles in is failed with 408 `request_timeout` at the deadline, however
/// often a byte arrives.
#[tokio::test]
async fn a_trickling_body_is_failed_at_its_deadline() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app_with(Limits {
        body_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut stream = connect_from("127.0.0.3", &app.url).await;
    let head = format!(
        "POST /v1/conversations/{id}/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{{\"text\": \""
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let trickle = async {
        // A byte every 200 ms: an idle timer would never fire; the deadline does.
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(b"a").await.is_err() {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), trickle).await;
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
}

#[tokio::test]
async fn rate_limits_per_conversation() {
    let app = spawn_app_with(Limits {
        per_conversation_per_minute: 2,
        ..Limits::default()
    })
    .await;
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.say(&id, "hi").await;
    app.say(&id, "hi").await;
    let (status, body) = app
        .raw(
            "POST",
            &format!("/v1/conversations/{id}/messages"),
            Some("application/json"),
            br#"{"text": "hi"}"#.to_vec(),
            false,
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")));
    // Another conversation is not affected.
    let other = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.say(&other, "hi").await;
}

#[tokio::test]
async fn handoff_and_hand_back() {
    let app = spawn_app().await;
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .raw(
            "POST",
            &format!("/v1/conversations/{id}/handoff"),
            Some("application/json"),
            br#"{"summary": "VIP customer"}"#.to_vec(),
            false,
        )
        .await;
    assert_eq!(status, 200);
    let turn = app.say(&id, "Where is my order W1000001?").await;
    assert_eq!(
        turn["reply"],
        "A person from our team has this conversation now and will reply here."
    );
    // The customer sees that a person has it, not the operator's summary.
    assert_eq!(turn["handoff"], true);
    // Handing back is the operator's act.
    let (status, body) = app
        .raw(
            "POST",
            &format!("/v1/conversations/{id}/handback"),
            None,
            Vec::new(),
            false,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("admin_key_required"))
    );
    let (status, _) = app
        .raw(
            "POST",
            &format!("/v1/conversations/{id}/handback"),
            None,
            Vec::new(),
            true,
        )
        .await;
    assert_eq!(status, 200);
    let turn = app.say(&id, "Where is my order W1000001?").await;
    assert_eq!(
        turn["reply"],
        "Could you tell me the ZIP code of the shipping address?"
    );
}

#[tokio::test]
async fn admin_endpoints_test_tools_and_user_data_and_show_the_config_redacted() {
    let app = spawn_app().await;
    let (status, body) = app
        .raw(
            "POST",
            "/v1/admin/agents/acme-shop/tools/order_status/call",
            Some("application/json"),
            br#"{"inputs": {"order_id": "W1000001", "zip": "10001"}}"#.to_vec(),
            true,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["status"], "shipped");
    assert_eq!(
        body["request"]["headers"]["Authorization"],
        "Bearer [REDACTED]"
    );
    let (status, body) = app.raw("POST", "/v1/admin/agents/acme-shop/tools/submit_cancellation/call", Some("application/json"), br#"{"inputs": {"order_id": "W1000002", "reason": "other"}, "email": "alice@example.com"}"#.to_vec(), true).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("tool_call_refused"))
    );
    let (status, body) = app
        .raw(
            "POST",
            "/v1/admin/agents/acme-shop/user-data",
            Some("application/json"),
            br#"{"email": "alice@example.com"}"#.to_vec(),
            true,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["outcome"], "fetched");
    assert_eq!(body["data"]["plan"], "Pro");
    let response = app
        .client
        .get(format!("{}/v1/admin/agents/acme-shop/config", app.url))
        .header("x-admin-key", ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for secret in [CANARY, WIDGET_SECRET, JWT_SECRET, HELPDESK_KEY] {
        assert!(!text.contains(secret), "the config endpoint shows a secret");
    }
    assert!(text.contains("[REDACTED]"));
}

#[tokio::test]
async fn reload_keeps_the_running_config_when_the_new_one_is_invalid() {
    let app = spawn_app().await;
    let ConfigSource::Path(path) = &app.state.options.configs[0] else {
        unreachable!()
    };
    std::fs::write(
        path,
        shop_yaml().replace("name: acme-shop", "name: acme-shop\n  bogus_field: 1"),
    )
    .unwrap();
    let (status, body) = app
        .raw("POST", "/v1/admin/reload", None, Vec::new(), true)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_config"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `bogus_field`"),
        "{body}"
    );
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.say(&id, "Where is my order W1000001?").await["reply"],
        "Could you tell me the ZIP code of the shipping address?"
    );
    // A valid change is picked up.
    std::fs::write(
        path,
        shop_yaml().replace(
            "fallback: \"I'm the Acme Shop assistant.\"",
            "fallback: \"Acme here.\"",
        ),
    )
    .unwrap();
    let (status, body) = app
        .raw("POST", "/v1/admin/reload", None, Vec::new(), true)
        .await;
    assert_eq!(status, 200, "{body}");
    let fresh = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = app.say(&fresh, "what's the weather?").await["reply"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reply.starts_with("Acme here."), "{reply}");
}

#[tokio::test]
async fn metrics_expose_turns_tool_calls_user_data_latency_and_active_conversations() {
    let app = spawn_app().await;
    let id = app
        .create(json!({"email": "alice@example.com", "user_hash": user_hash("alice@example.com")}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.say(&id, "Where is order W1000001? ZIP 10001").await;
    let _ = app
        .raw("GET", "/v1/conversations/nope", None, Vec::new(), false)
        .await;
    let text = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for series in [
        "switchboard_turns_total{agent=\"acme-shop\"} 1",
        "switchboard_tool_calls_total{agent=\"acme-shop\",tool=\"order_status\",status=\"ok\"} 1",
        "switchboard_user_data_fetches_total{agent=\"acme-shop\",outcome=\"fetched\"} 1",
        "switchboard_turn_duration_seconds_count{agent=\"acme-shop\"} 1",
        "switchboard_tool_call_duration_seconds_count{agent=\"acme-shop\",tool=\"order_status\"} 1",
        "switchboard_active_conversations 1",
        "switchboard_api_errors_total{code=\"404\"} 1",
    ] {
        assert!(text.contains(series), "{series} missing from:\n{text}");
    }
}

#[tokio::test]
async fn rate_limits_per_client_address() {
    let app = spawn_app_with(Limits {
        per_ip_per_minute: 3,
        ..Limits::default()
    })
    .await;
    for _ in 0..3 {
        app.create(json!({})).await;
    }
    let (status, body) = app
        .raw("POST", "/v1/conversations", None, Vec::new(), false)
        .await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")));
    // Health checks are not rate limited.
    assert_eq!(
        app.client
            .get(format!("{}/healthz", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn one_server_hosts_several_agents_from_a_folder() {
    let shop = shop_demo::start(CANARY).await.unwrap();
    let dir = std::env::temp_dir().join(format!("switchboard-agents-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = TempDir(dir.clone());
    std::fs::write(dir.join("a-shop.yaml"), shop_yaml()).unwrap();
    std::fs::write(
        dir.join("b-help.yml"),
        "agent:\n  name: help-desk\n  fallback: Help desk here.\n",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a config").unwrap();
    let vars = BTreeMap::from([
        ("SHOP_URL".to_string(), shop.url()),
        ("SHOP_API_KEY".to_string(), CANARY.to_string()),
        ("SHOP_WIDGET_SECRET".to_string(), WIDGET_SECRET.to_string()),
        ("JWT_SECRET".to_string(), JWT_SECRET.to_string()),
        ("HELPDESK_KEY".to_string(), HELPDESK_KEY.to_string()),
        ("SHOP_INSPECTOR_KEY".to_string(), INSPECTOR_KEY.to_string()),
    ]);
    let options = ServerOptions {
        configs: vec![ConfigSource::Path(dir.clone())],
        vars: vars.clone(),
        ..ServerOptions::default()
    };
    let state = AppState::new(options, Arc::new(MemoryStore::default())).unwrap();
    assert_eq!(
        state.agents.load().by_name.keys().collect::<Vec<_>>(),
        ["acme-shop", "help-desk"]
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(switchboard_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{url}/v1/agents/help-desk/conversations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["agent"], "help-desk");
    let turn: Value = client
        .post(format!(
            "{url}/v1/conversations/{}/messages",
            created["id"].as_str().unwrap()
        ))
        .json(&json!({"text": "what can you do?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        turn["reply"]
            .as_str()
            .unwrap()
            .starts_with("Help desk here."),
        "{turn}"
    );
    // Two configs with the same agent name are refused.
    std::fs::write(dir.join("c-dup.yaml"), "agent:\n  name: help-desk\n").unwrap();
    let options = ServerOptions {
        configs: vec![ConfigSource::Path(dir.clone())],
        vars,
        ..ServerOptions::default()
    };
    let error = AppState::new(options, Arc::new(MemoryStore::default()))
        .err()
        .unwrap();
    assert_eq!(
        error,
        "two configs define the agent `help-desk`; agent names must be unique"
    );
}

#[tokio::test]
async fn nothing_raw_from_an_upstream_reaches_the_customer() {
    let app = spawn_app().await;
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A subscriber without the admin key (the customer's widget).
    let subscribed = app
        .client
        .get(format!("{}/v1/conversations/{id}/events", app.url))
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    // The order lookup answers with `total` and `date`, which the tool's selection drops.
    seen.push_str(
        &app.say(&id, "Where is my order W1000001?")
            .await
            .to_string(),
    );
    seen.push_str(&app.say(&id, "10001").await.to_string());
    let streamed = app
        .client
        .post(format!("{}/v1/conversations/{id}/messages", app.url))
        .header("accept", "text/event-stream")
        .json(&json!({"text": "and order W1000001 again, ZIP 10001"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    seen.push_str(&streamed);
    let (_, conversation) = app
        .raw(
            "GET",
            &format!("/v1/conversations/{id}"),
            None,
            Vec::new(),
            false,
        )
        .await;
    seen.push_str(&conversation.to_string());
    let (_, stateless) = app
        .raw(
            "POST",
            "/v1/chat",
            Some("application/json"),
            br#"{"messages": [{"role": "user", "content": "Where is order W1000001? ZIP 10001"}]}"#
                .to_vec(),
            false,
        )
        .await;
    seen.push_str(&stateless.to_string());
    let mut body = subscribed.bytes_stream();
    while let Ok(Some(Ok(chunk))) =
        tokio::time::timeout(std::time::Duration::from_millis(300), body.next()).await
    {
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        seen.contains("shipped with UPS"),
        "the answers came: {seen}"
    );
    for raw in [
        "129.5",
        "2026-11-20",
        "response_preview",
        "\"arguments\"",
        "\"request\"",
    ] {
        assert!(!seen.contains(raw), "{raw} reached the customer: {seen}");
    }
    // The operator sees the lookup as it happened.
    let (_, inspected) = app
        .raw(
            "GET",
            &format!("/v1/conversations/{id}"),
            None,
            Vec::new(),
            true,
        )
        .await;
    assert!(inspected.to_string().contains("response_preview"));
}

#[tokio::test]
async fn cors_opens_the_public_api_but_not_the_admin_routes() {
    let app = spawn_app().await;
    let preflight = |path: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.url))
            .header("origin", "https://elsewhere.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "x-admin-key,content-type")
            .send()
    };
    let public = preflight("/v1/conversations").await.unwrap();
    assert_eq!(public.headers()["access-control-allow-origin"], "*");
    for admin in ["/v1/admin/reload", "/v1/admin/agents/acme-shop/config"] {
        let answer = preflight(admin).await.unwrap();
        assert!(
            !answer.headers().contains_key("access-control-allow-origin"),
            "{admin}: {:?}",
            answer.headers()
        );
    }
}

/// An agent's inspector key opens that agent's operator view and hand-back, as the admin key
/// does, and nothing else: no admin route, no other key's powers.
#[tokio::test]
async fn an_agents_inspector_key_opens_its_operator_view_and_nothing_more() {
    let app = spawn_app().await;
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let say = |key: Option<&'static str>, text: &'static str| {
        let mut request = app
            .client
            .post(format!("{}/v1/conversations/{id}/messages", app.url))
            .json(&json!({ "text": text }));
        if let Some(key) = key {
            request = request.header("x-admin-key", key);
        }
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    say(Some(INSPECTOR_KEY), "Where is my order W1000001?").await;
    let inspected = say(Some(INSPECTOR_KEY), "10001").await;
    assert!(inspected.contains("response_preview"), "{inspected}");
    let guessed = say(
        Some("inspector-key-for-acme-shoq"),
        "Where is my order W1000001? My ZIP is 10001.",
    )
    .await;
    assert!(guessed.contains("UPS"), "the lookup ran: {guessed}");
    assert!(!guessed.contains("\"request\""), "{guessed}");
    let conversation = app
        .client
        .get(format!("{}/v1/conversations/{id}", app.url))
        .header("authorization", format!("Bearer {INSPECTOR_KEY}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(conversation.contains("response_preview"), "{conversation}");
    // Hand-back is the operator's act: the inspector key may, the customer may not.
    let handback = |key: Option<&'static str>| {
        let mut request = app
            .client
            .post(format!("{}/v1/conversations/{id}/handback", app.url));
        if let Some(key) = key {
            request = request.header("x-admin-key", key);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(handback(None).await, 401);
    assert_eq!(handback(Some(INSPECTOR_KEY)).await, 200);
    // The admin routes stay the admin key's.
    let config = app
        .client
        .get(format!("{}/v1/admin/agents/acme-shop/config", app.url))
        .header("x-admin-key", INSPECTOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(config.status(), 401);
}

/// A store that keeps new conversations but fails to save any turn.
#[derive(Default)]
struct FailsTurnSaves(MemoryStore);

#[async_trait::async_trait]
impl ConversationStore for FailsTurnSaves {
    async fn load(
        &self,
        id: &str,
    ) -> Result<Option<switchboard_core::agent::Conversation>, switchboard_core::store::StoreError>
    {
        self.0.load(id).await
    }
    async fn save(
        &self,
        conversation: &switchboard_core::agent::Conversation,
    ) -> Result<(), switchboard_core::store::StoreError> {
        if conversation.messages.is_empty() {
            return self.0.save(conversation).await;
        }
        Err(switchboard_core::store::StoreError::Backend(
            "pool timed out".into(),
        ))
    }
    async fn lock(
        &self,
        id: &str,
    ) -> Result<switchboard_core::store::TurnLock, switchboard_core::store::StoreError> {
        self.0.lock(id).await
    }
}

/// Found by the crash harness (PostgreSQL pool exhaustion): a turn whose save failed was
/// answered 200 as if stored; after a restart the conversation had lost it. Now the client
/// gets 503 store_unavailable and sends the message again.
#[tokio::test]
async fn a_turn_the_store_could_not_save_is_not_answered_as_done() {
    let app = spawn_app_on(Limits::default(), Arc::new(FailsTurnSaves::default())).await;
    let created: Value = app
        .client
        .post(format!("{}/v1/conversations", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let response = app
        .client
        .post(format!("{}/v1/conversations/{id}/messages", app.url))
        .json(&serde_json::json!({"text": "Where is my order W1000001?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "store_unavailable");
}
