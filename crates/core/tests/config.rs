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
