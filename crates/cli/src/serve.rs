//! `switchboard serve` and the demo server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use switchboard_core::secret::{Redactor, Secret};
use switchboard_server::{AppState, ConfigSource, Limits, ServerOptions};

/// Options of `switchboard serve`.
#[derive(clap::Args, Clone)]
pub struct ServeArgs {
    /// An agent's YAML config, or a folder of them (repeatable; each agent is served under
    /// its name, the first is the default).
    #[arg(long, short = 'c', value_name = "FILE|DIR", required = true)]
    config: Vec<PathBuf>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Conversation store: a SQLite file (`sqlite://switchboard.db`, created on first run) or
    /// `postgres://…` for several nodes sharing one database.
    #[arg(
        long,
        env = "SWITCHBOARD_DATABASE_URL",
        default_value = "sqlite://switchboard.db"
    )]
    database_url: String,
    /// The key admin endpoints require (admin endpoints are off without one).
    #[arg(long, env = "SWITCHBOARD_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// Set a variable for `${VAR}` references (repeatable), overriding the environment.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = crate::parse_var)]
    vars: Vec<(String, String)>,
    /// Requests per minute from one client address.
    #[arg(long, default_value_t = Limits::default().per_ip_per_minute)]
    rate_per_ip: u32,
    /// Messages per minute into one conversation.
    #[arg(long, default_value_t = Limits::default().per_conversation_per_minute)]
    rate_per_conversation: u32,
    /// Open connections at most, all clients together (lowered to fit `ulimit -n`).
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Open connections at most from one client address (a proxy in front counts as one).
    #[arg(long, default_value_t = Limits::default().max_connections_per_ip)]
    max_connections_per_ip: usize,
}

async fn run_server(
    options: ServerOptions,
    database_url: &str,
    listen: SocketAddr,
    banner: impl FnOnce(SocketAddr),
) -> anyhow::Result<ExitCode> {
    // The log writer learns every secret the server holds before anything can log one: the
    // database password here, the admin key and every agent's secrets (at each reload too)
    // as the state loads them.
    let secrets = crate::logging::secrets();
    if let Some(password) = database_password(database_url) {
        if !password.is_redactable() {
            bail!(
                "the database password is shorter than {} characters: it could not be kept out of logs; use a longer one",
                Redactor::MIN_SECRET_LEN
            );
        }
        secrets.learn_secrets([password]);
    }
    crate::logging::init();
    let (store, events) = switchboard_store::open_with_events(database_url)
        .await
        .with_context(|| format!("cannot open the store {}", secrets.redact(database_url)))?;
    let state = AppState::with_secrets(options, store, events, secrets.clone())
        .map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    banner(address);
    switchboard_server::reload_on_sighup(state.clone());
    switchboard_server::serve(listener, state, switchboard_server::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// The password of a database URL (`postgres://user:password@host/db`), percent-decoded as the
/// driver reads it.
fn database_password(database_url: &str) -> Option<Secret> {
    let url = url::Url::parse(database_url).ok()?;
    let encoded = url.password()?.as_bytes();
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        let escape = encoded.get(i + 1..i + 3).filter(|_| encoded[i] == b'%');
        match escape.and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()) {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(encoded[i]);
                i += 1;
            }
        }
    }
    Some(Secret::new(String::from_utf8_lossy(&decoded)))
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let options = ServerOptions {
        configs: args
            .config
            .iter()
            .cloned()
            .map(ConfigSource::Path)
            .collect(),
        vars: args.vars.into_iter().collect(),
        admin_key: args.admin_key,
        limits: Limits {
            per_ip_per_minute: args.rate_per_ip,
            per_conversation_per_minute: args.rate_per_conversation,
            max_connections: args.max_connections,
            max_connections_per_ip: args.max_connections_per_ip,
            ..Limits::default()
        },
        demo_signing: false,
    };
    run_server(options, &args.database_url, args.listen, |address| {
        eprintln!("switchboard listening on http://{address}");
    })
    .await
}

/// The shop backend and the server with the playground, on a fresh SQLite file.
pub async fn run_demo(listen: SocketAddr) -> anyhow::Result<ExitCode> {
    let (shop, vars): (shop_demo::ShopHandle, BTreeMap<String, String>) =
        crate::chat::start_demo_shop().await?;
    let admin_key = format!("admin-{}", uuid::Uuid::new_v4().simple());
    let database = std::env::temp_dir().join(format!("switchboard-demo-{}.db", std::process::id()));
    let options = ServerOptions {
        configs: vec![ConfigSource::Text {
            name: "examples/shop/switchboard.yaml".into(),
            text: crate::chat::DEMO_CONFIG.into(),
        }],
        vars,
        admin_key: Some(admin_key.clone()),
        limits: Limits::default(),
        demo_signing: true,
    };
    let shop_url = shop.url();
    run_server(
        options,
        &format!("sqlite://{}", database.display()),
        listen,
        move |address| {
            eprintln!("Demo shop backend on {shop_url}.");
            eprintln!("switchboard listening on http://{address}");
            eprintln!("Open the playground: http://{address}/#admin={admin_key}");
        },
    )
    .await
}
