//! The retail conformance suites. `retail-conformance tools` replays every task's gold tool
//! calls through Switchboard's tool layer (config → policy → HTTP executor → backend) and
//! compares the backend's final state with `expected.json`. `--markdown FILE` writes the
//! report that `docs/CONFORMANCE.md` includes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;

use serde_json::Value;
use switchboard_connect::HttpToolRunner;
use switchboard_core::agent::ToolRunner;
use switchboard_core::config::Config;
use switchboard_core::identity::Identity;
use switchboard_core::tool_call::{TrustedContext, prepare_operator_call};

const CONFIG: &str = include_str!("../../switchboard.yaml");

const WRITES: &[&str] = &[
    "exchange_delivered_order_items",
    "return_delivered_order_items",
    "modify_pending_order_items",
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_user_address",
    "modify_pending_order_payment",
];

/// The customer a task is about: the user its first lookup finds, or the owner of the first
/// order or user it names. The harness authenticates that customer, as the agent would first.
fn task_customer(task: &Value, db: &Value) -> Option<String> {
    for action in task["actions"].as_array()? {
        let args = &action["arguments"];
        if let Some(user) = args["user_id"].as_str() {
            return Some(user.to_string());
        }
        if let Some(order) = args["order_id"].as_str().and_then(|o| db["orders"].get(o)) {
            return order["user_id"].as_str().map(str::to_string);
        }
        if let Some(email) = args["email"].as_str() {
            let found = db["users"].as_object()?.iter().find(|(_, u)| {
                u["email"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            });
            if let Some((id, _)) = found {
                return Some(id.clone());
            }
        }
        if let (Some(first), Some(last), Some(zip)) = (
            args["first_name"].as_str(),
            args["last_name"].as_str(),
            args["zip"].as_str(),
        ) {
            let found = db["users"].as_object()?.iter().find(|(_, u)| {
                u["name"]["first_name"]
                    .as_str()
                    .is_some_and(|f| f.eq_ignore_ascii_case(first))
                    && u["name"]["last_name"]
                        .as_str()
                        .is_some_and(|l| l.eq_ignore_ascii_case(last))
                    && u["address"]["zip"] == zip
            });
            if let Some((id, _)) = found {
                return Some(id.clone());
            }
        }
    }
    None
}

fn category(task: &Value) -> String {
    task["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|a| a["name"].as_str().filter(|n| WRITES.contains(n)))
        .unwrap_or("none (read-only / transfer)")
        .to_string()
}

struct Outcome {
    id: String,
    category: String,
    passed: bool,
    detail: String,
}

async fn tool_layer() -> Vec<Outcome> {
    let retail = retail_demo::start("127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("the backend starts");
    let vars = BTreeMap::from([("RETAIL_URL".to_string(), retail.url())]);
    let config = Arc::new(
        Config::from_yaml("examples/retail/switchboard.yaml", CONFIG, &vars)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let runner = HttpToolRunner::new(config.clone());
    let tasks: Vec<Value> = serde_json::from_str(retail_demo::TASKS_JSON).expect("tasks.json");
    let expected: Value = serde_json::from_str(retail_demo::EXPECTED_JSON).expect("expected.json");
    let db: Value = serde_json::from_str(retail_demo::DB_JSON).expect("db.json");
    let mut outcomes = Vec::new();
    for (n, task) in tasks.iter().enumerate() {
        let id = task["id"].as_str().unwrap_or_default().to_string();
        eprint!("\rtool layer: task {}/{} ", n + 1, tasks.len());
        let _ = std::io::stderr().flush();
        retail.reset();
        let mut identity = match task_customer(task, &db) {
            Some(user) => Identity::Identified {
                customer_id: user,
                email: None,
            },
            None => Identity::Anonymous,
        };
        let mut failed = BTreeSet::new();
        for (i, action) in task["actions"].as_array().into_iter().flatten().enumerate() {
            let name = action["name"].as_str().unwrap_or_default();
            let Some(tool) = config.tool(name) else {
                failed.insert(i);
                continue;
            };
            let conversation_id = format!("conformance-{id}");
            let context = TrustedContext {
                identity: &identity,
                conversation_id: &conversation_id,
                user_data: None,
            };
            let prepared = match prepare_operator_call(tool, &action["arguments"], context, true) {
                Ok(p) => p,
                Err(_) => {
                    failed.insert(i);
                    continue;
                }
            };
            let outcome = runner.run(&prepared).await;
            match outcome.result {
                Ok(_) => {
                    if let Some((customer, email)) = &outcome.identified {
                        identity.record_lookup(customer, email.as_deref());
                    }
                }
                Err(_) => {
                    failed.insert(i);
                }
            }
        }
        let expected_failures: BTreeSet<usize> = expected[&id]["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["index"].as_u64().map(|i| i as usize))
            .collect();
        let state = retail.state();
        let want = retail_demo::expected_state(&id);
        let mut detail = String::new();
        if failed != expected_failures {
            detail = format!("failing calls {failed:?}, expected {expected_failures:?}");
        } else if let Err(diff) = retail_demo::compare(&state, &want, "") {
            detail = format!("state differs at {diff}");
        }
        outcomes.push(Outcome {
            id,
            category: category(task),
            passed: detail.is_empty(),
            detail,
        });
    }
    eprintln!();
    outcomes
}

fn report(title: &str, outcomes: &[Outcome]) -> String {
    let mut by_category: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let entry = by_category.entry(&o.category).or_default();
        entry.1 += 1;
        if o.passed {
            entry.0 += 1;
        }
    }
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let mut text = format!(
        "### {title}: {passed}/{} passed\n\n| category (first write) | passed |\n| --- | ---: |\n",
        outcomes.len()
    );
    for (category, (p, n)) in by_category {
        text.push_str(&format!("| {category} | {p}/{n} |\n"));
    }
    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    if !failures.is_empty() {
        text.push_str("\nFailures:\n\n");
        for f in failures {
            text.push_str(&format!("- task {}: {}\n", f.id, f.detail));
        }
    }
    text
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "usage: retail-conformance tools [--markdown FILE]\n\n  tools   replay every task's gold tool calls through Switchboard's tool layer"
        );
        return std::process::ExitCode::SUCCESS;
    }
    let markdown = args
        .iter()
        .position(|a| a == "--markdown")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let (title, outcomes) = match args[0].as_str() {
        "tools" => (
            "Suite 1 — tool layer (gold calls through the executor)",
            tool_layer().await,
        ),
        other => {
            eprintln!("unknown suite `{other}`; try --help");
            return std::process::ExitCode::from(2);
        }
    };
    let text = report(title, &outcomes);
    print!("{text}");
    let passed = outcomes.iter().filter(|o| o.passed).count();
    println!(
        "conformance-{}: {passed} passed, {} failed",
        args[0],
        outcomes.len() - passed
    );
    if let Some(path) = markdown {
        std::fs::write(&path, &text).expect("the report is written");
    }
    if passed == outcomes.len() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
