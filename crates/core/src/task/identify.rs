//! The `identify` step: the customer says who they are in whatever form they like (an email,
//! or a name and a ZIP code, in one sentence or several), and the engine calls the first
//! configured identifying lookup whose inputs their words supply. The customer's id comes from
//! the lookup's response (never from the customer or the model); a failed lookup says only that
//! the details did not match (not which one), asks again, and after the configured number of
//! failures hands the conversation to a person.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::engine::Flow;
use super::program::{Instr, TaskBody, TaskDef};
use super::run::Awaiting;
use crate::agent::{Agent, Conversation, Recorder};
use crate::config::Tool;
use crate::extract::extract;
use crate::model::Message;
use crate::tool_call::{TrustedContext, prepare_operator_call};
use crate::understand::values::{name_answer, person_name, postal_code};
use crate::understand::{Lang, Phrase, phrase};

/// What an identifying input is, by its name and schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InputKind {
    Email,
    FirstName,
    LastName,
    FullName,
    Postal,
    Other,
}

fn input_kind(name: &str, property: &Value) -> InputKind {
    let name = name.to_ascii_lowercase();
    if property["format"] == "email" || name.contains("email") {
        InputKind::Email
    } else if matches!(
        name.as_str(),
        "first_name" | "firstname" | "given_name" | "first" | "vorname"
    ) {
        InputKind::FirstName
    } else if matches!(
        name.as_str(),
        "last_name" | "lastname" | "family_name" | "surname" | "last" | "nachname"
    ) {
        InputKind::LastName
    } else if matches!(name.as_str(), "name" | "full_name" | "fullname") {
        InputKind::FullName
    } else if name.contains("zip") || name.contains("postal") || name.contains("postcode") {
        InputKind::Postal
    } else {
        InputKind::Other
    }
}

/// The model-facing inputs of a lookup (bound inputs are the engine's).
fn lookup_inputs(tool: &Tool) -> Vec<(String, Value)> {
    tool.input_schema["properties"]
        .as_object()
        .map(|p| {
            p.iter()
                .filter(|(k, _)| !tool.bound.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn label(kind: InputKind, name: &str, lang: Lang) -> String {
    use Lang::*;
    let fixed = match (kind, lang) {
        (InputKind::Email, En) => "email address",
        (InputKind::Email, De) => "E-Mail-Adresse",
        (InputKind::Email, Fr) => "adresse e-mail",
        (InputKind::Email, Es) => "correo electrónico",
        (InputKind::Email, Nl) => "e-mailadres",
        (InputKind::FirstName, En) => "first name",
        (InputKind::FirstName, De) => "Vorname",
        (InputKind::FirstName, Fr) => "prénom",
        (InputKind::FirstName, Es) => "nombre",
        (InputKind::FirstName, Nl) => "voornaam",
        (InputKind::LastName, En) => "last name",
        (InputKind::LastName, De) => "Nachname",
        (InputKind::LastName, Fr) => "nom de famille",
        (InputKind::LastName, Es) => "apellido",
        (InputKind::LastName, Nl) => "achternaam",
        (InputKind::FullName, En) => "full name",
        (InputKind::FullName, De) => "vollständiger Name",
        (InputKind::FullName, Fr) => "nom complet",
        (InputKind::FullName, Es) => "nombre completo",
        (InputKind::FullName, Nl) => "volledige naam",
        (InputKind::Postal, En) => "ZIP code",
        (InputKind::Postal, De) => "Postleitzahl",
        (InputKind::Postal, Fr) => "code postal",
        (InputKind::Postal, Es) => "código postal",
        (InputKind::Postal, Nl) => "postcode",
        (InputKind::Other, _) => return name.replace('_', " "),
    };
    fixed.to_string()
}

/// "A, B and C".
fn list(items: &[String], lang: Lang) -> String {
    let and = match lang {
        Lang::En => "and",
        Lang::De => "und",
        Lang::Fr => "et",
        Lang::Es => "y",
        Lang::Nl => "en",
    };
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
}

/// The labels of some inputs, first and last name said together.
fn labels(inputs: &[(String, InputKind)], lang: Lang) -> Vec<String> {
    let has = |k| inputs.iter().any(|(_, kind)| *kind == k);
    let mut out = Vec::new();
    if has(InputKind::FirstName) && has(InputKind::LastName) {
        out.push(
            match lang {
                Lang::En => "first and last name",
                Lang::De => "Vor- und Nachname",
                Lang::Fr => "prénom et nom",
                Lang::Es => "nombre y apellido",
                Lang::Nl => "voor- en achternaam",
            }
            .to_string(),
        );
    }
    for (name, kind) in inputs {
        if has(InputKind::FirstName)
            && has(InputKind::LastName)
            && matches!(kind, InputKind::FirstName | InputKind::LastName)
        {
            continue;
        }
        out.push(label(*kind, name, lang));
    }
    out
}

fn ask_all(alternatives: &[String], lang: Lang) -> String {
    let or = match lang {
        Lang::En => ", or your ",
        Lang::De => " – oder ",
        Lang::Fr => ", ou ",
        Lang::Es => ", o ",
        Lang::Nl => ", of uw ",
    };
    let alternatives = alternatives.join(or);
    match lang {
        Lang::En => format!("To find your account, please give me your {alternatives}."),
        Lang::De => format!("Um Ihr Konto zu finden, nennen Sie mir bitte: {alternatives}."),
        Lang::Fr => format!("Pour retrouver votre compte, indiquez-moi : {alternatives}."),
        Lang::Es => format!("Para encontrar su cuenta, indíqueme: {alternatives}."),
        Lang::Nl => format!("Om uw account te vinden, geef me uw {alternatives}."),
    }
}

fn ask_missing(missing: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Could you also give me your {missing}?"),
        Lang::De => format!("Nennen Sie mir bitte noch: {missing}."),
        Lang::Fr => format!("Pouvez-vous aussi m'indiquer : {missing} ?"),
        Lang::Es => format!("¿Puede indicarme también: {missing}?"),
        Lang::Nl => format!("Kunt u me ook uw {missing} geven?"),
    }
}

impl Agent {
    fn identify_lookups(&self, task: &TaskDef) -> Vec<std::sync::Arc<Tool>> {
        let TaskBody::Steps(program) = &task.body else {
            return Vec::new();
        };
        program
            .iter()
            .filter_map(|i| match i {
                Instr::Identify { lookups, .. } => Some(lookups),
                _ => None,
            })
            .flatten()
            .filter_map(|name| self.config.tool(name).cloned())
            .collect()
    }

    /// Reads identification details (for the task's `identify` steps) from a message into the
    /// run, while the customer is not identified yet. `asked` is what the last question asked.
    pub(crate) fn absorb_identification(
        &self,
        conversation: &mut Conversation,
        task: &TaskDef,
        text: &str,
        asked: &[String],
    ) {
        if conversation.identity.customer_id().is_some() {
            return;
        }
        let lookups = self.identify_lookups(task);
        let Some(run) = conversation.task.as_mut() else {
            return;
        };
        let found = read_identification(&lookups, text, asked, &run.identify);
        for (name, value) in found {
            run.identify.insert(name, value);
        }
    }

    /// Reads identification details from the messages before this one that belong to this
    /// request (since the last task ended), oldest first, so later details win.
    pub(crate) fn absorb_earlier_identification(
        &self,
        conversation: &mut Conversation,
        task: &TaskDef,
    ) {
        let since = conversation.last_task_end.min(conversation.messages.len());
        let earlier: Vec<String> = conversation.messages[since..]
            .iter()
            .filter_map(|m| match m {
                Message::User { content } => Some(content.clone()),
                _ => None,
            })
            .collect();
        for message in earlier {
            self.absorb_identification(conversation, task, &message, &[]);
        }
    }

    /// Runs an `identify` instruction: skipped when the customer is known; otherwise calls
    /// the first lookup whose inputs are known, or asks for what is missing.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn identify_step(
        &self,
        conversation: &mut Conversation,
        lookups: &[String],
        prompt: Option<&str>,
        attempts: u32,
        pc: usize,
        said: &mut Vec<String>,
        recorder: &mut Recorder<'_>,
    ) -> Flow {
        let lang = self.language(conversation);
        let tools: Vec<std::sync::Arc<Tool>> = lookups
            .iter()
            .filter_map(|l| self.config.tool(l).cloned())
            .collect();
        loop {
            if conversation.identity.customer_id().is_some() {
                if let Some(run) = conversation.task.as_mut() {
                    run.identify.clear();
                    run.pc = pc + 1;
                }
                return Flow::Next;
            }
            // Someone acting for another person is not identified by that person's details.
            let since = conversation.last_task_end.min(conversation.messages.len());
            if conversation.identity.verified_email().is_none()
                && conversation.messages[since..].iter().any(|m| {
                    matches!(m, Message::User { content } if crate::understand::for_someone_else(content))
                })
            {
                let summary = "The customer says they act for someone else; identification by that person's details was not attempted.".to_string();
                self.hand_off(conversation, summary, recorder);
                said.push(phrase(Phrase::AccountHolderOnly, lang).to_string());
                return Flow::Stop;
            }
            let Some(run) = conversation.task.as_mut() else {
                return Flow::Stop;
            };
            // A channel-verified email needs no asking.
            if let Some(email) = conversation.identity.verified_email() {
                for tool in &tools {
                    for (name, property) in lookup_inputs(tool) {
                        if input_kind(&name, &property) == InputKind::Email {
                            run.identify
                                .entry(name)
                                .or_insert_with(|| json!(email.as_str()));
                        }
                    }
                }
            }
            // A correction of one detail after a failed lookup keeps the others.
            if !run.identify.is_empty()
                && run
                    .identify
                    .iter()
                    .any(|(k, v)| run.identify_tried.get(k).is_some_and(|t| t != v))
            {
                for (k, v) in std::mem::take(&mut run.identify_tried) {
                    run.identify.entry(k).or_insert(v);
                }
            }
            let ready = tools.iter().find(|tool| {
                tool.required_inputs()
                    .iter()
                    .filter(|r| !tool.bound.contains_key(*r))
                    .all(|r| run.identify.contains_key(r))
            });
            let Some(tool) = ready.cloned() else {
                let question = self.identification_question(&tools, &run.identify, prompt, lang);
                run.awaiting = Awaiting::Identify { asked: question.1 };
                said.push(question.0);
                return Flow::Stop;
            };
            let arguments: Map<String, Value> = lookup_inputs(&tool)
                .into_iter()
                .filter_map(|(name, _)| run.identify.get(&name).map(|v| (name, v.clone())))
                .collect();
            let call_id = format!("{}-identify{}", run.run_id, run.identify_failures);
            let trusted = TrustedContext {
                identity: &conversation.identity,
                conversation_id: &conversation.id,
                user_data: self.user_data(conversation),
            };
            let prepared = match prepare_operator_call(
                &tool,
                &Value::Object(arguments.clone()),
                trusted,
                false,
            ) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::debug!(error = %e, "identification inputs refused");
                    None
                }
            };
            recorder.emit(crate::agent::TurnEvent::ToolCallStarted {
                call_id: call_id.clone(),
                tool: tool.name.clone(),
                arguments: self.config.redactor.redact_json(&Value::Object(arguments)),
            });
            let found = match prepared {
                Some(prepared) => {
                    self.execute(conversation, &call_id, &prepared, recorder)
                        .await
                        .is_ok()
                        && conversation.identity.customer_id().is_some()
                }
                None => false,
            };
            if found {
                said.push(phrase(Phrase::FoundYou, lang).to_string());
                continue;
            }
            let Some(run) = conversation.task.as_mut() else {
                return Flow::Stop;
            };
            run.identify_tried = std::mem::take(&mut run.identify);
            run.identify_failures += 1;
            if run.identify_failures >= attempts {
                let summary = format!(
                    "The customer could not be identified after {attempts} attempts (task `{}`).",
                    run.task
                );
                self.hand_off(conversation, summary, recorder);
                said.push(phrase(Phrase::NoMatchHandoff, lang).to_string());
                return Flow::Stop;
            }
            let question = self.identification_question(&tools, &BTreeMap::new(), prompt, lang);
            run.awaiting = Awaiting::Identify { asked: question.1 };
            said.push(format!("{} {}", phrase(Phrase::NoMatch, lang), question.0));
            return Flow::Stop;
        }
    }

    /// What to ask: the missing inputs of the lookup the customer is closest to completing,
    /// or (nothing given yet) every way to be found. Returns the question and the inputs it
    /// asks for.
    fn identification_question(
        &self,
        tools: &[std::sync::Arc<Tool>],
        known: &BTreeMap<String, Value>,
        prompt: Option<&str>,
        lang: Lang,
    ) -> (String, Vec<String>) {
        let required = |tool: &Tool| -> Vec<(String, InputKind)> {
            lookup_inputs(tool)
                .into_iter()
                .filter(|(n, _)| tool.required_inputs().contains(n))
                .map(|(n, p)| {
                    let kind = input_kind(&n, &p);
                    (n, kind)
                })
                .collect()
        };
        let closest = tools
            .iter()
            .map(|t| {
                let inputs = required(t);
                let have = inputs.iter().filter(|(n, _)| known.contains_key(n)).count();
                (t, inputs, have)
            })
            .filter(|(_, _, have)| *have > 0)
            .max_by_key(|(_, _, have)| *have);
        if let Some((_, inputs, _)) = closest {
            let missing: Vec<(String, InputKind)> = inputs
                .into_iter()
                .filter(|(n, _)| !known.contains_key(n))
                .collect();
            let names = missing.iter().map(|(n, _)| n.clone()).collect();
            return (
                ask_missing(&list(&labels(&missing, lang), lang), lang),
                names,
            );
        }
        let all: Vec<String> = tools
            .iter()
            .flat_map(|t| required(t).into_iter().map(|(n, _)| n))
            .collect();
        if let Some(prompt) = prompt {
            return (prompt.to_string(), all);
        }
        let alternatives: Vec<String> = tools
            .iter()
            .map(|t| list(&labels(&required(t), lang), lang))
            .collect();
        (ask_all(&alternatives, lang), all)
    }
}

/// Identification details in a message, by input name.
fn read_identification(
    lookups: &[std::sync::Arc<Tool>],
    text: &str,
    asked: &[String],
    known: &BTreeMap<String, Value>,
) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let kind_of = |input: &str| {
        lookups.iter().find_map(|t| {
            lookup_inputs(t)
                .into_iter()
                .find(|(n, _)| n == input)
                .map(|(n, p)| input_kind(&n, &p))
        })
    };
    let mut name = person_name(text);
    // "Rossi" answering "and your last name?" (or given after the first name) is the last name.
    let first_known = known
        .keys()
        .any(|k| kind_of(k) == Some(InputKind::FirstName));
    let last_asked = asked
        .iter()
        .any(|a| kind_of(a) == Some(InputKind::LastName))
        && !asked
            .iter()
            .any(|a| kind_of(a) == Some(InputKind::FirstName));
    if let Some(n) = &name
        && n.last.is_none()
        && (last_asked || first_known)
    {
        name = Some(crate::understand::values::PersonName {
            first: None,
            last: n.first.clone(),
        });
    }
    let mut taken = Default::default();
    for tool in lookups {
        for (input, property) in lookup_inputs(tool) {
            if found.iter().any(|(n, _)| *n == input) {
                continue;
            }
            let kind = input_kind(&input, &property);
            let asked_alone = asked.len() == 1 && asked[0] == input;
            let value = match kind {
                InputKind::Email => extract(&property, text, false, &mut taken),
                InputKind::FirstName => name
                    .as_ref()
                    .and_then(|n| n.first.clone())
                    .or_else(|| {
                        asked_alone
                            .then(|| name_answer(text))
                            .flatten()
                            .map(|w| w[0].clone())
                    })
                    .map(Value::String),
                InputKind::LastName => name
                    .as_ref()
                    .and_then(|n| n.last.clone())
                    .or_else(|| {
                        asked_alone
                            .then(|| name_answer(text))
                            .flatten()
                            .and_then(|w| w.last().cloned())
                    })
                    .map(Value::String),
                InputKind::FullName => name
                    .as_ref()
                    .map(|n| {
                        [n.first.clone(), n.last.clone()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .filter(|s| !s.is_empty())
                    .map(Value::String),
                InputKind::Postal => {
                    let pattern = property["pattern"].as_str().and_then(|p| {
                        regex::Regex::new(&format!(
                            "^(?:{})$",
                            p.trim_start_matches('^').trim_end_matches('$')
                        ))
                        .ok()
                    });
                    let fits = |t: &str| match &pattern {
                        Some(r) => r.is_match(t),
                        None => t.chars().any(|c| c.is_ascii_digit()) && t.len() >= 4,
                    };
                    postal_code(text, &fits).map(Value::String)
                }
                InputKind::Other => extract(&property, text, asked_alone, &mut taken),
            };
            if let Some(value) = value {
                found.push((input, value));
            }
        }
    }
    found
}
