//! The User Data API client (DESIGN §1.1): `POST <url>` with `{"identifier": email}` and the
//! configured headers; `{identifier, user_info}` back. Every failure is a recorded reason; the
//! conversation goes on without user data.

use std::sync::Arc;
use std::time::Instant;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use switchboard_core::agent::UserDataSource;
use switchboard_core::config::Config;
use switchboard_core::identity::VerifiedEmail;
use switchboard_core::user_data::{UserDataOutcome, UserDataResponse, accept_response};

use crate::body::{BodyError, describe_transport_error, guarded_client, read_capped};
use crate::guard::{NameLookup, SystemLookup, check_url};

/// Fetches user data over HTTP.
pub struct HttpUserDataSource {
    config: Arc<Config>,
    client: reqwest::Client,
}

impl HttpUserDataSource {
    /// A client for this config using the system resolver.
    pub fn new(config: Arc<Config>) -> Self {
        Self::with_lookup(config, Arc::new(SystemLookup))
    }

    /// A client with a custom name lookup.
    pub fn with_lookup(config: Arc<Config>, lookup: Arc<dyn NameLookup>) -> Self {
        let client = guarded_client(config.outbound, lookup);
        Self { config, client }
    }

    async fn fetch_inner(&self, email: &VerifiedEmail) -> Result<UserDataOutcome, String> {
        let Some(config) = &self.config.user_data else {
            return Ok(UserDataOutcome::Skipped {
                reason: "no User Data API is configured".into(),
            });
        };
        check_url(&config.url, &self.config.outbound).map_err(|r| r.to_string())?;
        let mut headers = HeaderMap::new();
        for (name, template) in &config.headers {
            let rendered = template
                .render(&Default::default(), str::to_string)
                .ok_or("a header template has no value")?;
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{name}` is not a header name"))?;
            let value = HeaderValue::from_str(&rendered.wire)
                .map_err(|_| format!("header `{name}` holds characters headers cannot carry"))?;
            headers.insert(name, value);
        }
        let response = self
            .client
            .post(config.url.clone())
            .headers(headers)
            .timeout(config.timeout)
            .json(&serde_json::json!({"identifier": email.as_str()}))
            .send()
            .await
            .map_err(|e| describe_transport_error(&e, config.timeout.as_millis()).1)?;
        let status = response.status();
        if !status.is_success() {
            let what = match status.as_u16() {
                401 | 403 => "the API refused Switchboard's credentials",
                404 => "the API does not know this customer",
                400 => "the API rejected the request",
                _ => "the API failed",
            };
            return Err(format!(
                "{what} ({} {})",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_string());
        }
        let body = read_capped(response, self.config.outbound.max_response_bytes)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge(max) => format!("the response was larger than {max} bytes"),
                BodyError::Transport(e) => {
                    describe_transport_error(&e, config.timeout.as_millis()).1
                }
            })?;
        let parsed: UserDataResponse = serde_json::from_slice(&body).map_err(|_| {
            "the response is not JSON of the form {\"identifier\", \"user_info\"}".to_string()
        })?;
        let (data, truncated) =
            accept_response(config, email.as_str(), parsed, &self.config.redactor)?;
        Ok(UserDataOutcome::Fetched {
            data,
            truncated,
            latency_ms: 0,
        })
    }
}

#[async_trait::async_trait]
impl UserDataSource for HttpUserDataSource {
    async fn fetch(&self, email: &VerifiedEmail) -> UserDataOutcome {
        let started = Instant::now();
        let outcome = self.fetch_inner(email).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let outcome = match outcome {
            Ok(UserDataOutcome::Fetched {
                data, truncated, ..
            }) => UserDataOutcome::Fetched {
                data: self.config.redactor.redact_json(&data),
                truncated,
                latency_ms,
            },
            Ok(other) => other,
            Err(reason) => UserDataOutcome::Failed {
                reason: self.config.redactor.redact(&reason),
                latency_ms,
            },
        };
        match &outcome {
            UserDataOutcome::Failed { reason, .. } => {
                tracing::warn!(latency_ms, reason = %reason, "user data not available")
            }
            UserDataOutcome::Fetched { truncated, .. } => {
                tracing::info!(latency_ms, truncated, "user data fetched")
            }
            UserDataOutcome::Skipped { reason } => {
                tracing::debug!(reason = %reason, "user data skipped")
            }
        }
        outcome
    }
}
