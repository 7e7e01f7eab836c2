//! `switchboard-bench`: the performance harness (issue: benchmarks side by side).
//!
//! `run` starts the mocks (an OpenAI-compatible model scripted for the lookup scenario, and the
//! shop backend), then measures, in one run and on the same mocks: Switchboard (`switchboard
//! serve`, SQLite and PostgreSQL), the OpenAI Agents SDK (Python) and the floor (a bare client
//! making exactly the scenario's three upstream calls). Measured processes are pinned to CPU 1,
//! the mocks and the load driver to CPU 0. CPU per turn comes from the measured process's own
//! accounting (/proc/PID/stat, or getrusage), the most robust figure on a noisy machine.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::routing::post;
use serde_json::{Value, json};

// The floor allocates with what Switchboard allocates with, so the ratio compares work, not
// allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SHOP_KEY: &str = "bench-shop-key-000";
const WIDGET_SECRET: &str = "bench-widget-secret";

/// The demo shop's agent (its tools and the cancel task) driven by the mock model instead of
/// the offline engine: the *task* scenario.
fn task_config(model: &str) -> String {
    include_str!("../../examples/shop/switchboard.yaml").replace(
        "  model:\n    provider: offline\n",
        &format!("  model:\n    provider: openai\n    base_url: {model}/v1\n    model: bench-model\n    api_key: ${{BENCH_MODEL_KEY}}\n    stream: false\n"),
    )
}

fn user_hash(email: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(WIDGET_SECRET.as_bytes())
        .expect("any key length");
    mac.update(email.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Creates `n` conversations of the verified demo customer (before the measured window).
async fn create_verified(server: &str, n: usize) -> Vec<String> {
    let client = reqwest::Client::new();
    let proof = json!({"email": "alice@example.com", "user_hash": user_hash("alice@example.com")});
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let created: Value = client
            .post(format!("{server}/v1/conversations"))
            .json(&proof)
            .send()
            .await
            .expect("created")
            .json()
            .await
            .expect("json");
        assert_eq!(
            created["identity"]["level"], "verified",
            "the bench customer is verified"
        );
        ids.push(created["id"].as_str().expect("an id").to_string());
    }
    ids
}

/// `task`: the verified cancel in each conversation — the request with every slot (the model
/// starts the task; the engine looks the order up, checks it, asks to confirm), then "yes"
/// (the engine writes with an idempotency key and reports). Two customer turns each; each
/// conversation cancels its own pending order (`first_order` onwards).
async fn drive_task(
    server: String,
    ids: Vec<String>,
    first_order: usize,
    concurrency: usize,
) -> Value {
    let conversations = ids.len();
    let client = reqwest::Client::new();
    let jobs = Arc::new(std::sync::Mutex::new(
        ids.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let job = move || {
        let (client, server) = (client.clone(), server.clone());
        let (n, id) = jobs.lock().expect("jobs").pop().unwrap_or_default();
        async move {
            let url = format!("{server}/v1/conversations/{id}/messages");
            let say = |text: String| {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    client
                        .post(url)
                        .json(&json!({"text": text}))
                        .send()
                        .await
                        .map_err(|e| e.to_string())?
                        .json::<Value>()
                        .await
                        .map_err(|e| e.to_string())
                }
            };
            let order = format!("W{}", 3_000_000 + first_order + n);
            let asked = say(format!("Please cancel order {order}, I ordered by mistake")).await?;
            if !asked["reply"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Cancel order")
            {
                return Err(format!("no confirmation: {}", asked["reply"]));
            }
            let done = say("yes".into()).await?;
            if !done["reply"]
                .as_str()
                .unwrap_or_default()
                .contains("is cancelled")
            {
                return Err(format!("not cancelled: {}", done["reply"]));
            }
            let own = |t: &Value| {
                t["timing"]["total_us"].as_f64().unwrap_or(0.0)
                    - t["timing"]["waiting_us"].as_f64().unwrap_or(0.0)
            };
            Ok((own(&asked) + own(&done)) / 2.0)
        }
    };
    let (wall, latencies, overheads, errors) = load(conversations, concurrency, job).await;
    json!({
        "turns": conversations * 2, "seconds": wall, "turns_per_s": (conversations * 2) as f64 / wall,
        "p50_ms": percentile(&latencies, 0.5) / 2.0, "p99_ms": percentile(&latencies, 0.99) / 2.0,
        "overhead_p50_us": percentile(&overheads, 0.5), "overhead_p99_us": percentile(&overheads, 0.99),
        "errors": errors,
    })
}
const QUESTION: &str = "Where is my order W1000001? ZIP 10001";

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

/// The scripted model: a tool call for the question, the answer once the tool result is in.
async fn chat_completions(Json(body): Json<Value>) -> Json<Value> {
    let last = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .unwrap_or(Value::Null);
    let offers_tasks = body["tools"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["function"]["name"] == "start_task"));
    let asks_to_cancel = last["role"] == "user"
        && last["content"]
            .as_str()
            .is_some_and(|c| c.contains("cancel"));
    if offers_tasks && asks_to_cancel {
        return Json(json!({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "bench-model",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null, "tool_calls": [{
                "id": "call_task", "type": "function", "function": {"name": "start_task", "arguments": "{\"task\":\"cancel_order\"}"}
            }]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
        }));
    }
    let message = if last["role"] == "tool" {
        json!({"role": "assistant", "content": "Order W1000001 is shipped with UPS."})
    } else {
        json!({"role": "assistant", "content": null, "tool_calls": [{
            "id": "call_1", "type": "function",
            "function": {"name": "order_status", "arguments": "{\"order_id\":\"W1000001\",\"zip\":\"10001\"}"}
        }]})
    };
    let finish = if last["role"] == "tool" {
        "stop"
    } else {
        "tool_calls"
    };
    Json(json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "bench-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
    }))
}

/// `mocks`: the model and the shop in one process; prints their URLs as one JSON line.
async fn mocks(pending_orders: usize) -> std::io::Result<()> {
    let shop = shop_demo::start_with_pending_orders(SHOP_KEY, pending_orders).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let model = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new().route("/v1/chat/completions", post(chat_completions));
    println!("{}", json!({"model": model, "shop": shop.url()}));
    std::io::stdout().flush()?;
    axum::serve(listener, app).await
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// Runs `turns` jobs with `concurrency` in flight; returns (wall seconds, latencies ms, values).
async fn load<F, Fut>(turns: usize, concurrency: usize, job: F) -> (f64, Vec<f64>, Vec<f64>, usize)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<f64, String>> + Send,
{
    let job = Arc::new(job);
    let started = Instant::now();
    let results: Vec<(f64, Result<f64, String>)> = futures::stream::iter(0..turns)
        .map(|_| {
            let job = job.clone();
            async move {
                let t = Instant::now();
                let r = job().await;
                (t.elapsed().as_secs_f64() * 1000.0, r)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed().as_secs_f64();
    let mut latencies: Vec<f64> = results.iter().map(|(l, _)| *l).collect();
    latencies.sort_by(f64::total_cmp);
    let mut values: Vec<f64> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().copied())
        .collect();
    values.sort_by(f64::total_cmp);
    let errors = results.iter().filter(|(_, r)| r.is_err()).count();
    (wall, latencies, values, errors)
}

use futures::StreamExt;

/// Creates `n` anonymous conversations (before the measured window).
async fn create_conversations(server: &str, n: usize) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let created: Value = client
            .post(format!("{server}/v1/conversations"))
            .send()
            .await
            .expect("created")
            .json()
            .await
            .expect("json");
        ids.push(created["id"].as_str().expect("an id").to_string());
    }
    ids
}

/// `drive`: the lookup scenario through Switchboard's HTTP API: one customer turn in each of
/// `ids` (conversations created beforehand, outside the measured window).
async fn drive(server: String, ids: Vec<String>, concurrency: usize) -> Value {
    let turns = ids.len();
    let client = reqwest::Client::new();
    let ids = Arc::new(std::sync::Mutex::new(ids));
    let job = move || {
        let client = client.clone();
        let server = server.clone();
        let id = ids.lock().expect("ids").pop().unwrap_or_default();
        async move {
            let turn: Value = client
                .post(format!("{server}/v1/conversations/{id}/messages"))
                .json(&json!({"text": QUESTION}))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            if !turn["reply"]
                .as_str()
                .unwrap_or_default()
                .contains("shipped")
            {
                return Err(format!("unexpected reply: {turn}"));
            }
            let timing = &turn["timing"];
            Ok(timing["total_us"].as_f64().unwrap_or(0.0)
                - timing["waiting_us"].as_f64().unwrap_or(0.0))
        }
    };
    let (wall, latencies, overheads, errors) = load(turns, concurrency, job).await;
    json!({
        "turns": turns, "seconds": wall, "turns_per_s": turns as f64 / wall,
        "p50_ms": percentile(&latencies, 0.5), "p99_ms": percentile(&latencies, 0.99),
        "overhead_p50_us": percentile(&overheads, 0.5), "overhead_p99_us": percentile(&overheads, 0.99),
        "errors": errors,
    })
}

/// CPU seconds a process has used (user + system), from /proc.
fn process_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

/// A `/proc/PID/status` memory field in KiB: `VmHWM` (peak RSS) or `VmRSS` (RSS now).
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)
                .and_then(|v| v.strip_prefix(':'))
                .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

fn process_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM")
}

fn current_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS")
}

/// `floor`: exactly the scenario's upstream calls (model, tool, model), no agent logic; prints
/// its own CPU per turn.
async fn floor(model: String, shop: String, turns: usize, concurrency: usize) -> Value {
    let client = reqwest::Client::new();
    let job = move || {
        let (client, model, shop) = (client.clone(), model.clone(), shop.clone());
        async move {
            let first: Value = client
                .post(format!("{model}/v1/chat/completions"))
                .json(&json!({"model": "bench-model", "messages": [{"role": "user", "content": QUESTION}]}))
                .send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
            let call = &first["choices"][0]["message"]["tool_calls"][0];
            let args: Value =
                serde_json::from_str(call["function"]["arguments"].as_str().unwrap_or("{}"))
                    .map_err(|e| e.to_string())?;
            let order = client
                .get(format!(
                    "{shop}/api/orders/{}?zip={}",
                    args["order_id"].as_str().unwrap_or_default(),
                    args["zip"].as_str().unwrap_or_default()
                ))
                .bearer_auth(SHOP_KEY)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .text()
                .await
                .map_err(|e| e.to_string())?;
            let answer: Value = client
                .post(format!("{model}/v1/chat/completions"))
                .json(&json!({"model": "bench-model", "messages": [
                    {"role": "user", "content": QUESTION},
                    first["choices"][0]["message"].clone(),
                    {"role": "tool", "tool_call_id": call["id"], "content": order},
                ]}))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            if answer["choices"][0]["message"]["content"]
                .as_str()
                .unwrap_or_default()
                .contains("shipped")
            {
                Ok(0.0)
            } else {
                Err("no answer".into())
            }
        }
    };
    let cpu_before = process_cpu(std::process::id());
    let (wall, latencies, _, errors) = load(turns, concurrency, job).await;
    let cpu = process_cpu(std::process::id()) - cpu_before;
    json!({
        "turns": turns, "seconds": wall, "turns_per_s": turns as f64 / wall,
        "p50_ms": percentile(&latencies, 0.5), "p99_ms": percentile(&latencies, 0.99),
        "cpu_ms_per_turn": cpu * 1000.0 / turns as f64, "errors": errors,
    })
}

/// The mocks process (model + shop, pinned to CPU 0) and a scratch folder holding a Switchboard
/// config that points at them; both go away on drop.
struct Mocks {
    child: Child,
    model: String,
    shop: String,
    dir: std::path::PathBuf,
}

impl Mocks {
    fn start(purpose: &str, pending_orders: usize) -> Self {
        let pending = pending_orders.to_string();
        let me = std::env::current_exe()
            .expect("own path")
            .display()
            .to_string();
        let mut child = pinned("0", &me, &["mocks", "--pending-orders", &pending])
            .stdout(Stdio::piped())
            .spawn()
            .expect("mocks start");
        let urls = json_line(&mut child);
        let model = urls["model"].as_str().unwrap_or_default().to_string();
        let shop = urls["shop"].as_str().unwrap_or_default().to_string();
        let dir =
            std::env::temp_dir().join(format!("switchboard-{purpose}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        std::fs::write(dir.join("bench.yaml"), bench_config(&model, &shop))
            .expect("the config is written");
        std::fs::write(dir.join("task.yaml"), task_config(&model)).expect("the config is written");
        Self {
            child,
            model,
            shop,
            dir,
        }
    }

    /// Starts `switchboard serve` with one of the scratch configs on a SQLite file next to it
    /// (or on the given database URL).
    fn serve(
        &self,
        switchboard: &str,
        config: &str,
        database: Option<&str>,
    ) -> (Child, String, u32) {
        let sqlite = format!(
            "sqlite://{}",
            self.dir.join(config.replace(".yaml", ".db")).display()
        );
        start_switchboard(
            switchboard,
            &self.dir.join(config).display().to_string(),
            database.unwrap_or(&sqlite),
            &self.vars(),
        )
    }

    /// The `${VAR}`s of the bench configs.
    fn vars(&self) -> Vec<(String, String)> {
        vec![
            ("BENCH_MODEL_KEY".to_string(), "bench-model-key".to_string()),
            ("BENCH_SHOP_KEY".to_string(), SHOP_KEY.to_string()),
            ("SHOP_URL".to_string(), self.shop.clone()),
            ("SHOP_API_KEY".to_string(), SHOP_KEY.to_string()),
            ("SHOP_WIDGET_SECRET".to_string(), WIDGET_SECRET.to_string()),
        ]
    }
}

impl Drop for Mocks {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Spawns a command pinned to `cpu` (when taskset exists).
fn pinned(cpu: &str, program: &str, args: &[&str]) -> Command {
    let mut command = if std::path::Path::new("/usr/bin/taskset").exists() {
        let mut c = Command::new("taskset");
        c.args(["-c", cpu, program]);
        c
    } else {
        Command::new(program)
    };
    command.args(args);
    command
}

fn json_line(child: &mut Child) -> Value {
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("piped stdout"))
        .read_line(&mut line)
        .expect("a line");
    serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"))
}

fn run_json(mut command: Command) -> Value {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .expect("the command runs");
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("{}"))
        .unwrap_or_else(|e| json!({"error": format!("{e}: {text}")}))
}

/// Starts `switchboard serve` on a store; returns the child (inside a taskset) and its URL.
// The caller kills and waits for the returned child.
#[allow(clippy::zombie_processes)]
fn start_switchboard(
    switchboard: &str,
    config: &str,
    database: &str,
    vars: &[(String, String)],
) -> (Child, String, u32) {
    let mut command = pinned(
        "1",
        switchboard,
        &[
            "serve",
            "--config",
            config,
            "--database-url",
            database,
            "--listen",
            "127.0.0.1:0",
            "--rate-per-ip",
            "1000000",
            "--rate-per-conversation",
            "1000000",
        ],
    );
    for (k, v) in vars {
        command.env(k, v);
    }
    let mut child = command
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("switchboard starts");
    let mut reader = BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = child.kill();
            let _ = child.wait();
            panic!("switchboard exited before listening");
        }
        if let Some(url) = line.trim().strip_prefix("switchboard listening on ") {
            let url = url.to_string();
            std::thread::spawn(move || for _ in reader.lines() {});
            // taskset execs the program: the child's pid is the server's.
            let pid = child.id();
            return (child, url, pid);
        }
    }
}

fn bench_config(model: &str, shop: &str) -> String {
    format!(
        r#"agent:
  name: bench-shop
  instructions: You are the support assistant of Acme Shop.
  model:
    provider: openai
    base_url: {model}/v1
    model: bench-model
    api_key: ${{BENCH_MODEL_KEY}}
    stream: false
outbound:
  allow_loopback: true
tools:
  - name: order_status
    description: Look up where an order is by order number and ZIP code.
    input:
      type: object
      properties:
        order_id: {{type: string, pattern: "^W\\d{{7}}$"}}
        zip: {{type: string, pattern: "^\\d{{5}}$"}}
      required: [order_id, zip]
    request:
      url: {shop}/api/orders/{{order_id}}?zip={{zip}}
      headers:
        Authorization: Bearer ${{BENCH_SHOP_KEY}}
"#
    )
}

async fn run(args: &[String]) {
    let turns: usize = arg(args, "--turns", "3000").parse().unwrap_or(3000);
    let concurrency: usize = arg(args, "--concurrency", "8").parse().unwrap_or(8);
    let sdk_turns: usize = arg(args, "--sdk-turns", "500").parse().unwrap_or(500);
    let switchboard = arg(args, "--switchboard", "target/release/switchboard");
    let python = arg(args, "--python", "bench/.venv/bin/python");
    let postgres = arg(
        args,
        "--postgres",
        "postgres://postgres@127.0.0.1:5432/postgres",
    );
    // Which rows to measure (all by default): sqlite, postgres, task, floor, sdk.
    let systems = arg(args, "--systems", "sqlite,postgres,task,floor,sdk");
    let wanted = |system: &str| systems.split(',').any(|s| s.trim() == system);
    // `--profile DIR`: `perf record` each measured Switchboard window into DIR.
    let profile = args
        .iter()
        .any(|a| a == "--profile")
        .then(|| arg(args, "--profile", "target/profile"));
    let me = std::env::current_exe()
        .expect("own path")
        .display()
        .to_string();

    // Rounds alternate the systems, so a slow spell of this shared machine hits all of them;
    // each row reports its median round (by CPU per turn).
    let rounds: usize = arg(args, "--rounds", "3").parse().unwrap_or(3).max(1);
    let conversations = turns / 2;
    // One pending order per task conversation and warm-up, in every round.
    let per_round = conversations + 50;
    let mocks = Mocks::start("bench", rounds * per_round);
    let (model, shop) = (mocks.model.clone(), mocks.shop.clone());

    let mut measured: Vec<(String, Vec<Value>)> = Vec::new();
    let mut keep = |name: &str, result: Value| match measured.iter_mut().find(|(n, _)| n == name) {
        Some((_, results)) => results.push(result),
        None => measured.push((name.to_string(), vec![result])),
    };
    for round in 1..=rounds {
        eprintln!("round {round} of {rounds}");
        let stores = [
            ("sqlite", "Switchboard (SQLite)", None),
            (
                "postgres",
                "Switchboard (PostgreSQL)",
                Some(postgres.as_str()),
            ),
        ];
        for (system, name, database) in stores {
            if !wanted(system) {
                continue;
            }
            eprintln!("  measuring {name} …");
            let (mut server, url, pid) = mocks.serve(&switchboard, "bench.yaml", database);
            let warmup = create_conversations(&url, 100).await;
            let _ = drive(url.clone(), warmup, concurrency).await;
            let ids = create_conversations(&url, turns).await;
            let recording = profile.as_deref().map(|dir| record(dir, system, pid));
            let cpu_before = process_cpu(pid);
            let mut result = drive(url, ids, concurrency).await;
            let cpu = process_cpu(pid) - cpu_before;
            stop_recording(recording);
            result["cpu_ms_per_turn"] = json!(cpu * 1000.0 / turns as f64);
            result["peak_rss_mib"] = json!(process_rss_kib(pid) as f64 / 1024.0);
            let _ = server.kill();
            let _ = server.wait();
            keep(name, result);
        }
        if wanted("task") {
            let name = "Switchboard task (SQLite)";
            eprintln!("  measuring {name} …");
            let (mut server, url, pid) = mocks.serve(&switchboard, "task.yaml", None);
            let first_order = (round - 1) * per_round;
            let warmup = create_verified(&url, 50).await;
            let _ = drive_task(
                url.clone(),
                warmup,
                first_order + conversations,
                concurrency,
            )
            .await;
            let ids = create_verified(&url, conversations).await;
            let recording = profile.as_deref().map(|dir| record(dir, "task", pid));
            let cpu_before = process_cpu(pid);
            let mut result = drive_task(url, ids, first_order, concurrency).await;
            let cpu = process_cpu(pid) - cpu_before;
            stop_recording(recording);
            result["cpu_ms_per_turn"] = json!(cpu * 1000.0 / (conversations * 2) as f64);
            result["peak_rss_mib"] = json!(process_rss_kib(pid) as f64 / 1024.0);
            let _ = server.kill();
            let _ = server.wait();
            keep(name, result);
        }
        if wanted("floor") {
            eprintln!("  measuring the floor …");
            // CPU time comes in 10 ms ticks: the floor, the cheapest per turn, runs more
            // turns so its figure is as precise as the others'.
            let floor_turns = (turns * 4).to_string();
            let mut floor = pinned(
                "1",
                &me,
                &[
                    "floor",
                    "--model",
                    &model,
                    "--shop",
                    &shop,
                    "--turns",
                    &floor_turns,
                    "--concurrency",
                    &concurrency.to_string(),
                ],
            );
            floor.stdout(Stdio::piped());
            keep("Floor (bare Rust client)", run_json(floor));
        }
        if wanted("sdk") {
            eprintln!("  measuring the OpenAI Agents SDK …");
            let mut sdk = pinned(
                "1",
                &python,
                &[
                    "bench/agents_sdk.py",
                    "--model",
                    &model,
                    "--shop",
                    &shop,
                    "--shop-key",
                    SHOP_KEY,
                    "--turns",
                    &sdk_turns.to_string(),
                    "--concurrency",
                    &concurrency.to_string(),
                ],
            );
            sdk.stdout(Stdio::piped());
            keep("OpenAI Agents SDK (Python)", run_json(sdk));
        }
    }
    // Ratios within each round (same minutes of the machine), then their median.
    let per_round = |name: &str| -> Vec<f64> {
        measured
            .iter()
            .find(|(n, _)| n.starts_with(name))
            .map(|(_, results)| {
                results
                    .iter()
                    .map(|r| r["cpu_ms_per_turn"].as_f64().unwrap_or(f64::NAN))
                    .collect()
            })
            .unwrap_or_default()
    };
    let paired = |over: &str, under: &str| -> (f64, String) {
        let (over, under) = (per_round(over), per_round(under));
        let mut ratios: Vec<f64> = over.iter().zip(&under).map(|(o, u)| o / u).collect();
        let each = ratios
            .iter()
            .map(|r| format!("{r:.1}"))
            .collect::<Vec<_>>()
            .join(" ");
        ratios.sort_by(f64::total_cmp);
        (
            ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN),
            each,
        )
    };
    let (sdk_ratio, sdk_rounds) = paired("OpenAI Agents SDK", "Switchboard (SQLite)");
    let (floor_ratio, floor_rounds) = paired("Switchboard (SQLite)", "Floor");
    let rows: Vec<(String, Value)> = measured
        .into_iter()
        .map(|(name, mut results)| {
            results.sort_by(|a, b| {
                let cpu = |r: &Value| r["cpu_ms_per_turn"].as_f64().unwrap_or(f64::MAX);
                cpu(a).total_cmp(&cpu(b))
            });
            let cpus: Vec<String> = results
                .iter()
                .map(|r| format!("{:.3}", r["cpu_ms_per_turn"].as_f64().unwrap_or(f64::NAN)))
                .collect();
            let mut median = results[results.len() / 2].clone();
            median["cpu_rounds"] = json!(cpus.join(" "));
            (name, median)
        })
        .collect();

    let cpu = |name: &str| {
        rows.iter()
            .find(|(n, _)| n.starts_with(name))
            .and_then(|(_, r)| r["cpu_ms_per_turn"].as_f64())
            .unwrap_or(f64::NAN)
    };
    let switchboard_cpu = cpu("Switchboard (SQLite)");
    println!(
        "lookup scenario: model → order_status (HTTP to the shop) → model; {turns} turns ({sdk_turns} for the SDK, {} for the floor), {concurrency} in flight; mocks answer at once; Switchboard's conversations are created before the measured window; {rounds} rounds, each row its median round\n",
        turns * 4
    );
    println!(
        "| system | turns/s | p50 ms | p99 ms | CPU ms/turn | CPU vs Switchboard (SQLite) | overhead p50 / p99 µs | peak RSS MiB | errors | CPU ms/turn, every round |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (name, r) in &rows {
        let num = |k: &str, digits: usize| {
            r[k].as_f64()
                .map(|v| format!("{v:.digits$}"))
                .unwrap_or_else(|| "—".into())
        };
        let overhead = if r["overhead_p50_us"].is_number() {
            format!(
                "{} / {}",
                num("overhead_p50_us", 0),
                num("overhead_p99_us", 0)
            )
        } else {
            "—".into()
        };
        let ratio = r["cpu_ms_per_turn"]
            .as_f64()
            .map(|c| format!("{:.1}×", c / switchboard_cpu))
            .unwrap_or_else(|| "—".into());
        println!(
            "| {name} | {} | {} | {} | {} | {ratio} | {overhead} | {} | {} | {} |",
            num("turns_per_s", 0),
            num("p50_ms", 2),
            num("p99_ms", 2),
            num("cpu_ms_per_turn", 3),
            num("peak_rss_mib", 0),
            r["errors"]
                .as_u64()
                .map(|e| e.to_string())
                .unwrap_or_else(|| r["error"].to_string()),
            r["cpu_rounds"].as_str().unwrap_or("—")
        );
    }
    println!(
        "\nCPU per lookup turn, median of the rounds' own ratios: Agents SDK / Switchboard (SQLite) {sdk_ratio:.1}× (target ≥ 30×; rounds: {sdk_rounds}); Switchboard (SQLite) / floor {floor_ratio:.1}× (target ≤ 3×; rounds: {floor_rounds})"
    );
}

/// Starts `perf record` (call graphs) on `pid`, writing `dir/name.perf.data`.
fn record(dir: &str, name: &str, pid: u32) -> Option<Child> {
    std::fs::create_dir_all(dir).ok()?;
    let output = format!("{dir}/{name}.perf.data");
    let child = Command::new("perf")
        .args(["record", "-e", "cpu-clock", "-g", "-o", &output, "-p"])
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    eprintln!("recording a profile into {output}");
    // perf needs a moment to attach before the window starts.
    std::thread::sleep(std::time::Duration::from_millis(500));
    Some(child)
}

/// Stops a `perf record` (SIGINT lets it write its file) and waits for it.
fn stop_recording(recording: Option<Option<Child>>) {
    if let Some(Some(mut child)) = recording {
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
}

/// `scale`: `conversations` open SSE subscriptions at once (one per conversation), then a
/// trickle of `turns` turns; each turn's subscriber must see its `done` event. Reports the
/// server's RSS and the errors.
async fn scale(args: &[String]) {
    let conversations: usize = arg(args, "--conversations", "10000")
        .parse()
        .unwrap_or(10_000);
    let turns: usize = arg(args, "--turns", "200").parse().unwrap_or(200);
    let switchboard = arg(args, "--switchboard", "target/release/switchboard");
    let mocks = Mocks::start("scale", 0);
    let (mut server, url, pid) = mocks.serve(&switchboard, "bench.yaml", None);
    let rss_idle = process_rss_kib(pid);
    eprintln!("creating {conversations} conversations …");
    let ids = create_conversations(&url, conversations).await;
    eprintln!("opening {conversations} SSE streams …");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("a client");
    let mut errors = 0usize;
    let mut streams = Vec::with_capacity(conversations);
    for (n, id) in ids.iter().enumerate() {
        match client
            .get(format!("{url}/v1/conversations/{id}/events"))
            .send()
            .await
        {
            Ok(response) if response.status().is_success() => streams.push((id.clone(), response)),
            _ => errors += 1,
        }
        if n % 1000 == 999 {
            eprint!("\r{} open", n + 1);
        }
    }
    eprintln!();
    let rss_open = current_rss_kib(pid);
    // A trickle of turns; each one's subscriber must see its `done` event.
    let mut missed = 0usize;
    let step = (streams.len() / turns.max(1)).max(1);
    let mut chosen: Vec<(String, reqwest::Response)> = Vec::new();
    let mut kept = Vec::with_capacity(streams.len());
    for (i, stream) in streams.into_iter().enumerate() {
        if i % step == 0 && chosen.len() < turns {
            chosen.push(stream);
        } else {
            kept.push(stream);
        }
    }
    eprintln!(
        "sending {} turns while every stream stays open …",
        chosen.len()
    );
    for (id, mut response) in chosen {
        let posted = client
            .post(format!("{url}/v1/conversations/{id}/messages"))
            .json(&json!({"text": QUESTION}))
            .send()
            .await;
        if !posted.is_ok_and(|r| r.status().is_success()) {
            errors += 1;
            continue;
        }
        let mut seen = String::new();
        let got_done = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while let Ok(Some(chunk)) = response.chunk().await {
                seen.push_str(&String::from_utf8_lossy(&chunk));
                if seen.contains("event: done") {
                    return true;
                }
            }
            false
        })
        .await
        .unwrap_or(false);
        if !got_done {
            missed += 1;
        }
    }
    let rss_peak = process_rss_kib(pid);
    drop(kept);
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "| open SSE streams | turns during | subscription errors | turns whose stream missed `done` | RSS idle MiB | RSS with streams open MiB | peak RSS MiB |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| {conversations} | {turns} | {errors} | {missed} | {:.0} | {:.0} | {:.0} |",
        rss_idle as f64 / 1024.0,
        rss_open as f64 / 1024.0,
        rss_peak as f64 / 1024.0
    );
}

/// `soak`: steady load for `minutes` (new conversations, one lookup turn each, at about
/// `rate` turns/s); samples the server's RSS every 30 s.
async fn soak(args: &[String]) {
    let minutes: f64 = arg(args, "--minutes", "10").parse().unwrap_or(10.0);
    let rate: f64 = arg(args, "--rate", "200").parse().unwrap_or(200.0);
    let switchboard = arg(args, "--switchboard", "target/release/switchboard");
    let mocks = Mocks::start("soak", 0);
    let (mut server, url, pid) = mocks.serve(&switchboard, "bench.yaml", None);
    let started = Instant::now();
    let end = std::time::Duration::from_secs_f64(minutes * 60.0);
    let mut next_sample = std::time::Duration::ZERO;
    let mut samples = Vec::new();
    let (mut turns, mut errors) = (0usize, 0usize);
    let batch = (rate / 10.0).max(1.0) as usize;
    while started.elapsed() < end {
        if started.elapsed() >= next_sample {
            samples.push((started.elapsed().as_secs(), current_rss_kib(pid)));
            eprintln!(
                "t={:>4}s turns={turns} errors={errors} rss={} MiB",
                started.elapsed().as_secs(),
                current_rss_kib(pid) / 1024
            );
            next_sample += std::time::Duration::from_secs(30);
        }
        let tick = Instant::now();
        let ids = create_conversations(&url, batch).await;
        let result = drive(url.clone(), ids, 8).await;
        turns += batch;
        errors += result["errors"].as_u64().unwrap_or(0) as usize;
        if let Some(rest) = std::time::Duration::from_millis(100).checked_sub(tick.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }
    samples.push((started.elapsed().as_secs(), current_rss_kib(pid)));
    let _ = server.kill();
    let _ = server.wait();
    println!("soak: {minutes} min at ~{rate} turns/s: {turns} turns, {errors} errors\n");
    println!("| t (s) | RSS MiB |\n| ---: | ---: |");
    for (t, rss) in samples {
        println!("| {t} | {:.1} |", rss as f64 / 1024.0);
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("mocks") => mocks(arg(&args, "--pending-orders", "0").parse().unwrap_or(0))
            .await
            .expect("the mocks run"),
        Some("drive") => {
            let server = arg(&args, "--server", "http://127.0.0.1:8080");
            let ids = create_conversations(
                &server,
                arg(&args, "--turns", "1000").parse().unwrap_or(1000),
            )
            .await;
            let result = drive(
                server,
                ids,
                arg(&args, "--concurrency", "8").parse().unwrap_or(8),
            )
            .await;
            println!("{result}");
        }
        Some("floor") => {
            let result = floor(
                arg(&args, "--model", ""),
                arg(&args, "--shop", ""),
                arg(&args, "--turns", "1000").parse().unwrap_or(1000),
                arg(&args, "--concurrency", "8").parse().unwrap_or(8),
            )
            .await;
            println!("{result}");
        }
        Some("run") => run(&args).await,
        Some("scale") => scale(&args).await,
        Some("soak") => soak(&args).await,
        _ => println!(
            "usage: switchboard-bench run [--turns N] [--concurrency C] [--sdk-turns N] [--rounds N] [--systems sqlite,postgres,task,floor,sdk] [--profile DIR] [--switchboard PATH] [--python PATH] [--postgres URL]\n       \
             switchboard-bench mocks | drive --server URL | floor --model URL --shop URL\n\n\
             `bench/run` builds in release mode, installs the Python baseline and runs `run`."
        ),
    }
}
