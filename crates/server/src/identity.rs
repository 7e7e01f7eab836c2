//! Who the customer is, as the channel proves it (DESIGN §1.4): widget HMAC, a JWT signed by
//! the company, or a trusted channel key. A bad proof never fails the request: the customer is
//! anonymous and the reason is kept for the transcript.

use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use switchboard_connect::Jwks;
use switchboard_core::config::IdentityConfig;
use switchboard_core::identity::{Identity, VerifiedEmail};

/// What a channel sent to prove the customer's identity (body fields or headers).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct IdentityProof {
    /// The customer's email (with `user_hash` or a channel key).
    #[serde(default)]
    pub email: Option<String>,
    /// `hex(HMAC-SHA256(secret, email))` from the company's backend.
    #[serde(default)]
    pub user_hash: Option<String>,
    /// A JWT signed by the company, with an `email` claim.
    #[serde(default)]
    pub token: Option<String>,
    /// A trusted channel's key (normally the `X-Switchboard-Channel-Key` header).
    #[serde(default)]
    pub channel_key: Option<String>,
}

/// The identity the proof establishes, and why a proof was not accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct Established {
    /// The identity.
    pub identity: Identity,
    /// How it was proven (`hmac`, `jwt`, `channel:<name>`), or why not.
    pub note: String,
}

#[derive(Deserialize)]
struct Claims {
    email: Option<String>,
    /// `false` (as identity providers mark an address not yet confirmed) is not verified.
    email_verified: Option<bool>,
}

fn anonymous(note: impl Into<String>) -> Established {
    Established {
        identity: Identity::Anonymous,
        note: note.into(),
    }
}

fn verified(email: &str, how: String) -> Established {
    match VerifiedEmail::new(email) {
        Ok(email) => Established {
            identity: Identity::Verified {
                email,
                customer_id: None,
            },
            note: how,
        },
        Err(_) => anonymous(format!(
            "{how} proof is for `{email}`, which is not an email address; anonymous"
        )),
    }
}

/// The widget HMAC for an email (what a company's backend computes for its logged-in users).
pub fn user_hash(secret: &str, email: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(email.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Establishes the identity a proof shows. Order: channel key, JWT, HMAC; no proof is anonymous.
/// `jwks` is the agent's identity-provider key set, when the config names one.
pub async fn establish(
    config: &IdentityConfig,
    proof: &IdentityProof,
    jwks: Option<&Jwks>,
) -> Established {
    if let Some(key) = &proof.channel_key {
        let matched = config
            .channel_keys
            .iter()
            .find(|(_, secret)| bool::from(secret.expose().as_bytes().ct_eq(key.as_bytes())));
        return match (matched, &proof.email) {
            (Some((name, _)), Some(email)) => verified(email, format!("channel:{name}")),
            (Some(_), None) => anonymous("a channel key came without an email; anonymous"),
            (None, _) => anonymous("unknown channel key; anonymous"),
        };
    }
    if let Some(token) = &proof.token {
        return match verify_jwt(config, token, jwks).await {
            Ok(email) => verified(&email, "jwt".into()),
            Err(reason) => anonymous(format!("token not accepted ({reason}); anonymous")),
        };
    }
    match (&proof.email, &proof.user_hash) {
        (Some(email), Some(hash)) => {
            let Some(secret) = &config.hmac_secret else {
                return anonymous("user_hash given but no HMAC secret is configured; anonymous");
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(email.as_bytes());
            let given = hex::decode(hash.trim()).unwrap_or_default();
            // Constant-time comparison.
            match mac.verify_slice(&given) {
                Ok(()) => verified(email, "hmac".into()),
                Err(_) => anonymous("user_hash does not match the email; anonymous"),
            }
        }
        (Some(_), None) => anonymous("an email without proof is not trusted; anonymous"),
        _ => anonymous("no identity proof; anonymous"),
    }
}

async fn verify_jwt(
    config: &IdentityConfig,
    token: &str,
    jwks: Option<&Jwks>,
) -> Result<String, String> {
    let Some(jwt) = &config.jwt else {
        return Err("no JWT verification is configured".into());
    };
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("malformed: {e}"))?;
    let pem = || {
        jwt.public_key
            .as_ref()
            .map(|key| key.expose().as_bytes())
            .ok_or(format!("{:?} is not configured", header.alg))
    };
    let key = match (header.alg, jwks) {
        (Algorithm::HS256, _) => DecodingKey::from_secret(
            jwt.secret
                .as_ref()
                .ok_or("HS256 is not configured")?
                .expose()
                .as_bytes(),
        ),
        // With a key set, the key the token names — of the token's algorithm, or refused. A
        // token without a key id falls back to the configured PEM key, if there is one.
        (Algorithm::RS256 | Algorithm::ES256, Some(jwks))
            if header.kid.is_some() || jwt.public_key.is_none() =>
        {
            jwks.key(header.kid.as_deref(), header.alg).await?
        }
        (Algorithm::RS256, _) => DecodingKey::from_rsa_pem(pem()?)
            .map_err(|e| format!("the configured RS256 key is unusable: {e}"))?,
        (Algorithm::ES256, _) => DecodingKey::from_ec_pem(pem()?)
            .map_err(|e| format!("the configured ES256 key is unusable: {e}"))?,
        (other, _) => return Err(format!("algorithm {other:?} is not accepted")),
    };
    let mut validation = Validation::new(header.alg);
    validation.validate_nbf = true;
    validation.leeway = 30;
    // A configured issuer or audience is a required claim: a token without it is refused,
    // not waved through.
    let mut required = vec!["exp"];
    match &jwt.audience {
        Some(aud) => {
            validation.set_audience(&[aud]);
            required.push("aud");
        }
        None => validation.validate_aud = false,
    }
    if let Some(iss) = &jwt.issuer {
        validation.set_issuer(&[iss]);
        required.push("iss");
    }
    validation.set_required_spec_claims(&required);
    let data =
        jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => "expired".to_string(),
            jsonwebtoken::errors::ErrorKind::ImmatureSignature => "not valid yet".to_string(),
            jsonwebtoken::errors::ErrorKind::InvalidSignature => "bad signature".to_string(),
            jsonwebtoken::errors::ErrorKind::InvalidAudience => "wrong audience".to_string(),
            jsonwebtoken::errors::ErrorKind::InvalidIssuer => "wrong issuer".to_string(),
            jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(claim) => {
                format!("missing required claim `{claim}`")
            }
            _ => format!("invalid: {e}"),
        })?;
    if data.claims.email_verified == Some(false) {
        return Err("the email is not verified (`email_verified: false`)".into());
    }
    data.claims
        .email
        .ok_or_else(|| "no `email` claim".to_string())
}
