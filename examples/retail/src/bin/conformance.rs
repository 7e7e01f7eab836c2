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

/// The retail backend on a free port, and the retail agent's config pointing at it.
async fn backend_and_config() -> (retail_demo::RetailHandle, Arc<Config>) {
    let retail = retail_demo::start("127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("the backend starts");
    let vars = BTreeMap::from([("RETAIL_URL".to_string(), retail.url())]);
    let config = Arc::new(
        Config::from_yaml("examples/retail/switchboard.yaml", CONFIG, &vars)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    (retail, config)
}

async fn tool_layer() -> Vec<Outcome> {
    let (retail, config) = backend_and_config().await;
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

/// The write tools suite 2 drives through the offline engine's structured tasks.
const CONVERSATION_WRITES: &[&str] = &[
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_user_address",
    "modify_pending_order_payment",
    "return_delivered_order_items",
    "exchange_delivered_order_items",
    "modify_pending_order_items",
];

/// The customer's side of a conversation built from a task's known facts and gold arguments:
/// who they are, then for each write the request, the details it needs, and "yes".
fn customer_turns(task: &Value, db: &Value, expected: &Value) -> Option<(Vec<String>, String)> {
    let id = task["id"].as_str()?;
    let failing: BTreeSet<usize> = expected[id]["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["index"].as_u64().map(|i| i as usize))
        .collect();
    let actions: Vec<&Value> = task["actions"]
        .as_array()?
        .iter()
        .enumerate()
        .filter(|(i, _)| !failing.contains(i))
        .map(|(_, a)| a)
        .collect();
    let writes: Vec<&Value> = actions
        .iter()
        .copied()
        .filter(|a| a["name"].as_str().is_some_and(|n| WRITES.contains(&n)))
        .collect();
    if writes.is_empty()
        || !writes
            .iter()
            .all(|w| CONVERSATION_WRITES.contains(&w["name"].as_str().unwrap_or_default()))
    {
        return None;
    }
    let mut names: Vec<&str> = writes.iter().filter_map(|w| w["name"].as_str()).collect();
    names.sort();
    names.dedup();
    let category = names.join(" + ");
    let user_id = task_customer(task, db)?;
    let user = &db["users"][&user_id];
    let mut turns = Vec::new();
    let mut identified = false;
    if let Some(email) = actions
        .iter()
        .find(|a| a["name"] == "find_user_id_by_email")
        .and_then(|a| a["arguments"]["email"].as_str())
    {
        turns.push(format!("My email is {email}"));
        identified = true;
    }
    let address_turns = |args: &Value| -> Vec<String> {
        let line2 = args["address2"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or("none")
            .to_string();
        ["address1"]
            .iter()
            .map(|k| args[*k].as_str().unwrap_or_default().to_string())
            .chain([line2])
            .chain(
                ["city", "state", "country", "zip"]
                    .iter()
                    .map(|k| args[*k].as_str().unwrap_or_default().to_string()),
            )
            .collect()
    };
    for write in writes {
        let args = &write["arguments"];
        let name = write["name"].as_str().unwrap_or_default();
        turns.push(
            match name {
                "cancel_pending_order" => "I want to cancel an order",
                "modify_pending_order_address" => {
                    "I want to change the shipping address of my order"
                }
                "modify_user_address" => "I want to change my default address",
                "modify_pending_order_payment" => "I want to change the payment method of my order",
                "exchange_delivered_order_items" => "I want to exchange items",
                "modify_pending_order_items" => "I want to modify items of my order",
                _ => "I want to return items",
            }
            .to_string(),
        );
        if !identified {
            turns.push(
                user["name"]["first_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            turns.push(
                user["name"]["last_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            turns.push(
                user["address"]["zip"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            identified = true;
        }
        let order = args["order_id"].as_str().unwrap_or_default().to_string();
        match name {
            "cancel_pending_order" => turns.extend([
                order,
                args["reason"].as_str().unwrap_or_default().to_string(),
            ]),
            "modify_pending_order_address" => {
                turns.push(order);
                turns.extend(address_turns(args));
            }
            "modify_user_address" => turns.extend(address_turns(args)),
            "modify_pending_order_payment" => turns.extend([
                order,
                args["payment_method_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ]),
            "exchange_delivered_order_items" | "modify_pending_order_items" => {
                let list = |key: &str| {
                    args[key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                turns.extend([
                    order,
                    list("item_ids"),
                    list("new_item_ids"),
                    args["payment_method_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ]);
            }
            _ => {
                let items: Vec<&str> = args["item_ids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                turns.extend([
                    order,
                    items.join(" "),
                    args["payment_method_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ]);
            }
        }
        turns.push("yes".into());
    }
    Some((turns, category))
}

/// `communicate_info` strings in the replies: case-insensitive, commas removed (upstream's rule).
fn communicated(task: &Value, replies: &str) -> Vec<String> {
    let haystack = replies.replace(',', "").to_lowercase();
    task["communicate_info"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|info| !haystack.contains(&info.replace(',', "").to_lowercase()))
        .map(str::to_string)
        .collect()
}

/// Suite 2: scripted customers talk to the agent (offline engine, real HTTP); each task runs
/// `runs` times.
async fn conversations(runs: usize) -> Vec<(Outcome, usize, usize)> {
    use switchboard_core::agent::{Agent, Clock, Conversation, Quiet};
    struct Now;
    impl Clock for Now {
        fn now_ms(&self) -> u64 {
            0
        }
    }
    let (retail, config) = backend_and_config().await;
    let agent = Agent {
        model: Arc::new(switchboard_llm::OfflineEngine::new(config.clone())),
        tools: Arc::new(HttpToolRunner::new(config.clone())),
        user_data: Arc::new(switchboard_connect::HttpUserDataSource::new(config.clone())),
        clock: Arc::new(Now),
        store: Arc::new(switchboard_core::store::MemoryStore::default()),
        config: config.clone(),
    };
    let tasks: Vec<Value> = serde_json::from_str(retail_demo::TASKS_JSON).expect("tasks.json");
    let expected: Value = serde_json::from_str(retail_demo::EXPECTED_JSON).expect("expected.json");
    let db: Value = serde_json::from_str(retail_demo::DB_JSON).expect("db.json");
    let chosen: Vec<(&Value, Vec<String>, String)> = tasks
        .iter()
        .filter_map(|t| customer_turns(t, &db, &expected).map(|(turns, c)| (t, turns, c)))
        .collect();
    let mut results = Vec::new();
    for (n, (task, turns, category)) in chosen.iter().enumerate() {
        let id = task["id"].as_str().unwrap_or_default().to_string();
        eprint!("\rconversations: task {}/{} ", n + 1, chosen.len());
        let _ = std::io::stderr().flush();
        let mut state_passes = 0;
        let mut full_passes = 0;
        let mut detail = String::new();
        for run in 0..runs {
            retail.reset();
            let mut conversation =
                Conversation::new(format!("suite2-{id}-{run}"), Identity::Anonymous);
            let mut replies = String::new();
            let mut transcript = Vec::new();
            for turn in turns {
                let output = agent.turn(&mut conversation, turn, &Quiet).await;
                replies.push_str(&output.reply);
                replies.push('\n');
                transcript.push(format!("> {turn}\n< {}", output.reply));
            }
            let state_ok =
                retail_demo::compare(&retail.state(), &retail_demo::expected_state(&id), "");
            let missing = communicated(task, &replies);
            if state_ok.is_ok() {
                state_passes += 1;
            }
            if state_ok.is_ok() && missing.is_empty() {
                full_passes += 1;
            } else if detail.is_empty() {
                detail = match state_ok {
                    Err(diff) => format!(
                        "state differs at {diff}; last turns: {}",
                        transcript
                            .iter()
                            .rev()
                            .take(3)
                            .rev()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(" | ")
                            .replace('\n', " ")
                    ),
                    Ok(()) => format!("state matches; not said: {missing:?}"),
                };
            }
        }
        let outcome = Outcome {
            id,
            category: category.clone(),
            passed: full_passes == runs,
            detail,
        };
        results.push((outcome, state_passes, full_passes));
    }
    eprintln!();
    results
}

fn conversation_report(runs: usize, results: &[(Outcome, usize, usize)]) -> String {
    let mut by: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new();
    for (o, state, full) in results {
        let e = by.entry(&o.category).or_default();
        e.0 += 1;
        e.1 += usize::from(*full > 0);
        e.2 += usize::from(*full == runs);
        e.3 += usize::from(*state == runs);
    }
    let total = results.len();
    let pass1 = results.iter().filter(|(_, _, f)| *f > 0).count();
    let pass4 = results.iter().filter(|(_, _, f)| *f == runs).count();
    let state_all = results.iter().filter(|(_, s, _)| *s == runs).count();
    let mut text = format!(
        "### Suite 2 — conversations, offline engine ({runs} runs each): pass^1 {pass1}/{total}, pass^{runs} {pass4}/{total}\n\nA task passes when the final state equals the expected state and every `communicate_info` string appears in the replies.\n\n| category (writes) | tasks | pass^1 | pass^{runs} | state matches ({runs}/{runs} runs) |\n| --- | ---: | ---: | ---: | ---: |\n"
    );
    for (category, (n, p1, pk, st)) in by {
        text.push_str(&format!("| {category} | {n} | {p1} | {pk} | {st} |\n"));
    }
    text.push_str(&format!(
        "| **all** | {total} | {pass1} | {pass4} | {state_all} |\n"
    ));
    let failures: Vec<&Outcome> = results
        .iter()
        .map(|(o, _, _)| o)
        .filter(|o| !o.passed)
        .collect();
    if !failures.is_empty() {
        text.push_str("\nNot passing:\n\n");
        for f in failures {
            text.push_str(&format!("- task {}: {}\n", f.id, f.detail));
        }
    }
    text
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
            "usage: retail-conformance tools|conversations [--runs N] [--markdown FILE]\n\n  \
             tools          replay every task's gold tool calls through Switchboard's tool layer\n  \
             conversations  scripted customers against the offline engine (cancel, addresses, payment, return)"
        );
        return std::process::ExitCode::SUCCESS;
    }
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let markdown = option("--markdown");
    let (text, passed, total) = match args[0].as_str() {
        "tools" => {
            let outcomes = tool_layer().await;
            let passed = outcomes.iter().filter(|o| o.passed).count();
            (
                report(
                    "Suite 1 — tool layer (gold calls through the executor)",
                    &outcomes,
                ),
                passed,
                outcomes.len(),
            )
        }
        "conversations" => {
            let runs: usize = option("--runs")
                .and_then(|r| r.parse().ok())
                .unwrap_or(4)
                .max(1);
            let results = conversations(runs).await;
            // The gate: the right final state after every run, and the same verdict every run
            // (pass^1 = pass^k). What was said is reported in the table.
            let passed = results
                .iter()
                .filter(|(_, state, full)| *state == runs && (*full == 0 || *full == runs))
                .count();
            (conversation_report(runs, &results), passed, results.len())
        }
        other => {
            eprintln!("unknown suite `{other}`; try --help");
            return std::process::ExitCode::from(2);
        }
    };
    print!("{text}");
    println!(
        "conformance-{}: {passed} passed, {} failed",
        args[0],
        total - passed
    );
    if let Some(path) = markdown {
        std::fs::write(&path, &text).expect("the report is written");
    }
    if passed == total {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
