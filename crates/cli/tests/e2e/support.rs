//! Shared test fixtures: the shop, configs, agents, a scripted model, running the binary.

use std::collections::{BTreeMap, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use switchboard_connect::{HttpToolRunner, HttpUserDataSource, NameLookup, SystemLookup};
use switchboard_core::agent::{Agent, Clock};
use switchboard_core::config::Config;
use switchboard_core::model::{
    ChatModel, ModelError, ModelReply, ModelRequest, TextSink, ToolCall,
};

/// The shop's API key in every test: it must never appear in any output.
pub const CANARY: &str = "sk-canary-7f3a9c1e5b";

/// The widget HMAC secret in every test.
pub const WIDGET_SECRET: &str = "widget-secret-for-tests";

pub async fn shop() -> shop_demo::ShopHandle {
    shop_demo::start(CANARY).await.expect("the shop starts")
}

/// The demo shop's agent config (`examples/shop/switchboard.yaml`).
pub fn shop_yaml() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/shop/switchboard.yaml"
    ))
    .unwrap()
}

pub fn vars(shop_url: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::from([
        ("SHOP_URL".to_string(), shop_url.to_string()),
        ("SHOP_API_KEY".to_string(), CANARY.to_string()),
        ("SHOP_WIDGET_SECRET".to_string(), WIDGET_SECRET.to_string()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    vars
}

pub fn config(yaml: &str, vars: &BTreeMap<String, String>) -> Arc<Config> {
    Arc::new(Config::from_yaml("test.yaml", yaml, vars).unwrap_or_else(|e| panic!("{e}")))
}

pub struct FixedClock;

impl Clock for FixedClock {
    fn now_ms(&self) -> u64 {
        1_000_000
    }
}

pub fn agent_with(
    config: Arc<Config>,
    model: Arc<dyn ChatModel>,
    lookup: Arc<dyn NameLookup>,
) -> Agent {
    Agent {
        model,
        tools: Arc::new(
            HttpToolRunner::with_lookup(config.clone(), lookup.clone())
                .with_backoff(std::time::Duration::from_millis(5)),
        ),
        user_data: Arc::new(HttpUserDataSource::with_lookup(config.clone(), lookup)),
        clock: Arc::new(FixedClock),
        store: Arc::new(switchboard_core::store::MemoryStore::default()),
        config,
    }
}

pub fn agent(config: Arc<Config>, model: Arc<dyn ChatModel>) -> Agent {
    agent_with(config, model, Arc::new(SystemLookup))
}

pub fn offline(config: Arc<Config>) -> Agent {
    agent(
        config.clone(),
        Arc::new(switchboard_llm::OfflineEngine::new(config)),
    )
}

/// A model that plays back replies and records the tools it was offered.
#[derive(Default)]
pub struct ScriptedModel {
    replies: Mutex<VecDeque<ModelReply>>,
    pub offered: Mutex<Vec<Vec<String>>>,
    /// The history each request carried: (messages, characters of their text).
    pub history: Mutex<Vec<(usize, usize)>>,
}

impl ScriptedModel {
    pub fn new(replies: Vec<ModelReply>) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.into()),
            offered: Mutex::default(),
            history: Mutex::default(),
        })
    }
}

pub fn call(name: &str, arguments: serde_json::Value) -> ModelReply {
    ModelReply {
        text: None,
        tool_calls: vec![ToolCall {
            id: format!("c-{name}"),
            name: name.into(),
            arguments,
        }],
    }
}

pub fn say(text: &str) -> ModelReply {
    ModelReply {
        text: Some(text.into()),
        tool_calls: Vec::new(),
    }
}

#[async_trait::async_trait]
impl ChatModel for ScriptedModel {
    fn name(&self) -> String {
        "scripted".into()
    }
    async fn complete(
        &self,
        request: &ModelRequest<'_>,
        _: &dyn TextSink,
    ) -> Result<ModelReply, ModelError> {
        self.offered
            .lock()
            .unwrap()
            .push(request.tools.iter().map(|t| t.name.clone()).collect());
        let chars = request
            .messages
            .iter()
            .map(|m| serde_json::to_string(m).map_or(0, |s| s.len()))
            .sum();
        self.history
            .lock()
            .unwrap()
            .push((request.messages.len(), chars));
        Ok(self
            .replies
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| say("done")))
    }
}

/// The tool message contents the model received, in order.
pub fn tool_results(
    conversation: &switchboard_core::agent::Conversation,
) -> Vec<serde_json::Value> {
    conversation
        .messages
        .iter()
        .filter_map(|m| match m {
            switchboard_core::model::Message::Tool { content, .. } => {
                serde_json::from_str(content).ok()
            }
            _ => None,
        })
        .collect()
}

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Runs the real binary with `args`, feeding `stdin`, with `env` set.
pub async fn run_binary(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    use tokio::io::AsyncWriteExt;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the binary starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the binary finishes within a minute")
        .unwrap();
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code().unwrap_or(-1),
    }
}

/// Parses `--json` chat output: one object per line.
pub fn turns(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Writes `text` to a temporary config file that lives as long as the returned guard.
pub fn temp_config(text: &str) -> (tempdir::Dir, String) {
    let dir = tempdir::Dir::new();
    let path = dir.path.join("switchboard.yaml");
    std::fs::write(&path, text).unwrap();
    let p = path.display().to_string();
    (dir, p)
}

pub mod tempdir {
    /// A directory removed on drop.
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new() -> Self {
            let path =
                std::env::temp_dir().join(format!("switchboard-test-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&path).unwrap();
            Self { path }
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Starts an axum router on 127.0.0.1:0 and returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// A `switchboard serve` process on 127.0.0.1 port 0 with a fresh SQLite store; killed on drop.
pub struct ServedBinary {
    pub child: tokio::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Everything it has written to stderr so far.
    pub stderr: Arc<Mutex<String>>,
    _dir: tempdir::Dir,
}

/// Starts `switchboard serve --config <yaml written to a file>` with `env` set, and waits
/// until it listens.
pub async fn serve_binary(yaml: &str, env: &[(&str, &str)]) -> ServedBinary {
    use tokio::io::AsyncBufReadExt;
    let dir = tempdir::Dir::new();
    let config_path = dir.path.join("switchboard.yaml");
    std::fs::write(&config_path, yaml).unwrap();
    let database = format!("sqlite://{}", dir.path.join("switchboard.db").display());
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &database,
        ])
        .arg("--config")
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the binary starts");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let stderr = Arc::new(Mutex::new(String::new()));
    let url = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            stderr.lock().unwrap().push_str(&line);
            stderr.lock().unwrap().push('\n');
            if let Some(url) = line.strip_prefix("switchboard listening on ") {
                return url.to_string();
            }
        }
        panic!(
            "the server exited before listening:\n{}",
            stderr.lock().unwrap()
        );
    })
    .await
    .expect("the server starts");
    // Keep draining stderr (so the server never blocks on a full pipe), and keep it.
    let kept = stderr.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let mut kept = kept.lock().unwrap();
            kept.push_str(&line);
            kept.push('\n');
        }
    });
    ServedBinary {
        child,
        url,
        stderr,
        _dir: dir,
    }
}
