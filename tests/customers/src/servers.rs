//! The retail backend and `switchboard serve`, started as child processes (free ports, a fresh
//! SQLite file in a temporary folder), killed when dropped — or URLs given on the command line.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub struct Stack {
    pub backend: String,
    pub server: String,
    children: Mutex<Vec<Child>>,
    dir: Option<PathBuf>,
    /// The backend's state was last seen byte-for-byte equal to the initial database (so the
    /// next case needs no reset).
    pub clean: std::sync::atomic::AtomicBool,
    /// Sent as `x-admin-key` with each message, so replies carry the operator view (the tool
    /// events the funnel diagnostics count); the customer's words are the same in both views.
    admin_key: Option<String>,
}

impl Stack {
    /// Stops the processes this stack started (and removes its temporary folder).
    /// The last panic the started server logged, if any ("panicked at FILE:LINE: message").
    pub fn last_panic(&self) -> Option<String> {
        let dir = self.dir.as_ref()?;
        let log = std::fs::read_to_string(dir.join("server.err")).ok()?;
        let lines: Vec<&str> = log.lines().collect();
        let i = lines.iter().rposition(|l| l.contains("panicked at"))?;
        let at = lines[i].split("panicked at").nth(1).unwrap_or("").trim();
        let msg = lines.get(i + 1).map(|m| m.trim()).unwrap_or("");
        Some(format!("panicked at {at} {msg}"))
    }

    /// CPU seconds (user + system) the started processes used so far: (backend, server).
    /// Linux only (/proc); zero elsewhere.
    pub fn cpu(&self) -> (f64, f64) {
        let Ok(children) = self.children.lock() else {
            return (0.0, 0.0);
        };
        let of = |c: Option<&Child>| c.and_then(|c| c.id()).map(proc_cpu).unwrap_or(0.0);
        (of(children.first()), of(children.get(1)))
    }

    pub fn kill(&self) {
        if let Ok(mut children) = self.children.lock() {
            for c in children.iter_mut() {
                let _ = c.start_kill();
            }
            children.clear();
        }
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.kill();
    }
}

/// CPU seconds of a process (utime + stime from /proc/PID/stat, 100 ticks a second).
pub fn proc_cpu(pid: u32) -> f64 {
    let path = if pid == 0 {
        "/proc/self/stat".to_string()
    } else {
        format!("/proc/{pid}/stat")
    };
    let Ok(stat) = std::fs::read_to_string(path) else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

async fn wait_ok(client: &reqwest::Client, url: &str, child: &mut Child, what: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited before it was ready ({status})");
        }
        if start.elapsed() > Duration::from_secs(90) {
            bail!("{what} not ready after 90 s ({url})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Stack {
    pub fn given(backend: &str, server: &str) -> Stack {
        Stack {
            backend: backend.trim_end_matches('/').to_string(),
            server: server.trim_end_matches('/').to_string(),
            children: Mutex::new(Vec::new()),
            dir: None,
            clean: Default::default(),
            admin_key: std::env::var("SWITCHBOARD_ADMIN_KEY").ok(),
        }
    }

    pub async fn start(
        client: &reqwest::Client,
        bin_dir: &Path,
        config: &Path,
        n: usize,
    ) -> Result<Stack> {
        let dir = std::env::temp_dir().join(format!("customer-sim-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let mut stack = Stack {
            backend: String::new(),
            server: String::new(),
            children: Mutex::new(Vec::new()),
            dir: Some(dir.clone()),
            clean: Default::default(),
            admin_key: Some(format!("sim-admin-{}-{n}", std::process::id())),
        };
        let log = |name: &str| -> Result<Stdio> {
            Ok(Stdio::from(std::fs::File::create(dir.join(name))?))
        };
        let bport = free_port()?;
        let backend_bin = bin_dir.join("retail-backend");
        let mut backend = Command::new(&backend_bin)
            .args(["--listen", &format!("127.0.0.1:{bport}")])
            .stdout(log("backend.log")?)
            .stderr(log("backend.err")?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", backend_bin.display()))?;
        stack.backend = format!("http://127.0.0.1:{bport}");
        wait_ok(
            client,
            &format!("{}/products", stack.backend),
            &mut backend,
            "retail-backend",
        )
        .await?;
        stack.children.lock().expect("children").push(backend);

        let sport = free_port()?;
        let sb = bin_dir.join("switchboard");
        let mut server = Command::new(&sb)
            .arg("serve")
            .arg("--config")
            .arg(config)
            .args(["--listen", &format!("127.0.0.1:{sport}")])
            .arg("--database-url")
            .arg(format!("sqlite://{}", dir.join("switchboard.db").display()))
            .args([
                "--rate-per-ip",
                "1000000",
                "--rate-per-conversation",
                "1000000",
            ])
            .env("RETAIL_URL", &stack.backend)
            .env(
                "SWITCHBOARD_ADMIN_KEY",
                stack.admin_key.as_deref().unwrap_or_default(),
            )
            .env("RUST_LOG", "warn")
            .stdout(log("server.log")?)
            .stderr(log("server.err")?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", sb.display()))?;
        stack.server = format!("http://127.0.0.1:{sport}");
        wait_ok(
            client,
            &format!("{}/readyz", stack.server),
            &mut server,
            "switchboard serve",
        )
        .await?;
        stack.children.lock().expect("children").push(server);
        Ok(stack)
    }
}

/// The HTTP side of a case: JSON in and out, 429s waited out.
pub async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<&Value>,
    admin_key: Option<&str>,
) -> Result<(u16, String)> {
    let mut wait = Duration::from_millis(200);
    for _ in 0..20 {
        let mut req = client.request(method.clone(), url);
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(key) = admin_key {
            req = req.header("x-admin-key", key);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = resp.status().as_u16();
        if status == 429 {
            let after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_secs);
            tokio::time::sleep(after.unwrap_or(wait)).await;
            wait = (wait * 2).min(Duration::from_secs(10));
            continue;
        }
        let text = resp.text().await?;
        return Ok((status, text));
    }
    bail!("{method} {url}: still rate limited after 20 tries")
}

impl Stack {
    pub async fn reset(&self, client: &reqwest::Client) -> Result<()> {
        let (st, body) = send(
            client,
            reqwest::Method::POST,
            &format!("{}/reset", self.backend),
            Some(&json!({})),
            None,
        )
        .await?;
        if st != 200 {
            bail!("POST /reset: {st} {body}");
        }
        Ok(())
    }

    pub async fn state(&self, client: &reqwest::Client) -> Result<String> {
        let (st, body) = send(
            client,
            reqwest::Method::GET,
            &format!("{}/state", self.backend),
            None,
            None,
        )
        .await?;
        if st != 200 {
            bail!("GET /state: {st}");
        }
        Ok(body)
    }

    pub async fn open(&self, client: &reqwest::Client) -> Result<String> {
        let (st, body) = send(
            client,
            reqwest::Method::POST,
            &format!("{}/v1/conversations", self.server),
            Some(&json!({})),
            None,
        )
        .await?;
        if st != 200 && st != 201 {
            bail!("POST /v1/conversations: {st} {body}");
        }
        let v: Value = serde_json::from_str(&body)?;
        v["id"]
            .as_str()
            .map(str::to_string)
            .context("no conversation id")
    }

    pub async fn message(&self, client: &reqwest::Client, id: &str, text: &str) -> Result<Value> {
        let url = format!("{}/v1/conversations/{id}/messages", self.server);
        let (st, body) = send(
            client,
            reqwest::Method::POST,
            &url,
            Some(&json!({ "text": text })),
            self.admin_key.as_deref(),
        )
        .await?;
        if st != 200 {
            bail!("POST {url}: {st} {body}");
        }
        Ok(serde_json::from_str(&body)?)
    }
}
