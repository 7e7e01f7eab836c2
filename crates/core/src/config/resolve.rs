//! Raw → resolved configuration. Every check that can be made before the first customer
//! message is made here, and every problem is reported with its place and a fix.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::error::{ConfigErrors, Problems};
use super::located::Located;
use super::raw::{self, Access, Effect, ModelProvider, RawConfig};
use super::*;
use crate::secret::{Redactor, Secret};
use crate::template::{
    BodyTemplate, Environment, References, Template, TemplateError, UrlTemplate, UrlTemplateError,
};

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

struct Resolver<'a> {
    problems: Problems,
    env: &'a dyn Environment,
    secrets: Vec<Secret>,
    templates: minijinja::Environment<'static>,
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn template_hint(error: &TemplateError) -> &'static str {
    match error {
        TemplateError::MissingEnv(_) => "set the environment variable before starting switchboard",
        TemplateError::SecretFile { .. } => "check the path and that switchboard may read it",
        TemplateError::SecretNotAllowed => {
            "credentials belong in `headers` or `query`, where `${VAR}` is a secret"
        }
        TemplateError::ShortSecret(_) => {
            "a value this short cannot be kept out of logs and transcripts: reference the full credential (a value that is not secret may be written inline, unless its name is a credential's)"
        }
        TemplateError::InputNotAllowed => {
            "remove the `{…}` placeholder; only fixed text is allowed here"
        }
        TemplateError::UnclosedBrace | TemplateError::BadInputName(_) => {
            "write placeholders as `{input_name}` and literal braces as `{{` / `}}`"
        }
    }
}

/// The most retries a model or tool may have (each waits twice as long as the one before).
const MAX_RETRIES: u32 = 10;

impl Resolver<'_> {
    /// A retry count (default 2); more than [`MAX_RETRIES`] is a config error.
    fn retries(&mut self, given: Option<&Located<u32>>, what: &str) -> u32 {
        match given {
            Some(n) if n.value > MAX_RETRIES => {
                self.problems.add(
                    n.at,
                    format!("{what}: {} is more than {MAX_RETRIES}", n.value),
                    "retries back off exponentially; use at most 10 (2 is the default)",
                );
                MAX_RETRIES
            }
            Some(n) => n.value,
            None => 2,
        }
    }

    fn secret(&mut self, value: &Located<String>, what: &str) -> Option<Secret> {
        match Template::compile(value, References::Secret, false, self.env) {
            Ok(template) => {
                let secrets: Vec<Secret> = template.secrets().cloned().collect();
                if let Some(text) = template.as_literal() {
                    self.problems.add(
                        value.at,
                        format!(
                            "{what} is written inline (`{}…`)",
                            text.chars().take(3).collect::<String>()
                        ),
                        "reference it instead: `${ENV_VAR}` or `${file:/path/to/secret}`",
                    );
                    return None;
                }
                match secrets.as_slice() {
                    [one]
                        if template
                            .render(&BTreeMap::new(), str::to_string)
                            .is_some_and(|r| r.wire == one.expose()) =>
                    {
                        self.secrets.push(one.clone());
                        Some(one.clone())
                    }
                    _ => {
                        self.problems.add(
                            value.at,
                            format!("{what} must be exactly one reference"),
                            "write it as `${ENV_VAR}` or `${file:/path}` with nothing around it",
                        );
                        None
                    }
                }
            }
            Err(e) => {
                let hint = template_hint(&e);
                self.problems.add(value.at, format!("{what}: {e}"), hint);
                None
            }
        }
    }

    fn header_templates(
        &mut self,
        headers: &BTreeMap<String, Located<String>>,
        allow_inputs: bool,
    ) -> Vec<(String, Template)> {
        let mut out = Vec::new();
        for (name, value) in headers {
            if reqwest_like_header_name_ok(name).is_err() {
                self.problems.add(
                    value.at,
                    format!("`{name}` is not a valid HTTP header name"),
                    "use letters, digits and `-`",
                );
                continue;
            }
            match Template::compile(value, References::Secret, allow_inputs, self.env) {
                Ok(t) => {
                    if is_credential_name(name) && is_inline(&t) {
                        self.problems.add(
                            value.at,
                            format!("header `{name}` holds a credential written inline"),
                            INLINE_CREDENTIAL_HINT,
                        );
                    }
                    for s in t.secrets() {
                        self.secrets.push(s.clone());
                    }
                    out.push((name.clone(), t));
                }
                Err(e) => {
                    let hint = template_hint(&e);
                    self.problems
                        .add(value.at, format!("header `{name}`: {e}"), hint)
                }
            }
        }
        out
    }

    fn answer_template(&mut self, name: String, source: &Located<String>) -> Option<String> {
        match self
            .templates
            .add_template_owned(name.clone(), source.value.clone())
        {
            Ok(()) => Some(name),
            Err(e) => {
                self.problems.add(source.at, format!("invalid answer template: {e}"), "answer templates use Jinja syntax: `{{ result.field }}`, `{% if … %}…{% endif %}`");
                None
            }
        }
    }
}

/// Whether a header, query parameter or body field of this name carries a credential:
/// `Authorization`, `Proxy-Authorization`, `Cookie`, or a name holding `key`, `token`,
/// `secret`, `password`, `passwd` or `auth` (any case). Its value must be a reference.
fn is_credential_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "cookie", "key", "token", "secret", "password", "passwd", "auth",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Whether a template is text written in the config, with neither a `${…}` reference nor an
/// `{input}` placeholder: a credential there would sit in the file and in every copy of it.
fn is_inline(template: &Template) -> bool {
    template
        .as_literal()
        .is_some_and(|text| !text.trim().is_empty())
}

const INLINE_CREDENTIAL_HINT: &str = "reference it instead, e.g. `Bearer ${SHOP_API_KEY}` or `${file:/run/secrets/shop_api_key}`, and set the value outside the config";

/// The body fields (as `a.b[0]`) whose name is a credential's and whose value is text written
/// inline. A field's own value counts, and the strings of a list it holds; the fields of an
/// object it holds are judged by their own names.
fn inline_credentials(body: &BodyTemplate, path: &str, credential: bool, found: &mut Vec<String>) {
    match body {
        BodyTemplate::Text(t) if credential && is_inline(t) => found.push(path.to_string()),
        BodyTemplate::Text(_) | BodyTemplate::Literal(_) => {}
        BodyTemplate::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                inline_credentials(item, &format!("{path}[{i}]"), credential, found);
            }
        }
        BodyTemplate::Object(fields) => {
            for (key, value) in fields {
                let field = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                inline_credentials(value, &field, is_credential_name(key), found);
            }
        }
    }
}

/// The query parameters written into a URL itself (`?api_key=…`) whose name is a credential's
/// and whose value is text written inline.
fn inline_url_credentials(url: &str) -> Vec<&str> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, value)| {
            is_credential_name(key) && !value.is_empty() && !value.contains(['{', '$'])
        })
        .map(|(key, _)| key)
        .collect()
}

/// Header names are tokens (RFC 9110): checked here without pulling an HTTP crate into core.
fn reqwest_like_header_name_ok(name: &str) -> Result<(), ()> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if ok { Ok(()) } else { Err(()) }
}

pub(crate) fn parse_bound(source: &str) -> Option<BoundSource> {
    match source {
        "user.email" => Some(BoundSource::UserEmail),
        "user.id" => Some(BoundSource::UserId),
        "conversation.id" => Some(BoundSource::ConversationId),
        other => other
            .strip_prefix("user_data.")
            .filter(|f| !f.is_empty())
            .map(|f| BoundSource::UserData(f.to_string())),
    }
}

fn check_pointer(problems: &mut Problems, pointer: &Located<String>, what: &str) {
    if !(pointer.is_empty() || pointer.starts_with('/')) {
        problems.add(
            pointer.at,
            format!("{what} `{}` is not a JSON pointer", pointer.value),
            "JSON pointers start with `/`, e.g. `/order/status`",
        );
    }
}

pub(super) fn resolve(
    file: &str,
    raw: RawConfig,
    env: &dyn Environment,
) -> Result<Config, ConfigErrors> {
    let mut r = Resolver {
        problems: Problems::new(file),
        env,
        secrets: Vec::new(),
        templates: minijinja::Environment::new(),
    };
    r.templates
        .set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);

    let agent_name = raw.agent.name.value.clone();
    if !is_name(&agent_name) {
        r.problems.add(
            raw.agent.name.at,
            format!("agent name `{agent_name}` may only hold letters, digits, `-` and `_`"),
            "rename the agent, e.g. `shop-assistant`",
        );
    }
    let model = resolve_model(&mut r, &raw.agent.model);
    let outbound = OutboundPolicy {
        allow_loopback: raw.outbound.allow_loopback,
        allow_private: raw.outbound.allow_private,
        max_response_bytes: raw.outbound.max_response_bytes.unwrap_or(1024 * 1024),
    };
    let user_data = raw
        .user_data
        .as_ref()
        .and_then(|u| resolve_user_data(&mut r, u));

    let mut tools = Vec::new();
    let mut seen = BTreeSet::new();
    for tool in &raw.tools {
        if !seen.insert(tool.name.value.clone()) {
            r.problems.add(
                tool.name.at,
                format!("tool `{}` is defined twice", tool.name.value),
                "give every tool a unique name",
            );
        }
        if let Some(t) = resolve_tool(&mut r, tool) {
            tools.push(Arc::new(t));
        }
    }
    let tool_names: BTreeSet<String> = raw.tools.iter().map(|t| t.name.value.clone()).collect();
    let tool_map: BTreeMap<String, Arc<Tool>> =
        tools.iter().map(|t| (t.name.clone(), t.clone())).collect();
    let all_tasks: BTreeSet<String> = raw.tasks.iter().map(|t| t.name.value.clone()).collect();
    let mut task_names = BTreeSet::new();
    let mut tasks = Vec::new();
    for task in &raw.tasks {
        if !task_names.insert(task.name.value.clone()) {
            r.problems.add(
                task.name.at,
                format!("task `{}` is defined twice", task.name.value),
                "give every task a unique name",
            );
        }
        if tool_names.contains(&task.name.value) {
            r.problems.add(
                task.name.at,
                format!("task `{}` has the same name as a tool", task.name.value),
                "rename the task or the tool",
            );
        }
        let mut compiler = crate::task::program::Compiler {
            problems: &mut r.problems,
            templates: &mut r.templates,
            tools: &tool_map,
            tool_names: &tool_names,
            task_names: &all_tasks,
        };
        tasks.push(Arc::new(compiler.task(task)));
    }
    let identity = resolve_identity(&mut r, &raw.identity);
    let inspector_key = raw
        .agent
        .inspector_key
        .as_ref()
        .and_then(|key| r.secret(key, "agent inspector_key"));

    let Resolver {
        problems,
        secrets,
        templates,
        ..
    } = r;
    let config = Config {
        agent: AgentConfig {
            name: agent_name,
            instructions: raw.agent.instructions,
            model,
            max_steps: raw.agent.max_steps.unwrap_or(6).clamp(1, 32),
            max_tool_calls_per_step: raw.agent.max_tool_calls_per_step.unwrap_or(8).clamp(1, 32)
                as usize,
            history_chars: raw.agent.history_chars.unwrap_or(24_000).max(2_000) as usize,
            inspector_key,
            fallback: raw.agent.fallback,
            language: raw.agent.language,
            vocabulary: crate::understand::Vocabulary::new(
                &raw.agent.vocabulary.yes,
                &raw.agent.vocabulary.no,
                &raw.agent.vocabulary.cancel,
                &raw.agent.vocabulary.correction,
                &raw.agent.vocabulary.person,
            ),
        },
        outbound,
        user_data,
        tools,
        tasks,
        identity,
        redactor: Redactor::new(secrets),
        templates,
    };
    problems.finish(config)
}

/// An `http(s)` URL setting (`${VAR}` allowed), or a problem at its line.
fn http_url(
    r: &mut Resolver<'_>,
    u: &Located<String>,
    what: &str,
    example: &str,
) -> Option<url::Url> {
    let text = match Template::compile(u, References::Plain, false, r.env) {
        Ok(t) => t.as_literal().unwrap_or_default(),
        Err(e) => {
            let hint = template_hint(&e);
            r.problems.add(u.at, format!("{what}: {e}"), hint);
            return None;
        }
    };
    match url::Url::parse(&text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
        _ => {
            r.problems.add(
                u.at,
                format!("{what} `{text}` is not an http(s) URL"),
                format!("write e.g. `{example}`"),
            );
            None
        }
    }
}

fn resolve_model(r: &mut Resolver<'_>, m: &raw::RawModel) -> ModelConfig {
    let base_url = m
        .base_url
        .as_ref()
        .and_then(|u| http_url(r, u, "model base_url", "https://api.openai.com/v1"));
    let api_key = m
        .api_key
        .as_ref()
        .and_then(|k| r.secret(k, "model api_key"));
    let (default_url, default_model) = match m.provider {
        ModelProvider::Offline => (None, "offline"),
        ModelProvider::Openai => (Some("https://api.openai.com/v1"), "gpt-4o-mini"),
        ModelProvider::Anthropic => (Some("https://api.anthropic.com/v1"), "claude-sonnet-4-5"),
    };
    ModelConfig {
        provider: m.provider,
        base_url: base_url.or_else(|| default_url.and_then(|u| url::Url::parse(u).ok())),
        model: m.model.clone().unwrap_or_else(|| default_model.to_string()),
        api_key,
        timeout: Duration::from_secs(m.timeout_secs.unwrap_or(60)),
        max_retries: r.retries(m.max_retries.as_ref(), "model max_retries"),
        stream: m.stream.unwrap_or(true),
        temperature: m.temperature,
        max_tokens: m.max_tokens.unwrap_or(1024),
    }
}

fn resolve_user_data(r: &mut Resolver<'_>, u: &raw::RawUserData) -> Option<UserDataConfig> {
    let url = r.fixed_url(&u.url, "user_data url");
    let headers = r.header_templates(&u.headers, false);
    let mut answers = Vec::new();
    for (i, a) in u.answers.iter().enumerate() {
        if a.when.is_empty() {
            r.problems.add(
                a.answer.at,
                "a user-data answer has an empty `when` list",
                "list the words that select it, e.g. `when: [plan, subscription]`",
            );
        }
        if let Some(template) = r.answer_template(format!("user_data.answers[{i}]"), &a.answer) {
            answers.push(ProfileAnswer {
                when: a.when.iter().map(|w| w.to_lowercase()).collect(),
                template,
            });
        }
    }
    Some(UserDataConfig {
        url: url?,
        headers,
        timeout: Duration::from_millis(u.timeout_ms.unwrap_or(10_000)),
        max_chars: u.max_chars.unwrap_or(4000),
        fields: u.fields.clone(),
        ttl: u.ttl_secs.map(Duration::from_secs),
        answers,
    })
}

fn resolve_tool(r: &mut Resolver<'_>, t: &raw::RawTool) -> Option<Tool> {
    let name = t.name.value.clone();
    let errors_before = r.problems_len();
    if !t
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || t.name.is_empty()
    {
        r.problems.add(
            t.name.at,
            format!("tool name `{name}` may only hold letters, digits and `_`"),
            "model APIs accept only such names; e.g. `order_status`",
        );
    }
    if t.description.trim().is_empty() {
        r.problems.add(
            t.name.at,
            format!("tool `{name}` has an empty description"),
            "say when the agent should use it",
        );
    }

    // Input schema: an object schema, compiled once.
    let at_input = t.input.as_ref().map(|i| i.at).unwrap_or(t.name.at);
    let mut input_schema = t
        .input
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    if input_schema.get("type").and_then(Value::as_str) != Some("object") {
        r.problems.add(
            at_input,
            format!("tool `{name}`: input must be a JSON Schema with `type: object`"),
            "write `input: {type: object, properties: {…}, required: […]}`",
        );
    }
    if input_schema.get("properties").is_none() {
        input_schema["properties"] = json!({});
    }
    let properties: BTreeSet<String> = input_schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let required: BTreeSet<String> = input_schema["required"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for missing in required.difference(&properties) {
        r.problems.add(
            at_input,
            format!("tool `{name}`: required input `{missing}` is not in `properties`"),
            "add it to `properties` or remove it from `required`",
        );
    }
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(&input_schema)
    {
        Ok(v) => Some(v),
        Err(e) => {
            r.problems.add(
                at_input,
                format!("tool `{name}`: invalid input schema: {e}"),
                "fix the JSON Schema (draft 2020-12)",
            );
            None
        }
    };

    // Bound inputs.
    let mut bound = BTreeMap::new();
    for (input, source) in &t.bound {
        match parse_bound(source) {
            Some(s) => {
                bound.insert(input.clone(), s);
            }
            None => r.problems.add(
                source.at,
                format!("tool `{name}`: unknown bound source `{}`", source.value),
                "use `user.email`, `user.id`, `conversation.id` or `user_data.<field>`",
            ),
        }
        if properties.contains(input) {
            r.problems.add(
                source.at,
                format!("tool `{name}`: `{input}` is both a model input and a bound input"),
                "remove it from `input.properties`; bound inputs are filled by the engine only",
            );
        }
    }
    if t.access != Access::Public && !bound.values().any(BoundSource::is_customer) {
        r.problems.add(
            t.name.at,
            format!(
                "tool `{name}` has access `{:?}` but no bound input ties it to the customer",
                t.access
            )
            .to_lowercase(),
            "bind the customer, e.g. `bound: {email: user.email}` or `{customer_id: user.id}`",
        );
    }
    let identifies = t.identifies.as_ref().map(|i| {
        check_pointer(&mut r.problems, &i.customer_id, "identifies.customer_id");
        if let Some(e) = &i.email {
            check_pointer(&mut r.problems, e, "identifies.email");
        }
        if t.effect == Effect::Write {
            r.problems.add(
                t.name.at,
                format!("tool `{name}` is a write and an identifying lookup"),
                "identifying lookups must be reads",
            );
        }
        Identifies {
            customer_id: i.customer_id.value.clone(),
            email: i.email.as_ref().map(|e| e.value.clone()),
        }
    });

    // Request.
    let method = t
        .request
        .method
        .as_ref()
        .map(|m| m.to_uppercase())
        .unwrap_or_else(|| "GET".into());
    if !METHODS.contains(&method.as_str()) {
        let at = t.request.method.as_ref().map(|m| m.at).unwrap_or_default();
        r.problems.add(
            at,
            format!("tool `{name}`: unknown HTTP method `{method}`"),
            format!("use one of {}", METHODS.join(", ")),
        );
    }
    let before_query = r.problems_len();
    let mut query = BTreeMap::new();
    for (key, value) in &t.request.query {
        match Template::compile(value, References::Secret, true, r.env) {
            Ok(template) if is_credential_name(key) && is_inline(&template) => r.problems.add(
                value.at,
                format!("tool `{name}`: query parameter `{key}` holds a credential written inline"),
                INLINE_CREDENTIAL_HINT,
            ),
            Ok(_) => {}
            Err(e) => r.problems.add(
                value.at,
                format!("tool `{name}`: query parameter `{key}`: {e}"),
                template_hint(&e),
            ),
        }
        query.insert(key.clone(), value.value.clone());
    }
    // A `query` value's own problem is reported above, at its place; the URL is still read
    // for its own.
    if r.problems_len() > before_query {
        query.clear();
    }
    let url = match UrlTemplate::compile(&t.request.url, &query, r.env) {
        Ok(u) => {
            r.url_credentials(&t.request.url, &u, &format!("tool `{name}`: url"));
            for s in u.secrets() {
                r.secrets.push(s.clone());
            }
            Some(u)
        }
        Err(e) => {
            let hint = match &e {
                UrlTemplateError::Template(e) => template_hint(e),
                _ => {
                    "write e.g. `${SHOP_URL}/orders/{order_id}?zip={zip}`; placeholders name inputs"
                }
            };
            r.problems
                .add(t.request.url.at, format!("tool `{name}`: url: {e}"), hint);
            None
        }
    };
    let headers = r.header_templates(&t.request.headers, true);
    let body = t
        .request
        .body
        .as_ref()
        .and_then(|b| match BodyTemplate::compile(&b.value, r.env) {
            Ok(body) => {
                let mut inline = Vec::new();
                inline_credentials(&body, "", false, &mut inline);
                for field in inline {
                    r.problems.add(
                        b.at,
                        format!(
                            "tool `{name}`: body field `{field}` holds a credential written inline"
                        ),
                        INLINE_CREDENTIAL_HINT,
                    );
                }
                for s in body.secrets() {
                    r.secrets.push(s.clone());
                }
                Some(body)
            }
            Err(e) => {
                let hint = template_hint(&e);
                r.problems
                    .add(b.at, format!("tool `{name}`: body: {e}"), hint);
                None
            }
        });

    // Every placeholder names an input; path placeholders must always have a value.
    let known = |n: &str| properties.contains(n) || bound.contains_key(n);
    let mut used: Vec<String> = Vec::new();
    if let Some(u) = &url {
        for input in u.path_inputs() {
            if !(required.contains(input) || bound.contains_key(input)) {
                r.problems.add(t.request.url.at, format!("tool `{name}`: path placeholder `{{{input}}}` is not a required or bound input"), "add it to `input.required` (a path cannot leave a segment out)");
            }
        }
        used.extend(u.path_inputs().chain(u.query_inputs()).map(str::to_string));
    }
    used.extend(
        headers
            .iter()
            .flat_map(|(_, h)| h.inputs().map(str::to_string)),
    );
    if let Some(b) = &body {
        used.extend(b.inputs().into_iter().map(str::to_string));
    }
    for input in used.iter().filter(|i| !known(i)) {
        r.problems.add(
            t.request.url.at,
            format!("tool `{name}`: placeholder `{{{input}}}` names no input"),
            "add it to `input.properties` or `bound`, or fix the spelling",
        );
    }

    // Response selection.
    if let Some(p) = &t.response.pointer {
        check_pointer(&mut r.problems, p, "response.pointer");
    }
    let jmespath = t
        .response
        .jmespath
        .as_ref()
        .and_then(|j| match jmespath::compile(j) {
            Ok(e) => Some(e),
            Err(e) => {
                r.problems.add(
                    j.at,
                    format!("tool `{name}`: invalid JMESPath: {e}"),
                    "check the expression, e.g. `{status: status, items: items[].name}`",
                );
                None
            }
        });
    let answer_template = t
        .answer
        .as_ref()
        .and_then(|a| r.answer_template(format!("tools.{name}.answer"), a));

    if r.problems_len() > errors_before {
        return None;
    }
    let model_schema = input_schema;
    Some(Tool {
        name,
        description: t.description.trim().to_string(),
        examples: t.examples.clone(),
        access: t.access,
        effect: t.effect,
        input_schema: model_schema,
        validator: validator?,
        bound,
        method,
        url: url?,
        headers,
        body,
        response: ResponseSelector {
            pointer: t.response.pointer.as_ref().map(|p| p.value.clone()),
            jmespath,
            max_chars: t.response.max_chars.unwrap_or(4000),
        },
        timeout: Duration::from_millis(t.timeout_ms.unwrap_or(10_000)),
        retries: if t.effect == Effect::Write {
            0
        } else {
            r.retries(
                t.retries.as_ref(),
                &format!("tool `{}`: retries", t.name.value),
            )
        },
        idempotency_keys: t.idempotency_keys.unwrap_or(true),
        identifies,
        answer_template,
    })
}

impl Resolver<'_> {
    fn problems_len(&self) -> usize {
        self.problems.len()
    }

    /// A URL without placeholders (the User Data API's), read like a tool's: `${VAR}` in the
    /// origin is configuration, after it a secret the redactor knows.
    fn fixed_url(&mut self, source: &Located<String>, what: &str) -> Option<url::Url> {
        let hint = "write e.g. `https://api.example.com/switchboard/user-data`";
        let template = match UrlTemplate::compile(source, &BTreeMap::new(), self.env) {
            Ok(t) => t,
            Err(UrlTemplateError::Template(e)) => {
                let hint = template_hint(&e);
                self.problems.add(source.at, format!("{what}: {e}"), hint);
                return None;
            }
            Err(e) => {
                self.problems.add(source.at, format!("{what}: {e}"), hint);
                return None;
            }
        };
        if template
            .path_inputs()
            .chain(template.query_inputs())
            .next()
            .is_some()
        {
            self.problems.add(
                source.at,
                format!("{what}: {}", TemplateError::InputNotAllowed),
                template_hint(&TemplateError::InputNotAllowed),
            );
            return None;
        }
        self.url_credentials(source, &template, what);
        self.secrets.extend(template.secrets().cloned());
        match template.render(&BTreeMap::new()) {
            Ok((url, _)) => Some(url),
            Err(e) => {
                self.problems.add(source.at, format!("{what}: {e}"), hint);
                None
            }
        }
    }

    /// Credentials a URL must not carry: a password in its origin (`user:pass@`, shown with
    /// every request) and a credential query parameter written inline.
    fn url_credentials(&mut self, source: &Located<String>, url: &UrlTemplate, what: &str) {
        if url.origin().password().is_some() {
            self.problems.add(
                source.at,
                format!("{what}: the URL carries a password (`user:…@host`)"),
                "send credentials in a header instead, e.g. `Authorization: Basic ${SHOP_BASIC_AUTH}`",
            );
        }
        for key in inline_url_credentials(source) {
            self.problems.add(
                source.at,
                format!("{what}: query parameter `{key}` holds a credential written inline"),
                INLINE_CREDENTIAL_HINT,
            );
        }
    }
}

fn resolve_identity(r: &mut Resolver<'_>, i: &raw::RawIdentity) -> IdentityConfig {
    IdentityConfig {
        hmac_secret: i
            .hmac_secret
            .as_ref()
            .and_then(|s| r.secret(s, "identity hmac_secret")),
        jwt: i.jwt.as_ref().map(|j| JwtConfig {
            secret: j.secret.as_ref().and_then(|s| r.secret(s, "jwt secret")),
            public_key: j
                .public_key
                .as_ref()
                .and_then(|s| r.secret(s, "jwt public_key")),
            jwks_url: j.jwks_url.as_ref().and_then(|u| {
                http_url(
                    r,
                    u,
                    "jwt jwks_url",
                    "https://login.example.com/.well-known/jwks.json",
                )
            }),
            issuer: j.issuer.clone(),
            audience: j.audience.clone(),
        }),
        channel_keys: i
            .channel_keys
            .iter()
            .filter_map(|k| Some((k.name.clone(), r.secret(&k.key, "channel key")?)))
            .collect(),
    }
}
