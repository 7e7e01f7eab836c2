//! `customer-sim`: a held-out customer simulator for Switchboard's retail agent.
//!
//! It plays τ²-retail customers — written independently of the engine, the way customers write —
//! against `switchboard serve` over its HTTP API, and judges the retail backend's state after
//! each conversation. See `tests/customers/README.md`.

mod agent;
mod cases;
mod customer;
mod data;
mod judge;
mod lang;
mod report;
mod rng;
mod servers;
mod speech;

use anyhow::{Context, Result, bail};
use cases::Case;
use clap::Parser;
use customer::{Customer, End, Style, Turn};
use data::{Data, WRITE_TOOLS};
use lang::Lang;
use rng::Rng;
use serde::Serialize;
use serde_json::Value;
use servers::Stack;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "customer-sim",
    about = "Held-out τ²-retail customers against `switchboard serve`"
)]
pub struct Args {
    /// Where `retail-backend` and `switchboard` are (relative paths: from the current folder, else the workspace root).
    #[arg(long, default_value = "target/debug")]
    bin_dir: PathBuf,
    /// The agent config to serve.
    #[arg(long, default_value = "examples/retail/switchboard.yaml")]
    config: PathBuf,
    /// db.json, tasks.json, expected.json.
    #[arg(long, default_value = "examples/retail/data")]
    data_dir: PathBuf,
    /// Use this running retail backend (needs --server-url too) instead of starting one.
    #[arg(long, requires = "server_url")]
    backend_url: Option<String>,
    /// Use this running `switchboard serve` (serving the retail agent against --backend-url).
    #[arg(long, requires = "backend_url")]
    server_url: Option<String>,
    /// Runs per case (phrasing drawn anew each run); pass^N = passed in every run.
    #[arg(long, default_value_t = 4)]
    runs: u32,
    /// Base seed; run r uses a seed derived from it.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run only K cases, drawn deterministically.
    #[arg(long)]
    sample: Option<usize>,
    /// Only this τ² task id (or case id).
    #[arg(long)]
    task: Option<String>,
    /// Only this style: step, front, casual, correction, no_then_yes.
    #[arg(long)]
    style: Option<String>,
    /// Only this language: en, de, fr, es, nl.
    #[arg(long)]
    lang: Option<String>,
    /// Only positive or negative cases.
    #[arg(long, value_parser = ["positive", "negative"])]
    kind: Option<String>,
    /// Print one JSON object per case and run on stdout.
    #[arg(long)]
    json: bool,
    /// Write a Markdown report.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Write each failing conversation as text into this folder.
    #[arg(long)]
    transcripts: Option<PathBuf>,
    /// Gate: share of positive cases that must pass in every run.
    #[arg(long, default_value_t = 0.95)]
    min_positive_pass: f64,
    /// Gate: share of negative cases that must leave the state unchanged in every run.
    #[arg(long, default_value_t = 1.0)]
    min_negative_pass: f64,
    /// Always exit 0.
    #[arg(long)]
    report_only: bool,
    /// Parallel backend+server pairs (ignored with --server-url).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Customer turns per conversation at most.
    #[arg(long, default_value_t = 30)]
    max_turns: usize,
    /// One progress line per case on stderr.
    #[arg(long)]
    verbose: bool,
    /// Self-check instead of customers: apply each task's gold writes straight to the backend
    /// and judge them (every expected record must be reachable and pass the judge).
    #[arg(long)]
    check_judge: bool,
}

#[derive(Serialize, Clone, Debug)]
pub struct Outcome {
    pub case: String,
    pub kind: &'static str,
    pub task: Option<String>,
    pub categories: Vec<String>,
    pub style: Style,
    pub lang: Lang,
    pub run: u32,
    pub seed: u64,
    pub passed: bool,
    pub turns: usize,
    pub end: End,
    /// The customer recognised a confirmation question.
    pub reached_confirm: bool,
    /// An identifying lookup succeeded (from the turn events; diagnostics only).
    pub identified: bool,
    /// A write tool was called.
    pub write_called: bool,
    /// A write tool call succeeded.
    pub write_ok: bool,
    pub detail: Vec<String>,
    pub signature: String,
    pub error: Option<String>,
    pub secs: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Vec<String>>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn resolve(p: &Path) -> PathBuf {
    if p.is_absolute() || p.exists() {
        p.to_path_buf()
    } else {
        workspace_root().join(p)
    }
}

/// Shortens and generalises an agent reply into a failure pattern.
pub fn normalise(reply: &str) -> String {
    let mut out = String::new();
    let mut chars = reply.trim().chars().peekable();
    let mut in_quote = false;
    while let Some(c) = chars.next() {
        if matches!(c, '"' | '“' | '”' | '«' | '»' | '„') {
            let opening = matches!(c, '“' | '«' | '„') || (c == '"' && !in_quote);
            if opening && !in_quote {
                out.push_str("\"…\"");
                in_quote = true;
            } else {
                in_quote = false;
            }
            continue;
        }
        if in_quote {
            continue;
        }
        if c.is_ascii_digit() {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            out.push('N');
            continue;
        }
        if c == '\n' {
            out.push_str(" / ");
            continue;
        }
        out.push(c);
    }
    let out = out
        .split_whitespace()
        .map(|w| if w.contains('@') { "EMAIL" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    let out = out.replace("#WN", "#W…").replace("WN", "#W…");
    if out.chars().count() > 110 {
        format!("{}…", out.chars().take(110).collect::<String>())
    } else {
        out
    }
}

fn event_lines(events: &Value, out: &mut Vec<String>, flags: &mut (bool, bool, bool)) {
    let Some(list) = events.as_array() else {
        return;
    };
    for e in list {
        let tool = e["tool"].as_str().unwrap_or("");
        match e["type"].as_str().unwrap_or("") {
            "tool_call_started" => {
                if WRITE_TOOLS.contains(&tool) {
                    flags.1 = true;
                }
                let args = e["arguments"].to_string();
                out.push(format!("    [call {tool} {args}]"));
            }
            "tool_call_finished" => {
                let status = e["status"].as_str().unwrap_or("?");
                if status == "ok" && tool.starts_with("find_user_id") {
                    flags.0 = true;
                }
                if status == "ok" && WRITE_TOOLS.contains(&tool) {
                    flags.2 = true;
                }
                let err = e["error"]
                    .as_str()
                    .map(|x| format!(": {x}"))
                    .unwrap_or_default();
                out.push(format!("    [{tool} → {status}{err}]"));
            }
            "task_started" => out.push(format!(
                "    [task {} started]",
                e["task"].as_str().unwrap_or("?")
            )),
            "task_finished" => out.push(format!(
                "    [task {} {}]",
                e["task"].as_str().unwrap_or("?"),
                e["outcome"].as_str().unwrap_or("?")
            )),
            _ => {}
        }
    }
}

struct Ctx {
    data: Data,
    initial_text: String,
    initial: Value,
    max_turns: usize,
}

async fn run_case(
    ctx: &Ctx,
    client: &reqwest::Client,
    stack: &Stack,
    case: &Case,
    run: u32,
    run_seed: u64,
) -> Outcome {
    let start = Instant::now();
    let seed = Rng::derive(run_seed, &case.id).next_u64();
    let mut out = Outcome {
        case: case.id.clone(),
        kind: if case.positive() {
            "positive"
        } else {
            "negative"
        },
        task: case.task.clone(),
        categories: case.categories.clone(),
        style: case.style,
        lang: case.lang,
        run,
        seed,
        passed: false,
        turns: 0,
        end: End::MaxTurns,
        reached_confirm: false,
        identified: false,
        write_called: false,
        write_ok: false,
        detail: Vec::new(),
        signature: String::new(),
        error: None,
        secs: 0.0,
        transcript: None,
    };
    let mut transcript = Vec::new();
    let mut first_trouble = None;
    let mut trouble_after = None;
    let mut last_reply = String::new();
    let result: Result<()> = async {
        // A backend last seen exactly in its initial state needs no reset (its own worker is the
        // only client); otherwise reset.
        let clean = stack.clean.swap(false, Ordering::SeqCst);
        if !clean {
            stack.reset(client).await?;
        }
        let before = match (case.positive(), clean) {
            (true, _) => None,
            (false, true) => Some(ctx.initial_text.clone()),
            (false, false) => Some(stack.state(client).await?),
        };
        let mut rng = Rng::new(seed);
        let plan = case.plan(&ctx.data, &mut rng);
        // A customer with several requests gets more turns: 12 per extra request.
        let max_turns = ctx.max_turns + 12 * plan.requests.len().saturating_sub(1);
        let mut customer = Customer::new(plan, case.style, case.lang, rng.next_u64());
        let conv = stack.open(client).await?;
        let mut msg = customer.opening();
        let mut replies: Vec<String> = Vec::new();
        let mut flags = (false, false, false);
        let end = loop {
            transcript.push(format!("customer: {msg}"));
            let resp = stack.message(client, &conv, &msg).await?;
            out.turns += 1;
            let reply = resp["reply"].as_str().unwrap_or("").to_string();
            event_lines(&resp["events"], &mut transcript, &mut flags);
            transcript.push(format!("agent: {reply}"));
            let handoff = !resp["handoff"].is_null();
            // Replies compared without what they quote back (an echo of the customer's words).
            replies.push(normalise(&reply));
            last_reply = reply.clone();
            let n = replies.len();
            let turn = customer.respond(&reply, handoff);
            if let Turn::End(e) = turn {
                break e;
            }
            // A customer gives up on an agent that keeps saying the same thing: three times in a
            // row, or four times within its last eight replies.
            let recent = &replies[n.saturating_sub(8)..];
            let key = &replies[n - 1];
            let same = recent.iter().filter(|r| *r == key).count();
            if (n >= 3 && replies[n - 2] == *key && replies[n - 3] == *key) || same >= 4 {
                break End::Stuck;
            }
            if out.turns >= max_turns {
                break End::MaxTurns;
            }
            if let Turn::Say(m) = turn {
                msg = m;
            }
        };
        out.end = end;
        out.reached_confirm = customer.reached_confirm;
        first_trouble = customer.first_trouble.clone();
        trouble_after = customer.trouble_after.clone();
        (out.identified, out.write_called, out.write_ok) = flags;
        let after = stack.state(client).await?;
        if after == ctx.initial_text {
            stack.clean.store(true, Ordering::SeqCst);
        }
        let verdict = match (&before, &case.task) {
            (Some(b), _) => judge::negative(b, &after),
            (None, Some(task)) => judge::positive(
                &ctx.initial,
                &ctx.initial_text,
                &after,
                &ctx.data.expected[task],
            ),
            (None, None) => bail!("a positive case without a task"),
        };
        out.passed = verdict.passed;
        out.detail = verdict.detail;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        out.passed = false;
        let mut err = format!("{e:#}");
        if let Some(p) = stack.last_panic() {
            err = format!("{err} — the server log: {p}");
        }
        out.error = Some(err);
    }
    out.secs = start.elapsed().as_secs_f64();
    if !out.passed {
        out.signature = if let Some(e) = &out.error {
            match e.split_once("the server log: ") {
                Some((_, p)) => format!("server error: {}", normalise(p)),
                None => "harness error".to_string(),
            }
        } else if !case.positive() {
            format!(
                "state changed: {}",
                out.detail.first().map(|d| normalise(d)).unwrap_or_default()
            )
        } else {
            let what = if out
                .detail
                .iter()
                .any(|d| d.starts_with("unexpected") || d.starts_with("record"))
            {
                format!(
                    "wrong write: {}",
                    out.detail
                        .iter()
                        .find(|d| d.starts_with("unexpected") || d.starts_with("record"))
                        .map(|d| normalise(d.split(": want").next().unwrap_or(d)))
                        .unwrap_or_default()
                )
            } else if out.write_ok {
                "incomplete or wrong write".to_string()
            } else {
                "no write".to_string()
            };
            match (&first_trouble, &trouble_after) {
                (Some(at), Some(after)) => format!("{what}: after {after} → {}", normalise(at)),
                _ => format!("{what}: the agent kept at → {}", normalise(&last_reply)),
            }
        };
        out.transcript = Some(transcript);
    }
    out
}

pub fn end_name(e: End) -> &'static str {
    match e {
        End::Done => "customer thought done",
        End::Handoff => "handoff",
        End::Refused => "refused",
        End::GaveUp => "gave up",
        End::Stuck => "agent repeated itself",
        End::MaxTurns => "turn limit",
        End::Scripted => "script end",
    }
}

#[tokio::main]
async fn main() {
    match real_main().await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("customer-sim: {e:#}");
            std::process::exit(2);
        }
    }
}

async fn real_main() -> Result<i32> {
    let args = Args::parse();
    let started = Instant::now();
    let data = Data::load(&resolve(&args.data_dir))?;
    let mut cases = cases::positives(&data)?;
    cases.extend(cases::negatives(&data));
    if let Some(t) = &args.task {
        cases.retain(|c| c.task.as_deref() == Some(t.as_str()) || c.id == *t);
    }
    if let Some(s) = &args.style {
        let st = Style::parse(s).with_context(|| format!("unknown style {s}"))?;
        cases.retain(|c| c.style == st);
    }
    if let Some(l) = &args.lang {
        let lang = Lang::parse(l).with_context(|| format!("unknown language {l}"))?;
        cases.retain(|c| c.lang == lang);
    }
    if let Some(k) = &args.kind {
        cases.retain(|c| c.positive() == (k == "positive"));
    }
    if let Some(k) = args.sample {
        cases = cases::sample(cases, k);
    }
    if cases.is_empty() {
        bail!("no case matches the filters");
    }
    let n_pos = cases.iter().filter(|c| c.positive()).count();
    eprintln!(
        "customer-sim: {} cases ({} positive, {} negative) × {} runs",
        cases.len(),
        n_pos,
        cases.len() - n_pos,
        args.runs
    );

    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()?;
    let mut stacks = Vec::new();
    if let (Some(b), Some(s)) = (&args.backend_url, &args.server_url) {
        stacks.push(Arc::new(Stack::given(b, s)));
    } else {
        let bin_dir = resolve(&args.bin_dir);
        let config = resolve(&args.config);
        for n in 0..args.jobs.max(1) {
            stacks.push(Arc::new(Stack::start(&client, &bin_dir, &config, n).await?));
        }
    }
    let _guard = Guard(stacks.clone());
    stacks[0].reset(&client).await?;
    let initial_text = stacks[0].state(&client).await?;
    let initial: Value = serde_json::from_str(&initial_text).context("parsing /state")?;
    let ctx = Arc::new(Ctx {
        data,
        initial_text,
        initial,
        max_turns: args.max_turns,
    });
    if args.check_judge {
        return check_judge(&ctx, &client, &stacks[0]).await;
    }
    let cases = Arc::new(cases);
    let mut queue = VecDeque::new();
    for run in 0..args.runs {
        for i in 0..cases.len() {
            queue.push_back((run, i));
        }
    }
    let total = queue.len();
    let queue = Arc::new(Mutex::new(queue));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outcome>();
    let base_seed = args.seed;
    for stack in &stacks {
        let (stack, queue, tx, ctx, cases, client) = (
            stack.clone(),
            queue.clone(),
            tx.clone(),
            ctx.clone(),
            cases.clone(),
            client.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Some((run, i)) = queue.lock().expect("queue").pop_front() else {
                    break;
                };
                let run_seed = Rng::derive(base_seed, &format!("run{run}")).next_u64();
                let o = run_case(&ctx, &client, &stack, &cases[i], run, run_seed).await;
                if tx.send(o).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(total);
    let mut interrupted = false;
    loop {
        tokio::select! {
            o = rx.recv() => {
                let Some(o) = o else { break };
                if args.json {
                    println!("{}", serde_json::to_string(&o)?);
                }
                if let (Some(dir), false) = (&args.transcripts, o.passed) {
                    std::fs::create_dir_all(dir)?;
                    let path = dir.join(format!("{}-run{}.txt", o.case, o.run));
                    let mut text = format!(
                        "case {} run {} seed {} ({} {} {})\nresult: {}\n",
                        o.case, o.run, o.seed, o.style.name(), o.lang.code(), o.categories.join("+"),
                        o.detail.join("; ")
                    );
                    if let Some(e) = &o.error {
                        text.push_str(&format!("error: {e}\n"));
                    }
                    text.push_str(&format!("end: {}\n\n", end_name(o.end)));
                    for l in o.transcript.iter().flatten() {
                        text.push_str(l);
                        text.push('\n');
                    }
                    std::fs::write(path, text)?;
                }
                outcomes.push(o);
                let done = outcomes.len();
                let last = outcomes.last().expect("just pushed");
                if args.verbose {
                    eprintln!(
                        "[{done}/{total}] {} run {}: {} ({} turns, {}, {:.1}s){}",
                        last.case,
                        last.run,
                        if last.passed { "pass" } else { "FAIL" },
                        last.turns,
                        end_name(last.end),
                        last.secs,
                        last.error.as_deref().map(|e| format!(" error: {e}")).unwrap_or_default()
                    );
                } else if done.is_multiple_of(50) || done == total {
                    let passed = outcomes.iter().filter(|o| o.passed).count();
                    eprintln!(
                        "[{done}/{total}] {:.0}s, {passed} passed so far",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
            _ = tokio::signal::ctrl_c() => {
                interrupted = true;
                break;
            }
        }
    }
    if interrupted {
        eprintln!("customer-sim: interrupted; stopping the servers");
        for s in &stacks {
            s.kill();
        }
        return Ok(130);
    }
    let (mut backend_cpu, mut server_cpu) = (0.0, 0.0);
    for s in &stacks {
        let (b, sv) = s.cpu();
        backend_cpu += b;
        server_cpu += sv;
        s.kill();
    }
    let own_cpu = servers::proc_cpu(0);
    if backend_cpu + server_cpu > 0.0 {
        eprintln!(
            "customer-sim: CPU {:.0} s (backends {backend_cpu:.0} s, servers {server_cpu:.0} s, customers {own_cpu:.0} s): about {:.0} s of wall time on 2 idle cores",
            backend_cpu + server_cpu + own_cpu,
            (backend_cpu + server_cpu + own_cpu) / 2.0
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    let summary = report::summarise(&cases, &outcomes, args.runs);
    if let Some(path) = &args.markdown {
        let md = report::markdown(&cases, &outcomes, &summary, args.runs, args.seed, elapsed);
        std::fs::write(path, md).with_context(|| format!("writing {}", path.display()))?;
    }
    let errors = outcomes.iter().filter(|o| o.error.is_some()).count();
    if errors > 0 {
        eprintln!("customer-sim: {errors} case runs hit a harness error (counted as failures)");
    }
    eprintln!(
        "customer-sim: {} case runs in {:.0}s",
        outcomes.len(),
        elapsed
    );
    let s = &summary;
    println!(
        "customers-positive: {}/{} passed in all {} runs ({:.1}%), pass^1 {}/{} runs ({:.1}%)",
        s.pos_pass_n,
        s.pos_cases,
        args.runs,
        pct(s.pos_pass_n, s.pos_cases),
        s.pos_runs_passed,
        s.pos_runs,
        pct(s.pos_runs_passed, s.pos_runs)
    );
    println!(
        "customers-negative: {}/{} unchanged in all {} runs ({:.1}%), {}/{} runs unchanged",
        s.neg_pass_n,
        s.neg_cases,
        args.runs,
        pct(s.neg_pass_n, s.neg_cases),
        s.neg_runs_passed,
        s.neg_runs
    );
    let passed = s.pos_pass_n + s.neg_pass_n;
    let failed = s.pos_cases + s.neg_cases - passed;
    println!("customers: {passed} passed, {failed} failed");
    let pos_ok =
        s.pos_cases == 0 || (s.pos_pass_n as f64 / s.pos_cases as f64) >= args.min_positive_pass;
    let neg_ok =
        s.neg_cases == 0 || (s.neg_pass_n as f64 / s.neg_cases as f64) >= args.min_negative_pass;
    Ok(if args.report_only || (pos_ok && neg_ok && errors == 0) {
        0
    } else {
        1
    })
}

/// Applies every task's gold writes directly to the backend and judges the result.
async fn check_judge(ctx: &Ctx, client: &reqwest::Client, stack: &Stack) -> Result<i32> {
    let mut failed = 0;
    let mut checked = 0;
    for task in &ctx.data.tasks {
        let id = data::s(&task["id"]);
        if data::knowledge(&ctx.data, task)?.is_none() {
            continue;
        }
        checked += 1;
        stack.reset(client).await?;
        for a in task["actions"].as_array().into_iter().flatten() {
            let name = a["name"].as_str().unwrap_or("");
            if !WRITE_TOOLS.contains(&name) {
                continue;
            }
            let mut body = a["arguments"].clone();
            let order = data::s(&body["order_id"]).replace('#', "%23");
            let path = match name {
                "cancel_pending_order" => format!("/orders/{order}/cancel"),
                "modify_pending_order_address" => format!("/orders/{order}/address"),
                "modify_pending_order_payment" => format!("/orders/{order}/payment"),
                "modify_pending_order_items" => format!("/orders/{order}/items"),
                "exchange_delivered_order_items" => format!("/orders/{order}/exchange"),
                "return_delivered_order_items" => format!("/orders/{order}/return"),
                _ => format!("/users/{}/address", data::s(&body["user_id"])),
            };
            if let Some(m) = body.as_object_mut() {
                m.remove("order_id");
                if name == "modify_user_address" {
                    m.remove("user_id");
                }
            }
            servers::send(
                client,
                reqwest::Method::POST,
                &format!("{}{path}", stack.backend),
                Some(&body),
                None,
            )
            .await?;
        }
        let after = stack.state(client).await?;
        let v = judge::positive(
            &ctx.initial,
            &ctx.initial_text,
            &after,
            &ctx.data.expected[&id],
        );
        if !v.passed {
            failed += 1;
            println!("task {id}: {}", v.detail.join("; "));
        }
    }
    println!(
        "judge self-check: {} of {checked} tasks pass with their gold writes",
        checked - failed
    );
    Ok(i32::from(failed > 0))
}

/// Stops the servers on every way out of `real_main`.
struct Guard(Vec<Arc<Stack>>);

impl Drop for Guard {
    fn drop(&mut self) {
        for s in &self.0 {
            s.kill();
        }
    }
}

pub fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn patterns_drop_echoes_and_numbers() {
        assert_eq!(
            normalise(
                "“just my bookshelf” doesn't look like a valid item ids. Which order? (#W0000000)"
            ),
            normalise(
                "“my Bookshelf and the Jigsaw Puzzle” doesn't look like a valid item ids. Which order? (#W1234567)"
            )
        );
        assert_eq!(
            normalise("Order #W1234567 is cancelled."),
            "Order #W… is cancelled."
        );
    }
}
