//! `switchboard`: the command-line entry point. Parses arguments, loads the config, wires the
//! engine to its real services and reports errors with exit codes. No engine logic lives here.

mod chat;
mod logging;
mod runtime;
mod serve;
mod testing;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Turns allocate many short-lived buffers (JSON, HTTP); mimalloc serves them with less CPU
// than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Connect an AI support agent to your company's APIs, safely.
#[derive(Parser)]
#[command(name = "switchboard", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options shared by the commands that load a config.
#[derive(clap::Args, Clone)]
struct ConfigArgs {
    /// The agent's YAML config file.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: PathBuf,
    /// Set a variable for `${VAR}` references (repeatable), overriding the environment.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
}

pub(crate) fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

#[derive(Subcommand)]
enum Command {
    /// Chat with the agent in the terminal (one message per line when stdin is not a TTY).
    Chat {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        chat: chat::ChatArgs,
    },
    /// Serve agents over HTTP: the API, the playground page, the widget, metrics.
    Serve {
        #[command(flatten)]
        serve: serve::ServeArgs,
    },
    /// Start the demo shop backend and serve its agent with the playground page (or, with
    /// --chat, chat with it in the terminal).
    Demo {
        /// Chat in the terminal instead of serving the playground.
        #[arg(long)]
        chat: bool,
        #[command(flatten)]
        chat_args: chat::ChatArgs,
        /// Where the server listens (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
    /// Validate a config; with --ping, also reach the User Data API and the read tools' hosts.
    Check {
        #[command(flatten)]
        config: ConfigArgs,
        /// Also check that the configured APIs answer.
        #[arg(long)]
        ping: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Tools: call one directly.
    Tool {
        #[command(subcommand)]
        command: ToolCommand,
    },
    /// The User Data API: see exactly what the agent would get for a customer.
    #[command(name = "user-data")]
    UserData {
        #[command(subcommand)]
        command: UserDataCommand,
    },
    /// Run conversation test files (YAML): customer turns, expected tool calls and replies,
    /// task state and backend state checks, with the offline engine or a scripted model.
    Test {
        /// Test files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
        /// Also write a Markdown summary to this file.
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
    },
    /// Print the JSON Schema of the config file (for editors).
    Schema,
}

#[derive(Subcommand)]
enum ToolCommand {
    /// Call a tool with `key=value` inputs and print the result as JSON.
    Call {
        #[command(flatten)]
        config: ConfigArgs,
        /// The tool's name.
        name: String,
        /// Inputs as `key=value` (a value that parses as JSON keeps its type).
        inputs: Vec<String>,
        /// Act as this verified customer (fills bound inputs such as `user.email`).
        #[arg(long)]
        email: Option<String>,
        /// Allow calling a write tool (it changes data in the company's system).
        #[arg(long)]
        allow_write: bool,
    },
}

#[derive(Subcommand)]
enum UserDataCommand {
    /// Call the User Data API for EMAIL and print what the agent would see, as JSON.
    Test {
        #[command(flatten)]
        config: ConfigArgs,
        /// The customer's email.
        email: String,
    },
}

fn vars(args: &ConfigArgs) -> BTreeMap<String, String> {
    args.vars.iter().cloned().collect()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let result = rt.block_on(async {
        match cli.command {
            Command::Chat { config, chat } => {
                chat::run_chat(&config.config, &vars(&config), chat).await
            }
            Command::Serve { serve } => serve::run(serve).await,
            Command::Demo {
                chat: true,
                chat_args,
                ..
            } => chat::run_demo(chat_args).await,
            Command::Demo {
                chat: false,
                listen,
                ..
            } => serve::run_demo(listen).await,
            Command::Check { config, ping, json } => {
                runtime::check(&config.config, &vars(&config), ping, json).await
            }
            Command::Tool {
                command:
                    ToolCommand::Call {
                        config,
                        name,
                        inputs,
                        email,
                        allow_write,
                    },
            } => {
                runtime::tool_call(
                    &config.config,
                    &vars(&config),
                    &name,
                    &inputs,
                    email.as_deref(),
                    allow_write,
                )
                .await
            }
            Command::UserData {
                command: UserDataCommand::Test { config, email },
            } => runtime::user_data_test(&config.config, &vars(&config), &email).await,
            Command::Test {
                files,
                json,
                markdown,
            } => testing::run(&files, json, markdown.as_deref()).await,
            Command::Schema => {
                println!("{}", runtime::schema_text());
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", logging::secrets().redact(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}
