//! Secrets: a value that cannot be printed, and the redactor that scrubs known secret values
//! from any text that leaves the process (logs, transcripts, errors, admin output).

use std::fmt;
use std::sync::Arc;

/// The text shown wherever a secret would otherwise appear.
pub const REDACTED: &str = "[REDACTED]";

/// A secret string (API key, token, password). `Debug` and `Display` never show it; the only way
/// to read it is [`Secret::expose`], which is called where the value goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a value read from the environment or a file.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::from(value.into()))
    }

    /// The raw value, for the one place that sends it (an HTTP header, a query parameter).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Replaces every known secret value in a text with [`REDACTED`]. Built once from the resolved
/// configuration; applied to every string that is logged, stored in a transcript or returned in
/// an error.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    /// Secrets shorter than this are not scrubbed: replacing a 1–3 character value everywhere
    /// would destroy ordinary text, and such a value is no secret anyway (the config loader
    /// rejects them).
    pub const MIN_SECRET_LEN: usize = 4;

    /// A redactor for these secrets (longest first, so a secret that contains another is
    /// replaced whole).
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let mut secrets: Vec<Secret> = secrets
            .into_iter()
            .filter(|s| s.expose().len() >= Self::MIN_SECRET_LEN)
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        secrets.dedup();
        Self { secrets }
    }

    /// One redactor for the secrets of several (a server hosting several agents).
    pub fn combined<'a>(redactors: impl IntoIterator<Item = &'a Redactor>) -> Self {
        Self::new(
            redactors
                .into_iter()
                .flat_map(|r| r.secrets.iter().cloned()),
        )
    }

    /// The text with every secret value replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.expose()) {
                out = out.replace(secret.expose(), REDACTED);
            }
        }
        out
    }

    /// Redacts every string inside a JSON value, keys included.
    pub fn redact_json(&self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        if self.secrets.is_empty() {
            return value.clone();
        }
        match value {
            Value::String(s) => Value::String(self.redact(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.redact_json(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.redact(k), self.redact_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Whether any secret value occurs in the text.
    pub fn contains_secret(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.expose()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("sk-live-123456");
        assert_eq!(format!("{s} {s:?}"), "[REDACTED] [REDACTED]");
        assert_eq!(s.expose(), "sk-live-123456");
    }

    #[test]
    fn redactor_replaces_longest_first_and_inside_json() {
        let r = Redactor::new([Secret::new("abcd"), Secret::new("abcdefgh")]);
        assert_eq!(r.redact("x abcdefgh y abcd"), "x [REDACTED] y [REDACTED]");
        let v = serde_json::json!({"k": ["token abcd"], "abcd": 1});
        assert_eq!(
            r.redact_json(&v),
            serde_json::json!({"k": ["token [REDACTED]"], "[REDACTED]": 1})
        );
        assert!(r.contains_secret("..abcd.."));
        assert!(!r.contains_secret("abc"));
    }
}
