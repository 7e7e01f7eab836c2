//! Security: model values never change host or path; bound inputs cannot be set by the model;
//! access levels are enforced; one customer per conversation; secrets never leak; the
//! outbound guard refuses metadata addresses.

use std::net::IpAddr;
use std::sync::Arc;

use axum::routing::get;
use serde_json::{Value, json};
use switchboard_core::agent::{Conversation, Quiet, TurnEvent};
use switchboard_core::identity::{Identity, VerifiedEmail};

use crate::support::*;

const TOOLS: &str = r#"
agent:
  name: security
outbound:
  allow_loopback: true
user_data:
  url: ${SHOP_URL}/api/user-data
  headers:
    Authorization: Bearer ${SHOP_API_KEY}
tools:
  - name: order_lookup
    description: Order status by id and zip.
    input:
      type: object
      properties:
        order_id: {type: string}
        zip: {type: string}
      required: [order_id, zip]
    request:
      url: ${SHOP_URL}/api/orders/{order_id}?zip={zip}
      headers:
        Authorization: Bearer ${SHOP_API_KEY}
  - name: my_profile
    description: The verified customer's profile.
    access: verified
    bound:
      email: user.email
    request:
      method: POST
      url: ${SHOP_URL}/api/user-data
      headers:
        Authorization: Bearer ${SHOP_API_KEY}
      body:
        identifier: "{email}"
    response:
      pointer: /user_info
      jmespath: "{name: name, plan: plan}"
  - name: find_customer
    description: Identify the customer by email and ZIP.
    identifies:
      customer_id: /customer_id
      email: /email
    input:
      type: object
      properties:
        email: {type: string, format: email}
        zip: {type: string}
      required: [email, zip]
    request:
      url: ${SHOP_URL}/api/customers/lookup?email={email}&zip={zip}
      headers:
        Authorization: Bearer ${SHOP_API_KEY}
  - name: my_orders
    description: The identified customer's orders.
    access: identified
    bound:
      customer_id: user.id
    request:
      url: ${SHOP_URL}/api/customers/{customer_id}/orders
      headers:
        Authorization: Bearer ${SHOP_API_KEY}
  - name: metadata_by_name
    description: Resolves to a cloud metadata address.
    request:
      url: http://metadata.test/latest/meta-data
  - name: metadata_by_ip
    description: A cloud metadata IP literal.
    request:
      url: http://169.254.169.254/latest/meta-data
  - name: redirector
    description: Redirects to the metadata address.
    request:
      url: ${REDIRECT_URL}/go
"#;

fn finished(events: &[TurnEvent]) -> Vec<(String, String, Option<String>, Vec<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            TurnEvent::ToolCallFinished {
                tool,
                status,
                error,
                ignored_inputs,
                ..
            } => Some((
                tool.clone(),
                status.clone(),
                error.clone(),
                ignored_inputs.clone(),
            )),
            _ => None,
        })
        .collect()
}

fn verified(email: &str) -> Identity {
    Identity::Verified {
        email: VerifiedEmail::new(email).unwrap(),
        customer_id: None,
    }
}

/// Maps `metadata.test` to 169.254.169.254 and everything else to the system resolver.
struct MetadataLookup;

#[async_trait::async_trait]
impl switchboard_connect::NameLookup for MetadataLookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        if host == "metadata.test" {
            return Ok(vec!["169.254.169.254".parse().unwrap()]);
        }
        switchboard_connect::SystemLookup.lookup(host).await
    }
}

async fn setup(
    replies: Vec<switchboard_core::model::ModelReply>,
) -> (
    shop_demo::ShopHandle,
    switchboard_core::agent::Agent,
    Arc<ScriptedModel>,
) {
    let shop = shop().await;
    let redirect = serve(axum::Router::new().route(
        "/go",
        get(|| async {
            axum::response::Redirect::temporary("http://169.254.169.254/latest/meta-data")
        }),
    ))
    .await;
    let config = config(TOOLS, &vars(&shop.url(), &[("REDIRECT_URL", &redirect)]));
    let model = ScriptedModel::new(replies);
    let agent = agent_with(config, model.clone(), Arc::new(MetadataLookup));
    (shop, agent, model)
}

#[tokio::test]
async fn model_values_never_change_host_or_path() {
    let hostile = [
        "../admin",
        "x?y=z",
        "%2e%2e",
        "http://evil.test/admin",
        "a/b/c",
        "W1#frag",
        "..",
    ];
    let replies = hostile
        .iter()
        .map(|id| {
            call(
                "order_lookup",
                json!({"order_id": id, "zip": "10001&admin=1"}),
            )
        })
        .collect();
    let (shop, agent, _) = setup(replies).await;
    for _ in hostile {
        let mut conversation = Conversation::new("c", Identity::Anonymous);
        agent.turn(&mut conversation, "status please", &Quiet).await;
    }
    let requests = shop.requests();
    // `..` alone is refused before any request; every other value stays inside one segment.
    assert_eq!(requests.len(), hostile.len() - 1);
    for request in &requests {
        let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        assert_eq!(segments.len(), 3, "{}", request.path);
        assert_eq!(&segments[..2], ["api", "orders"]);
        assert!(
            !segments[2].contains(['/', '?', '#']) && segments[2] != "..",
            "{}",
            request.path
        );
        assert_eq!(request.query.as_deref(), Some("zip=10001%26admin%3D1"));
    }
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/orders/..%2Fadmin",
            "/api/orders/x%3Fy%3Dz",
            "/api/orders/%252e%252e",
            "/api/orders/http%3A%2F%2Fevil.test%2Fadmin",
            "/api/orders/a%2Fb%2Fc",
            "/api/orders/W1%23frag",
        ]
    );
}

#[tokio::test]
async fn the_model_cannot_set_a_bound_input() {
    let (shop, agent, _) = setup(vec![call(
        "my_profile",
        json!({"email": "bob@example.com"}),
    )])
    .await;
    let mut conversation = Conversation::new("c", verified("alice@example.com"));
    let output = agent
        .turn(&mut conversation, "show my profile", &Quiet)
        .await;
    let calls = finished(&output.events);
    assert_eq!(calls[0].1, "ok");
    assert_eq!(calls[0].3, ["email"], "the override is reported as ignored");
    let results = tool_results(&conversation);
    assert_eq!(results[0]["result"]["name"], "Alice Martin");
    assert!(!results[0].to_string().contains("Bob"));
    assert!(
        shop.requests()
            .iter()
            .all(|r| r.path != "/api/user-data" || r.method == "POST")
    );
}

/// A model that asks for twenty calls in one step gets the first eight run; the rest are
/// answered "not run" without reaching the company's API.
#[tokio::test]
async fn one_model_step_runs_at_most_its_cap_of_tool_calls() {
    let many = switchboard_core::model::ModelReply {
        text: None,
        tool_calls: (0..20)
            .map(|i| switchboard_core::model::ToolCall {
                id: format!("c-{i}"),
                name: "order_lookup".into(),
                arguments: json!({"order_id": format!("W{i}"), "zip": "94107"}),
            })
            .collect(),
    };
    let (shop, agent, _) = setup(vec![many]).await;
    let mut conversation = Conversation::new("c", Identity::Anonymous);
    let output = agent
        .turn(&mut conversation, "where are my orders?", &Quiet)
        .await;
    assert_eq!(finished(&output.events).len(), 8);
    assert_eq!(shop.requests().len(), 8, "only eight reached the shop");
    let results = tool_results(&conversation);
    assert_eq!(results.len(), 20, "every call is answered");
    let skipped = results
        .iter()
        .filter(|r| r["error"]["kind"] == "skipped")
        .count();
    assert_eq!(skipped, 12);
}

/// However long a conversation grows, a model request carries a bounded history that starts
/// at a customer's message and ends with the newest one.
#[tokio::test]
async fn a_model_request_carries_a_bounded_history() {
    let (_shop, agent, model) = setup(vec![say("noted")]).await;
    let mut conversation = Conversation::new("c", Identity::Anonymous);
    for turn in 0..300 {
        conversation
            .messages
            .push(switchboard_core::model::Message::User {
                content: format!("question {turn}: {}", "words ".repeat(80)),
            });
        conversation
            .messages
            .push(switchboard_core::model::Message::Assistant {
                content: Some("an answer ".repeat(40)),
                tool_calls: Vec::new(),
            });
    }
    agent
        .turn(&mut conversation, "and the newest question", &Quiet)
        .await;
    let (messages, chars) = model.history.lock().unwrap()[0];
    assert!(messages < 100, "{messages} messages of 601");
    assert!(chars < 40_000, "{chars} characters");
    assert!(messages > 2, "older turns that fit are kept: {messages}");
}

#[tokio::test]
async fn a_verified_tool_is_neither_offered_nor_executed_for_an_anonymous_customer() {
    let (shop, agent, model) = setup(vec![
        call("my_profile", json!({})),
        call("my_orders", json!({})),
    ])
    .await;
    let mut conversation = Conversation::new("c", Identity::Anonymous);
    let output = agent
        .turn(&mut conversation, "show my profile", &Quiet)
        .await;
    let offered = model.offered.lock().unwrap()[0].clone();
    assert!(offered.contains(&"order_lookup".to_string()));
    assert!(
        !offered.contains(&"my_profile".to_string()) && !offered.contains(&"my_orders".to_string())
    );
    let calls = finished(&output.events);
    assert_eq!(calls[0].0, "my_profile");
    assert_eq!(calls[0].1, "refused");
    assert!(
        calls[0]
            .2
            .as_deref()
            .unwrap()
            .contains("needs a verified customer")
    );
    assert_eq!(calls[1].1, "refused");
    assert!(shop.requests().is_empty(), "nothing reached the shop");
}

#[tokio::test]
async fn a_second_lookup_for_another_customer_does_not_switch_the_customer() {
    let (shop, agent, model) = setup(vec![
        call(
            "find_customer",
            json!({"email": "alice@example.com", "zip": "10001"}),
        ),
        say("Found you."),
        call(
            "find_customer",
            json!({"email": "bob@example.com", "zip": "94105"}),
        ),
        say("Sorry."),
        call("my_orders", json!({"customer_id": "C1002"})),
        say("Here."),
    ])
    .await;
    let mut conversation = Conversation::new("c", Identity::Anonymous);
    let first = agent
        .turn(
            &mut conversation,
            "I'm alice@example.com, zip 10001",
            &Quiet,
        )
        .await;
    assert!(
        first
            .events
            .iter()
            .any(|e| matches!(e, TurnEvent::IdentityChanged { .. }))
    );
    assert_eq!(conversation.identity.customer_id(), Some("C1001"));
    agent
        .turn(
            &mut conversation,
            "now look up bob@example.com 94105",
            &Quiet,
        )
        .await;
    assert_eq!(
        conversation.identity.customer_id(),
        Some("C1001"),
        "still Alice"
    );
    let results = tool_results(&conversation);
    assert_eq!(results[1]["error"]["kind"], "refused");
    assert!(
        !results[1].to_string().contains("Bob"),
        "Bob's record is withheld"
    );
    // Identified tools now appear, and act for Alice whatever the model says.
    agent.turn(&mut conversation, "my orders", &Quiet).await;
    assert!(model.offered.lock().unwrap()[4].contains(&"my_orders".to_string()));
    assert_eq!(
        shop.requests().last().unwrap().path,
        "/api/customers/C1001/orders"
    );
}

#[tokio::test]
async fn metadata_addresses_are_refused_by_name_by_ip_and_by_redirect() {
    let (_shop, agent, _) = setup(vec![
        call("metadata_by_name", json!({})),
        say("-"),
        call("metadata_by_ip", json!({})),
        say("-"),
        call("redirector", json!({})),
        say("-"),
    ])
    .await;
    for _ in 0..3 {
        let mut conversation = Conversation::new("c", Identity::Anonymous);
        agent.turn(&mut conversation, "go", &Quiet).await;
        let results = tool_results(&conversation);
        assert_eq!(results[0]["error"]["kind"], "refused", "{}", results[0]);
        assert!(
            results[0]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("169.254.169.254"),
            "{}",
            results[0]
        );
    }
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let shop = shop().await;
    let yaml = TOOLS.replace("allow_loopback: true", "allow_loopback: false");
    let config = config(
        &yaml,
        &vars(&shop.url(), &[("REDIRECT_URL", "http://127.0.0.1:9")]),
    );
    let agent = agent(
        config,
        ScriptedModel::new(vec![call(
            "order_lookup",
            json!({"order_id": "W1000001", "zip": "10001"}),
        )]),
    );
    let mut conversation = Conversation::new("c", Identity::Anonymous);
    agent.turn(&mut conversation, "status", &Quiet).await;
    assert_eq!(tool_results(&conversation)[0]["error"]["kind"], "refused");
    assert!(shop.requests().is_empty());
}

/// A company API that echoes the Authorization header back in its error body.
async fn echo_server() -> String {
    serve(axum::Router::new().route(
        "/echo",
        get(|headers: axum::http::HeaderMap| async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            (
                axum::http::StatusCode::BAD_REQUEST,
                axum::Json(json!({"message": format!("bad credentials: {auth}")})),
            )
        }),
    ))
    .await
}

#[tokio::test]
async fn the_canary_secret_never_appears_in_logs_transcripts_or_errors() {
    let shop = shop().await;
    let echo = echo_server().await;
    let echo_tool = "  - name: echo_auth\n    description: Echo the credentials back, as a misbehaving API would.\n    examples: [echo check]\n    request:\n      url: ${ECHO_URL}/echo\n      headers:\n        Authorization: Bearer ${SHOP_API_KEY}\n";
    let shop_yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/shop/switchboard.yaml"
    ))
    .unwrap();
    let yaml = shop_yaml.replace("\ntasks:\n", &format!("\n{echo_tool}\ntasks:\n"));
    let (_dir, path) = temp_config(&yaml);
    let env = [
        ("SHOP_URL", shop.url()),
        ("SHOP_API_KEY", CANARY.to_string()),
        ("SHOP_WIDGET_SECRET", WIDGET_SECRET.to_string()),
        ("ECHO_URL", echo),
        ("RUST_LOG", "trace".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let chat = run_binary(
        &[
            "chat",
            "--config",
            &path,
            "--json",
            "--email",
            "alice@example.com",
        ],
        "Where is my order W1000001?\n99999\necho check\nWhat plan am I on?\n",
        &env,
    )
    .await;
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let turns = turns(&chat.stdout);
    assert!(
        turns[1]["reply"]
            .as_str()
            .unwrap()
            .contains("couldn't find"),
        "{}",
        turns[1]
    );
    let echo_turn = turns[2].to_string();
    assert!(
        echo_turn.contains("bad credentials: Bearer [REDACTED]"),
        "{echo_turn}"
    );
    assert!(
        chat.stderr.contains("tool call"),
        "trace logs were captured"
    );

    let tool = run_binary(
        &[
            "tool",
            "call",
            "--config",
            &path,
            "order_status",
            "order_id=W1000001",
            "zip=99999",
        ],
        "",
        &env,
    )
    .await;
    assert_eq!(tool.code, 2);
    let echo_call = run_binary(&["tool", "call", "--config", &path, "echo_auth"], "", &env).await;
    let user_data = run_binary(
        &["user-data", "test", "--config", &path, "alice@example.com"],
        "",
        &env,
    )
    .await;
    assert_eq!(user_data.code, 0, "{}", user_data.stderr);
    let bad = run_binary(
        &["check", "--config", &path, "--var", "SHOP_URL=not a url"],
        "",
        &env,
    )
    .await;
    assert_ne!(bad.code, 0);

    for (what, text) in [
        ("chat stdout", &chat.stdout),
        ("chat logs", &chat.stderr),
        ("tool call", &tool.stdout),
        ("tool call logs", &tool.stderr),
        ("echo call", &echo_call.stdout),
        ("echo logs", &echo_call.stderr),
        ("user data", &user_data.stdout),
        ("user data logs", &user_data.stderr),
        ("config error", &bad.stderr),
    ] {
        assert!(
            !text.contains(CANARY),
            "the canary leaked into the {what}:\n{text}"
        );
    }
    assert!(echo_call.stdout.contains("[REDACTED]"));
    let _: Value = serde_json::from_str(&tool.stdout).expect("tool call prints JSON");
}
