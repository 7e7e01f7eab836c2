//! Request templates: URL, query, header and body templates compiled once at config load.
//!
//! A template mixes literal text, secret references resolved at load time and `{input}`
//! placeholders filled per call. A placeholder's value is always encoded for the place it goes:
//! percent-encoded into one path segment or one query value, checked for header safety, or
//! inserted as a typed JSON value into a body. A model-supplied value can therefore never add a
//! path segment, change the host, or add a query key.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::secret::{REDACTED, Redactor, Secret};

/// Everything but RFC 3986 "unreserved" characters is encoded, so a value stays one path
/// segment or one query value whatever it contains (`/`, `?`, `#`, `&`, `=`, `%`, spaces…).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One piece of a compiled template.
#[derive(Clone, Debug)]
pub enum Piece {
    /// Literal text from the config.
    Text(String),
    /// A secret resolved at load time; rendered as the real value on the wire, as
    /// `[REDACTED]` in anything shown.
    Secret(Secret),
    /// An input placeholder `{name}`.
    Input(String),
}

/// A compiled string template.
#[derive(Clone, Debug, Default)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// A template rendered twice: the value sent on the wire and the value safe to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The value to send (contains secrets).
    pub wire: String,
    /// The value with secrets replaced by `[REDACTED]`.
    pub shown: String,
}

/// Why a template could not be compiled; the config loader adds the location.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unclosed `{{` in template; write `{{{{` for a literal brace")]
    UnclosedBrace,
    #[error("`{0}` is not a valid input name; names are letters, digits and `_`")]
    BadInputName(String),
    #[error("environment variable `{0}` is not set; export it or remove the reference")]
    MissingEnv(String),
    #[error("cannot read secret file `{path}`: {reason}")]
    SecretFile { path: String, reason: String },
    #[error("secret references (`${{…}}`) are not allowed here")]
    SecretNotAllowed,
    #[error("the secret `${{{0}}}` is shorter than {min} characters", min = Redactor::MIN_SECRET_LEN)]
    ShortSecret(String),
    #[error("input placeholders are not allowed here")]
    InputNotAllowed,
}

/// How `${…}` references in a template are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum References {
    /// `${VAR}` and `${file:PATH}` become secrets (headers, query values, bodies, API keys).
    Secret,
    /// `${VAR}` is plain configuration substituted as text (URLs, e.g. a base URL per
    /// environment). Credentials do not belong in a URL.
    Plain,
}

/// Where a template may read environment variables and files from. Tests and the demo pass a
/// map; production passes the process environment.
pub trait Environment {
    /// The value of an environment variable.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Environment for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// An environment that consults `overrides` first, then `fallback`.
pub struct LayeredEnvironment<'a> {
    /// Values that win.
    pub overrides: &'a BTreeMap<String, String>,
    /// Where everything else comes from.
    pub fallback: &'a dyn Environment,
}

impl Environment for LayeredEnvironment<'_> {
    fn var(&self, name: &str) -> Option<String> {
        self.overrides
            .get(name)
            .cloned()
            .or_else(|| self.fallback.var(name))
    }
}

fn is_input_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn resolve_reference(
    reference: &str,
    references: References,
    env: &dyn Environment,
) -> Result<Piece, TemplateError> {
    if let Some(path) = reference.strip_prefix("file:") {
        if references == References::Plain {
            return Err(TemplateError::SecretNotAllowed);
        }
        let text = std::fs::read_to_string(path).map_err(|e| TemplateError::SecretFile {
            path: path.to_string(),
            reason: e.to_string(),
        })?;
        return redactable(reference, text.trim_end_matches(['\n', '\r']));
    }
    let value = env
        .var(reference)
        .ok_or_else(|| TemplateError::MissingEnv(reference.to_string()))?;
    match references {
        References::Secret => redactable(reference, &value),
        References::Plain => Ok(Piece::Text(value)),
    }
}

/// A secret the redactor can keep out of every output; a shorter one could not be.
fn redactable(reference: &str, value: &str) -> Result<Piece, TemplateError> {
    let secret = Secret::new(value);
    if secret.is_redactable() {
        Ok(Piece::Secret(secret))
    } else {
        Err(TemplateError::ShortSecret(reference.to_string()))
    }
}

impl Template {
    /// Compiles a template. `allow_inputs` says whether `{input}` placeholders may appear.
    pub fn compile(
        source: &str,
        references: References,
        allow_inputs: bool,
        env: &dyn Environment,
    ) -> Result<Self, TemplateError> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = source;
        while let Some(pos) = rest.find(['{', '}', '$']) {
            text.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            if let Some(after) = tail.strip_prefix("${") {
                let end = after.find('}').ok_or(TemplateError::UnclosedBrace)?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                match resolve_reference(after[..end].trim(), references, env)? {
                    Piece::Text(t) => text.push_str(&t),
                    piece => pieces.push(piece),
                }
                rest = &after[end + 1..];
            } else if tail.starts_with("{{") || tail.starts_with("}}") {
                text.push_str(&tail[..1]);
                rest = &tail[2..];
            } else if let Some(after) = tail.strip_prefix('{') {
                let end = after.find('}').ok_or(TemplateError::UnclosedBrace)?;
                let name = after[..end].trim();
                if !is_input_name(name) {
                    return Err(TemplateError::BadInputName(name.to_string()));
                }
                if !allow_inputs {
                    return Err(TemplateError::InputNotAllowed);
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Input(name.to_string()));
                rest = &after[end + 1..];
            } else {
                // A lone `}` or a `$` not followed by `{` is literal text.
                text.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Self { pieces })
    }

    /// The input names this template uses.
    pub fn inputs(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Input(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// Whether the template holds a secret.
    pub fn has_secret(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Secret(_)))
    }

    /// The template if it is only literal text.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                _ => return None,
            }
        }
        Some(out)
    }

    /// Whether the template is exactly one placeholder (a typed body value).
    fn single_input(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [Piece::Input(name)] => Some(name),
            _ => None,
        }
    }

    /// Renders with each input and secret value passed through `encode`. Returns `None` when
    /// the template uses an input that has no value.
    pub fn render(
        &self,
        inputs: &BTreeMap<String, Value>,
        encode: impl Fn(&str) -> String,
    ) -> Option<Rendered> {
        let mut wire = String::new();
        let mut shown = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => {
                    wire.push_str(t);
                    shown.push_str(t);
                }
                Piece::Secret(s) => {
                    // Encoded like an input: a secret in a URL stays one path segment or
                    // one query value whatever characters it holds.
                    wire.push_str(&encode(s.expose()));
                    shown.push_str(REDACTED);
                }
                Piece::Input(name) => {
                    let value = inputs.get(name).filter(|v| !v.is_null())?;
                    let encoded = encode(&scalar_text(value));
                    wire.push_str(&encoded);
                    shown.push_str(&encoded);
                }
            }
        }
        Some(Rendered { wire, shown })
    }

    /// The secrets this template holds.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Secret(s) => Some(s),
            _ => None,
        })
    }
}

/// The text form of a JSON scalar as it goes into a URL or header (`"W1"` → `W1`, `3` → `3`).
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Percent-encodes one path segment or query value.
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// A compiled URL template: a fixed origin, path segments and query values that may hold
/// placeholders, and named query parameters.
#[derive(Clone, Debug)]
pub struct UrlTemplate {
    origin: url::Url,
    segments: Vec<Template>,
    query: Vec<(String, Template)>,
}

/// Why a URL could not be built for a call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("input `{0}` is required to build the request URL")]
    MissingInput(String),
    #[error("input value for a path segment may not be `.` or `..`")]
    DotSegment,
    #[error("the built URL changed origin or path shape; refused")]
    ShapeChanged,
}

/// Why a URL template could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlTemplateError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("`{0}` is not an absolute http(s) URL: {1}")]
    NotAbsolute(String, String),
    #[error("input placeholders may only appear in the path or query, not in scheme, host or port")]
    PlaceholderInOrigin,
    #[error("a query key may not contain a placeholder; use `query:` with a fixed key instead")]
    PlaceholderInQueryKey,
    #[error("a URL may not contain a fragment (`#…`)")]
    Fragment,
}

impl UrlTemplate {
    /// Compiles `source` plus extra `query` parameters. `${VAR}` in the origin (scheme, host,
    /// port: a base URL such as `${SHOP_URL}`) is plain configuration, substituted as text;
    /// after the origin — in the path, in a query value, in `query` — it is a secret: sent
    /// percent-encoded, shown as `[REDACTED]`, listed by [`Self::secrets`].
    pub fn compile(
        source: &str,
        query: &BTreeMap<String, String>,
        env: &dyn Environment,
    ) -> Result<Self, UrlTemplateError> {
        let text = expand_origin_references(source, env)?;
        if text.contains('#') {
            return Err(UrlTemplateError::Fragment);
        }
        let (before_query, query_text) = match text.split_once('?') {
            Some((a, b)) => (a, Some(b)),
            None => (text.as_str(), None),
        };
        let scheme_end = before_query.find("://").ok_or_else(|| {
            UrlTemplateError::NotAbsolute(source.to_string(), "missing `scheme://`".into())
        })?;
        let path_start = before_query[scheme_end + 3..]
            .find('/')
            .map(|i| i + scheme_end + 3)
            .unwrap_or(before_query.len());
        let origin_text = &before_query[..path_start];
        if origin_text.contains('{') {
            return Err(UrlTemplateError::PlaceholderInOrigin);
        }
        let origin = url::Url::parse(origin_text)
            .map_err(|e| UrlTemplateError::NotAbsolute(source.to_string(), e.to_string()))?;
        if !matches!(origin.scheme(), "http" | "https") || origin.host().is_none() {
            return Err(UrlTemplateError::NotAbsolute(
                source.to_string(),
                "only http:// and https:// URLs with a host are supported".into(),
            ));
        }
        let mut segments = Vec::new();
        let path = &before_query[path_start..];
        for segment in path.split('/').skip(1) {
            segments.push(Template::compile(segment, References::Secret, true, env)?);
        }
        let mut query_params = Vec::new();
        for pair in query_text
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key.contains('{') {
                return Err(UrlTemplateError::PlaceholderInQueryKey);
            }
            query_params.push((
                key.to_string(),
                Template::compile(value, References::Secret, true, env)?,
            ));
        }
        for (key, value) in query {
            query_params.push((
                encode_component(key),
                Template::compile(value, References::Secret, true, env)?,
            ));
        }
        Ok(Self {
            origin,
            segments,
            query: query_params,
        })
    }

    /// The origin (`scheme://host:port`) every call goes to.
    pub fn origin(&self) -> &url::Url {
        &self.origin
    }

    /// Input names used in the path (these must have a value for every call).
    pub fn path_inputs(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().flat_map(|s| s.inputs())
    }

    /// Input names used in query values (a parameter whose input has no value is left out).
    pub fn query_inputs(&self) -> impl Iterator<Item = &str> {
        self.query.iter().flat_map(|(_, t)| t.inputs())
    }

    /// Secrets held in path segments and query values.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.segments
            .iter()
            .chain(self.query.iter().map(|(_, t)| t))
            .flat_map(Template::secrets)
    }

    /// Builds the URL for one call.
    pub fn render(&self, inputs: &BTreeMap<String, Value>) -> Result<(url::Url, String), UrlError> {
        let base = self.origin.as_str().trim_end_matches('/');
        let mut wire = base.to_string();
        let mut shown = base.to_string();
        for segment in &self.segments {
            let rendered = segment.render(inputs, encode_component).ok_or_else(|| {
                UrlError::MissingInput(segment.inputs().next().unwrap_or("?").to_string())
            })?;
            if segment.inputs().next().is_some() && matches!(rendered.wire.as_str(), "." | "..") {
                return Err(UrlError::DotSegment);
            }
            wire.push('/');
            wire.push_str(&rendered.wire);
            shown.push('/');
            shown.push_str(&rendered.shown);
        }
        let mut separator = '?';
        for (key, value) in &self.query {
            let Some(rendered) = value.render(inputs, encode_component) else {
                continue;
            };
            for (target, part) in [(&mut wire, &rendered.wire), (&mut shown, &rendered.shown)] {
                target.push(separator);
                target.push_str(key);
                target.push('=');
                target.push_str(part);
            }
            separator = '&';
        }
        let url = url::Url::parse(&wire).map_err(|_| UrlError::ShapeChanged)?;
        // Defence in depth: the encoding above makes these impossible; check anyway.
        let same_origin = url.scheme() == self.origin.scheme()
            && url.host() == self.origin.host()
            && url.port_or_known_default() == self.origin.port_or_known_default();
        let segment_count = url.path_segments().map(|s| s.count()).unwrap_or(0);
        if !same_origin || segment_count != self.segments.len().max(1) {
            return Err(UrlError::ShapeChanged);
        }
        Ok((url, shown))
    }
}

/// The URL source with each `${…}` reference in its origin replaced by its value (braces in
/// the value escaped); references after the origin are left for the path and query templates,
/// where they are secrets.
fn expand_origin_references(source: &str, env: &dyn Environment) -> Result<String, TemplateError> {
    let past_origin = |text: &str| {
        text.find("://")
            .is_some_and(|i| text[i + 3..].contains(['/', '?']))
    };
    let mut text = String::new();
    let mut rest = source;
    while let Some(at) = rest.find("${") {
        let (before, reference) = rest.split_at(at);
        text.push_str(before);
        let end = reference.find('}').ok_or(TemplateError::UnclosedBrace)?;
        if past_origin(&text) {
            text.push_str(&reference[..=end]);
        } else if let Piece::Text(value) =
            resolve_reference(reference[2..end].trim(), References::Plain, env)?
        {
            text.push_str(&value.replace('{', "{{").replace('}', "}}"));
        }
        rest = &reference[end + 1..];
    }
    text.push_str(rest);
    Ok(text)
}

/// A compiled JSON body template: strings may hold placeholders; a string that is exactly one
/// placeholder is replaced by the typed input value, and left out when that input has no value.
#[derive(Clone, Debug)]
pub enum BodyTemplate {
    /// A JSON value without templates.
    Literal(Value),
    /// A templated string.
    Text(Template),
    /// An array of templates.
    Array(Vec<BodyTemplate>),
    /// An object of templates.
    Object(Vec<(String, BodyTemplate)>),
}

impl BodyTemplate {
    /// Compiles a JSON body template (`${VAR}` in strings is a secret).
    pub fn compile(value: &Value, env: &dyn Environment) -> Result<Self, TemplateError> {
        Ok(match value {
            Value::String(s) => Self::Text(Template::compile(s, References::Secret, true, env)?),
            Value::Array(items) => Self::Array(
                items
                    .iter()
                    .map(|v| Self::compile(v, env))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Self::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), Self::compile(v, env)?)))
                    .collect::<Result<_, TemplateError>>()?,
            ),
            other => Self::Literal(other.clone()),
        })
    }

    /// Every input name used.
    pub fn inputs(&self) -> Vec<&str> {
        match self {
            Self::Literal(_) => Vec::new(),
            Self::Text(t) => t.inputs().collect(),
            Self::Array(items) => items.iter().flat_map(|i| i.inputs()).collect(),
            Self::Object(fields) => fields.iter().flat_map(|(_, v)| v.inputs()).collect(),
        }
    }

    /// Every secret held.
    pub fn secrets(&self) -> Vec<&Secret> {
        match self {
            Self::Literal(_) => Vec::new(),
            Self::Text(t) => t.secrets().collect(),
            Self::Array(items) => items.iter().flat_map(|i| i.secrets()).collect(),
            Self::Object(fields) => fields.iter().flat_map(|(_, v)| v.secrets()).collect(),
        }
    }

    /// Renders the body: `(wire, shown)`. `None` means "leave this value out".
    pub fn render(&self, inputs: &BTreeMap<String, Value>) -> Option<(Value, Value)> {
        match self {
            Self::Literal(v) => Some((v.clone(), v.clone())),
            Self::Text(t) => {
                if let Some(name) = t.single_input() {
                    let value = inputs.get(name).filter(|v| !v.is_null())?;
                    return Some((value.clone(), value.clone()));
                }
                let rendered = t.render(inputs, str::to_string)?;
                Some((Value::String(rendered.wire), Value::String(rendered.shown)))
            }
            Self::Array(items) => {
                let (wire, shown) = items.iter().filter_map(|i| i.render(inputs)).unzip();
                Some((Value::Array(wire), Value::Array(shown)))
            }
            Self::Object(fields) => {
                let mut wire = serde_json::Map::new();
                let mut shown = serde_json::Map::new();
                for (key, template) in fields {
                    if let Some((w, s)) = template.render(inputs) {
                        wire.insert(key.clone(), w);
                        shown.insert(key.clone(), s);
                    }
                }
                Some((Value::Object(wire), Value::Object(shown)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("BASE".to_string(), "http://shop.test:8080".to_string()),
            ("KEY".to_string(), "sk-canary-9f8e7d".to_string()),
        ])
    }

    fn inputs(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn url_for(order_id: &str) -> Result<String, UrlError> {
        let t = UrlTemplate::compile(
            "${BASE}/orders/{order_id}/status?zip={zip}",
            &BTreeMap::new(),
            &env(),
        )
        .unwrap();
        t.render(&inputs(&[
            ("order_id", json!(order_id)),
            ("zip", json!("10001")),
        ]))
        .map(|(u, _)| u.to_string())
    }

    #[test]
    fn model_values_never_change_host_or_path() {
        assert_eq!(
            url_for("W123").unwrap(),
            "http://shop.test:8080/orders/W123/status?zip=10001"
        );
        assert_eq!(
            url_for("../admin").unwrap(),
            "http://shop.test:8080/orders/..%2Fadmin/status?zip=10001"
        );
        assert_eq!(
            url_for("x?y=z").unwrap(),
            "http://shop.test:8080/orders/x%3Fy%3Dz/status?zip=10001"
        );
        assert_eq!(
            url_for("%2e%2e").unwrap(),
            "http://shop.test:8080/orders/%252e%252e/status?zip=10001"
        );
        assert_eq!(
            url_for("http://evil.test/x").unwrap(),
            "http://shop.test:8080/orders/http%3A%2F%2Fevil.test%2Fx/status?zip=10001"
        );
        assert_eq!(url_for(".."), Err(UrlError::DotSegment));
        assert_eq!(url_for("."), Err(UrlError::DotSegment));
    }

    #[test]
    fn query_values_cannot_add_keys_and_secrets_are_shown_redacted() {
        let t = UrlTemplate::compile(
            "${BASE}/search?q={q}",
            &BTreeMap::from([("api_key".to_string(), "${KEY}".to_string())]),
            &env(),
        )
        .unwrap();
        let (url, shown) = t.render(&inputs(&[("q", json!("a&admin=1#x"))])).unwrap();
        assert_eq!(
            url.as_str(),
            "http://shop.test:8080/search?q=a%26admin%3D1%23x&api_key=sk-canary-9f8e7d"
        );
        assert_eq!(
            shown,
            "http://shop.test:8080/search?q=a%26admin%3D1%23x&api_key=[REDACTED]"
        );
        assert_eq!(url.query_pairs().count(), 2);
    }

    #[test]
    fn placeholders_are_refused_in_the_origin() {
        let err = UrlTemplate::compile("http://{host}/x", &BTreeMap::new(), &env()).unwrap_err();
        assert_eq!(err, UrlTemplateError::PlaceholderInOrigin);
        let err =
            UrlTemplate::compile("http://a.test/x?{k}=1", &BTreeMap::new(), &env()).unwrap_err();
        assert_eq!(err, UrlTemplateError::PlaceholderInQueryKey);
    }

    #[test]
    fn missing_env_is_named() {
        let err =
            Template::compile("Bearer ${NOPE}", References::Secret, false, &env()).unwrap_err();
        assert_eq!(err, TemplateError::MissingEnv("NOPE".into()));
    }

    #[test]
    fn body_keeps_types_and_leaves_out_missing_values() {
        let body = BodyTemplate::compile(
            &json!({"id": "{order_id}", "qty": "{qty}", "note": "order {order_id}", "key": "${KEY}", "opt": "{missing}"}),
            &env(),
        )
        .unwrap();
        let (wire, shown) = body
            .render(&inputs(&[("order_id", json!("W1\"}")), ("qty", json!(3))]))
            .unwrap();
        assert_eq!(
            wire,
            json!({"id": "W1\"}", "qty": 3, "note": "order W1\"}", "key": "sk-canary-9f8e7d"})
        );
        assert_eq!(shown["key"], json!("[REDACTED]"));
    }
}

#[cfg(test)]
mod properties {
    //! Any template source compiles or is refused without panicking; rendering never panics;
    //! a value is inserted as data, never read as template syntax; and what is percent-encoded
    //! into a URL decodes back to the value, in its one segment or its one query value.

    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("BASE".to_string(), "http://shop.test:8080".to_string()),
            ("KEY".to_string(), "sk-canary-9f8e7d".to_string()),
        ])
    }

    /// Template sources: arbitrary text, and text made of the template syntax's own pieces.
    fn sources() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            proptest::sample::select(
                &[
                    "{",
                    "}",
                    "{{",
                    "}}",
                    "$",
                    "${",
                    "${KEY}",
                    "${BASE}",
                    "${ KEY }",
                    "${NOPE}",
                    "{id}",
                    "{ id }",
                    "{1x}",
                    "{a-b}",
                    "{}",
                    "/",
                    "?",
                    "&",
                    "=",
                    "#",
                    "://",
                    "http://",
                    "https://shop.test",
                    "%",
                    "é",
                    "\0",
                    " ",
                ][..]
            )
            .prop_map(str::to_string),
            "[a-z0-9]{1,6}",
            any::<String>(),
        ];
        proptest::collection::vec(piece, 0..16).prop_map(|parts| parts.concat())
    }

    /// Input values, template syntax and every awkward character included.
    fn values() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<String>().prop_map(Value::String),
            "(\\{|\\}|\\$|\\{id\\}|\\$\\{KEY\\}|\\{\\{|%2e|\\.|/|\\?|#|&|=|\\+|%| |é|\\PC){0,12}"
                .prop_map(Value::String),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            any::<bool>().prop_map(|b| json!(b)),
            Just(Value::Null),
            Just(json!([1, "two"])),
            Just(json!({"k": "{id}"})),
        ]
    }

    fn inputs() -> impl Strategy<Value = BTreeMap<String, Value>> {
        proptest::collection::btree_map(
            proptest::sample::select(&["id", "q", "a", "b", "KEY"][..]).prop_map(str::to_string),
            values(),
            0..5,
        )
    }

    fn percent_decoded(text: &str) -> String {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .expect("UTF-8")
            .into_owned()
    }

    proptest! {
        #[test]
        fn any_source_compiles_or_is_refused_and_renders_without_panicking(
            source in sources(),
            inputs in inputs(),
            secret in any::<bool>(),
            allow_inputs in any::<bool>(),
        ) {
            let references = if secret { References::Secret } else { References::Plain };
            if let Ok(template) = Template::compile(&source, references, allow_inputs, &env()) {
                let _ = template.render(&inputs, encode_component);
                let _ = template.render(&inputs, str::to_string);
            }
            if let Ok(url) = UrlTemplate::compile(&source, &BTreeMap::new(), &env()) {
                let _ = url.render(&inputs);
            }
            if let Ok(body) = BodyTemplate::compile(&json!({"s": source, "n": [source]}), &env()) {
                let _ = body.render(&inputs);
            }
        }

        /// Values holding `{id}`, `${KEY}`, `{{` are data: what is rendered is exactly the
        /// literal text with each value's own text in its place.
        #[test]
        fn values_are_inserted_as_data_never_evaluated(
            a in values(),
            b in values(),
            literal in "[a-z /:-]{0,8}",
        ) {
            let template = Template::compile(
                &format!("{literal}{{a}}{literal}{{b}}"),
                References::Secret,
                true,
                &env(),
            )
            .expect("a template");
            let inputs = BTreeMap::from([("a".to_string(), a.clone()), ("b".to_string(), b.clone())]);
            let rendered = template.render(&inputs, str::to_string);
            if a.is_null() || b.is_null() {
                prop_assert_eq!(rendered, None);
            } else {
                let expected = format!("{literal}{}{literal}{}", scalar_text(&a), scalar_text(&b));
                let rendered = rendered.expect("both inputs have values");
                prop_assert_eq!(&rendered.wire, &expected);
                prop_assert_eq!(&rendered.shown, &expected);
            }
            let body = BodyTemplate::compile(&json!({"a": "{a}", "both": "{a}-{b}"}), &env())
                .expect("a body template");
            if let (Some((wire, _)), false) = (body.render(&inputs), a.is_null()) {
                prop_assert_eq!(&wire["a"], &a);
            }
        }

        #[test]
        fn encoding_a_component_round_trips(value in any::<String>()) {
            let encoded = encode_component(&value);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
            prop_assert_eq!(percent_decoded(&encoded), value);
        }

        /// Whatever a value holds, the URL keeps its origin and its number of segments, the
        /// value decodes back from its own segment and its own query value, and no query key
        /// is added.
        #[test]
        fn a_value_stays_in_its_segment_and_its_query_value(id in values(), q in values()) {
            let template = UrlTemplate::compile(
                "${BASE}/orders/{id}/status?q={q}&fixed=1",
                &BTreeMap::new(),
                &env(),
            )
            .expect("a URL template");
            let inputs = BTreeMap::from([("id".to_string(), id.clone()), ("q".to_string(), q.clone())]);
            let rendered = template.render(&inputs);
            if id.is_null() {
                prop_assert_eq!(rendered, Err(UrlError::MissingInput("id".into())));
                return Ok(());
            }
            let id_text = scalar_text(&id);
            if matches!(id_text.as_str(), "." | "..") {
                prop_assert_eq!(rendered, Err(UrlError::DotSegment));
                return Ok(());
            }
            let (url, shown) = rendered.expect("a URL");
            prop_assert_eq!(url.host_str(), Some("shop.test"));
            prop_assert_eq!(url.port(), Some(8080));
            let segments: Vec<&str> = url.path_segments().expect("segments").collect();
            prop_assert_eq!(segments.len(), 3);
            prop_assert_eq!(percent_decoded(segments[1]), id_text);
            let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let mut expected = Vec::new();
            if !q.is_null() {
                expected.push(("q".to_string(), scalar_text(&q)));
            }
            expected.push(("fixed".to_string(), "1".to_string()));
            prop_assert_eq!(pairs, expected);
            prop_assert_eq!(shown, url.as_str());
        }
    }
}
