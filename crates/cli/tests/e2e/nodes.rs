//! Two `switchboard serve` processes on one PostgreSQL database serve one conversation
//! alternately and concurrently, and it stays consistent.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::*;

const SHOP_YAML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/shop/switchboard.yaml"
);

/// A fresh PostgreSQL database, dropped afterwards; `None` when no server is reachable outside
/// CI (in CI it must be there).
async fn fresh_postgres() -> Option<(String, DropDatabase)> {
    let admin = std::env::var("SWITCHBOARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let pool = match sqlx::PgPool::connect(&admin).await {
        Ok(pool) => pool,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("PostgreSQL not reachable at {admin} ({e}); skipping outside CI");
            return None;
        }
        Err(e) => panic!("PostgreSQL must be reachable in CI at {admin}: {e}"),
    };
    let name = format!("switchboard_nodes_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    let (base, _) = admin
        .rsplit_once('/')
        .expect("the admin URL names a database");
    Some((format!("{base}/{name}"), DropDatabase { admin, name }))
}

struct DropDatabase {
    admin: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&pool)
                        .await;
                }
            });
        })
        .join();
    }
}

struct Node {
    _child: tokio::process::Child,
    url: String,
}

async fn start_node(shop_url: &str, database_url: &str) -> Node {
    start_node_with(shop_url, database_url, SHOP_YAML).await
}

/// The nodes' admin key: the operator's view of a conversation needs it.
const NODE_ADMIN_KEY: &str = "node-admin-key-for-tests";

async fn start_node_with(shop_url: &str, database_url: &str, config: &str) -> Node {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "serve",
            "--config",
            config,
            "--database-url",
            database_url,
            "--listen",
            "127.0.0.1:0",
        ])
        .env("SWITCHBOARD_ADMIN_KEY", NODE_ADMIN_KEY)
        .env("SHOP_URL", shop_url)
        .env("SHOP_API_KEY", CANARY)
        .env("SHOP_WIDGET_SECRET", WIDGET_SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("switchboard listening on ") {
                return url.to_string();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server starts");
    // Keep draining stderr so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Node { _child: child, url }
}

async fn say(client: &reqwest::Client, node: &Node, id: &str, text: &str) -> Value {
    let response = client
        .post(format!("{}/v1/conversations/{id}/messages", node.url))
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn two_nodes_on_one_postgres_serve_one_conversation_consistently() {
    let Some((database_url, _database)) = fresh_postgres().await else {
        return;
    };
    let shop = shop().await;
    let a = start_node(&shop.url(), &database_url).await;
    let b = start_node(&shop.url(), &database_url).await;
    let client = reqwest::Client::new();

    // Alternately: the task started on A is confirmed on B.
    let proof = json!({"email": "alice@example.com", "user_hash": switchboard_server::identity::user_hash(WIDGET_SECRET, "alice@example.com")});
    let created: Value = client
        .post(format!("{}/v1/conversations", a.url))
        .json(&proof)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let asked = say(
        &client,
        &a,
        &id,
        "Please cancel order W1000002, I ordered by mistake",
    )
    .await;
    assert_eq!(
        asked["reply"],
        "Cancel order W1000002 (Desk lamp) because \"ordered by mistake\"?"
    );
    let done = say(&client, &b, &id, "yes").await;
    assert!(
        done["reply"]
            .as_str()
            .unwrap()
            .starts_with("Done — order W1000002 is cancelled"),
        "{done}"
    );
    assert_eq!(shop.effective_writes(), 1);

    // Streaming from the other node works the same.
    let streamed = client
        .post(format!("{}/v1/conversations/{id}/messages", a.url))
        .header("accept", "text/event-stream")
        .json(&json!({"text": "thanks"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(streamed.contains("event: done"), "{streamed}");

    // A client subscribed on node B sees the events of a turn node A runs.
    let subscription = client
        .get(format!("{}/v1/conversations/{id}/events", b.url))
        .send()
        .await
        .unwrap();
    assert_eq!(subscription.status(), 200);
    let mut stream = subscription.bytes_stream();
    tokio::time::sleep(Duration::from_millis(200)).await;
    say(&client, &a, &id, "Where is order W2000001? ZIP 94105").await;
    let mut seen = String::new();
    let reached = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if seen.contains("Order W2000001 is delivered with USPS.")
                && seen.contains("event: done")
            {
                break;
            }
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "the events reach the other node; seen: {seen}"
    );
    // A subscriber without the admin key gets the customer's view: no tool calls.
    assert!(!seen.contains("tool_call_finished"), "{seen}");
    assert!(
        seen.contains("Order W2000001 is delivered with USPS."),
        "{seen}"
    );
    drop(stream);

    // Concurrently: ten turns at once, split over both nodes; none is lost. Each turn waits
    // 50 ms on the shop, so without serialization they would overlap and overwrite each other.
    shop.set_latency(Duration::from_millis(50));
    let turns = (0..10).map(|i| {
        let client = client.clone();
        let node_url = if i % 2 == 0 {
            a.url.clone()
        } else {
            b.url.clone()
        };
        let id = id.clone();
        async move {
            let response = client
                .post(format!("{node_url}/v1/conversations/{id}/messages"))
                .json(&json!({"text": format!("Where is order W2000001? ZIP 94105 ({i})")}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    });
    futures::future::join_all(turns).await;
    let conversation: Value = client
        .get(format!("{}/v1/conversations/{id}", b.url))
        .header("x-admin-key", NODE_ADMIN_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let transcript = conversation["transcript"].as_array().unwrap();
    assert_eq!(
        transcript.len(),
        2 * (4 + 10),
        "every turn kept: {}",
        transcript.len()
    );
    // Each reply directly follows its own message: turns never interleaved.
    let records = conversation["turns"].as_array().unwrap();
    for (i, record) in records.iter().enumerate() {
        assert_eq!(transcript[2 * i]["content"], record["message"]);
        assert_eq!(transcript[2 * i + 1]["content"], record["reply"]);
    }
}

#[tokio::test]
async fn sigterm_finishes_the_turn_in_flight_then_exits() {
    let shop = shop().await;
    let dir = tempdir::Dir::new();
    let database = format!("sqlite://{}", dir.path.join("switchboard.db").display());
    let mut node = start_node(&shop.url(), &database).await;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{}/v1/conversations", node.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    shop.set_latency(Duration::from_millis(1500));
    let in_flight = {
        let client = client.clone();
        let url = format!("{}/v1/conversations/{id}/messages", node.url);
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"text": "Where is order W2000001? ZIP 94105"}))
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    let pid = node._child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let response = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(response.status(), 200);
    let turn: Value = response.json().await.unwrap();
    assert_eq!(turn["reply"], "Order W2000001 is delivered with USPS.");
    let status = tokio::time::timeout(Duration::from_secs(10), node._child.wait())
        .await
        .expect("the server exits")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn sighup_reloads_a_valid_config_and_keeps_the_running_one_on_error() {
    let shop = shop().await;
    let dir = tempdir::Dir::new();
    let config = dir.path.join("shop.yaml");
    let original = std::fs::read_to_string(SHOP_YAML).unwrap();
    std::fs::write(&config, &original).unwrap();
    let database = format!("sqlite://{}", dir.path.join("switchboard.db").display());
    let node = start_node_with(&shop.url(), &database, &config.display().to_string()).await;
    let client = reqwest::Client::new();
    let hangup = || {
        let pid = node._child.id().unwrap().to_string();
        assert!(
            std::process::Command::new("kill")
                .args(["-HUP", &pid])
                .status()
                .unwrap()
                .success()
        );
    };
    let help = || async {
        let created: Value = client
            .post(format!("{}/v1/conversations", node.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        say(
            &client,
            &node,
            created["id"].as_str().unwrap(),
            "what's the weather?",
        )
        .await["reply"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(help().await.starts_with("I'm the Acme Shop assistant."));

    // An unknown field makes the whole file invalid, its new fallback included.
    let broken = original
        .replace("agent:\n", "agent:\n  bogus: 1\n")
        .replace(
            "fallback: \"I'm the Acme Shop assistant.\"",
            "fallback: \"Broken.\"",
        );
    std::fs::write(&config, broken).unwrap();
    hangup();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        help().await.starts_with("I'm the Acme Shop assistant."),
        "the running config stays"
    );

    std::fs::write(
        &config,
        original.replace(
            "fallback: \"I'm the Acme Shop assistant.\"",
            "fallback: \"Acme, reloaded.\"",
        ),
    )
    .unwrap();
    hangup();
    let mut reloaded = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if help().await.starts_with("Acme, reloaded.") {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "a valid config is picked up on SIGHUP");
}
