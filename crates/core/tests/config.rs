//! Config loading: every error names `file:line:col`, what is wrong and how to fix it
//! (snapshots), and the committed JSON Schema matches the config types.

use std::collections::BTreeMap;

use switchboard_core::config::Config;

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("SHOP_URL".to_string(), "http://127.0.0.1:9".to_string()),
        ("SHOP_API_KEY".to_string(), "sk-test-123456".to_string()),
        (
            "SHOP_WIDGET_SECRET".to_string(),
            "widget-secret-123".to_string(),
        ),
    ])
}

/// Loads `yaml` and returns the rendered errors (or "ok").
fn check(yaml: &str) -> String {
    match Config::from_yaml("agent.yaml", yaml, &env()) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

const TOOL: &str = r#"
tools:
  - name: order_status
    description: Order status by id and zip.
    input:
      type: object
      properties:
        order_id: {type: string}
        zip: {type: string}
      required: [order_id, zip]
    request:
      url: ${SHOP_URL}/orders/{order_id}?zip={zip}
      headers:
        Authorization: Bearer ${SHOP_API_KEY}
"#;

#[test]
fn a_valid_config_loads() {
    assert_eq!(check(&format!("agent:\n  name: shop\n{TOOL}")), "ok");
}

#[test]
fn the_shop_example_loads() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/shop/switchboard.yaml"
    ))
    .unwrap();
    let config = Config::from_yaml("examples/shop/switchboard.yaml", &text, &env()).unwrap();
    assert_eq!(config.tools.len(), 7);
    assert_eq!(config.tasks.len(), 4);
    assert!(
        !config
            .redactor
            .redact("Bearer sk-test-123456")
            .contains("sk-test")
    );
}

#[test]
fn unknown_field() {
    insta::assert_snapshot!(check("agent:\n  name: shop\n  instructoins: hi\n"));
}

#[test]
fn missing_field() {
    insta::assert_snapshot!(check("agent:\n  instructions: hi\n"));
}

#[test]
fn wrong_enum_value() {
    insta::assert_snapshot!(check("agent:\n  name: shop\n  model:\n    provider: gpt\n"));
}

#[test]
fn broken_yaml() {
    insta::assert_snapshot!(check("agent:\n  name: [shop\n"));
}

#[test]
fn missing_environment_variable() {
    insta::assert_snapshot!(check(&format!(
        "agent:\n  name: shop\n{}",
        TOOL.replace("SHOP_API_KEY", "NOT_SET_KEY")
    )));
}

#[test]
fn placeholder_in_host() {
    insta::assert_snapshot!(check(&format!(
        "agent:\n  name: shop\n{}",
        TOOL.replace("${SHOP_URL}", "http://{zip}.shop.test")
    )));
}

#[test]
fn task_with_unknown_tool_and_reference() {
    let yaml = format!(
        "agent:\n  name: shop\n{TOOL}tasks:\n  - name: cancel\n    description: Cancel.\n    steps:\n      - call:\n          tool: cancel_ordr\n  - name: refund\n    description: Refund.\n    instructions:\n      - Look the order up with {{{{order_status}}}}.\n      - Then refund it with {{{{refund_order}}}} or {{{{handover}}}}.\n"
    );
    insta::assert_snapshot!(check(&yaml));
}

#[test]
fn verified_tool_without_customer_binding_and_inline_secret() {
    let yaml = "agent:\n  name: shop\n  model:\n    provider: openai\n    api_key: sk-inline-secret\ntools:\n  - name: my_account\n    description: The customer's account.\n    access: verified\n    request:\n      url: http://api.shop.test/account\n";
    insta::assert_snapshot!(check(yaml));
}

#[test]
fn placeholder_that_names_no_input() {
    insta::assert_snapshot!(check(&format!(
        "agent:\n  name: shop\n{}",
        TOOL.replace("zip={zip}", "zip={postcode}")
    )));
}

#[test]
fn committed_schema_is_current() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/switchboard.schema.json"
    );
    let generated = serde_json::to_string_pretty(&Config::json_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/switchboard.schema.json is stale: run `UPDATE_SCHEMA=1 cargo test -p switchboard-core --test config` (or `switchboard schema > schema/switchboard.schema.json`)"
    );
}

#[test]
fn task_write_without_confirmation_and_bad_condition() {
    let yaml = format!(
        "agent:\n  name: shop\n{TOOL}  - name: cancel\n    description: Cancel.\n    effect: write\n    input:\n      type: object\n      properties:\n        order_id: {{type: string}}\n      required: [order_id]\n    request:\n      method: POST\n      url: ${{SHOP_URL}}/orders/{{order_id}}/cancel\ntasks:\n  - name: cancel_now\n    description: Cancel at once.\n    steps:\n      - collect:\n          slot: order_id\n          type: text\n          prompt: Which order?\n      - if:\n          when: order_id ==\n          then:\n            - say: odd\n      - call:\n          tool: cancel\n          with: {{order_id: \"{{{{ order_id }}}}\", zip: \"1\"}}\n"
    );
    insta::assert_snapshot!(check(&yaml));
}

#[test]
fn switch_to_an_unknown_task_or_to_itself() {
    let yaml = format!(
        "agent:\n  name: shop\n{TOOL}tasks:\n  - name: change\n    description: Change.\n    steps:\n      - switch: exchnage\n  - name: exchange\n    description: Exchange.\n    steps:\n      - switch: exchange\n"
    );
    insta::assert_snapshot!(check(&yaml));
}

#[test]
fn elsewhere_needs_an_earlier_slot_and_read() {
    let yaml = format!(
        "agent:\n  name: shop\n{TOOL}tasks:\n  - name: pick\n    description: Pick an item.\n    steps:\n      - collect: {{slot: order_id, prompt: Which order?}}\n      - collect:\n          slot: item\n          prompt: Which item?\n          choose_from: {{list: order.items, value: id, describe: [name], elsewhere: {{slot: order_id, among: orders}}}}\n      - collect:\n          slot: other\n          prompt: Which other?\n          choose_from: {{list: order.items, value: id, describe: [name], elsewhere: {{slot: ordr_id, among: orders}}}}\n"
    );
    insta::assert_snapshot!(check(&yaml));
}

#[test]
fn retries_are_bounded() {
    let yaml = format!(
        "agent:\n  name: shop\n  model:\n    provider: openai\n    max_retries: 40\n{}    retries: 32\n",
        TOOL.trim_end_matches('\n').to_string() + "\n"
    );
    insta::assert_snapshot!(check(&yaml));
}

/// Loads `yaml` with `extra` variables besides the usual ones.
fn check_with(yaml: &str, extra: &[(&str, &str)]) -> String {
    let mut env = env();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    match Config::from_yaml("agent.yaml", yaml, &env) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn secrets_shorter_than_eight_characters_are_refused_where_they_are_referenced() {
    let yaml = r#"agent:
  name: shop
  model:
    provider: openai
    api_key: ${SHORT}
user_data:
  url: ${SHOP_URL}/user-data
  headers:
    Authorization: Bearer ${SHORT}
tools:
  - name: order_status
    description: Order status.
    request:
      url: ${SHOP_URL}/orders?zip=${SHORT}
      headers:
        X-Api-Key: ${SHORT}
        X-Tenant: ${SHORT}
      query:
        api_key: ${SHORT}
      body:
        token: ${SHORT}
"#;
    insta::assert_snapshot!(check_with(yaml, &[("SHORT", "abc1234")]));
    assert_eq!(
        check_with(yaml, &[("SHORT", "abcd1234")]),
        "ok",
        "eight characters are enough"
    );
}

#[test]
fn credentials_written_inline_are_refused() {
    let yaml = r#"agent:
  name: shop
user_data:
  url: ${SHOP_URL}/user-data?apikey=u-123456789
  headers:
    Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==
tools:
  - name: order_status
    description: Order status.
    input:
      type: object
      properties:
        zip: {type: string}
        token: {type: string}
    request:
      method: POST
      url: http://user:pass@api.shop.test/orders?access_token=t-123456789&zip={zip}&reset_token={token}
      headers:
        Authorization: Bearer sk-live-123456789
        Cookie: session=abc123456789
        X-Tenant: acme
        X-Session-Token: "{token}"
        X-Api-Key: Key ${SHOP_API_KEY}
      query:
        api_key: sk-live-123456789
        page: "1"
      body:
        password: hunter2-hunter2
        client:
          client_secret: cs-123456789
          name: Acme support
        tokens: [tk-123456789]
        max_tokens: 100
        note: "{zip}"
"#;
    insta::assert_snapshot!(check(yaml));
}

#[test]
fn a_secret_in_a_tool_url_is_sent_encoded_and_shown_redacted() {
    let yaml = "agent:\n  name: shop\ntools:\n  - name: order_status\n    description: Order status.\n    input:\n      type: object\n      properties:\n        order_id: {type: string}\n      required: [order_id]\n    request:\n      url: ${SHOP_URL}/v1/${TENANT_KEY}/orders/{order_id}?key=${SHOP_API_KEY}\n";
    let mut env = env();
    env.insert("TENANT_KEY".into(), "tenant/key&more".into());
    let config = Config::from_yaml("agent.yaml", yaml, &env).unwrap_or_else(|e| panic!("{e}"));
    let inputs = BTreeMap::from([("order_id".to_string(), serde_json::json!("W1"))]);
    let (wire, shown) = config.tools[0].url.render(&inputs).unwrap();
    assert_eq!(
        wire.as_str(),
        "http://127.0.0.1:9/v1/tenant%2Fkey%26more/orders/W1?key=sk-test-123456"
    );
    assert_eq!(
        shown,
        "http://127.0.0.1:9/v1/[REDACTED]/orders/W1?key=[REDACTED]"
    );
    assert_eq!(
        config.redactor.redact(wire.as_str()),
        "http://127.0.0.1:9/v1/[REDACTED]/orders/W1?key=[REDACTED]",
        "the redactor knows both, percent-encoded too"
    );
}
