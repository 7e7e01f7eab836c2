//! Loading a config and wiring the engine to real services; the one-shot commands.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use serde_json::json;
use switchboard_connect::{HttpToolRunner, HttpUserDataSource, inputs_from_pairs};
use switchboard_core::agent::{Agent, UserDataSource};
use switchboard_core::config::Config;
use switchboard_core::identity::{Identity, VerifiedEmail};
use switchboard_core::store::{ConversationStore, MemoryStore};
use switchboard_core::template::{LayeredEnvironment, ProcessEnvironment};
use switchboard_core::tool_call::{TrustedContext, prepare_operator_call};

/// Loads a config file; `vars` override the process environment for `${VAR}`. Starts logging,
/// its redactor taught the config's secrets.
pub fn load(path: &Path, vars: &BTreeMap<String, String>) -> anyhow::Result<Arc<Config>> {
    let env = LayeredEnvironment {
        overrides: vars,
        fallback: &ProcessEnvironment,
    };
    let config = Config::load(path, &env).map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::logging::secrets().learn(&config.redactor);
    crate::logging::init();
    Ok(Arc::new(config))
}

/// Loads config text (the embedded demo config).
pub fn load_text(
    name: &str,
    text: &str,
    vars: &BTreeMap<String, String>,
) -> anyhow::Result<Arc<Config>> {
    let env = LayeredEnvironment {
        overrides: vars,
        fallback: &ProcessEnvironment,
    };
    let config = Config::from_yaml(name, text, &env).map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::logging::secrets().learn(&config.redactor);
    crate::logging::init();
    Ok(Arc::new(config))
}

/// The agent for a config, with HTTP connectors, the configured model and this store.
pub fn agent(config: Arc<Config>, store: Arc<dyn ConversationStore>) -> anyhow::Result<Agent> {
    switchboard_server::build_agent(config, store)
        .map_err(|e| anyhow::anyhow!("cannot start the model provider: {e}"))
}

/// The SQLite store at `path`, or a store in memory.
pub async fn store(path: Option<&Path>) -> anyhow::Result<Arc<dyn ConversationStore>> {
    Ok(match path {
        Some(p) => Arc::new(
            switchboard_store::SqliteStore::open(p)
                .await
                .with_context(|| format!("cannot open the store {}", p.display()))?,
        ),
        None => Arc::new(MemoryStore::default()),
    })
}

/// The JSON Schema text of the config file.
pub fn schema_text() -> String {
    serde_json::to_string_pretty(&Config::json_schema()).expect("a schema serializes")
}

pub fn identity(email: Option<&str>) -> anyhow::Result<Identity> {
    Ok(match email {
        Some(e) => Identity::Verified {
            email: VerifiedEmail::new(e)
                .map_err(|_| anyhow::anyhow!("`{e}` is not a valid email address"))?,
            customer_id: None,
        },
        None => Identity::Anonymous,
    })
}

pub async fn check(
    path: &Path,
    vars: &BTreeMap<String, String>,
    ping: bool,
    json_output: bool,
) -> anyhow::Result<ExitCode> {
    let config = load(path, vars)?;
    let warnings = std::fs::read_to_string(path)
        .map(|source| {
            switchboard_core::config::comment_warnings(&path.display().to_string(), &source)
        })
        .unwrap_or_default();
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let mut report = json!({
        "warnings": warnings,
        "config": path.display().to_string(),
        "agent": config.agent.name,
        "model": format!("{:?}", config.agent.model.provider).to_lowercase(),
        "tools": config.tools.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "tasks": config.tasks.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "user_data": config.user_data.is_some(),
    });
    let mut failed = false;
    if ping {
        let client = switchboard_connect::guarded_client(
            config.outbound,
            Arc::new(switchboard_connect::SystemLookup),
        );
        let mut origins: Vec<url::Url> = config
            .tools
            .iter()
            .filter(|t| t.effect == switchboard_core::config::Effect::Read)
            .map(|t| t.url.origin().clone())
            .collect();
        if let Some(u) = &config.user_data {
            origins.push(u.url.clone());
        }
        origins.sort();
        origins.dedup();
        let mut results = Vec::new();
        for origin in origins {
            let target = origin.as_str().to_string();
            let reachable = if let Err(refused) =
                switchboard_connect::guard::check_url(&origin, &config.outbound)
            {
                Err(refused.to_string())
            } else {
                client
                    .head(origin)
                    .timeout(std::time::Duration::from_secs(5))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .map_err(|e| {
                        if let Some(refused) = switchboard_connect::guard::refusal_in(&e) {
                            refused.to_string()
                        } else if e.is_timeout() {
                            "timed out".to_string()
                        } else {
                            "could not connect".to_string()
                        }
                    })
            };
            failed |= reachable.is_err();
            results.push(match reachable {
                Ok(status) => json!({"url": target, "reachable": true, "status": status}),
                Err(reason) => json!({"url": target, "reachable": false, "reason": reason}),
            });
        }
        report["ping"] = json!(results);
    }
    if json_output {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}: ok — agent `{}`, {} tools, {} tasks",
            path.display(),
            config.agent.name,
            config.tools.len(),
            config.tasks.len()
        );
        for p in report["ping"].as_array().into_iter().flatten() {
            match p["reachable"].as_bool() {
                Some(true) => println!(
                    "  reachable   {} ({})",
                    p["url"].as_str().unwrap_or(""),
                    p["status"]
                ),
                _ => println!(
                    "  UNREACHABLE {} ({})",
                    p["url"].as_str().unwrap_or(""),
                    p["reason"].as_str().unwrap_or("")
                ),
            }
        }
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn tool_call(
    path: &Path,
    vars: &BTreeMap<String, String>,
    name: &str,
    pairs: &[String],
    email: Option<&str>,
    allow_write: bool,
) -> anyhow::Result<ExitCode> {
    let config = load(path, vars)?;
    let Some(tool) = config.tool(name) else {
        let names: Vec<&str> = config.tools.iter().map(|t| t.name.as_str()).collect();
        bail!(
            "no tool named `{name}`; the config defines: {}",
            names.join(", ")
        );
    };
    let inputs =
        inputs_from_pairs(tool, pairs.iter().map(String::as_str)).map_err(anyhow::Error::msg)?;
    let identity = identity(email)?;
    let runner = HttpToolRunner::new(config.clone());
    let conversation_id = format!("cli-{}", uuid::Uuid::new_v4());
    let user_data = match identity.verified_email() {
        Some(e) => HttpUserDataSource::new(config.clone())
            .fetch(e)
            .await
            .data()
            .cloned(),
        None => None,
    };
    let context = TrustedContext {
        identity: &identity,
        conversation_id: &conversation_id,
        user_data: user_data.as_ref(),
    };
    let arguments = serde_json::Value::Object(inputs.into_iter().collect());
    let prepared = match prepare_operator_call(tool, &arguments, context, allow_write) {
        Ok(p) => p,
        Err(refused) => {
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &json!({"refused": refused, "message": refused.to_string()})
                )?
            );
            return Ok(ExitCode::from(2));
        }
    };
    use switchboard_core::agent::ToolRunner;
    let outcome = runner.run(&prepared).await;
    let ok = outcome.result.is_ok();
    let output = match outcome.result {
        Ok(selected) => {
            json!({"result": config.redactor.redact_json(&selected.value), "truncated": selected.truncated, "request": outcome.record})
        }
        Err(failure) => json!({"error": failure, "request": outcome.record}),
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

pub async fn user_data_test(
    path: &Path,
    vars: &BTreeMap<String, String>,
    email: &str,
) -> anyhow::Result<ExitCode> {
    let config = load(path, vars)?;
    if config.user_data.is_none() {
        bail!("{} has no `user_data` section", path.display());
    }
    let email = VerifiedEmail::new(email)
        .map_err(|_| anyhow::anyhow!("`{email}` is not a valid email address"))?;
    let outcome = HttpUserDataSource::new(config.clone()).fetch(&email).await;
    let ok = outcome.data().is_some();
    println!("{}", serde_json::to_string_pretty(&outcome)?);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
