//! `switchboard test FILES…`: conversation test suites for an agent, runnable in CI with no
//! model and no live company API. A file names the agent's config, optionally a backend to
//! start, and cases: customer turns with expectations (reply text, tool calls with an inputs
//! subset and a status, task state) and final backend state checks.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Value, json};
use switchboard_core::agent::{Agent, Conversation, Quiet, TurnEvent};
use switchboard_core::config::Config;
use switchboard_core::identity::{Identity, VerifiedEmail};
use switchboard_core::model::{
    ChatModel, ModelError, ModelReply, ModelRequest, TextSink, ToolCall,
};
use switchboard_core::store::MemoryStore;
use switchboard_core::template::{LayeredEnvironment, ProcessEnvironment};

/// A test file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    /// The agent's config, relative to the test file.
    config: PathBuf,
    /// `${VAR}` values for the config; `{backend_url}` is replaced by the backend's URL.
    #[serde(default)]
    vars: BTreeMap<String, String>,
    /// A backend to start for the run.
    #[serde(default)]
    backend: Option<Backend>,
    /// The cases.
    cases: Vec<Case>,
}

/// A backend started by a command; `{port}` is replaced by a free port.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Backend {
    command: Vec<String>,
    url: String,
    /// A path that answers 200 once the backend is up.
    #[serde(default)]
    ready: Option<String>,
    /// A path POSTed before each case (a fresh database).
    #[serde(default)]
    reset: Option<String>,
    /// A path whose JSON is the backend's whole state (for `unchanged`).
    #[serde(default)]
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// `verified: email` (a channel-proven customer); anonymous when absent.
    #[serde(default)]
    verified: Option<String>,
    /// A scripted model: its replies in order (`call` + `args`, or `say`). Without one the
    /// config's model (normally the offline engine) answers.
    #[serde(default)]
    model: Option<Vec<ScriptStep>>,
    turns: Vec<Turn>,
    /// GETs of the backend with JSON-pointer checks, after the last turn.
    #[serde(default)]
    state: Vec<StateCheck>,
    /// The backend's state must be exactly as before the case.
    #[serde(default)]
    unchanged: bool,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptStep {
    #[serde(default)]
    call: Option<String>,
    #[serde(default)]
    args: Value,
    #[serde(default)]
    say: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Turn {
    say: String,
    #[serde(default)]
    expect: Expect,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    reply_contains: Vec<String>,
    #[serde(default)]
    reply_not_contains: Vec<String>,
    /// Calls that must happen in this turn (tool, inputs subset, status).
    #[serde(default)]
    calls: Vec<ExpectedCall>,
    /// Tools that must not run (status ok or error) in this turn.
    #[serde(default)]
    no_calls: Vec<String>,
    /// The active task after the turn (`none` for no task).
    #[serde(default)]
    task: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedCall {
    tool: String,
    #[serde(default)]
    inputs: Value,
    /// `ok`, `error` or `refused`.
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateCheck {
    get: String,
    pointer: String,
    equals: Value,
}

/// A model that plays back a script.
struct Script(Mutex<VecDeque<ScriptStep>>);

#[async_trait::async_trait]
impl ChatModel for Script {
    fn name(&self) -> String {
        "scripted".into()
    }
    async fn complete(
        &self,
        _: &ModelRequest<'_>,
        _: &dyn TextSink,
    ) -> Result<ModelReply, ModelError> {
        let step = self.0.lock().expect("script lock").pop_front();
        Ok(match step {
            Some(ScriptStep {
                call: Some(name),
                args,
                ..
            }) => ModelReply {
                text: None,
                tool_calls: vec![ToolCall {
                    id: format!("scripted-{name}"),
                    name,
                    arguments: if args.is_null() { json!({}) } else { args },
                }],
            },
            Some(ScriptStep { say, .. }) => ModelReply {
                text: Some(say.unwrap_or_default()),
                tool_calls: Vec::new(),
            },
            None => ModelReply {
                text: Some("(the script has no more replies)".into()),
                tool_calls: Vec::new(),
            },
        })
    }
}

/// `expected` ⊆ `actual`: every key of an expected object matches; other values are equal.
fn subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Null, _) => true,
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|x| subset(v, x))),
        (e, a) => e == a,
    }
}

struct RunningBackend {
    child: std::process::Child,
    url: String,
}

impl Drop for RunningBackend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_backend(backend: &Backend, base: &Path) -> anyhow::Result<RunningBackend> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port()
        .to_string();
    let fill = |s: &str| s.replace("{port}", &port);
    let program = fill(
        backend
            .command
            .first()
            .context("backend.command is empty")?,
    );
    let child = std::process::Command::new(&program)
        .args(backend.command[1..].iter().map(|a| fill(a)))
        .current_dir(base)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start the backend `{program}`"))?;
    let running = RunningBackend {
        child,
        url: fill(&backend.url),
    };
    let ready = format!("{}{}", running.url, backend.ready.as_deref().unwrap_or("/"));
    let client = reqwest::Client::new();
    for _ in 0..150 {
        if client
            .get(&ready)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(running);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the backend did not answer {ready} within 15 s")
}

/// One case's result.
struct CaseResult {
    file: String,
    name: String,
    failures: Vec<String>,
}

async fn run_case(
    case: &Case,
    config: &Arc<Config>,
    backend: Option<(&Backend, &str)>,
    client: &reqwest::Client,
) -> anyhow::Result<Vec<String>> {
    let mut failures = Vec::new();
    if let Some((b, url)) = backend
        && let Some(reset) = &b.reset
    {
        client
            .post(format!("{url}{reset}"))
            .send()
            .await?
            .error_for_status()?;
    }
    let state_before = match backend {
        Some((b, url)) if case.unchanged => match &b.state {
            Some(path) => Some(
                client
                    .get(format!("{url}{path}"))
                    .send()
                    .await?
                    .json::<Value>()
                    .await?,
            ),
            None => bail!(
                "case `{}` checks `unchanged` but the backend has no `state` path",
                case.name
            ),
        },
        _ => None,
    };
    let model: Arc<dyn ChatModel> = match &case.model {
        Some(script) => Arc::new(Script(Mutex::new(script.iter().cloned().collect()))),
        None => switchboard_llm::build_model(config.clone())?,
    };
    let agent = Agent {
        model,
        tools: Arc::new(switchboard_connect::HttpToolRunner::new(config.clone())),
        user_data: Arc::new(switchboard_connect::HttpUserDataSource::new(config.clone())),
        clock: Arc::new(switchboard_server::state::SystemClock),
        store: Arc::new(MemoryStore::default()),
        config: config.clone(),
    };
    let identity = match &case.verified {
        Some(email) => Identity::Verified {
            email: VerifiedEmail::new(email)
                .map_err(|_| anyhow::anyhow!("`{email}` is not an email"))?,
            customer_id: None,
        },
        None => Identity::Anonymous,
    };
    let mut conversation = Conversation::new(format!("test-{}", uuid::Uuid::new_v4()), identity);
    for (n, turn) in case.turns.iter().enumerate() {
        let output = agent.turn(&mut conversation, &turn.say, &Quiet).await;
        let at = format!("turn {} ({:?})", n + 1, turn.say);
        for needle in &turn.expect.reply_contains {
            if !output.reply.contains(needle.as_str()) {
                failures.push(format!(
                    "{at}: reply lacks {needle:?}\n      reply: {:?}",
                    output.reply
                ));
            }
        }
        for needle in &turn.expect.reply_not_contains {
            if output.reply.contains(needle.as_str()) {
                failures.push(format!(
                    "{at}: reply contains {needle:?}\n      reply: {:?}",
                    output.reply
                ));
            }
        }
        // Each started call with its arguments, and how it finished.
        let mut calls: Vec<(String, Value, String)> = Vec::new();
        for event in &output.events {
            match event {
                TurnEvent::ToolCallStarted {
                    tool, arguments, ..
                } => calls.push((tool.clone(), arguments.clone(), String::new())),
                TurnEvent::ToolCallFinished { tool, status, .. } => {
                    if let Some(call) = calls
                        .iter_mut()
                        .rev()
                        .find(|(t, _, s)| t == tool && s.is_empty())
                    {
                        call.2 = status.clone();
                    }
                }
                _ => {}
            }
        }
        for expected in &turn.expect.calls {
            let found = calls.iter().any(|(tool, args, status)| {
                *tool == expected.tool
                    && subset(&expected.inputs, args)
                    && expected.status.as_ref().is_none_or(|s| s == status)
            });
            if !found {
                let seen: Vec<String> = calls
                    .iter()
                    .map(|(t, a, s)| format!("{t}({a}) → {s}"))
                    .collect();
                failures.push(format!(
                    "{at}: no call {}({}){}\n      calls: {}",
                    expected.tool,
                    expected.inputs,
                    expected
                        .status
                        .as_ref()
                        .map(|s| format!(" → {s}"))
                        .unwrap_or_default(),
                    if seen.is_empty() {
                        "none".into()
                    } else {
                        seen.join("; ")
                    }
                ));
            }
        }
        for forbidden in &turn.expect.no_calls {
            if calls
                .iter()
                .any(|(t, _, s)| t == forbidden && (s == "ok" || s == "error"))
            {
                failures.push(format!("{at}: `{forbidden}` ran but must not"));
            }
        }
        if let Some(task) = &turn.expect.task {
            let active = conversation
                .task
                .as_ref()
                .map(|r| r.task.clone())
                .unwrap_or_else(|| "none".into());
            if &active != task {
                failures.push(format!(
                    "{at}: active task is `{active}`, expected `{task}`"
                ));
            }
        }
    }
    if let Some((_, url)) = backend {
        for check in &case.state {
            let value: Value = client
                .get(format!("{url}{}", check.get))
                .send()
                .await?
                .json()
                .await?;
            let actual = value
                .pointer(&check.pointer)
                .cloned()
                .unwrap_or(Value::Null);
            if actual != check.equals {
                failures.push(format!(
                    "state {}{}: {} != expected {}",
                    check.get, check.pointer, actual, check.equals
                ));
            }
        }
        if let (Some(before), Some(path)) =
            (state_before, backend.and_then(|(b, _)| b.state.clone()))
        {
            let after: Value = client
                .get(format!("{url}{path}"))
                .send()
                .await?
                .json()
                .await?;
            if after != before {
                failures
                    .push("the backend's state changed, but the case requires it unchanged".into());
            }
        }
    } else if !case.state.is_empty() || case.unchanged {
        failures.push("state checks need a `backend`".into());
    }
    Ok(failures)
}

async fn run_file(path: &Path, progress: &mut dyn FnMut(&str)) -> anyhow::Result<Vec<CaseResult>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: TestFile =
        serde_saphyr::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let backend = match &file.backend {
        Some(b) => Some(start_backend(b, &base).await?),
        None => None,
    };
    let backend_url = backend.as_ref().map(|b| b.url.clone()).unwrap_or_default();
    let vars: BTreeMap<String, String> = file
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), v.replace("{backend_url}", &backend_url)))
        .collect();
    let env = LayeredEnvironment {
        overrides: &vars,
        fallback: &ProcessEnvironment,
    };
    let config =
        Arc::new(Config::load(&base.join(&file.config), &env).map_err(|e| anyhow::anyhow!("{e}"))?);
    let client = reqwest::Client::new();
    let mut results = Vec::new();
    for case in &file.cases {
        progress(&case.name);
        let failures = match run_case(
            case,
            &config,
            file.backend.as_ref().map(|b| (b, backend_url.as_str())),
            &client,
        )
        .await
        {
            Ok(f) => f,
            Err(e) => vec![format!("could not run: {e:#}")],
        };
        results.push(CaseResult {
            file: path.display().to_string(),
            name: case.name.clone(),
            failures,
        });
    }
    Ok(results)
}

/// Runs the files; prints PASS/FAIL per case with the differences, or JSON.
pub async fn run(
    files: &[PathBuf],
    json_output: bool,
    markdown: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let total: usize = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .ok()
                .and_then(|t| serde_saphyr::from_str::<TestFile>(&t).ok())
                .map(|t| t.cases.len())
                .unwrap_or(0)
        })
        .sum();
    let mut done = 0;
    let mut results = Vec::new();
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
    for file in files {
        let mut progress = |name: &str| {
            done += 1;
            let width: usize = 24;
            let filled = (done * width).checked_div(total).unwrap_or(0);
            if interactive {
                eprint!(
                    "\r[{}{}] {done}/{total} {name:<50.50}",
                    "#".repeat(filled),
                    ".".repeat(width - filled)
                );
                let _ = std::io::stderr().flush();
            }
        };
        results.extend(run_file(file, &mut progress).await?);
    }
    if interactive {
        eprintln!();
    }
    let passed = results.iter().filter(|r| r.failures.is_empty()).count();
    if json_output {
        let cases: Vec<Value> = results.iter().map(|r| json!({"file": r.file, "case": r.name, "passed": r.failures.is_empty(), "failures": r.failures})).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"passed": passed, "failed": results.len() - passed, "cases": cases})
            )?
        );
    } else {
        for r in &results {
            println!(
                "{} {}",
                if r.failures.is_empty() {
                    "PASS"
                } else {
                    "FAIL"
                },
                r.name
            );
            for f in &r.failures {
                println!("    {f}");
            }
        }
        println!("tests: {passed} passed, {} failed", results.len() - passed);
    }
    if let Some(path) = markdown {
        let mut text = format!(
            "### Conversation tests: {passed}/{} passed\n\n| case | result |\n| --- | --- |\n",
            results.len()
        );
        for r in &results {
            text.push_str(&format!(
                "| {} | {} |\n",
                r.name,
                if r.failures.is_empty() {
                    "pass"
                } else {
                    "FAIL"
                }
            ));
        }
        std::fs::write(path, text)?;
    }
    Ok(if passed == results.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
