//! OpenAI-compatible and Anthropic providers against scripted mock model servers over real
//! HTTP: the model asks for a tool, the engine calls the shop, the model answers — with and
//! without streaming.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use switchboard_core::agent::Quiet;
use switchboard_core::identity::Identity;

use crate::support::{agent, config, serve, shop, vars};

const MODEL_KEY: &str = "sk-model-key-4242";

#[derive(Default)]
struct MockModel {
    requests: Mutex<Vec<(HeaderMap, Value)>>,
    /// Answer 429 to the first request (to exercise retries).
    throttle_first: bool,
}

fn sse(events: Vec<String>) -> Response {
    ([("content-type", "text/event-stream")], events.concat()).into_response()
}

/// The scripted model: first a tool call, then an answer quoting the tool's result.
fn tool_result_text(body: &Value, openai: bool) -> Option<String> {
    let last = body["messages"].as_array()?.last()?;
    if openai {
        (last["role"] == "tool").then(|| last["content"].as_str().unwrap_or("").to_string())
    } else {
        let block = last["content"]
            .as_array()?
            .iter()
            .find(|b| b["type"] == "tool_result")?;
        Some(block["content"].as_str().unwrap_or("").to_string())
    }
}

fn answer(result: &str) -> String {
    let parsed: Value = serde_json::from_str(result).unwrap_or(Value::Null);
    format!(
        "Your order is {}.",
        parsed["result"]["status"].as_str().unwrap_or("unknown")
    )
}

async fn openai(
    State(mock): State<Arc<MockModel>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let first = {
        let mut requests = mock.requests.lock().unwrap();
        requests.push((headers, body.clone()));
        requests.len() == 1
    };
    if mock.throttle_first && first {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": {"message": "slow down"}})),
        )
            .into_response();
    }
    let stream = body["stream"] == true;
    match tool_result_text(&body, true) {
        None if stream => sse(vec![
            format!("data: {}\n\n", json!({"choices": [{"delta": {"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "order_status", "arguments": ""}}]}}]})),
            format!("data: {}\n\n", json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"order_id\": \"W10"}}]}}]})),
            format!("data: {}\n\n", json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "00001\", \"zip\": \"10001\"}"}}]}}]})),
            format!("data: {}\n\n", json!({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]})),
            "data: [DONE]\n\n".to_string(),
        ]),
        None => Json(json!({"choices": [{"message": {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "order_status", "arguments": "{\"order_id\":\"W1000001\",\"zip\":\"10001\"}"}}
        ]}}]}))
        .into_response(),
        Some(result) if stream => {
            let text = answer(&result);
            let (a, b) = text.split_at(8);
            sse(vec![
                format!("data: {}\n\n", json!({"choices": [{"delta": {"content": a}}]})),
                format!("data: {}\n\n", json!({"choices": [{"delta": {"content": b}}]})),
                "data: [DONE]\n\n".to_string(),
            ])
        }
        Some(result) => Json(json!({"choices": [{"message": {"role": "assistant", "content": answer(&result)}}]})).into_response(),
    }
}

async fn anthropic(
    State(mock): State<Arc<MockModel>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    mock.requests.lock().unwrap().push((headers, body.clone()));
    let stream = body["stream"] == true;
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    match tool_result_text(&body, false) {
        None if stream => sse(vec![
            event("message_start", json!({"type": "message_start", "message": {"id": "m1", "content": []}})),
            event("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
            event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me check."}})),
            event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
            event("content_block_start", json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "order_status", "input": {}}})),
            event("ping", json!({"type": "ping"})),
            event("content_block_delta", json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"order_id\": \"W1000"}})),
            event("content_block_delta", json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "001\", \"zip\": \"10001\"}"}})),
            event("content_block_stop", json!({"type": "content_block_stop", "index": 1})),
            event("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}})),
            event("message_stop", json!({"type": "message_stop"})),
        ]),
        None => Json(json!({"content": [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_1", "name": "order_status", "input": {"order_id": "W1000001", "zip": "10001"}}
        ], "stop_reason": "tool_use"}))
        .into_response(),
        Some(result) if stream => sse(vec![
            event("message_start", json!({"type": "message_start", "message": {"id": "m2", "content": []}})),
            event("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
            event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": answer(&result)}})),
            event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
            event("message_stop", json!({"type": "message_stop"})),
        ]),
        Some(result) => Json(json!({"content": [{"type": "text", "text": answer(&result)}], "stop_reason": "end_turn"})).into_response(),
    }
}

fn provider_yaml(provider: &str, stream: bool) -> String {
    let shop_yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/shop/switchboard.yaml"
    ))
    .unwrap();
    shop_yaml.replace(
        "  model:\n    provider: offline\n",
        &format!("  model:\n    provider: {provider}\n    base_url: ${{MODEL_URL}}/v1\n    model: test-model\n    api_key: ${{MODEL_KEY}}\n    stream: {stream}\n"),
    )
}

struct Collected(Mutex<String>);

impl switchboard_core::agent::EventSink for Collected {
    fn event(&self, _: &switchboard_core::agent::TurnEvent) {}
    fn text_delta(&self, delta: &str) {
        self.0.lock().unwrap().push_str(delta);
    }
}

async fn run(
    provider: &str,
    stream: bool,
    throttle_first: bool,
) -> (String, String, Arc<MockModel>, Vec<String>) {
    let shop = shop().await;
    let mock = Arc::new(MockModel {
        throttle_first,
        ..MockModel::default()
    });
    let router = axum::Router::new()
        .route("/v1/chat/completions", post(openai))
        .route("/v1/messages", post(anthropic))
        .with_state(mock.clone());
    let model_url = serve(router).await;
    let config = config(
        &provider_yaml(provider, stream),
        &vars(
            &shop.url(),
            &[("MODEL_URL", &model_url), ("MODEL_KEY", MODEL_KEY)],
        ),
    );
    let model = switchboard_llm::build_model(config.clone()).unwrap();
    let agent = agent(config, model);
    let mut conversation = switchboard_core::agent::Conversation::new("c1", Identity::Anonymous);
    let sink = Collected(Mutex::default());
    let output = agent
        .turn(
            &mut conversation,
            "Where is my order W1000001? ZIP 10001",
            &sink,
        )
        .await;
    let paths = shop
        .requests()
        .iter()
        .map(|r| format!("{}?{}", r.path, r.query.clone().unwrap_or_default()))
        .collect();
    let streamed = sink.0.lock().unwrap().clone();
    (output.reply, streamed, mock, paths)
}

fn assert_round_trip(reply: &str, mock: &MockModel, paths: &[String]) {
    assert!(reply.ends_with("Your order is shipped."), "{reply}");
    assert_eq!(paths, ["/api/orders/W1000001?zip=10001"]);
    let requests = mock.requests.lock().unwrap();
    assert_eq!(requests.len(), 2, "tool call, then answer");
    // The tool list offered to the model holds read tools for an anonymous customer only.
    let tools = &requests[0].1["tools"];
    let names: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["function"]["name"]
                .as_str()
                .or(t["name"].as_str())
                .unwrap()
        })
        .collect();
    assert_eq!(
        names,
        ["order_status", "find_customer", "start_task", "handoff"]
    );
    // The shop's key never reaches the model.
    assert!(
        !requests
            .iter()
            .any(|(_, body)| body.to_string().contains(crate::support::CANARY))
    );
}

#[tokio::test]
async fn openai_tool_call_round_trip() {
    let (reply, _, mock, paths) = run("openai", false, false).await;
    assert_round_trip(&reply, &mock, &paths);
    let requests = mock.requests.lock().unwrap();
    assert_eq!(
        requests[0].0["authorization"],
        format!("Bearer {MODEL_KEY}")
    );
    assert_eq!(
        requests[1].1["messages"][2]["tool_calls"][0]["function"]["name"],
        "order_status"
    );
    assert_eq!(requests[1].1["messages"][3]["role"], "tool");
}

#[tokio::test]
async fn openai_streaming_assembles_tool_call_fragments() {
    let (reply, streamed, mock, paths) = run("openai", true, false).await;
    assert_round_trip(&reply, &mock, &paths);
    assert_eq!(streamed, "Your order is shipped.");
}

#[tokio::test]
async fn openai_retries_after_429() {
    let (reply, _, mock, paths) = run("openai", false, true).await;
    assert!(reply.ends_with("Your order is shipped."));
    assert_eq!(paths.len(), 1);
    assert_eq!(
        mock.requests.lock().unwrap().len(),
        3,
        "429, tool call, answer"
    );
}

#[tokio::test]
async fn anthropic_tool_use_round_trip() {
    let (reply, _, mock, paths) = run("anthropic", false, false).await;
    assert_round_trip(&reply, &mock, &paths);
    let requests = mock.requests.lock().unwrap();
    assert_eq!(requests[0].0["x-api-key"], MODEL_KEY);
    assert_eq!(requests[0].0["anthropic-version"], "2023-06-01");
    assert!(
        requests[0].1["system"]
            .as_str()
            .unwrap()
            .contains("Acme Shop")
    );
    let last = &requests[1].1["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["content"][0];
    assert_eq!(last["type"], "tool_result");
    assert_eq!(last["tool_use_id"], "toolu_1");
}

#[tokio::test]
async fn anthropic_streaming_assembles_input_json() {
    let (reply, streamed, mock, paths) = run("anthropic", true, false).await;
    assert_round_trip(&reply, &mock, &paths);
    assert_eq!(streamed, "Let me check.Your order is shipped.");
}

#[tokio::test]
async fn an_unreachable_model_gets_a_graceful_reply() {
    let shop = shop().await;
    let config = config(
        &provider_yaml("openai", true),
        &vars(
            &shop.url(),
            &[
                ("MODEL_URL", "http://127.0.0.1:9"),
                ("MODEL_KEY", MODEL_KEY),
            ],
        ),
    );
    let agent = agent(
        config.clone(),
        switchboard_llm::build_model(config).unwrap(),
    );
    let mut conversation = switchboard_core::agent::Conversation::new("c1", Identity::Anonymous);
    let output = agent.turn(&mut conversation, "hello", &Quiet).await;
    assert!(output.reply.contains("can't answer right now"));
    assert!(
        output
            .events
            .iter()
            .any(|e| matches!(e, switchboard_core::agent::TurnEvent::ModelFailed { .. }))
    );
}
