//! The server's state: the agents (swapped whole on reload), the store, metrics, limits.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use switchboard_connect::{HttpToolRunner, HttpUserDataSource, Jwks, SystemLookup};
use switchboard_core::agent::{Agent, Clock};
use switchboard_core::config::Config;
use switchboard_core::secret::{Redactor, Secret, SharedRedactor};
use switchboard_core::store::{ConversationStore, EventBus, LocalBus};
use switchboard_core::template::{LayeredEnvironment, ProcessEnvironment};

use crate::metrics::Metrics;

/// Where an agent's config comes from.
#[derive(Clone, Debug)]
pub enum ConfigSource {
    /// A YAML file, or a folder of them.
    Path(PathBuf),
    /// Config text built into the binary (the demo), with the name errors use.
    Text {
        /// Name for errors.
        name: String,
        /// The YAML.
        text: String,
    },
}

/// Request limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes: usize,
    /// Longest customer message, in characters.
    pub message_chars: usize,
    /// Requests per minute from one client address.
    pub per_ip_per_minute: u32,
    /// Messages per minute into one conversation.
    pub per_conversation_per_minute: u32,
    /// Time a client has to send a request's headers, counted from the moment the connection
    /// waits for them (a new connection, or an idle kept-alive one). Then it is closed.
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's whole body. Then the request fails with 408.
    pub body_read_timeout: Duration,
    /// Open connections at most, all clients together (lowered to fit the file-descriptor
    /// limit at start).
    pub max_connections: usize,
    /// Open connections at most from one client address.
    pub max_connections_per_ip: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 64 * 1024,
            message_chars: 4000,
            per_ip_per_minute: 600,
            per_conversation_per_minute: 60,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 4096,
            max_connections_per_ip: 128,
        }
    }
}

/// How to run a server.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// The agents' configs.
    pub configs: Vec<ConfigSource>,
    /// `${VAR}` values that override the environment.
    pub vars: BTreeMap<String, String>,
    /// The key admin endpoints require (none: admin endpoints are off).
    pub admin_key: Option<String>,
    /// Limits.
    pub limits: Limits,
    /// Demo only: an endpoint that signs widget identities for the playground's demo customers.
    pub demo_signing: bool,
}

/// Wall-clock time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// The agent for a config, with HTTP connectors, the configured model and this store.
pub fn build_agent(
    config: Arc<Config>,
    store: Arc<dyn ConversationStore>,
) -> Result<Agent, String> {
    let model = switchboard_llm::build_model(config.clone())
        .map_err(|e| format!("{}: {e}", config.agent.name))?;
    Ok(Agent {
        model,
        tools: Arc::new(HttpToolRunner::new(config.clone())),
        user_data: Arc::new(HttpUserDataSource::new(config.clone())),
        clock: Arc::new(SystemClock),
        store,
        config,
    })
}

/// The agents one server hosts, by name; the first is the default.
pub struct Agents {
    /// By name.
    pub by_name: BTreeMap<String, Arc<Agent>>,
    /// The identity provider's keys of each agent that verifies JWTs with a JWKS URL.
    pub jwks: BTreeMap<String, Arc<Jwks>>,
    /// The agent `/v1/conversations` (without a name) uses.
    pub default: String,
}

fn config_files(source: &ConfigSource) -> Result<Vec<ConfigSource>, String> {
    match source {
        ConfigSource::Path(path) if path.is_dir() => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(format!("{}: no .yaml files in this folder", path.display()));
            }
            Ok(files.into_iter().map(ConfigSource::Path).collect())
        }
        other => Ok(vec![other.clone()]),
    }
}

/// Loads and validates every config; any error leaves nothing loaded.
pub fn load_agents(
    sources: &[ConfigSource],
    vars: &BTreeMap<String, String>,
    store: &Arc<dyn ConversationStore>,
) -> Result<Agents, String> {
    let env = LayeredEnvironment {
        overrides: vars,
        fallback: &ProcessEnvironment,
    };
    let mut by_name = BTreeMap::new();
    let mut jwks = BTreeMap::new();
    let mut default = None;
    for source in sources
        .iter()
        .map(config_files)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
    {
        let config = match &source {
            ConfigSource::Path(path) => Config::load(path, &env),
            ConfigSource::Text { name, text } => Config::from_yaml(name, text, &env),
        }
        .map_err(|e| e.to_string())?;
        let name = config.agent.name.clone();
        if let Some(url) = config
            .identity
            .jwt
            .as_ref()
            .and_then(|j| j.jwks_url.clone())
        {
            let keys = Jwks::new(url, config.outbound, Arc::new(SystemLookup));
            jwks.insert(name.clone(), Arc::new(keys));
        }
        let agent = build_agent(Arc::new(config), store.clone())?;
        if by_name.insert(name.clone(), Arc::new(agent)).is_some() {
            return Err(format!(
                "two configs define the agent `{name}`; agent names must be unique"
            ));
        }
        default.get_or_insert(name);
    }
    let default = default.ok_or("no agent config given (--config FILE or FOLDER)")?;
    Ok(Agents {
        by_name,
        jwks,
        default,
    })
}

/// Everything the handlers share.
pub struct AppState {
    /// The agents (replaced whole by a reload).
    pub agents: ArcSwap<Agents>,
    /// Where they were loaded from.
    pub options: ServerOptions,
    /// Conversations.
    pub store: Arc<dyn ConversationStore>,
    /// Turn events for subscribers (on every node sharing the store).
    pub events: Arc<dyn EventBus>,
    /// Metrics.
    pub metrics: Metrics,
    /// The admin key.
    pub admin_key: Option<Secret>,
    /// Requests per client address.
    pub ip_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Messages per conversation.
    pub conversation_limiter: DefaultKeyedRateLimiter<String>,
    /// Every secret this server has held — the admin key, and every agent's from the first
    /// load and every reload — for the log writer.
    pub secrets: SharedRedactor,
}

/// Teaches `secrets` every secret of these agents.
fn learn(secrets: &SharedRedactor, agents: &Agents) {
    for agent in agents.by_name.values() {
        secrets.learn(&agent.config.redactor);
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least one"))
}

impl AppState {
    /// Loads the agents and builds the state; events stay in this process.
    pub fn new(
        options: ServerOptions,
        store: Arc<dyn ConversationStore>,
    ) -> Result<Arc<Self>, String> {
        Self::with_events(options, store, Arc::new(LocalBus::default()))
    }

    /// Loads the agents and builds the state with a shared event bus.
    pub fn with_events(
        options: ServerOptions,
        store: Arc<dyn ConversationStore>,
        events: Arc<dyn EventBus>,
    ) -> Result<Arc<Self>, String> {
        Self::with_secrets(options, store, events, SharedRedactor::default())
    }

    /// [`Self::with_events`], teaching `secrets` (the log writer's redactor) the admin key and
    /// every agent's secrets, now and at every reload.
    pub fn with_secrets(
        options: ServerOptions,
        store: Arc<dyn ConversationStore>,
        events: Arc<dyn EventBus>,
        secrets: SharedRedactor,
    ) -> Result<Arc<Self>, String> {
        let admin_key = options.admin_key.clone().map(Secret::new);
        if admin_key.as_ref().is_some_and(|k| !k.is_redactable()) {
            return Err(format!(
                "the admin key is shorter than {} characters: it could not be kept out of logs; use a long random key, e.g. `openssl rand -hex 24`",
                Redactor::MIN_SECRET_LEN
            ));
        }
        secrets.learn_secrets(admin_key.clone());
        let agents = load_agents(&options.configs, &options.vars, &store)?;
        learn(&secrets, &agents);
        let limits = options.limits;
        Ok(Arc::new(Self {
            agents: ArcSwap::from_pointee(agents),
            admin_key,
            secrets,
            store,
            events,
            metrics: Metrics::default(),
            ip_limiter: RateLimiter::keyed(per_minute(limits.per_ip_per_minute)),
            conversation_limiter: RateLimiter::keyed(per_minute(
                limits.per_conversation_per_minute,
            )),
            options,
        }))
    }

    /// Reloads every config; on any error the running agents stay as they are.
    pub fn reload(&self) -> Result<Vec<String>, String> {
        let agents = load_agents(&self.options.configs, &self.options.vars, &self.store)?;
        learn(&self.secrets, &agents);
        let names = agents.by_name.keys().cloned().collect();
        self.agents.store(Arc::new(agents));
        Ok(names)
    }

    /// The JWKS of the agent with this name, if it verifies JWTs with one.
    pub fn jwks(&self, name: &str) -> Option<Arc<Jwks>> {
        self.agents.load().jwks.get(name).cloned()
    }

    /// The agent with this name (or the default).
    pub fn agent(&self, name: Option<&str>) -> Option<Arc<Agent>> {
        let agents = self.agents.load();
        agents.by_name.get(name.unwrap_or(&agents.default)).cloned()
    }
}
