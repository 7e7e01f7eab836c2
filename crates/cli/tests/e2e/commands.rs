//! The one-shot commands through the real binary: check, check --ping, tool call, schema.

use serde_json::Value;

use crate::support::*;

const SHOP_YAML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/shop/switchboard.yaml"
);

#[tokio::test]
async fn check_validates_and_pings() {
    let shop = shop().await;
    let url = shop.url();
    let env = [
        ("SHOP_URL", url.as_str()),
        ("SHOP_API_KEY", CANARY),
        ("SHOP_WIDGET_SECRET", WIDGET_SECRET),
    ];
    let ok = run_binary(
        &["check", "--config", SHOP_YAML, "--ping", "--json"],
        "",
        &env,
    )
    .await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let report: Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!(report["agent"], "acme-shop");
    assert_eq!(report["warnings"], serde_json::json!([]));
    assert_eq!(
        report["tasks"],
        serde_json::json!([
            "cancel_order",
            "list_my_orders",
            "book_demo",
            "return_damaged_item"
        ])
    );
    assert!(
        report["ping"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["reachable"] == true),
        "{report}"
    );

    drop(shop);
    let down = run_binary(&["check", "--config", SHOP_YAML, "--ping"], "", &env).await;
    assert_eq!(down.code, 2, "an unreachable API is a failed check");
    assert!(down.stdout.contains("UNREACHABLE"), "{}", down.stdout);

    let missing = run_binary(
        &["check", "--config", SHOP_YAML],
        "",
        &[("SHOP_URL", "http://127.0.0.1:9")],
    )
    .await;
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("switchboard.yaml:25:20: header `Authorization`: environment variable `SHOP_API_KEY` is not set"), "{}", missing.stderr);
    assert!(
        missing.stderr.contains("fix: set the environment variable"),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn tool_call_runs_reads_and_refuses_writes_unless_asked() {
    let shop = shop().await;
    let url = shop.url();
    let env = [
        ("SHOP_URL", url.as_str()),
        ("SHOP_API_KEY", CANARY),
        ("SHOP_WIDGET_SECRET", WIDGET_SECRET),
    ];
    let read = run_binary(
        &[
            "tool",
            "call",
            "--config",
            SHOP_YAML,
            "order_status",
            "order_id=W1000001",
            "zip=10001",
        ],
        "",
        &env,
    )
    .await;
    assert_eq!(read.code, 0, "{}", read.stderr);
    let output: Value = serde_json::from_str(&read.stdout).unwrap();
    assert_eq!(output["result"]["status"], "shipped");
    assert_eq!(
        output["request"]["headers"]["Authorization"],
        "Bearer [REDACTED]"
    );

    let invalid = run_binary(
        &[
            "tool",
            "call",
            "--config",
            SHOP_YAML,
            "order_status",
            "order_id=123",
            "zip=10001",
        ],
        "",
        &env,
    )
    .await;
    assert_eq!(invalid.code, 2);
    assert!(
        invalid.stdout.contains("invalid_input"),
        "{}",
        invalid.stdout
    );

    let args = [
        "tool",
        "call",
        "--config",
        SHOP_YAML,
        "submit_cancellation",
        "order_id=W1000002",
        "reason=other",
        "--email",
        "alice@example.com",
    ];
    let refused = run_binary(&args, "", &env).await;
    assert_eq!(refused.code, 2);
    assert!(
        refused.stdout.contains("write_outside_task"),
        "{}",
        refused.stdout
    );
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("pending"));

    let anonymous = run_binary(
        &[
            "tool",
            "call",
            "--config",
            SHOP_YAML,
            "submit_cancellation",
            "order_id=W1000002",
            "reason=other",
            "--allow-write",
        ],
        "",
        &env,
    )
    .await;
    assert!(
        anonymous.stdout.contains("not_allowed"),
        "{}",
        anonymous.stdout
    );

    let mut with_write = args.to_vec();
    with_write.push("--allow-write");
    let written = run_binary(&with_write, "", &env).await;
    assert_eq!(written.code, 0, "{}", written.stdout);
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("cancelled"));
}

#[tokio::test]
async fn schema_prints_the_committed_schema() {
    let run = run_binary(&["schema"], "", &[]).await;
    assert_eq!(run.code, 0);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/switchboard.schema.json"
    ))
    .unwrap();
    assert!(
        run.stdout == committed,
        "`switchboard schema` differs from schema/switchboard.schema.json"
    );
}

#[tokio::test]
async fn the_test_runner_reports_passes_failures_and_json() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/e2e/fixtures/runner.yaml"
    );
    let run = run_binary(&["test", file], "", &[]).await;
    assert_eq!(
        run.code, 1,
        "a failing case fails the run: {}{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout
            .contains("PASS the offline engine says what it can do"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("FAIL a wrong expectation fails with a diff"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("reply lacks \"this text is not in the reply\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("no call order_status(null)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("tests: 1 passed, 1 failed"),
        "{}",
        run.stdout
    );
    let json = run_binary(&["test", "--json", file], "", &[]).await;
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let missing = run_binary(&["test", "/nonexistent/tests.yaml"], "", &[]).await;
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("cannot read /nonexistent/tests.yaml"),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn check_warns_when_a_plain_value_is_cut_by_a_comment() {
    let dir = std::env::temp_dir().join(format!("switchboard-check-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("agent.yaml");
    std::fs::write(
        &path,
        "agent:\n  name: t\n  fallback: Give your order id (it looks like #W0000000.)\n",
    )
    .unwrap();
    let out = run_binary(&["check", "--config", path.to_str().unwrap()], "", &[]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("agent.yaml:3:47: the value of `fallback` ends before ` #W0000000.)`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("put the value in quotes"));
    std::fs::remove_dir_all(&dir).ok();
}
