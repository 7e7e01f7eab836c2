//! Switchboard's model providers, all behind `switchboard_core::model::ChatModel`: thin
//! clients of our own for OpenAI-compatible chat completions and the Anthropic Messages API
//! (tool calling, SSE streaming, retries), and the built-in offline engine.
//!
//! This crate talks to model servers only; it never calls company APIs or decides policy.

pub mod anthropic;
pub mod offline;
pub mod openai;
pub mod sse;
mod transport;

pub use offline::OfflineEngine;

use std::sync::Arc;

use switchboard_core::config::{Config, ModelProvider};
use switchboard_core::model::ChatModel;

/// Why a provider could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A provider that needs a key has none.
    #[error("the {0} provider needs `agent.model.api_key` (e.g. `${{OPENAI_API_KEY}}`)")]
    MissingKey(&'static str),
    /// The key cannot be sent in a header.
    #[error("the {0} provider's API key holds characters a header cannot carry")]
    BadKey(&'static str),
    /// The provider's URL is not one.
    #[error("the {0} provider's URL is not valid: {1} (check `agent.model.base_url`)")]
    BadUrl(&'static str, String),
}

/// The model the config asks for.
pub fn build_model(config: Arc<Config>) -> Result<Arc<dyn ChatModel>, BuildError> {
    Ok(match config.agent.model.provider {
        ModelProvider::Offline => Arc::new(OfflineEngine::new(config)),
        ModelProvider::Openai => Arc::new(openai::OpenAiModel::new(&config)?),
        ModelProvider::Anthropic => Arc::new(anthropic::AnthropicModel::new(&config)?),
    })
}
