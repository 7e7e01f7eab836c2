//! Reading response bodies with a size cap, and the one HTTP client every outbound call uses.

use std::sync::Arc;

use futures::StreamExt;
use switchboard_core::config::OutboundPolicy;

use crate::guard::{GuardedResolver, NameLookup, redirect_policy};

/// Builds the guarded HTTP client for a policy: checked resolver, checked redirects, no proxy
/// from the environment (a proxy would resolve names where the guard cannot see them).
pub fn guarded_client(policy: OutboundPolicy, lookup: Arc<dyn NameLookup>) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver::new(policy, lookup)))
        .redirect(redirect_policy(policy))
        .no_proxy()
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client configuration is static and valid")
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Larger than the cap.
    TooLarge(u64),
    /// The connection failed mid-body.
    Transport(reqwest::Error),
}

/// Reads at most `max_bytes` of a response body.
pub async fn read_capped(
    response: reqwest::Response,
    max_bytes: u64,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|len| len > max_bytes) {
        return Err(BodyError::TooLarge(max_bytes));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(BodyError::Transport)?;
        if body.len() as u64 + chunk.len() as u64 > max_bytes {
            return Err(BodyError::TooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Describes a transport error without its URL (which may hold a secret query value).
pub fn describe_transport_error(error: &reqwest::Error, timeout_ms: u128) -> (bool, String) {
    if let Some(refused) = crate::guard::refusal_in(error) {
        return (false, refused.to_string());
    }
    if error.is_timeout() {
        return (true, format!("no answer within {timeout_ms} ms"));
    }
    if error.is_redirect() {
        return (false, "the API redirected somewhere not allowed".into());
    }
    if error.is_connect() {
        return (true, "could not connect to the API".into());
    }
    (true, "the connection to the API failed".into())
}
