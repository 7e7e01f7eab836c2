//! The README's demo, through the real binary: an anonymous customer tracks an order; a
//! verified customer asks about their plan and last order.

use crate::support::{run_binary, turns};

#[tokio::test]
async fn anonymous_customer_is_asked_for_the_zip_then_gets_the_status() {
    let run = run_binary(
        &["demo", "--chat", "--json"],
        "Where is my order W1000001?\n10001\n",
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let turns = turns(&run.stdout);
    assert_eq!(turns.len(), 2);
    assert_eq!(
        turns[0]["reply"],
        "Could you tell me the ZIP code of the shipping address?"
    );
    assert!(
        turns[0]["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] != "tool_call_started")
    );
    assert_eq!(
        turns[1]["reply"],
        "Order W1000001 is shipped with UPS, expected on 2026-11-29."
    );
    let finished = turns[1]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "tool_call_finished")
        .unwrap();
    assert_eq!(finished["tool"], "order_status");
    assert_eq!(finished["status"], "ok");
    assert_eq!(finished["request"]["status"], 200);
    assert!(
        finished["request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/orders/W1000001?zip=10001")
    );
    assert_eq!(
        finished["request"]["headers"]["Authorization"],
        "Bearer [REDACTED]"
    );
    assert_eq!(turns[1]["identity"]["level"], "anonymous");
}

#[tokio::test]
async fn verified_customer_is_answered_from_the_user_data_api() {
    let run = run_binary(
        &["demo", "--chat", "--json", "--email", "alice@example.com"],
        "What plan am I on?\nWhere is my last order?\n",
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let turns = turns(&run.stdout);
    assert_eq!(turns[0]["reply"], "You are on the Pro plan, Alice Martin.");
    let fetched = &turns[0]["events"][0];
    assert_eq!(fetched["type"], "user_data");
    assert_eq!(fetched["outcome"], "fetched");
    assert_eq!(fetched["data"]["plan"], "Pro");
    assert_eq!(
        turns[1]["reply"],
        "Your last order, W1000003 (Phone case), placed on 2026-11-26, is pending."
    );
    // Fetched once per conversation.
    assert!(
        turns[1]["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] != "user_data")
    );
}

#[tokio::test]
async fn an_anonymous_customer_gets_no_user_data_and_a_plain_answer() {
    let run = run_binary(&["demo", "--chat", "--json"], "What plan am I on?\n", &[]).await;
    let turns = turns(&run.stdout);
    assert_eq!(turns[0]["events"][0]["outcome"], "skipped");
    assert!(
        turns[0]["reply"]
            .as_str()
            .unwrap()
            .contains("I can help with")
    );
    assert!(!turns[0]["reply"].as_str().unwrap().contains("Pro"));
}

#[tokio::test]
async fn plain_output_is_one_reply_per_line_and_help_works() {
    let run = run_binary(
        &["demo", "--chat"],
        "Where is order W2000001? My ZIP is 94105\n",
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "Order W2000001 is delivered with USPS.");
    let help = run_binary(&["--help"], "", &[]).await;
    assert_eq!(help.code, 0);
    for command in ["chat", "demo", "check", "tool", "user-data", "schema"] {
        assert!(
            help.stdout.contains(command),
            "{command} missing from --help"
        );
    }
}
