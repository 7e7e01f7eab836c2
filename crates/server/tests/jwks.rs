//! JWT identity with the identity provider's key set (JWKS): RS256 and ES256 tokens checked with
//! the key their `kid` names, keys fetched over real HTTP through the outbound guard, fetched
//! again when the provider rotates, never more often than allowed however many made-up key ids
//! arrive, and a token never picks how it is checked.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use switchboard_connect::{Jwks, SystemLookup};
use switchboard_core::config::{Config, OutboundPolicy};
use switchboard_core::identity::Identity;
use switchboard_core::template::ProcessEnvironment;
use switchboard_server::identity::{IdentityProof, establish};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The provider: serves its key set (which the test may rotate) and counts fetches.
struct Provider {
    url: String,
    keys: Arc<std::sync::Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

async fn provider(keys: Value) -> Provider {
    let keys = Arc::new(std::sync::Mutex::new(keys));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (served, counted) = (keys.clone(), fetches.clone());
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let (served, counted) = (served.clone(), counted.clone());
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                axum::Json(served.lock().unwrap().clone())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Provider { url, keys, fetches }
}

fn key_set() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/jwks_test.json")).unwrap())
        .unwrap()
}

/// The set with only the keys whose id is in `kids`.
fn only(kids: &[&str]) -> Value {
    let mut set = key_set();
    set["keys"]
        .as_array_mut()
        .unwrap()
        .retain(|k| kids.contains(&k["kid"].as_str().unwrap()));
    set
}

fn config(jwks_url: &str) -> Config {
    let yaml = format!(
        "agent:\n  name: idp\nidentity:\n  jwt:\n    jwks_url: {jwks_url}\n    issuer: https://login.example.com\n    audience: switchboard\n"
    );
    Config::from_yaml("idp.yaml", &yaml, &ProcessEnvironment).unwrap()
}

fn loopback() -> OutboundPolicy {
    OutboundPolicy {
        allow_loopback: true,
        allow_private: false,
        max_response_bytes: 1 << 20,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> Value {
    json!({"email": "alice@example.com", "iss": "https://login.example.com", "aud": "switchboard", "exp": now() + 600})
}

fn sign(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_string());
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(
            &std::fs::read(format!("{FIXTURES}/jwt_test_private.pem")).unwrap(),
        ),
        Algorithm::ES256 => EncodingKey::from_ec_pem(
            &std::fs::read(format!("{FIXTURES}/es256_test_private.pem")).unwrap(),
        ),
        _ => unreachable!("only RS256 and ES256 are signed here"),
    }
    .unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

async fn who(config: &Config, jwks: &Jwks, token: String) -> (bool, String) {
    let proof = IdentityProof {
        token: Some(token),
        ..IdentityProof::default()
    };
    let established = establish(&config.identity, &proof, Some(jwks)).await;
    (
        matches!(established.identity, Identity::Verified { .. }),
        established.note,
    )
}

#[tokio::test]
async fn rs256_and_es256_tokens_verify_with_the_key_their_kid_names() {
    let idp = provider(key_set()).await;
    let config = config(&idp.url);
    let jwks = Jwks::new(idp.url.parse().unwrap(), loopback(), Arc::new(SystemLookup));
    for (alg, kid) in [
        (Algorithm::RS256, "rsa-2026"),
        (Algorithm::ES256, "ec-2026"),
    ] {
        let (verified, note) = who(&config, &jwks, sign(alg, kid, &claims())).await;
        assert!(verified, "{alg:?}: {note}");
    }
    assert_eq!(idp.fetches.load(Ordering::SeqCst), 1, "the set is cached");
    // A configured issuer and audience stay required claims.
    let mut no_issuer = claims();
    no_issuer.as_object_mut().unwrap().remove("iss");
    let (verified, note) = who(
        &config,
        &jwks,
        sign(Algorithm::RS256, "rsa-2026", &no_issuer),
    )
    .await;
    assert!(!verified && note.contains("iss"), "{note}");
}

#[tokio::test]
async fn a_rotated_key_is_fetched_and_made_up_kids_cannot_hammer_the_provider() {
    let idp = provider(only(&["rsa-2026"])).await;
    let config = config(&idp.url);
    let jwks = Jwks::new(idp.url.parse().unwrap(), loopback(), Arc::new(SystemLookup))
        .refreshing(Duration::from_secs(600), Duration::from_secs(1));
    let (verified, _) = who(
        &config,
        &jwks,
        sign(Algorithm::RS256, "rsa-2026", &claims()),
    )
    .await;
    assert!(verified);
    // The provider rotates in a new key; a token signed with it arrives.
    *idp.keys.lock().unwrap() = key_set();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // A flood of tokens naming keys nobody has, right after that fetch: no more fetches in
    // the window (signed beforehand, so the flood takes well under it).
    let rotated = sign(Algorithm::ES256, "ec-2026", &claims());
    let flood: Vec<String> = (0..50)
        .map(|i| sign(Algorithm::RS256, &format!("forged-{i}"), &claims()))
        .collect();
    let (verified, note) = who(&config, &jwks, rotated).await;
    assert!(verified, "the rotated key was fetched: {note}");
    assert_eq!(idp.fetches.load(Ordering::SeqCst), 2);
    for token in flood {
        let (verified, note) = who(&config, &jwks, token).await;
        assert!(!verified && note.contains("no key"), "{note}");
    }
    assert!(idp.fetches.load(Ordering::SeqCst) <= 3, "{:?}", idp.fetches);
}

#[tokio::test]
async fn a_token_cannot_pick_how_it_is_checked() {
    let idp = provider(key_set()).await;
    let config = config(&idp.url);
    let jwks = Jwks::new(idp.url.parse().unwrap(), loopback(), Arc::new(SystemLookup));
    // An RS256 token that names the EC key, and an ES256 token that names the RSA key.
    let (verified, note) = who(&config, &jwks, sign(Algorithm::RS256, "ec-2026", &claims())).await;
    assert!(!verified, "{note}");
    let (verified, note) = who(
        &config,
        &jwks,
        sign(Algorithm::ES256, "rsa-2026", &claims()),
    )
    .await;
    assert!(!verified, "{note}");
    // HS256 signed with the provider's public RSA key as the shared secret (the classic
    // confusion): no HS256 secret is configured, so it is refused.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-2026".into());
    let public = std::fs::read(format!("{FIXTURES}/jwt_test_public.pem")).unwrap();
    let forged =
        jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&public)).unwrap();
    let (verified, note) = who(&config, &jwks, forged).await;
    assert!(!verified, "{note}");
    // A token without a key id, with no PEM key configured.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = None;
    let key = EncodingKey::from_rsa_pem(
        &std::fs::read(format!("{FIXTURES}/jwt_test_private.pem")).unwrap(),
    )
    .unwrap();
    let (verified, note) = who(
        &config,
        &jwks,
        jsonwebtoken::encode(&header, &claims(), &key).unwrap(),
    )
    .await;
    assert!(!verified && note.contains("kid"), "{note}");
}

#[tokio::test]
async fn the_key_set_is_fetched_through_the_outbound_guard() {
    let config = config("http://169.254.169.254/.well-known/jwks.json");
    let jwks = Jwks::new(
        "http://169.254.169.254/.well-known/jwks.json"
            .parse()
            .unwrap(),
        loopback(),
        Arc::new(SystemLookup),
    );
    let (verified, note) = who(
        &config,
        &jwks,
        sign(Algorithm::RS256, "rsa-2026", &claims()),
    )
    .await;
    assert!(!verified, "{note}");
    assert!(note.contains("unavailable"), "{note}");
}
