//! One run on one store: start the mocks and the server, play the customers while a killer
//! SIGKILLs the server at random points and restarts it, then read back the store and judge.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use crate::backend::{Backend, Slowness};
use crate::customer::{Customer, Shared};
use crate::model::ScriptedModel;
use crate::rng::Rng;
use crate::server::{Server, ServerSpec, free_port};
use crate::verdict::{self, Claim, StoredConversation, Verdict, claim_of};

/// The store a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// A SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

/// What a run does.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Seeds customers, backend delays, the model's delays and the kill plan.
    pub seed: u64,
    /// Conversations on this store.
    pub conversations: usize,
    /// Conversations at once.
    pub concurrency: usize,
    /// Kills to make (fewer when the customers finish first).
    pub kills: u32,
    /// The `switchboard` binary.
    pub binary: PathBuf,
    /// Where the store file and the server log go.
    pub workdir: PathBuf,
    /// Longest pause of a customer between messages, in milliseconds.
    pub think_ms: u64,
    /// Longest time the server runs between two kills, in milliseconds.
    pub max_uptime_ms: u64,
    /// Print progress to stderr.
    pub progress: bool,
}

/// Where the kills landed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KillPoints {
    /// While the backend held a write.
    pub backend_holding_a_write: u32,
    /// While a customer's request was being answered.
    pub mid_turn: u32,
    /// With no request in flight.
    pub between_requests: u32,
    /// At a random moment.
    pub random_time: u32,
}

/// The outcome of a run on one store.
#[derive(Clone, Debug, Serialize)]
pub struct StoreReport {
    /// `sqlite` or `postgres`.
    pub store: String,
    /// Why the store was not run, if it was not.
    pub skipped: Option<String>,
    /// SIGKILLs.
    pub kills: u32,
    /// Where they landed.
    pub kill_points: KillPoints,
    /// Wall time in seconds.
    pub runtime_secs: f64,
    /// The verdict.
    pub verdict: Verdict,
}

impl StoreReport {
    /// A store that was not run, with the reason.
    pub fn skipped(store: StoreKind, reason: String) -> Self {
        Self {
            store: store_name(store).into(),
            skipped: Some(reason),
            kills: 0,
            kill_points: KillPoints::default(),
            runtime_secs: 0.0,
            verdict: Verdict::default(),
        }
    }

    /// The one-line summary.
    pub fn summary(&self) -> String {
        if let Some(reason) = &self.skipped {
            return format!("crash-harness {}: SKIPPED — {reason}", self.store);
        }
        let f = &self.verdict.figures;
        format!(
            "crash-harness {}: conversations {} (finished {}), kills {}, writes sent {} / effective {} / duplicates {}, lost {}, lost turns {}, unresolved {}, false done {}, false stopped {}, handed off {} — {} ({:.0} s)",
            self.store,
            f.conversations,
            f.finished,
            self.kills,
            f.writes_sent,
            f.writes_effective,
            f.duplicates,
            f.lost,
            f.lost_turns,
            f.unresolved,
            f.false_done,
            f.false_stopped,
            f.handed_off,
            if self.verdict.passed() {
                "PASS"
            } else {
                "FAIL"
            },
            self.runtime_secs
        )
    }
}

/// `sqlite` or `postgres`.
pub fn store_name(store: StoreKind) -> &'static str {
    match store {
        StoreKind::Sqlite => "sqlite",
        StoreKind::Postgres => "postgres",
    }
}

const ADMIN_KEY: &str = "crash-harness-admin-key-0123456789";
const CHANNEL_KEY: &str = "crash-harness-channel-key-0123456789";
const BACKEND_KEY: &str = "crash-harness-backend-key-0123456789";
const MODEL_KEY: &str = "crash-harness-model-key-0123456789";

fn config_paths() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    vec![dir.join("structured.yaml"), dir.join("instruction.yaml")]
}

/// Runs the customers against `database_url` while killing the server, then judges.
pub async fn run(
    options: &RunOptions,
    store: StoreKind,
    database_url: &str,
) -> anyhow::Result<StoreReport> {
    let started = Instant::now();
    let name = store_name(store);
    let backend = Backend::new(
        BACKEND_KEY,
        options.seed,
        Slowness {
            hold_before_apply: 0.15,
            hold_after_apply: 0.15,
            max_hold_ms: 800,
        },
    );
    let customers: Vec<Customer> = (0..options.conversations)
        .map(|i| Customer::new(options.seed, i))
        .collect();
    for c in &customers {
        for order in &c.orders {
            backend.add_order(order, &c.email, "Desk lamp");
        }
    }
    let backend_url = crate::backend::serve(backend.clone()).await?;
    let model_url = crate::model::serve(ScriptedModel::new(options.seed, 0.2)).await?;
    let spec = ServerSpec {
        binary: options.binary.clone(),
        configs: config_paths(),
        database_url: database_url.into(),
        port: free_port()?,
        admin_key: ADMIN_KEY.into(),
        vars: vec![
            ("BACKEND_URL".into(), backend_url),
            ("BACKEND_KEY".into(), BACKEND_KEY.into()),
            ("MODEL_URL".into(), model_url),
            ("MODEL_KEY".into(), MODEL_KEY.into()),
            ("CHANNEL_KEY".into(), CHANNEL_KEY.into()),
        ],
        log: options.workdir.join(format!("serve-{name}.log")),
    };
    let url = spec.url();
    let mut server = Server::start(spec).await?;
    let shared = Arc::new(Shared {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?,
        url: url.clone(),
        channel_key: CHANNEL_KEY.into(),
        in_flight: Default::default(),
        think_ms: options.think_ms,
        finished: Default::default(),
    });

    // The customers, at most `concurrency` at once.
    let limit = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut players = tokio::task::JoinSet::new();
    for (order, customer) in customers.into_iter().enumerate() {
        let shared = shared.clone();
        let limit = limit.clone();
        players.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let record = customer.play(shared.clone()).await;
            shared.finished.fetch_add(1, Ordering::SeqCst);
            (order, record)
        });
    }

    // The killer, on this task, until the customers are done or the kills are spent.
    let mut rng = Rng::derived(options.seed, 0x4B1_11E5);
    let mut kills = 0u32;
    let mut points = KillPoints::default();
    let total = options.conversations;
    let mut last_progress = Instant::now();
    let all_done = || shared.finished.load(Ordering::SeqCst) >= total;
    while kills < options.kills && !all_done() {
        // Let the server run a while between kills so the customers get somewhere.
        let uptime =
            Instant::now() + Duration::from_millis(rng.range(50, options.max_uptime_ms.max(51)));
        while Instant::now() < uptime && !all_done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if all_done() {
            break;
        }
        let point = rng.range(0, 4);
        let waited_until = Instant::now() + Duration::from_millis(1500);
        match point {
            0 => {
                while backend.holding() == 0 && Instant::now() < waited_until {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                points.backend_holding_a_write += 1;
            }
            1 => {
                while shared.in_flight.load(Ordering::SeqCst) == 0 && Instant::now() < waited_until
                {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                tokio::time::sleep(Duration::from_millis(rng.range(0, 30))).await;
                points.mid_turn += 1;
            }
            2 => {
                while shared.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < waited_until {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                points.between_requests += 1;
            }
            _ => {
                tokio::time::sleep(Duration::from_millis(rng.range(0, 400))).await;
                points.random_time += 1;
            }
        }
        if let Some(status) = server.exited() {
            anyhow::bail!("switchboard serve died on its own ({status}) on {name}");
        }
        server.kill().await?;
        kills += 1;
        server.restart().await?;
        if options.progress && last_progress.elapsed() > Duration::from_secs(5) {
            last_progress = Instant::now();
            eprintln!(
                "[{name}] {}/{total} conversations finished, {kills} kills, {:.0} s",
                shared.finished.load(Ordering::SeqCst),
                started.elapsed().as_secs_f64()
            );
        }
    }
    let mut records = Vec::with_capacity(total);
    while let Some(joined) = players.join_next().await {
        records.push(joined.context("a customer panicked")?);
        if options.progress && last_progress.elapsed() > Duration::from_secs(5) {
            last_progress = Instant::now();
            eprintln!(
                "[{name}] {}/{total} conversations finished, {kills} kills",
                records.len()
            );
        }
    }
    if let Some(status) = server.exited() {
        anyhow::bail!("switchboard serve died on its own ({status}) on {name}");
    }
    records.sort_by_key(|(order, _)| *order);
    let records: Vec<_> = records.into_iter().map(|(_, r)| r).collect();

    // Read every conversation back from the store, through the operator's view.
    let mut stored = BTreeMap::new();
    for record in &records {
        if record.id.is_empty() {
            continue;
        }
        let response = shared
            .client
            .get(format!("{url}/v1/conversations/{}", record.id))
            .header("X-Admin-Key", ADMIN_KEY)
            .send()
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            continue;
        }
        let body: Value = response.error_for_status()?.json().await?;
        stored.insert(record.id.clone(), stored_view(&body));
    }
    server.stop().await;
    let verdict = verdict::judge(&records, &stored, &backend.orders());
    Ok(StoreReport {
        store: name.into(),
        skipped: None,
        kills,
        kill_points: points,
        runtime_secs: started.elapsed().as_secs_f64(),
        verdict,
    })
}

/// What the store kept of a conversation (the operator's view of it).
fn stored_view(body: &Value) -> StoredConversation {
    let empty = Vec::new();
    let transcript = body["transcript"].as_array().unwrap_or(&empty);
    let mut claims: Vec<(String, Claim)> = Vec::new();
    let mut order = String::new();
    for message in transcript {
        let content = message["content"].as_str().unwrap_or("");
        if message["role"] == "user" {
            if let Some(o) = crate::model::order_in(content) {
                order = o;
            }
        } else if let Some(claim) = claim_of(content) {
            claims.push((verdict::claim_order(content, &claim, &order), claim));
        }
    }
    let sent_unresolved = body["task"]["writes"].as_object().map_or(0, |writes| {
        writes.values().filter(|w| w["state"] == "sent").count()
    });
    StoredConversation {
        user_messages: transcript.iter().filter(|m| m["role"] == "user").count(),
        handed_off: !body["handoff"].is_null(),
        sent_unresolved,
        claims,
    }
}
