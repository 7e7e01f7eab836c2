//! Signing keys from an identity provider's JWKS URL, for JWT identity proofs (RS256, ES256).
//!
//! The set is fetched through the outbound guard, kept for [`Jwks::FRESH_FOR`], and fetched
//! again early when a token names a key id the set does not hold (the provider rotated its
//! keys) — at most once per [`Jwks::RETRY_AFTER`], so tokens with made-up key ids cannot
//! make Switchboard hammer the provider. A failed refresh keeps the keys it had.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use switchboard_core::config::OutboundPolicy;
use tokio::sync::Mutex;

use crate::body::{guarded_client, read_capped};
use crate::guard::NameLookup;

/// A JWKS URL's keys, cached.
pub struct Jwks {
    url: url::Url,
    client: reqwest::Client,
    cached: Mutex<Cached>,
    fresh_for: Duration,
    retry_after: Duration,
}

#[derive(Default)]
struct Cached {
    keys: Option<JwkSet>,
    fetched: Option<Instant>,
    tried: Option<Instant>,
}

impl Jwks {
    /// How long a fetched set is used before it is fetched again.
    pub const FRESH_FOR: Duration = Duration::from_secs(600);
    /// The shortest time between two fetches, whatever tokens arrive.
    pub const RETRY_AFTER: Duration = Duration::from_secs(30);
    /// The largest key set read.
    const MAX_BYTES: u64 = 256 * 1024;

    /// Keys from `url`, fetched through the guard of `policy` on first use.
    pub fn new(url: url::Url, policy: OutboundPolicy, lookup: Arc<dyn NameLookup>) -> Self {
        Self {
            url,
            client: guarded_client(policy, lookup),
            cached: Mutex::default(),
            fresh_for: Self::FRESH_FOR,
            retry_after: Self::RETRY_AFTER,
        }
    }

    /// The same with other refresh times (tests use short ones).
    pub fn refreshing(mut self, fresh_for: Duration, retry_after: Duration) -> Self {
        self.fresh_for = fresh_for;
        self.retry_after = retry_after;
        self
    }

    /// The key that verifies a token signed with `alg` under key id `kid`. The key must be of
    /// the algorithm's family and, when the set says which algorithm a key is for, of that
    /// algorithm: a token cannot pick how it is checked.
    pub async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, String> {
        let kid = kid.ok_or("the token names no key (`kid`)")?;
        let mut cached = self.cached.lock().await;
        let stale = cached
            .fetched
            .is_none_or(|at| at.elapsed() > self.fresh_for);
        let unknown = cached
            .keys
            .as_ref()
            .is_none_or(|set| set.find(kid).is_none());
        let may_try = cached
            .tried
            .is_none_or(|at| at.elapsed() > self.retry_after);
        if (stale || unknown) && may_try {
            cached.tried = Some(Instant::now());
            match self.fetch().await {
                Ok(set) => {
                    cached.keys = Some(set);
                    cached.fetched = Some(Instant::now());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot fetch the JWKS; keeping the keys it had");
                    if cached.keys.is_none() {
                        return Err(format!(
                            "the identity provider's keys are unavailable ({e})"
                        ));
                    }
                }
            }
        }
        let jwk = cached
            .keys
            .as_ref()
            .and_then(|set| set.find(kid))
            .ok_or_else(|| format!("no key `{kid}` in the identity provider's key set"))?;
        decoding_key(jwk, alg)
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let response = self
            .client
            .get(self.url.clone())
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| crate::body::describe_transport_error(&e, 5000).1)?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status().as_u16()));
        }
        let body = read_capped(response, Self::MAX_BYTES)
            .await
            .map_err(|e| format!("{e:?}"))?;
        serde_json::from_slice(&body).map_err(|e| format!("not a JWKS: {e}"))
    }
}

/// A JWK as the key for `alg`, refused when it is for something else.
fn decoding_key(jwk: &Jwk, alg: Algorithm) -> Result<DecodingKey, String> {
    if !matches!(alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(format!("algorithm {alg:?} is not accepted with a key set"));
    }
    if let Some(declared) = jwk.common.key_algorithm {
        let declared = format!("{declared:?}");
        if declared != format!("{alg:?}") {
            return Err(format!("the key is for {declared}, the token says {alg:?}"));
        }
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable key: {e}"))?;
    let family_fits = match alg {
        Algorithm::RS256 => key.family() == jsonwebtoken::AlgorithmFamily::Rsa,
        _ => key.family() == jsonwebtoken::AlgorithmFamily::Ec,
    };
    if !family_fits {
        return Err(format!("the key is not a {alg:?} key"));
    }
    Ok(key)
}
