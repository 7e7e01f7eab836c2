//! `crash-harness`: SIGKILL `switchboard serve` at random points across many task
//! conversations and check exactly-once, no loss and resolution of every sent write.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use crash_harness::postgres;
use crash_harness::run::{self, RunOptions, StoreKind, StoreReport};

/// Which stores to run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Stores {
    Sqlite,
    Postgres,
    Both,
}

/// Kill `switchboard serve` with SIGKILL at random points while customers cancel orders
/// (structured and instruction tasks), restart it on the same store, and check: no duplicate
/// effective write, no lost conversation, every sent write resolved, no false "done" or
/// "stopped". Exits 1 on any violation.
#[derive(Parser, Debug)]
#[command(name = "crash-harness", version)]
struct Args {
    /// Seeds the customers, the delays and the kill plan (same seed, same plan).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Conversations per store.
    #[arg(long, default_value_t = 1000)]
    conversations: usize,
    /// Conversations at once.
    #[arg(long, default_value_t = 24)]
    concurrency: usize,
    /// Longest pause of a customer between messages, in milliseconds (longer conversations
    /// meet more kills).
    #[arg(long, default_value_t = 100)]
    think_ms: u64,
    /// Longest time the server runs between two kills, in milliseconds.
    #[arg(long, default_value_t = 700)]
    max_uptime_ms: u64,
    /// SIGKILLs per store (default: one per 8 conversations; fewer if the customers finish
    /// first).
    #[arg(long)]
    kills: Option<u32>,
    /// The stores to run on.
    #[arg(long, value_enum, default_value_t = Stores::Both)]
    store: Stores,
    /// The `switchboard` binary (default: the one next to this binary).
    #[arg(long)]
    switchboard: Option<PathBuf>,
    /// Where the SQLite file and the server logs go (default: a new temporary folder, removed
    /// when the run passes).
    #[arg(long)]
    workdir: Option<PathBuf>,
    /// Fail (instead of skipping it, loudly) when PostgreSQL cannot be reached.
    #[arg(long)]
    require_postgres: bool,
    /// Print the figures as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// No progress lines.
    #[arg(long)]
    quiet: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run_all(Args::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("crash-harness: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run_all(args: Args) -> anyhow::Result<ExitCode> {
    let binary = match args.switchboard.clone() {
        Some(path) => path,
        None => crash_harness::server::sibling_binary().context(
            "no `switchboard` binary next to crash-harness: build it (cargo build -p switchboard-cli) or pass --switchboard",
        )?,
    };
    let temporary = args.workdir.is_none();
    let workdir = args.workdir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "crash-harness-{}-{}",
            args.seed,
            std::process::id()
        ))
    });
    std::fs::create_dir_all(&workdir)
        .with_context(|| format!("cannot create {}", workdir.display()))?;
    let options = RunOptions {
        seed: args.seed,
        conversations: args.conversations,
        concurrency: args.concurrency,
        kills: args
            .kills
            .unwrap_or((args.conversations as u32).div_ceil(8)),
        think_ms: args.think_ms,
        max_uptime_ms: args.max_uptime_ms,
        binary,
        workdir: workdir.clone(),
        progress: !args.quiet,
    };
    let stores: &[StoreKind] = match args.store {
        Stores::Sqlite => &[StoreKind::Sqlite],
        Stores::Postgres => &[StoreKind::Postgres],
        Stores::Both => &[StoreKind::Sqlite, StoreKind::Postgres],
    };
    let mut reports = Vec::new();
    for &store in stores {
        let report = match store {
            StoreKind::Sqlite => {
                let file = workdir.join("switchboard.db");
                let _ = std::fs::remove_file(&file);
                run::run(&options, store, &format!("sqlite://{}", file.display())).await?
            }
            StoreKind::Postgres => {
                let name = format!("crash_harness_{}_{}", args.seed, std::process::id());
                match postgres::create_database(&name).await {
                    Ok(url) => {
                        let report = run::run(&options, store, &url).await?;
                        if report.verdict.passed() {
                            postgres::drop_database(&name).await;
                        } else {
                            eprintln!("crash-harness: the database {name} is kept for inspection");
                        }
                        report
                    }
                    Err(reason) if !args.require_postgres => {
                        eprintln!("!!! crash-harness: PostgreSQL SKIPPED, NOT TESTED: {reason}");
                        StoreReport::skipped(store, reason)
                    }
                    Err(reason) => anyhow::bail!("PostgreSQL is required: {reason}"),
                }
            }
        };
        for violation in report.verdict.violations.iter().take(30) {
            eprintln!("violation [{}]: {violation}", report.store);
        }
        println!("{}", report.summary());
        reports.push(report);
    }
    let passed = reports.iter().all(|r| r.verdict.passed());
    if args.json {
        println!(
            "{}",
            serde_json::json!({"seed": args.seed, "conversations_per_store": args.conversations, "passed": passed, "stores": reports})
        );
    }
    if passed && temporary {
        let _ = std::fs::remove_dir_all(&workdir);
    } else if !passed {
        eprintln!(
            "crash-harness: logs and the SQLite file are in {}",
            workdir.display()
        );
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
