//! The offline engine: a deterministic [`ChatModel`] that needs no network and no key.
//!
//! It picks a tool when the message resembles the tool's description or examples, extracts
//! inputs by their schema (enums, emails, numbers, patterns), asks for missing required inputs
//! one at a time, answers from the tool's answer template or a plain rendering of the result,
//! answers simple profile questions from user data, and otherwise says what it can help with.
//! It keeps no state of its own: everything is read from the conversation, so a conversation
//! resumes the same after a restart.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Map, Value};
use switchboard_core::agent::{FINISH_TASK, HANDOFF, START_TASK};
use switchboard_core::config::{Config, Tool};
use switchboard_core::extract::{extract, overlap, render_plain, words};
use switchboard_core::model::{
    ChatModel, Message, ModelError, ModelReply, ModelRequest, TextSink, ToolCall, ToolSpec,
};
use switchboard_core::task::{TaskDef, trigger_score};
use switchboard_core::understand::{Lang, Normal, Phrase, phrase};

/// The offline engine.
pub struct OfflineEngine {
    config: Arc<Config>,
}

impl OfflineEngine {
    /// An engine for this config (it reads tool examples, answer templates and profile answers).
    pub fn new(config: Arc<Config>) -> Self {
        Self { config }
    }
}

/// The question asked for a missing input (also how a later turn recognises the question).
/// A short plain description reads as a question ("the ZIP code of the shipping address");
/// one written for a model ("Customer's first name, e.g. 'John'.") does not, so the input's
/// name is asked for instead.
fn ask_text(spec: &ToolSpec, input: &str) -> String {
    let description = spec.parameters["properties"][input]["description"]
        .as_str()
        .map(str::trim)
        .filter(|d| {
            d.split_whitespace().count() <= 10
                && !d.contains("e.g")
                && !d.contains(['\'', '"', '(', ':', ';', '\u{2018}', '\u{201c}'])
                && !d.to_lowercase().starts_with("customer's")
                && !d.to_lowercase().starts_with("user's")
        });
    match description {
        Some(d) if !d.is_empty() => {
            let mut chars = d.trim_end_matches('.').chars();
            let first = chars
                .next()
                .map(|c| c.to_lowercase().to_string())
                .unwrap_or_default();
            format!("Could you tell me {first}{}?", chars.as_str())
        }
        _ => format!(
            "Could you tell me the {}?",
            input.replace('_', " ").replace(" id", " ID")
        ),
    }
}

/// The engine's own tools (tasks, handoff) are chosen by rules here, not by scoring.
fn is_engine_tool(name: &str) -> bool {
    matches!(name, START_TASK | HANDOFF | FINISH_TASK)
}

/// Words that ask for a person.
const HUMAN: &[&str] = &[
    "human",
    "person",
    "agent",
    "representative",
    "someone",
    "somebody",
    "operator",
    "staff",
];

/// Words that make a whole message a thank-you or a goodbye.
const THANKS: &[&str] = &[
    "thank", "thanks", "thx", "ok", "okay", "great", "perfect", "cheer", "cheers", "bye",
    "goodbye", "awesome", "cool",
];

enum Intent<'a> {
    Tool {
        spec: &'a ToolSpec,
        texts: Vec<&'a str>,
        asked: Option<String>,
    },
    Profile(String),
    StartTask(String),
    Handoff(String),
    Thanks,
    Hello,
    Help,
}

/// A greeting or small talk that asks for nothing yet ("hi, quick question", "hallo, wie
/// geht's?").
fn is_small_talk(message: &str) -> bool {
    const OPENERS: &[&str] = &[
        "hi",
        "hello",
        "hey",
        "heyy",
        "hiya",
        "good morning",
        "good afternoon",
        "good evening",
        "quick question",
        "how are you",
        "how's your day",
        "hope you",
        "hallo",
        "hi there",
        "guten tag",
        "guten morgen",
        "moin",
        "servus",
        "kurze frage",
        "wie geht",
        "bonjour",
        "salut",
        "bonsoir",
        "petite question",
        "hola",
        "buenas",
        "buenos dias",
        "una pregunta",
        "una preguntita",
        "que tal",
        "hoi",
        "goedemorgen",
        "goedemiddag",
        "goedenavond",
        "korte vraag",
        "hoe gaat",
        "first time",
    ];
    let normal = Normal::new(message);
    normal.has_any(OPENERS) && normal.tokens.len() <= 14
}

impl OfflineEngine {
    fn tool(&self, name: &str) -> Option<&Arc<Tool>> {
        self.config.tool(name)
    }

    fn score(&self, spec: &ToolSpec, message: &str) -> f64 {
        let message_words = words(message);
        let Some(tool) = self.tool(&spec.name) else {
            return 0.0;
        };
        let best_example = tool
            .examples
            .iter()
            .map(|e| overlap(&message_words, e))
            .fold(0.0, f64::max);
        let description = overlap(&message_words, &tool.description) * 0.8;
        let name = overlap(&message_words, &spec.name.replace('_', " ")) * 0.8;
        // A value that fits one of the tool's patterned inputs (an order id) is strong evidence.
        let mut taken = BTreeSet::new();
        let patterned = spec.parameters["properties"]
            .as_object()
            .map(|props| {
                props.values().any(|p| {
                    p["pattern"].is_string() && extract(p, message, false, &mut taken).is_some()
                })
            })
            .unwrap_or(false);
        best_example.max(description).max(name) + if patterned { 0.3 } else { 0.0 }
    }

    /// A configured answer from user data whose trigger phrase the message contains.
    fn configured_profile_answer(
        &self,
        message: &str,
        user_data: Option<&Value>,
    ) -> Option<String> {
        let data = user_data?;
        let lower = message.to_lowercase();
        let answer = self
            .config
            .user_data
            .as_ref()?
            .answers
            .iter()
            .find(|a| a.when.iter().any(|w| lower.contains(w.as_str())))?;
        let template = self.config.templates.get_template(&answer.template).ok()?;
        template.render(minijinja::context! { user => minijinja::Value::from(minijinja::value::Serde(data)) }).ok()
    }

    /// The user-data fields the message names (`plan` → "Your plan: Pro").
    fn generic_profile_answer(&self, message: &str, user_data: Option<&Value>) -> Option<String> {
        let Value::Object(map) = user_data? else {
            return None;
        };
        let message_words = words(message);
        let hits: Vec<String> = map
            .iter()
            .filter(|(k, _)| {
                let key_words = words(&k.replace('_', " "));
                !key_words.is_empty() && key_words.is_subset(&message_words)
            })
            .map(|(k, v)| format!("Your {}: {}", k.replace('_', " "), render_plain(v)))
            .collect();
        (!hits.is_empty()).then(|| hits.join("\n"))
    }

    fn help(&self, tools: &[ToolSpec]) -> String {
        // What a customer can ask for: the processes (tasks), or without them the tools
        // configured with example requests (the others are for a model, described for one).
        let offers_tasks = tools.iter().any(|t| t.name == START_TASK);
        let lines: Vec<&str> = if offers_tasks {
            self.config
                .tasks
                .iter()
                .map(|t| t.description.as_str())
                .collect()
        } else {
            tools
                .iter()
                .filter(|t| !is_engine_tool(&t.name))
                .filter(|t| {
                    self.tool(&t.name)
                        .is_some_and(|tool| !tool.examples.is_empty())
                })
                .map(|t| t.description.as_str())
                .collect()
        };
        let mut text = self
            .config
            .agent
            .fallback
            .clone()
            .unwrap_or_else(|| "I'm not sure I understood.".into());
        if lines.is_empty() {
            text.push_str(
                " I can't look anything up for you here; a person from our team can help.",
            );
            return text;
        }
        text.push_str(" I can help with:");
        for description in lines {
            let first_sentence = description
                .split(". ")
                .next()
                .unwrap_or(description)
                .trim_end_matches('.');
            text.push_str(&format!("\n- {first_sentence}"));
        }
        text
    }

    fn choose<'a>(&self, request: &'a ModelRequest<'a>) -> Intent<'a> {
        let messages = request.messages;
        let Some(current) = messages.iter().rev().find_map(|m| match m {
            Message::User { content } => Some(content.as_str()),
            _ => None,
        }) else {
            return Intent::Help;
        };
        let last_assistant = messages.iter().rev().skip(1).find_map(|m| match m {
            Message::Assistant {
                content: Some(c),
                tool_calls,
            } if tool_calls.is_empty() => Some(c.as_str()),
            _ => None,
        });
        // The question this engine asked last turn, if it was one.
        let pending = last_assistant.and_then(|text| {
            request.tools.iter().find_map(|spec| {
                spec.parameters["properties"]
                    .as_object()?
                    .keys()
                    .find(|k| ask_text(spec, k) == text)
                    .map(|k| (spec, k.clone()))
            })
        });
        // A tool without example requests is described for a model: the offline engine
        // picks it only on a clear match.
        let best = request
            .tools
            .iter()
            .filter(|spec| !is_engine_tool(&spec.name))
            .map(|spec| (spec, self.score(spec, current)))
            .filter(|(spec, s)| {
                let has_examples = self
                    .tool(&spec.name)
                    .is_some_and(|t| !t.examples.is_empty());
                *s >= if has_examples { 0.34 } else { 0.6 }
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let offers_tasks = request.tools.iter().any(|t| t.name == START_TASK);
        let clear_task = offers_tasks
            && self
                .config
                .tasks
                .iter()
                .any(|t| trigger_score(t, current) >= 0.6);
        if let Some((spec, asked)) = pending {
            let switched = clear_task || best.is_some_and(|(b, s)| b.name != spec.name && s >= 0.6);
            if !switched {
                // Every customer message since the intent began contributes values.
                let episode_start = messages
                    .iter()
                    .rposition(|m| matches!(m, Message::Assistant { content: Some(c), tool_calls } if tool_calls.is_empty() && request.tools.iter().all(|s| s.parameters["properties"].as_object().is_none_or(|p| p.keys().all(|k| ask_text(s, k) != *c)))))
                    .map(|i| i + 1)
                    .unwrap_or(0);
                let texts = messages[episode_start..]
                    .iter()
                    .filter_map(|m| match m {
                        Message::User { content } => Some(content.as_str()),
                        _ => None,
                    })
                    .collect();
                return Intent::Tool {
                    spec,
                    texts,
                    asked: Some(asked),
                };
            }
        }
        let current_words = words(current);
        if !current_words.is_empty() && current_words.iter().all(|w| THANKS.contains(&w.as_str())) {
            return Intent::Thanks;
        }
        // "Can I talk to a human?" hands off (when the engine offers it).
        let asks_for_human = words(current).iter().any(|w| HUMAN.contains(&w.as_str()))
            && [
                "talk", "speak", "connect", "transfer", "real", "human", "person",
            ]
            .iter()
            .any(|w| words(current).contains(*w));
        if asks_for_human && request.tools.iter().any(|t| t.name == HANDOFF) {
            return Intent::Handoff(current.to_string());
        }
        // A task whose examples the message matches clearly (and no negative example better).
        // Two tasks the message fits exactly as well, by the same words ("order #W1 …
        // instead", where only "order" and the number matched), are no clear request:
        // neither starts. ("Cancel #W1 and return #W2" fit two tasks by different words: two
        // requests, done in order.)
        let message_words = words(current);
        let matched = |t: &TaskDef| -> std::collections::BTreeSet<String> {
            t.words().intersection(&message_words).cloned().collect()
        };
        let scored: Vec<(&std::sync::Arc<TaskDef>, f64)> = self
            .config
            .tasks
            .iter()
            .map(|t| (t, trigger_score(t, current)))
            .filter(|(_, score)| offers_tasks && *score >= 0.6)
            .collect();
        let best_task = scored
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|(top, score)| {
                !scored.iter().any(|(other, s)| {
                    other.name != top.name
                        && (s - score).abs() < 1e-9
                        && matched(other) == matched(top)
                })
            });
        // A task that identifies the customer itself beats the identifying lookup alone
        // ("my email is …, please cancel order …").
        let identifying = |spec: &ToolSpec| {
            self.tool(&spec.name)
                .is_some_and(|t| t.identifies.is_some())
        };
        if let Some((task, score)) = best_task
            && best.is_none_or(|(spec, tool_score)| score >= tool_score || identifying(spec))
        {
            return Intent::StartTask(task.name.clone());
        }
        // Specific profile phrases ("last order") win; then tools; then any user-data field
        // the message names.
        if let Some(answer) = self.configured_profile_answer(current, request.user_data) {
            return Intent::Profile(answer);
        }
        if let Some((spec, _)) = best {
            return Intent::Tool {
                spec,
                texts: vec![current],
                asked: None,
            };
        }
        // A message that is the inputs of an identifying lookup, each of a shape that cannot
        // be mistaken ("olivia.ito5204@example.com"), identifies the customer.
        if let Some(spec) = request.tools.iter().find(|spec| {
            let shaped = |p: &Value| p["format"].is_string() || p["pattern"].is_string();
            let required: Vec<&str> = spec.parameters["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            self.tool(&spec.name)
                .is_some_and(|t| t.identifies.is_some())
                && !required.is_empty()
                && required.iter().all(|name| {
                    let p = &spec.parameters["properties"][*name];
                    shaped(p) && extract(p, current, false, &mut BTreeSet::new()).is_some()
                })
        }) {
            return Intent::Tool {
                spec,
                texts: vec![current],
                asked: None,
            };
        }
        match self.generic_profile_answer(current, request.user_data) {
            Some(answer) => Intent::Profile(answer),
            None if is_small_talk(current) => Intent::Hello,
            None => Intent::Help,
        }
    }

    fn answer_from_results(&self, request: &ModelRequest<'_>) -> Option<String> {
        let messages = request.messages;
        let last_user = messages
            .iter()
            .rposition(|m| matches!(m, Message::User { .. }))?;
        let (calls, results): (Vec<&ToolCall>, Vec<(&str, &str)>) = {
            let mut calls = Vec::new();
            let mut results = Vec::new();
            for m in &messages[last_user..] {
                match m {
                    Message::Assistant { tool_calls, .. } => calls.extend(tool_calls.iter()),
                    Message::Tool { name, content, .. } => {
                        results.push((name.as_str(), content.as_str()))
                    }
                    _ => {}
                }
            }
            (calls, results)
        };
        let (name, content) = *results.last()?;
        let input = calls
            .iter()
            .rev()
            .find(|c| c.name == name)
            .map(|c| c.arguments.clone())
            .unwrap_or(Value::Null);
        let parsed: Value = serde_json::from_str(content).unwrap_or(Value::Null);
        if let Some(error) = parsed.get("error") {
            let message = error["message"].as_str().unwrap_or("something went wrong");
            let status = error["status"].as_u64();
            return Some(match (error["kind"].as_str(), status) {
                (Some("client_error"), Some(404)) => format!(
                    "I couldn't find that. Please check the details and try again ({message})."
                ),
                (Some("refused"), _) => format!("I can't do that here: {message}."),
                (Some("server_error" | "timeout" | "unreachable"), _) => {
                    "Sorry, I can't reach that system right now. Please try again in a few minutes."
                        .to_string()
                }
                _ => format!("Sorry, I couldn't get that: {message}."),
            });
        }
        let result = parsed.get("result").cloned().unwrap_or(Value::Null);
        let lang = Lang::of_conversation(request.messages.iter().filter_map(|m| match m {
            Message::User { content } => Some(content.as_str()),
            _ => None,
        }));
        if self.tool(name).is_some_and(|t| t.identifies.is_some()) {
            return Some(format!(
                "{} {}",
                phrase(Phrase::FoundYou, lang),
                phrase(Phrase::HowCanIHelp, lang)
            ));
        }
        if let Some(template) = self.tool(name).and_then(|t| t.answer_template.as_ref()) {
            let rendered = self
                .config
                .templates
                .get_template(template)
                .and_then(|t| t.render(minijinja::context! { result => minijinja::Value::from(minijinja::value::Serde(&result)), input => minijinja::Value::from(minijinja::value::Serde(&input)) }));
            if let Ok(text) = rendered
                && !text.trim().is_empty()
            {
                return Some(text.trim().to_string());
            }
        }
        Some(match result {
            Value::Null => "Done.".to_string(),
            other => readable(&other),
        })
    }
}

/// A result in sentences: "Here's what I found: the status is shipped, the carrier is UPS and
/// 2 items." — scalar fields first (at most eight), lists counted, nested records skipped.
fn readable(value: &Value) -> String {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "yes" } else { "no" }.into()),
            _ => None,
        }
    }
    fn label(key: &str) -> String {
        key.replace('_', " ").replace(" id", " ID")
    }
    fn sentence(parts: &[String]) -> String {
        match parts {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    }
    match value {
        Value::Object(map) => {
            let mut parts: Vec<String> = map
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::Bool(_) => scalar(v).map(|s| format!("{}: {s}", label(k))),
                    _ => scalar(v).map(|s| format!("the {} is {s}", label(k))),
                })
                .take(8)
                .collect();
            for (k, v) in map {
                if let Value::Array(items) = v {
                    let scalars: Vec<String> = items.iter().filter_map(scalar).collect();
                    if !scalars.is_empty() && scalars.len() == items.len() && scalars.len() <= 5 {
                        parts.push(format!(
                            "the {} {} {}",
                            label(k),
                            if scalars.len() == 1 { "is" } else { "are" },
                            sentence(&scalars)
                        ));
                    } else {
                        parts.push(format!("{} {}", items.len(), label(k)));
                    }
                }
            }
            if parts.is_empty() {
                "I found the record, but there is nothing in it I can show here.".into()
            } else {
                format!("Here's what I found: {}.", sentence(&parts))
            }
        }
        Value::Array(items) if items.is_empty() => "I found nothing.".into(),
        Value::Array(items) => {
            let names: Vec<String> = items
                .iter()
                .filter_map(|i| {
                    scalar(i)
                        .or_else(|| ["name", "title", "id"].iter().find_map(|k| scalar(&i[*k])))
                })
                .take(10)
                .collect();
            if names.is_empty() {
                format!("I found {} results.", items.len())
            } else {
                format!("I found {}: {}.", items.len(), sentence(&names))
            }
        }
        other => scalar(other).unwrap_or_else(|| "Done.".into()),
    }
}

#[async_trait::async_trait]
impl ChatModel for OfflineEngine {
    fn name(&self) -> String {
        "offline".into()
    }

    fn is_deterministic(&self) -> bool {
        true
    }

    async fn complete(
        &self,
        request: &ModelRequest<'_>,
        text: &dyn TextSink,
    ) -> Result<ModelReply, ModelError> {
        let reply = self.decide(request);
        if let Some(t) = &reply.text {
            text.text_delta(t);
        }
        Ok(reply)
    }
}

impl OfflineEngine {
    /// The next step, synchronously (the engine does no I/O).
    pub fn decide(&self, request: &ModelRequest<'_>) -> ModelReply {
        let say = |t: String| ModelReply {
            text: Some(t),
            tool_calls: Vec::new(),
        };
        if matches!(request.messages.last(), Some(Message::Tool { .. })) {
            return say(self
                .answer_from_results(request)
                .unwrap_or_else(|| "Done.".into()));
        }
        match self.choose(request) {
            Intent::Help => say(self.help(&request.tools)),
            Intent::Hello => say(phrase(
                Phrase::Hello,
                Lang::of_conversation(request.messages.iter().filter_map(|m| match m {
                    Message::User { content } => Some(content.as_str()),
                    _ => None,
                })),
            )
            .into()),
            Intent::Profile(answer) => say(answer),
            Intent::StartTask(task) => ModelReply {
                text: None,
                tool_calls: vec![ToolCall {
                    id: format!("call_{}", request.messages.len()),
                    name: START_TASK.into(),
                    arguments: serde_json::json!({"task": task}),
                }],
            },
            Intent::Handoff(message) => ModelReply {
                text: None,
                tool_calls: vec![ToolCall {
                    id: format!("call_{}", request.messages.len()),
                    name: HANDOFF.into(),
                    arguments: serde_json::json!({"summary": format!("The customer asked for a person: \u{201c}{message}\u{201d}")}),
                }],
            },
            Intent::Thanks => say(phrase(
                Phrase::Welcome,
                Lang::of_conversation(request.messages.iter().filter_map(|m| match m {
                    Message::User { content } => Some(content.as_str()),
                    _ => None,
                })),
            )
            .into()),
            Intent::Tool { spec, texts, asked } => {
                let properties = spec.parameters["properties"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                let mut inputs = Map::new();
                let mut taken = BTreeSet::new();
                let last = texts.len().saturating_sub(1);
                for (i, text) in texts.iter().enumerate() {
                    // The asked input gets first pick of the answer to its question.
                    let mut order: Vec<&String> = properties.keys().collect();
                    if i == last
                        && let Some(a) = &asked
                    {
                        order.sort_by_key(|k| *k != a);
                    }
                    for key in order {
                        let is_asked = i == last && asked.as_deref() == Some(key.as_str());
                        if let Some(v) = extract(&properties[key], text, is_asked, &mut taken) {
                            inputs.insert(key.clone(), v);
                        }
                    }
                }
                if let Some(missing) = self
                    .tool(&spec.name)
                    .map(|t| t.required_inputs())
                    .unwrap_or_default()
                    .into_iter()
                    .find(|r| !inputs.contains_key(r))
                {
                    return say(ask_text(spec, &missing));
                }
                let id = format!("call_{}", request.messages.len());
                ModelReply {
                    text: None,
                    tool_calls: vec![ToolCall {
                        id,
                        name: spec.name.clone(),
                        arguments: Value::Object(inputs),
                    }],
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const YAML: &str = r#"
agent:
  name: t
  fallback: I'm the test assistant.
tools:
  - name: book_demo
    description: Book a product demo.
    examples: [book a demo, schedule a demo]
    input:
      type: object
      properties:
        email: {type: string, format: email, description: Your work email}
        seats: {type: integer, description: How many seats you need}
        plan: {type: string, enum: [basic, pro, enterprise], description: The plan you are interested in}
        company: {type: string, description: The name of your company}
      required: [email, seats, plan, company]
    request:
      url: http://api.test/demo
    answer: "Booked for {{ input.company }} ({{ input.seats }} seats, {{ input.plan }})."
  - name: order_status
    description: Look up an order.
    examples: [where is my order]
    input:
      type: object
      properties:
        order_id: {type: string, pattern: "W\\d{7}", description: The order number}
      required: [order_id]
    request:
      url: http://api.test/orders/{order_id}
"#;

    fn engine() -> (OfflineEngine, Vec<ToolSpec>) {
        let config = Arc::new(Config::from_yaml("t.yaml", YAML, &BTreeMap::new()).unwrap());
        let specs = config
            .tools
            .iter()
            .map(|t| ToolSpec {
                name: t.name.clone(),
                description: t.description.clone(),
                parameters: t.input_schema.clone(),
            })
            .collect();
        (OfflineEngine::new(config), specs)
    }

    /// Plays customer messages; returns the engine's replies (text, or `call NAME ARGS`).
    fn play(messages: &[&str]) -> Vec<String> {
        let (engine, tools) = engine();
        let mut history = Vec::new();
        let mut replies = Vec::new();
        for m in messages {
            history.push(Message::User {
                content: m.to_string(),
            });
            let request = ModelRequest {
                system: String::new(),
                messages: &history,
                tools: tools.clone(),
                user_data: None,
            };
            let reply = engine.decide(&request);
            match reply.tool_calls.first() {
                Some(call) => {
                    replies.push(format!("call {} {}", call.name, call.arguments));
                    history.push(Message::Assistant {
                        content: None,
                        tool_calls: reply.tool_calls.clone(),
                    });
                    history.push(Message::Tool {
                        call_id: call.id.clone(),
                        name: call.name.clone(),
                        content: r#"{"result":{"ok":true}}"#.into(),
                    });
                    let request = ModelRequest {
                        system: String::new(),
                        messages: &history,
                        tools: tools.clone(),
                        user_data: None,
                    };
                    let answer = engine.decide(&request).text.unwrap();
                    replies.push(answer.clone());
                    history.push(Message::Assistant {
                        content: Some(answer),
                        tool_calls: Vec::new(),
                    });
                }
                None => {
                    let text = reply.text.unwrap();
                    replies.push(text.clone());
                    history.push(Message::Assistant {
                        content: Some(text),
                        tool_calls: Vec::new(),
                    });
                }
            }
        }
        replies
    }

    #[test]
    fn extracts_emails_numbers_and_enums_and_asks_for_the_rest_one_at_a_time() {
        let replies = play(&[
            "I'd like to book a demo for 12 seats, I'm ana@corp.io",
            "pro",
            "Globex Corporation",
        ]);
        assert_eq!(
            replies[0],
            "Could you tell me the plan you are interested in?"
        );
        assert_eq!(replies[1], "Could you tell me the name of your company?");
        assert_eq!(
            replies[2],
            r#"call book_demo {"company":"Globex Corporation","email":"ana@corp.io","plan":"pro","seats":12}"#
        );
        assert_eq!(replies[3], "Booked for Globex Corporation (12 seats, pro).");
    }

    #[test]
    fn all_inputs_in_one_message_call_at_once_and_patterns_are_anchored() {
        let replies = play(&["where is my order XW12345678 or W1234567?"]);
        assert_eq!(replies[0], r#"call order_status {"order_id":"W1234567"}"#);
        assert_eq!(replies[1], "Here's what I found: ok: yes.");
    }

    #[test]
    fn thanks_gets_a_short_answer() {
        assert_eq!(
            play(&["Thanks!"])[0],
            "You're welcome! Is there anything else I can help with?"
        );
        assert_ne!(
            play(&["thanks, where is my order W1234567"])[0],
            "You're welcome! Is there anything else I can help with?"
        );
    }

    #[test]
    fn unrelated_messages_get_the_list_of_what_it_can_do() {
        let replies = play(&["what's the weather like?"]);
        assert_eq!(
            replies[0],
            "I'm the test assistant. I can help with:\n- Book a product demo\n- Look up an order"
        );
    }

    #[test]
    fn a_new_request_mid_collection_switches_intent() {
        let replies = play(&["book a demo", "where is my order W7654321"]);
        assert_eq!(replies[0], "Could you tell me your work email?");
        assert_eq!(replies[1], r#"call order_status {"order_id":"W7654321"}"#);
    }
}
