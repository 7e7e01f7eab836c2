//! The real `switchboard serve` as a child process on a fixed port, killed with SIGKILL and
//! started again on the same store.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How to start the server.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// The `switchboard` binary.
    pub binary: PathBuf,
    /// Agent configs.
    pub configs: Vec<PathBuf>,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The port it listens on (the same after every restart, as behind a load balancer).
    pub port: u16,
    /// The admin key (the harness reads stored conversations with it).
    pub admin_key: String,
    /// `${VAR}`s for the configs.
    pub vars: Vec<(String, String)>,
    /// Where the server's stderr goes (appended; one file across restarts).
    pub log: PathBuf,
}

/// A running server.
pub struct Server {
    spec: ServerSpec,
    child: tokio::process::Child,
    /// Starts so far (1 + restarts).
    pub starts: u32,
}

impl ServerSpec {
    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn spawn(&self) -> anyhow::Result<tokio::process::Child> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("cannot open {}", self.log.display()))?;
        let mut command = tokio::process::Command::new(&self.binary);
        command.arg("serve");
        for config in &self.configs {
            command.arg("--config").arg(config);
        }
        command
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--database-url", &self.database_url])
            .args(["--admin-key", &self.admin_key])
            .args([
                "--rate-per-ip",
                "10000000",
                "--rate-per-conversation",
                "100000",
            ]);
        for (key, value) in &self.vars {
            command.arg("--var").arg(format!("{key}={value}"));
        }
        command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        command
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))
    }
}

impl Server {
    /// Starts the server and waits until it is ready.
    pub async fn start(spec: ServerSpec) -> anyhow::Result<Self> {
        let child = spec.spawn()?;
        let mut server = Self {
            spec,
            child,
            starts: 1,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("{}/readyz", self.spec.url());
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "switchboard serve exited with {status} (see {})",
                    self.spec.log.display()
                );
            }
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "switchboard serve not ready after 60 s (see {})",
                    self.spec.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// Starts it again on the same store and port.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.child = self.spec.spawn()?;
        self.starts += 1;
        self.wait_ready().await
    }

    /// Whether it died on its own (a panic, a refused start).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops it for good.
    pub async fn stop(mut self) {
        let _ = self.kill().await;
    }
}

/// A free port on 127.0.0.1 (bound, then released for the server to take).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The `switchboard` binary next to this one (both are built into the same target folder).
pub fn sibling_binary() -> Option<PathBuf> {
    let me = std::env::current_exe().ok()?;
    let mut dir: &Path = me.parent()?;
    // Integration tests run from target/debug/deps.
    if dir.ends_with("deps") {
        dir = dir.parent()?;
    }
    let candidate = dir.join("switchboard");
    candidate.exists().then_some(candidate)
}
