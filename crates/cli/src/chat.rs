//! The terminal chat: an interactive REPL on a TTY, one message per line otherwise.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use switchboard_core::agent::{Agent, Conversation, EventSink, Quiet, TurnEvent};

/// Chat options.
#[derive(clap::Args, Clone)]
pub struct ChatArgs {
    /// Chat as this verified customer (the terminal is a trusted channel).
    #[arg(long)]
    email: Option<String>,
    /// Print one JSON object per turn: reply and events.
    #[arg(long)]
    json: bool,
    /// Keep conversations in this SQLite file (created if missing); default: in memory.
    #[arg(long, value_name = "FILE")]
    store: Option<std::path::PathBuf>,
    /// Continue (or start) the conversation with this id; with --store it resumes where it
    /// stopped, at the same task step.
    #[arg(long, value_name = "ID")]
    conversation: Option<String>,
}

/// The demo config, embedded so `switchboard demo` runs from any directory.
pub const DEMO_CONFIG: &str = include_str!("../../../examples/shop/switchboard.yaml");

/// Starts the demo shop; returns it and the `${VAR}` values its config needs.
pub async fn start_demo_shop() -> anyhow::Result<(shop_demo::ShopHandle, BTreeMap<String, String>)>
{
    let api_key = format!("demo-{}", uuid::Uuid::new_v4().simple());
    let shop = shop_demo::start(&api_key).await?;
    let vars = BTreeMap::from([
        ("SHOP_URL".to_string(), shop.url()),
        ("SHOP_API_KEY".to_string(), api_key),
        (
            "SHOP_WIDGET_SECRET".to_string(),
            format!("widget-{}", uuid::Uuid::new_v4().simple()),
        ),
    ]);
    Ok((shop, vars))
}

pub async fn run_chat(
    path: &Path,
    vars: &BTreeMap<String, String>,
    args: ChatArgs,
) -> anyhow::Result<ExitCode> {
    let config = crate::runtime::load(path, vars)?;
    let agent = crate::runtime::agent(config, crate::runtime::store(args.store.as_deref()).await?)?;
    converse(&agent, &args).await
}

pub async fn run_demo(args: ChatArgs) -> anyhow::Result<ExitCode> {
    let (shop, vars) = start_demo_shop().await?;
    let config = crate::runtime::load_text("examples/shop/switchboard.yaml", DEMO_CONFIG, &vars)?;
    let agent = crate::runtime::agent(config, crate::runtime::store(args.store.as_deref()).await?)?;
    if std::io::stdin().is_terminal() && !args.json {
        eprintln!("Demo shop backend running on {}.", shop.url());
        eprintln!(
            "Try: \"Where is my order W1000001?\" (ZIP 10001), or restart with --chat --email alice@example.com and ask \"What plan am I on?\""
        );
    }
    converse(&agent, &args).await
}

/// Prints streamed text on an interactive terminal.
struct Streaming;

impl EventSink for Streaming {
    fn event(&self, event: &TurnEvent) {
        if let TurnEvent::ToolCallStarted { tool, .. } = event {
            eprintln!("  [calling {tool}…]");
        }
    }
    fn text_delta(&self, delta: &str) {
        print!("{delta}");
        let _ = std::io::stdout().flush();
    }
}

async fn converse(agent: &Agent, args: &ChatArgs) -> anyhow::Result<ExitCode> {
    let identity = crate::runtime::identity(args.email.as_deref())?;
    let id = args
        .conversation
        .clone()
        .unwrap_or_else(|| format!("cli-{}", uuid::Uuid::new_v4()));
    let mut conversation = match agent.store.load(&id).await? {
        // A stored conversation keeps the identity it was started with.
        Some(stored) => stored,
        None => Conversation::new(id, identity),
    };
    let interactive = std::io::stdin().is_terminal() && !args.json;
    if interactive {
        eprintln!(
            "Chatting with `{}` ({}). Ctrl-D to quit.",
            agent.config.agent.name,
            agent.model.name()
        );
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            print!("you> ");
            std::io::stdout().flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if interactive {
            print!("agent> ");
            let output = agent.turn(&mut conversation, text, &Streaming).await;
            // The offline engine and non-streaming providers send the reply as one delta.
            let _ = output;
            println!();
        } else {
            let output = agent.turn(&mut conversation, text, &Quiet).await;
            if args.json {
                println!(
                    "{}",
                    json!({"reply": output.reply, "events": output.events, "identity": conversation.identity})
                );
            } else {
                println!("{}", output.reply);
            }
            std::io::stdout().flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
