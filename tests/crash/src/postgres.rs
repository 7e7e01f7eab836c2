//! A fresh PostgreSQL database per run, on the local server (started if it is down).

use sqlx::{Connection, Executor, PgConnection};

/// The server's maintenance database (`SWITCHBOARD_TEST_POSTGRES`, as the store tests use).
pub fn admin_url() -> String {
    std::env::var("SWITCHBOARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn connect() -> Result<PgConnection, sqlx::Error> {
    PgConnection::connect(&admin_url()).await
}

/// Starts the machine's cluster the way `.ci/run` does (best effort).
fn start_cluster() {
    let Ok(versions) = std::fs::read_dir("/etc/postgresql") else {
        return;
    };
    for version in versions.flatten() {
        let _ = std::process::Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect"])
            .arg(version.file_name())
            .args(["main", "start"])
            .status();
    }
}

/// Creates a database named `name` and returns its URL, or why PostgreSQL cannot be reached.
pub async fn create_database(name: &str) -> Result<String, String> {
    let mut connection = match connect().await {
        Ok(c) => c,
        Err(_) => {
            start_cluster();
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            connect()
                .await
                .map_err(|e| format!("PostgreSQL not reachable at {} ({e})", admin_url()))?
        }
    };
    connection
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .map_err(|e| e.to_string())?;
    connection
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .map_err(|e| e.to_string())?;
    let mut url = url_without_database(&admin_url());
    url.push_str(name);
    Ok(url)
}

/// Drops a database made by `create_database`.
pub async fn drop_database(name: &str) {
    if let Ok(mut connection) = connect().await {
        let _ = connection
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
    }
}

fn url_without_database(url: &str) -> String {
    let (base, _) = url.split_once('?').unwrap_or((url, ""));
    match base.rfind('/') {
        Some(slash) if slash > "postgres://".len() => base[..=slash].to_string(),
        _ => format!("{base}/"),
    }
}
