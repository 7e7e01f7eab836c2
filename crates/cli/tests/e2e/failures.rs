//! Failures: a broken User Data API or tool never breaks the conversation; the reason is
//! recorded and the customer gets a graceful answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};
use switchboard_core::agent::{Conversation, Quiet, TurnEvent};
use switchboard_core::identity::{Identity, VerifiedEmail};
use switchboard_core::user_data::UserDataOutcome;

use crate::support::*;

async fn user_data_server() -> String {
    let ok = |identifier: &str| {
        Json(json!({"identifier": identifier, "user_info": {"plan": "Pro", "secret_note": "x"}}))
    };
    serve(
        axum::Router::new()
            .route("/401", post(|| async { StatusCode::UNAUTHORIZED }))
            .route("/404", post(|| async { StatusCode::NOT_FOUND }))
            .route("/500", post(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
            .route("/slow", post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                StatusCode::OK
            }))
            .route("/text", post(|| async { "<html>hello</html>" }))
            .route("/wrong", post(move || async move { ok("mallory@example.com") }))
            .route("/huge", post(|| async { Json(json!({"identifier": "alice@example.com", "user_info": "x".repeat(10 * 1024 * 1024)})) }))
            .route("/ok", post(move |Json(body): Json<Value>| async move { ok(body["identifier"].as_str().unwrap_or("")) })),
    )
    .await
}

fn user_data_yaml(url: &str) -> String {
    format!(
        "agent:\n  name: t\n  fallback: I can help with orders.\noutbound:\n  allow_loopback: true\nuser_data:\n  url: {url}\n  timeout_ms: 2000\n  fields: [plan]\n  answers:\n    - when: [plan]\n      answer: \"You are on {{{{ user.plan }}}}.\"\n"
    )
}

/// Runs one verified turn against `path` and returns the user-data outcome and the reply.
async fn check_user_data(base: &str, path: &str) -> (UserDataOutcome, String) {
    let config = config(
        &user_data_yaml(&format!("{base}{path}")),
        &Default::default(),
    );
    let agent = offline(config);
    let identity = Identity::Verified {
        email: VerifiedEmail::new("alice@example.com").unwrap(),
        customer_id: None,
    };
    let mut conversation = Conversation::new("c", identity);
    let output = tokio::time::timeout(
        Duration::from_secs(5),
        agent.turn(&mut conversation, "what plan am I on?", &Quiet),
    )
    .await
    .expect("the turn never hangs");
    let outcome = output
        .events
        .iter()
        .find_map(|e| match e {
            TurnEvent::UserData { outcome } => Some(outcome.clone()),
            _ => None,
        })
        .expect("a user-data event");
    (outcome, output.reply)
}

#[tokio::test]
async fn user_data_failures_are_recorded_and_the_conversation_goes_on() {
    let base = user_data_server().await;
    for (path, reason) in [
        (
            "/401",
            "refused Switchboard's credentials (401 Unauthorized)",
        ),
        ("/404", "does not know this customer (404 Not Found)"),
        ("/500", "the API failed (500 Internal Server Error)"),
        ("/slow", "no answer within 2000 ms"),
        ("/text", "not JSON"),
        ("/wrong", "different identifier"),
        ("/huge", "larger than 1048576 bytes"),
    ] {
        let (outcome, reply) = check_user_data(&base, path).await;
        match outcome {
            UserDataOutcome::Failed { reason: got, .. } => {
                assert!(got.contains(reason), "{path}: {got}")
            }
            other => panic!("{path}: {other:?}"),
        }
        assert!(reply.contains("I can help with orders."), "{path}: {reply}");
    }
    let (outcome, reply) = check_user_data(&base, "/ok").await;
    assert_eq!(
        outcome.data(),
        Some(&json!({"plan": "Pro"})),
        "the allow-list drops other fields"
    );
    assert_eq!(reply, "You are on Pro.");
}

#[tokio::test]
async fn user_data_is_capped() {
    let base = serve(axum::Router::new().route(
        "/big",
        post(|| async {
            Json(json!({"identifier": "alice@example.com", "user_info": "y".repeat(10_000)}))
        }),
    ))
    .await;
    let (outcome, _) = check_user_data(&base, "/big").await;
    match outcome {
        UserDataOutcome::Fetched {
            data, truncated, ..
        } => {
            assert!(truncated);
            assert_eq!(data.as_str().unwrap().len(), 4000);
        }
        other => panic!("{other:?}"),
    }
}

fn tool_yaml(base: &str) -> String {
    format!(
        "agent:\n  name: t\noutbound:\n  allow_loopback: true\n  max_response_bytes: 100000\ntools:\n  - name: warehouse_status\n    description: Check the warehouse status.\n    examples: [check warehouse status]\n    timeout_ms: 300\n    request:\n      url: {base}/status\n"
    )
}

async fn tool_turn(router: axum::Router) -> (String, Vec<TurnEvent>) {
    let base = serve(router).await;
    let agent = offline(config(&tool_yaml(&base), &Default::default()));
    let mut conversation = Conversation::new("c", Identity::Anonymous);
    let output = tokio::time::timeout(
        Duration::from_secs(10),
        agent.turn(&mut conversation, "check warehouse status", &Quiet),
    )
    .await
    .expect("the turn never hangs");
    (output.reply, output.events)
}

fn record(events: &[TurnEvent]) -> (String, Option<u16>, u32) {
    events
        .iter()
        .find_map(|e| match e {
            TurnEvent::ToolCallFinished {
                status,
                request: Some(r),
                ..
            } => Some((status.clone(), r.status, r.attempts)),
            _ => None,
        })
        .expect("a finished tool call")
}

#[tokio::test]
async fn a_failing_tool_gets_a_graceful_answer() {
    let hits = Arc::new(AtomicU32::new(0));
    let counter = hits.clone();
    let (reply, events) = tool_turn(axum::Router::new().route(
        "/status",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response() }
        }),
    ))
    .await;
    assert_eq!(
        reply,
        "Sorry, I can't reach that system right now. Please try again in a few minutes."
    );
    assert_eq!(record(&events), ("error".into(), Some(500), 3));
    assert_eq!(hits.load(Ordering::SeqCst), 3, "a read is retried twice");

    let (reply, events) = tool_turn(axum::Router::new().route(
        "/status",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    ))
    .await;
    assert!(reply.contains("can't reach that system"), "{reply}");
    let (status, http, attempts) = record(&events);
    assert_eq!((status.as_str(), http, attempts), ("error", None, 3));

    let (reply, events) = tool_turn(axum::Router::new().route(
        "/status",
        get(|| async { Json(json!({"blob": "z".repeat(200_000)})) }),
    ))
    .await;
    assert!(reply.contains("larger than 100000 bytes"), "{reply}");
    assert_eq!(record(&events).0, "error");

    let (reply, _) =
        tool_turn(axum::Router::new().route("/status", get(|| async { "<html>not json</html>" })))
            .await;
    assert!(reply.contains("not JSON"), "{reply}");

    let (reply, events) = tool_turn(axum::Router::new().route(
        "/status",
        get(|| async { Json(json!({"status": "open", "queue": 3})) }),
    ))
    .await;
    assert_eq!(
        reply,
        "Here's what I found: the queue is 3 and the status is open."
    );
    assert_eq!(record(&events), ("ok".into(), Some(200), 1));
}
