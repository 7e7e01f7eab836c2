//! The task engine: advances a task run one customer message at a time. Structured tasks are
//! run by the engine alone (collect, call, branch, confirm, say, hand off, end); model-driven
//! tasks let the model choose among the task's tools while the engine gates every write.
//!
//! Rules enforced here whatever the model or the customer says: a write runs only inside a
//! task and only after an explicit yes to exactly its inputs; access levels are checked before
//! a task starts and before every call; bound inputs come from trusted context; every write
//! carries an idempotency key, is recorded as sent before it goes out and as done when it
//! answers, and is never sent again once done.

use serde_json::{Map, Value, json};

use super::program::{InputExpr, Instr, Slot, TaskBody, TaskDef};
use super::run::{
    Awaiting, QueuedRequest, TaskRun, WriteRecord, WriteState, idempotency_key, write_digest,
};
use crate::agent::HANDOFF;
use crate::agent::{Agent, CallEnd, Conversation, Recorder, TurnEvent, result_content};
use crate::config::{Access, BoundSource, OnError};
use crate::extract::{extract, overlap, words};
use crate::model::{ModelRequest, NoText, ToolCall, ToolSpec};
use crate::tool_call::{
    CallFailure, FailureKind, PreparedCall, Selected, TrustedContext, prepare_operator_call,
};
use crate::understand::values::Choices;
use crate::understand::{Conjunction, Consent, Phrase, join_words, phrase};

/// Most instructions one message may advance (a guard against a loop in a task's branches).
const MAX_INSTRUCTIONS_PER_TURN: usize = 64;

/// How strongly a message calls for a task: its best example overlap (plus a bonus when it
/// holds a value for one of the task's patterned slots), or 0 when a negative example fits at
/// least as well.
pub fn trigger_score(task: &TaskDef, message: &str) -> f64 {
    let positive = example_score(task, message);
    if positive == 0.0 {
        return 0.0;
    }
    // A value that fits one of the task's patterned slots (an order number) is strong evidence,
    // as it is for tools; each kind of value counts ("order #W1 should go to <an address>"
    // fills two slots of the address change, one of a return).
    let mut taken = Default::default();
    let address = crate::understand::values::Address::parse(message).is_complete();
    let filled = task
        .slots()
        .filter(|s| {
            (s.pattern.is_some() && extract(&s.property, message, false, &mut taken).is_some())
                || (s.is_address() && address)
        })
        .count()
        .min(2);
    positive + 0.3 * filled as f64
}

/// How much a message reads like a task's examples (0 when a negative example fits as well).
/// Switching away from a running task takes this alone: a value that answers the current
/// question (a card id) must not look like a request for another task.
fn example_score(task: &TaskDef, message: &str) -> f64 {
    let mut message_words = words(message);
    // "i wanna cancle my order": a slip on one of the task's own words counts as the word.
    let own = task_words(task);
    let slipped: Vec<String> = own
        .iter()
        .filter(|w| !message_words.contains(*w))
        .filter(|w| message_words.iter().any(|m| crate::understand::slip(m, w)))
        .cloned()
        .collect();
    message_words.extend(slipped);
    // Equal shares are told apart by how many words matched ("ship my order to a different
    // address" matching two words beats "return my order" matching one).
    let score = |reference: &str| {
        let share = overlap(&message_words, reference);
        let matched = words(reference).intersection(&message_words).count();
        if share > 0.0 {
            share + 0.01 * matched as f64
        } else {
            0.0
        }
    };
    let positive = task
        .examples
        .iter()
        .map(|e| score(e))
        .fold(score(&task.description) * 0.8, f64::max);
    // A negative example counts only through what sets it apart ("cancel my subscription"
    // against "cancel my order"): the message must hold one of its own words.
    let negative = task
        .negative_examples
        .iter()
        .filter(|e| {
            words(e)
                .iter()
                .any(|w| !own.contains(w) && message_words.contains(w))
        })
        .map(|e| overlap(&message_words, e))
        .fold(0.0, f64::max);
    if negative >= positive { 0.0 } else { positive }
}

/// The content words of a task's description and examples.
fn task_words(task: &TaskDef) -> std::collections::BTreeSet<String> {
    task.words()
}

fn level_name(access: Access) -> &'static str {
    match access {
        Access::Public => "anyone",
        Access::Identified => "identified customers",
        Access::Verified => "verified customers",
    }
}

pub(crate) fn lookup_path<'a>(context: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(context, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

fn describe(slot: &Slot) -> String {
    slot.name.replace('_', " ")
}

/// The names of the records a slot chooses among, as the customer would say them.
fn choice_names(slot: &Slot, context: &Value) -> Vec<String> {
    let Some(choose) = &slot.choose_from else {
        return Vec::new();
    };
    let Some(records) = lookup_path(context, &choose.list) else {
        return Vec::new();
    };
    let name = choose
        .describe
        .first()
        .map(String::as_str)
        .unwrap_or("name");
    let mut names: Vec<String> = match records {
        Value::Array(items) => items.iter().collect::<Vec<_>>(),
        Value::Object(map) => map.values().collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter_map(|r| match &r[name] {
        Value::String(s) => Some(s.replace('_', " ")),
        _ => r[choose.value.as_str()].as_str().map(str::to_string),
    })
    .collect();
    names.dedup();
    names
}

impl Agent {
    /// Why an answer is not a valid value for a slot: the config's `invalid:` template (with
    /// `choices`, the names of the records to choose among, and `nothing_named`, whether the
    /// answer said nothing about any of them), else the engine's own reason.
    fn invalid_reason(
        &self,
        slot: &Slot,
        answer: &str,
        context: &Value,
        lang: crate::understand::Lang,
    ) -> String {
        let Some(template) = &slot.invalid else {
            return invalid_reason(slot, context, lang);
        };
        let choices = choice_names(slot, context).join(", ");
        let nothing_named = nothing_named(slot, answer, context);
        let mut with_choices = context.clone();
        if let Value::Object(map) = &mut with_choices {
            map.insert("choices".into(), choices.into());
            map.insert("nothing_named".into(), nothing_named.into());
        }
        let said = self.render(template, &with_choices);
        if said.is_empty() {
            invalid_reason(slot, context, lang)
        } else {
            said
        }
    }
}

/// Whether an answer to a slot that chooses among records says nothing about any of them
/// ("the desk lamp" for an order that holds a tea kettle): the customer may have another
/// order in mind.
fn nothing_named(slot: &Slot, answer: &str, context: &Value) -> bool {
    slot.choose_from.as_ref().is_some_and(|choose| {
        choose.replacing.is_none()
            && lookup_path(context, &choose.list).is_some_and(|list| {
                !Choices {
                    list,
                    value: &choose.value,
                    describe: &choose.describe,
                }
                .touches(answer)
            })
    })
}

/// Why an answer is not a valid value for a slot, in the engine's own words.
fn invalid_reason(slot: &Slot, context: &Value, lang: crate::understand::Lang) -> String {
    let say = |which: Phrase, fill: &str| phrase(which, lang).replace("{}", fill);
    // Choosing among the customer's records: say what there is to choose from.
    if slot
        .choose_from
        .as_ref()
        .is_some_and(|c| c.replacing.is_none())
    {
        let names = choice_names(slot, context);
        if !names.is_empty() {
            return say(Phrase::ChoicesAre, &names.join(", "));
        }
    }
    let p = &slot.property;
    if let Some(choices) = p["enum"].as_array() {
        let list: Vec<&str> = choices.iter().filter_map(Value::as_str).collect();
        return say(Phrase::ChooseOneOf, &list.join(", "));
    }
    match (p["format"].as_str(), p["type"].as_str()) {
        (Some("email"), _) => say(Phrase::NotAnEmail, ""),
        (Some("date"), _) => say(Phrase::DateAsIso, ""),
        (_, Some("integer" | "number")) => say(Phrase::GiveANumber, ""),
        _ => say(Phrase::CouldNotRead, &describe(slot)),
    }
}

/// What looking for the records a customer named in other orders found.
enum Elsewhere {
    /// In exactly one: the task goes on with it; what to tell the customer.
    GoOn(String),
    /// In several: the question that asks which.
    Ask(String),
}

pub(crate) enum Flow {
    /// Stop and answer (waiting for the customer, or the task ended).
    Stop,
    /// Go on with the next instruction.
    Next,
}

impl Agent {
    fn active_task(&self, conversation: &Conversation) -> Option<std::sync::Arc<TaskDef>> {
        conversation
            .task
            .as_ref()
            .and_then(|r| self.config.task(&r.task))
            .cloned()
    }

    /// The tools of the active model-driven task, if one is active.
    pub(crate) fn instruction_tools(&self, conversation: &Conversation) -> Option<Vec<String>> {
        match &self.active_task(conversation)?.body {
            TaskBody::Instructions { tools, .. } => Some(tools.clone()),
            TaskBody::Steps(_) => None,
        }
    }

    /// Adds the active model-driven task's steps and state to the system prompt.
    pub(crate) fn task_prompt(&self, conversation: &Conversation, prompt: &mut String) {
        let (Some(task), Some(run)) = (self.active_task(conversation), conversation.task.as_ref())
        else {
            return;
        };
        let TaskBody::Instructions { steps, .. } = &task.body else {
            return;
        };
        prompt.push_str(&format!(
            "\n\n## Current task: {}\n{}\nFollow these steps in order:\n",
            task.name, task.description
        ));
        for (i, step) in steps.iter().enumerate() {
            prompt.push_str(&format!("{}. {step}\n", i + 1));
        }
        if let Some(g) = &task.guidance {
            prompt.push_str(&format!("Guidance: {g}\n"));
        }
        if let Some(h) = &task.handoff_rule {
            prompt.push_str(&format!("Hand off to a human when: {h}\n"));
        }
        prompt.push_str(
            "A tool that changes data runs only after the customer confirms exactly its inputs: call it; \
             the engine asks the customer; after they say yes, call it again with the same inputs. \
             Call `finish_task` when the task is complete.",
        );
        if !run.confirmed.is_empty() {
            prompt.push_str("\nThe customer has just confirmed the change you proposed: call the tool again with exactly the same inputs.");
        }
    }

    /// Ends the active task with an outcome.
    pub(crate) fn end_task(
        &self,
        conversation: &mut Conversation,
        outcome: &str,
        recorder: &mut Recorder<'_>,
    ) {
        // A request that moves to another task goes on: what the customer said for it
        // ("… that order") still counts.
        if outcome != "switched" {
            conversation.last_task_end = conversation.messages.len();
        }
        if let Some(run) = conversation.task.take() {
            // A task that ended without changing anything may be started again by a
            // correction in the next message ("sorry, I meant #W…").
            conversation.correctable =
                (!run.has_completed_write() && outcome != "handed_off").then(|| run.task.clone());
            recorder.emit(TurnEvent::TaskFinished {
                task: run.task,
                outcome: outcome.to_string(),
            });
        }
    }

    /// Starts a task. `Ok(Some(reply))`: a structured task ran to its first question.
    /// `Ok(None)`: a model-driven task is active and the model goes on. `Err(reply)`: refused.
    pub(crate) async fn start_task(
        &self,
        conversation: &mut Conversation,
        name: &str,
        text: &str,
        recorder: &mut Recorder<'_>,
    ) -> Result<Option<String>, String> {
        if self.config.task(name).is_none() {
            return Err(format!("There is no process called `{name}`."));
        }
        // Several requests in one message: they are done in the order they were written,
        // each task with its own part of the message.
        let (name, own_text) = if conversation.queued.is_empty() {
            let mut requests = self.split_requests(name, text);
            let first = requests.remove(0);
            conversation.queued = requests;
            (first.task, first.text)
        } else {
            (name.to_string(), text.to_string())
        };
        let text = own_text.as_str();
        let Some(task) = self.config.task(&name).cloned() else {
            return Err(format!("There is no process called `{name}`."));
        };
        if !conversation.identity.allows(task.access) {
            let reason = format!("`{}` is for {} only", task.name, level_name(task.access));
            recorder.emit(TurnEvent::TaskRefused {
                task: task.name.clone(),
                reason,
            });
            return Err(phrase(Phrase::SignInFirst, self.language(conversation)).into());
        }
        conversation.task_count += 1;
        let run_id = format!("{}-{}", task.name, conversation.task_count);
        recorder.emit(TurnEvent::TaskStarted {
            task: task.name.clone(),
            run_id: run_id.clone(),
        });
        let mut run = TaskRun::new(run_id, &task.name);
        run.request = Some(text.to_string());
        conversation.task = Some(run);
        match task.body {
            TaskBody::Steps(_) => Ok(Some(self.advance(conversation, text, true, recorder).await)),
            TaskBody::Instructions { .. } => Ok(None),
        }
    }

    /// Splits a message that asks for several tasks ("cancel #W1 and return the lamp from
    /// #W2") at sentence and conjunction boundaries: each part goes with the task it asks for;
    /// parts that ask for none stay with the request before (or, at the start, the first).
    /// Returns the requests in the order written (one, the chosen task with the whole text,
    /// when the message asks for one thing).
    fn split_requests(&self, chosen: &str, text: &str) -> Vec<QueuedRequest> {
        const JOINS: &[&str] = &[
            " and ", " also ", " then ", " plus ", " und ", " dann ", " et ", " puis ", " y ",
            " luego ", " en ", " dan ", " ook ",
        ];
        let whole = || {
            vec![QueuedRequest {
                task: chosen.to_string(),
                text: text.to_string(),
            }]
        };
        let mut parts: Vec<String> = Vec::new();
        for sentence in text.split_inclusive(['.', ';', '!', '?', '\n']) {
            let mut rest = sentence.to_string();
            // Joins are ASCII: found in an ASCII-lowercased copy, the byte offsets agree.
            while let Some((at, join)) = JOINS
                .iter()
                .filter_map(|j| rest.to_ascii_lowercase().find(j).map(|at| (at, *j)))
                .min_by_key(|(at, _)| *at)
            {
                parts.push(rest[..at].to_string());
                rest = rest[at + join.len()..].to_string();
            }
            parts.push(rest);
        }
        let mut preamble = String::new();
        let mut requests: Vec<QueuedRequest> = Vec::new();
        let mut folded_in: Vec<String> = Vec::new();
        for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            let asked = self
                .config
                .tasks
                .iter()
                .map(|t| (t, trigger_score(t, part)))
                .filter(|(_, score)| *score >= 0.6)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(t, _)| t.name.clone());
            match (asked, requests.last_mut()) {
                (Some(task), Some(last))
                    if last.task != task && self.completes(&last.task, &last.text, part) =>
                {
                    last.text = format!("{} {part}", last.text);
                    folded_in.push(task);
                }
                (Some(task), Some(last)) if last.task == task => {
                    last.text = format!("{} {part}", last.text);
                }
                (Some(task), _) => requests.push(QueuedRequest {
                    task,
                    text: format!("{preamble}{part}"),
                }),
                (None, Some(last)) => last.text = format!("{} {part}", last.text),
                (None, None) => preamble = format!("{preamble}{part} "),
            }
        }
        // A task read only in a part that went on with an earlier request ("… charge or
        // refund the difference") was not asked for: the earlier request stands.
        if folded_in.iter().any(|t| t == chosen) && !requests.iter().any(|r| r.task == chosen) {
            return requests;
        }
        // The split must agree with the task that was chosen, or it is not used.
        if requests.len() < 2 || !requests.iter().any(|r| r.task == chosen) {
            return whole();
        }
        requests
    }

    /// Whether a part supplies what an earlier request still lacks (its order number: "Can I
    /// swap the helmet? It's order #W1, charge or refund the difference to my Visa"): then it
    /// goes on with that request rather than asking for another task.
    fn completes(&self, task: &str, text: &str, part: &str) -> bool {
        let Some(task) = self.config.tasks.iter().find(|t| t.name == task) else {
            return false;
        };
        task.slots().filter(|s| s.pattern.is_some()).any(|s| {
            let found = |t: &str| extract(&s.property, t, false, &mut Default::default());
            found(text).is_none() && found(part).is_some()
        })
    }

    /// When a task has ended this turn and the customer's message asked for more, starts the
    /// next request (its reply follows the finished task's).
    pub(crate) async fn start_queued(
        &self,
        conversation: &mut Conversation,
        mut reply: String,
        recorder: &mut Recorder<'_>,
    ) -> String {
        while conversation.task.is_none()
            && conversation.handoff.is_none()
            && !conversation.queued.is_empty()
        {
            let next = conversation.queued.remove(0);
            let anything_else = phrase(Phrase::AnythingElse, self.language(conversation));
            if let Some(kept) = reply.strip_suffix(anything_else) {
                reply = kept.trim_end().to_string();
            }
            let more = match self
                .start_task(conversation, &next.task, &next.text, recorder)
                .await
            {
                Ok(Some(more)) | Err(more) => more,
                Ok(None) => continue,
            };
            reply = format!("{reply}\n{more}");
        }
        reply
    }

    /// Right after a task ended without a change, a correction that carries a new value
    /// ("sorry, I meant #W4836353") starts it again with that value.
    pub(crate) async fn restart_corrected(
        &self,
        conversation: &mut Conversation,
        text: &str,
        recorder: &mut Recorder<'_>,
    ) -> Option<String> {
        let name = conversation.correctable.take()?;
        if conversation.task.is_some() || !self.config.agent.vocabulary.is_correction(text) {
            return None;
        }
        let task = self.config.task(&name)?.clone();
        let context = self.task_context(conversation);
        if self.slot_values(&task, text, None, &context).is_empty() {
            return None;
        }
        // The corrected value wins over the earlier one: only this message counts.
        conversation.last_task_end = conversation.messages.len().saturating_sub(1);
        match self.start_task(conversation, &name, text, recorder).await {
            Ok(Some(reply)) | Err(reply) => Some(reply),
            Ok(None) => None,
        }
    }

    /// Right after a declined confirmation, a yes re-opens the task at that confirmation
    /// (exactly the declined writes, nothing else); anything else forgets it.
    /// The yes does not write by itself: after "is there anything else?" a bare yes could
    /// answer that, so the exact question is asked again and only a yes to it writes.
    pub(crate) fn reopen_declined(
        &self,
        conversation: &mut Conversation,
        text: &str,
        recorder: &mut Recorder<'_>,
    ) -> Option<String> {
        let mut run = conversation.declined.take()?;
        if conversation.task.is_some() {
            return None;
        }
        let Awaiting::Declined { digests, question } = std::mem::take(&mut run.awaiting) else {
            return None;
        };
        let lang = self.language(conversation);
        if self
            .config
            .agent
            .vocabulary
            .consent(text, lang, Some(&question))
            != Consent::Yes
        {
            return None;
        }
        recorder.emit(TurnEvent::TaskStarted {
            task: run.task.clone(),
            run_id: run.run_id.clone(),
        });
        recorder.emit(TurnEvent::ConfirmationRequested {
            task: run.task.clone(),
            question: question.clone(),
        });
        let again = format!("{} {question}", phrase(Phrase::JustToBeSure, lang));
        run.awaiting = Awaiting::Confirmation {
            digests,
            question,
            unclear: 0,
        };
        conversation.task = Some(run);
        Some(again)
    }

    /// A message while a task is active.
    pub(crate) async fn task_turn(
        &self,
        conversation: &mut Conversation,
        text: &str,
        recorder: &mut Recorder<'_>,
    ) -> String {
        let Some(task) = self.active_task(conversation) else {
            // The config no longer has this task (it was reloaded): drop the run.
            self.end_task(conversation, "cancelled", recorder);
            return self.model_loop(conversation, text, recorder).await;
        };
        // A confirmation is good for the turn it was given in; a yes from earlier does not
        // carry over to a later, different proposal.
        if let Some(run) = conversation.task.as_mut() {
            run.confirmed.clear();
        }
        let lang = self.language(conversation);
        let confirming = matches!(
            conversation.task.as_ref().map(|r| &r.awaiting),
            Some(Awaiting::Confirmation { .. })
        );
        if self.config.agent.vocabulary.is_cancel(text) {
            conversation.queued.clear();
            if let Some(reply) = self.possibly_made(conversation, text, recorder) {
                return reply;
            }
            // The change was made (the turn that made it may have died before saying so):
            // "stopped" would be false.
            if conversation
                .task
                .as_ref()
                .is_some_and(TaskRun::has_completed_write)
            {
                self.end_task(conversation, "done", recorder);
                return phrase(Phrase::AlreadyDone, lang).into();
            }
            self.end_task(conversation, "cancelled", recorder);
            return phrase(Phrase::Stopped, lang).into();
        }
        if self.config.agent.vocabulary.asks_for_person(text) {
            let summary = format!(
                "During task `{}` the customer asked for a person: \u{201c}{}\u{201d}",
                task.name,
                self.config.redactor.redact(text)
            );
            return self.hand_off(conversation, summary, recorder);
        }
        // An answer to the question asked in words is not a request for another task ("to
        // the original payment method" answers "where should the refund go?"). A bare id may
        // come with a new request ("cancel #W2 instead"), so it does not count.
        let answers_question = match conversation.task.as_ref().map(|r| &r.awaiting) {
            Some(Awaiting::Slot { name })
                if task
                    .slot(name)
                    .is_some_and(|s| s.choose_from.is_some() || s.pattern.is_none()) =>
            {
                let context = self.task_context(conversation);
                self.slot_values(&task, text, Some(name), &context)
                    .iter()
                    .any(|(n, _)| n == name)
            }
            _ => false,
        };
        // "No, that's not what I meant — change the shipping address of order #W…": a no to
        // this confirmation that asks for another task (and corrects nothing here) declines
        // and starts that task.
        if confirming
            && let Some(run) = conversation.task.as_ref()
            && let Awaiting::Confirmation { question, .. } = &run.awaiting
            && self
                .config
                .agent
                .vocabulary
                .consent(text, lang, Some(question))
                == Consent::No
            && self
                .changed_slots(run, &task, text, &self.task_context(conversation))
                .is_empty()
            && let Some(other) = self.switch_target(&task, text)
        {
            self.end_task(conversation, "declined", recorder);
            let next = match self.start_task(conversation, &other, text, recorder).await {
                Ok(Some(reply)) | Err(reply) => reply,
                Ok(None) => self.model_loop(conversation, text, recorder).await,
            };
            let nothing_changed = phrase(Phrase::NothingChanged, lang);
            let nothing_changed = nothing_changed
                .strip_suffix(phrase(Phrase::AnythingElse, lang))
                .unwrap_or(nothing_changed)
                .trim_end();
            return format!("{nothing_changed}\n{next}");
        }
        // Another task's trigger, clearly: switch (the current run ends without any write).
        // An answer that reads like another task's request goes with the question unless the
        // request is unmistakable ("no, I don't want to cancel it anymore. I want to change
        // the shipping address of that order" is no cancel reason).
        if !confirming
            && let Some(other) = self.switch_target(&task, text)
            && (!answers_question
                || self
                    .config
                    .task(&other)
                    .is_some_and(|t| example_score(t, text) >= 1.0))
        {
            self.end_task(conversation, "switched", recorder);
            return match self.start_task(conversation, &other, text, recorder).await {
                Ok(Some(reply)) | Err(reply) => reply,
                Ok(None) => self.model_loop(conversation, text, recorder).await,
            };
        }
        match &task.body {
            TaskBody::Steps(_) => {
                if !self.model.is_deterministic()
                    && let Some(reply) =
                        self.model_assist(conversation, &task, text, recorder).await
                {
                    return reply;
                }
                self.advance(conversation, text, false, recorder).await
            }
            TaskBody::Instructions { .. } => {
                // The engine, not the model, reads the customer's consent.
                if let Some(run) = conversation.task.as_mut()
                    && let Awaiting::Confirmation {
                        digests, question, ..
                    } = std::mem::take(&mut run.awaiting)
                    && self
                        .config
                        .agent
                        .vocabulary
                        .consent(text, lang, Some(&question))
                        == Consent::Yes
                {
                    run.confirmed.extend(digests);
                }
                self.model_loop(conversation, text, recorder).await
            }
        }
    }

    /// When the engine's own recognisers cannot read the answer to its question, the model
    /// gets focused choices: fill slots, ask back, cancel, switch task, hand off. The engine
    /// validates every slot value the model proposes exactly as if the customer had typed it.
    async fn model_assist(
        &self,
        conversation: &mut Conversation,
        task: &TaskDef,
        text: &str,
        recorder: &mut Recorder<'_>,
    ) -> Option<String> {
        let asked = match &conversation.task.as_ref()?.awaiting {
            Awaiting::Slot { name } => name.clone(),
            _ => return None,
        };
        let context = self.task_context(conversation);
        if self.config.agent.vocabulary.is_correction(text)
            || self
                .slot_values(task, text, Some(&asked), &context)
                .iter()
                .any(|(n, _)| *n == asked)
        {
            return None;
        }
        let slot_properties: Map<String, Value> = task
            .slots()
            .map(|s| (s.name.clone(), s.property.clone()))
            .collect();
        let other_tasks: Vec<String> = self
            .config
            .tasks
            .iter()
            .filter(|t| t.name != task.name)
            .map(|t| t.name.clone())
            .collect();
        let prompt = task
            .slot(&asked)
            .map(|s| s.prompt.clone())
            .unwrap_or_default();
        let mut system = self.system_prompt(conversation);
        system.push_str(&format!(
            "\n\n## Current task: {} — {}\nThe engine runs this task and just asked the customer: \u{201c}{prompt}\u{201d}\n\
             Read the customer's last message and choose exactly one tool: `fill_slots` with only values the customer \
             actually gave, `cancel_task` if they no longer want this, `switch_task` if they want another task, \
             `handoff` if they need a person. If the message is unclear, reply with one short question instead.",
            task.name, task.description
        ));
        if let Some(g) = &task.guidance {
            system.push_str(&format!("\nGuidance: {g}"));
        }
        let mut tools = vec![
            ToolSpec {
                name: "fill_slots".into(),
                description: "Record values the customer gave for this task.".into(),
                parameters: json!({"type": "object", "properties": slot_properties}),
            },
            ToolSpec {
                name: "cancel_task".into(),
                description: "The customer no longer wants this task.".into(),
                parameters: json!({"type": "object", "properties": {}}),
            },
            ToolSpec {
                name: HANDOFF.into(),
                description: "Hand the conversation to a person, with a summary.".into(),
                parameters: json!({"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}),
            },
        ];
        if !other_tasks.is_empty() {
            tools.push(ToolSpec { name: "switch_task".into(), description: "The customer wants a different task.".into(), parameters: json!({"type": "object", "properties": {"task": {"type": "string", "enum": other_tasks}}, "required": ["task"]}) });
        }
        let request = ModelRequest {
            system,
            messages: crate::model::history_window(
                &conversation.messages,
                self.config.agent.history_chars,
            ),
            tools,
            user_data: self.user_data(conversation),
        };
        let waiting = std::time::Instant::now();
        let reply = self.model.complete(&request, &NoText).await;
        recorder.waited += waiting.elapsed();
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => {
                recorder.emit(TurnEvent::ModelFailed {
                    message: self.config.redactor.redact(&e.to_string()),
                });
                return None;
            }
        };
        let Some(choice) = reply.tool_calls.first() else {
            return reply.text.filter(|t| !t.trim().is_empty());
        };
        match choice.name.as_str() {
            "fill_slots" => {
                let mut filled_asked = false;
                for (name, value) in choice.arguments.as_object().into_iter().flatten() {
                    let Some(slot) = task.slot(name) else {
                        continue;
                    };
                    // Lists and addresses as the customer would write them ("a, b"; "street,
                    // city, state ZIP"); the engine checks the model's value like a typed answer.
                    let text = match value {
                        Value::String(s) => s.clone(),
                        Value::Array(items) => items
                            .iter()
                            .map(|i| {
                                i.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| i.to_string())
                            })
                            .collect::<Vec<_>>()
                            .join(" "),
                        Value::Object(map) => map
                            .values()
                            .filter_map(Value::as_str)
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(", "),
                        other => other.to_string(),
                    };
                    if let Some(valid) =
                        self.read_slot(slot, &text, true, &context, &mut Default::default())
                        && let Some(run) = conversation.task.as_mut()
                    {
                        run.slots.insert(name.clone(), valid);
                        filled_asked |= *name == asked;
                    }
                }
                if filled_asked && let Some(run) = conversation.task.as_mut() {
                    run.awaiting = Awaiting::Nothing;
                }
                None
            }
            "cancel_task" => {
                self.end_task(conversation, "cancelled", recorder);
                Some(phrase(Phrase::Stopped, self.language(conversation)).into())
            }
            "switch_task" => {
                let other = choice.arguments["task"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                self.config.task(&other)?;
                self.end_task(conversation, "switched", recorder);
                Some(
                    match self.start_task(conversation, &other, text, recorder).await {
                        Ok(Some(reply)) | Err(reply) => reply,
                        Ok(None) => self.model_loop(conversation, text, recorder).await,
                    },
                )
            }
            HANDOFF => {
                let summary = choice.arguments["summary"]
                    .as_str()
                    .unwrap_or("The customer needs a person.")
                    .to_string();
                Some(self.hand_off(conversation, summary, recorder))
            }
            _ => None,
        }
    }

    /// Another task the message clearly asks for — unless every word that points there also
    /// describes the current task ("exchange it once more" inside an exchange stays put).
    fn switch_target(&self, current: &TaskDef, text: &str) -> Option<String> {
        let message = words(text);
        let current_words = task_words(current);
        self.config
            .tasks
            .iter()
            .filter(|t| t.name != current.name)
            .map(|t| (t, example_score(t, text)))
            .filter(|(_, score)| *score >= 0.6)
            .filter(|(t, _)| {
                let theirs = task_words(t);
                !message
                    .intersection(&theirs)
                    .all(|w| current_words.contains(w))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(t, _)| t.name.clone())
    }

    /// The context templates and conditions see: slots and saved results at the top level,
    /// `user` (user data) and `customer` (email, id).
    pub(crate) fn task_context(&self, conversation: &Conversation) -> Value {
        let mut context = Map::new();
        if let Some(run) = &conversation.task {
            for (k, v) in run.slots.iter().chain(run.results.iter()) {
                context.insert(k.clone(), v.clone());
            }
        }
        context.insert(
            "user".into(),
            self.user_data(conversation).cloned().unwrap_or(Value::Null),
        );
        context.insert(
            "customer".into(),
            json!({"email": conversation.identity.email(), "id": conversation.identity.customer_id()}),
        );
        Value::Object(context)
    }

    pub(crate) fn render(&self, template: &str, context: &Value) -> String {
        self.config
            .templates
            .get_template(template)
            .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(context))))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|e| {
                tracing::warn!(template, error = %e, "a task template failed to render");
                String::new()
            })
    }

    fn input_value(&self, expr: &InputExpr, context: &Value) -> Value {
        match expr {
            InputExpr::Path(path) => lookup_path(context, path).cloned().unwrap_or(Value::Null),
            InputExpr::Template(t) => Value::String(self.render(t, context)),
            InputExpr::List(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.input_value(i, context))
                    .filter(|v| !v.is_null())
                    .collect(),
            ),
            InputExpr::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), self.input_value(v, context)))
                    .collect(),
            ),
            InputExpr::Literal(value) => value.clone(),
        }
    }

    /// The list an expression gives (empty when it gives none).
    fn list_expression(&self, source: &str, context: &Value) -> Vec<Value> {
        self.config
            .templates
            .compile_expression(source)
            .and_then(|e| e.eval(minijinja::Value::from(minijinja::value::Serde(context))))
            .ok()
            .and_then(|v| serde_json::to_value(&v).ok())
            .and_then(|v| match v {
                Value::Array(items) => Some(items),
                _ => None,
            })
            .unwrap_or_default()
    }

    fn condition(&self, source: &str, context: &Value) -> bool {
        self.config
            .templates
            .compile_expression(source)
            .and_then(|e| e.eval(minijinja::Value::from(minijinja::value::Serde(context))))
            .map(|v| v.is_true())
            .unwrap_or(false)
    }

    /// A slot's value from trusted context or user data, when known.
    fn known_value(&self, conversation: &Conversation, slot: &Slot) -> Option<Value> {
        let from_source = slot.from.as_ref().and_then(|source| match source {
            BoundSource::UserEmail => conversation.identity.email().map(|e| json!(e)),
            BoundSource::UserId => conversation.identity.customer_id().map(|c| json!(c)),
            BoundSource::ConversationId => Some(json!(conversation.id)),
            BoundSource::UserData(f) => {
                self.user_data(conversation).and_then(|d| d.get(f)).cloned()
            }
        });
        let value = from_source.or_else(|| {
            self.user_data(conversation)
                .and_then(|d| d.get(&slot.name))
                .cloned()
        })?;
        let text = value
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string());
        extract(&slot.property, &text, true, &mut Default::default())
    }

    /// Absorbs the customer's message into the run, then runs instructions until the task
    /// needs the customer again or ends.
    async fn advance(
        &self,
        conversation: &mut Conversation,
        text: &str,
        first: bool,
        recorder: &mut Recorder<'_>,
    ) -> String {
        let Some(task) = self.active_task(conversation) else {
            return String::new();
        };
        let TaskBody::Steps(program) = &task.body else {
            return String::new();
        };
        let mut said: Vec<String> = Vec::new();
        if let Some(reply) = self.absorb(conversation, &task, text, first, recorder) {
            // "The desk lamp" for an order that holds a tea kettle: the customer's other
            // order that holds it, if exactly one does, is the one they mean.
            match self
                .look_elsewhere(conversation, &task, program, text, recorder)
                .await
            {
                Some(Elsewhere::GoOn(found)) => said.push(found),
                Some(Elsewhere::Ask(question)) => return question,
                None => return reply,
            }
        }
        for _ in 0..MAX_INSTRUCTIONS_PER_TURN {
            let Some(run) = conversation.task.as_ref() else {
                break;
            };
            let pc = run.pc;
            let Some(instr) = program.get(pc) else {
                self.end_task(conversation, "done", recorder);
                break;
            };
            let kind = match instr {
                Instr::Identify { .. } => "identify",
                Instr::Collect(_) => "collect",
                Instr::Call { .. } => "call",
                Instr::JumpUnless { .. } | Instr::Jump(_) => "branch",
                Instr::Confirm(_) => "confirm",
                Instr::Say(_) => "say",
                Instr::Handoff(_) => "handoff",
                Instr::End(_) => "end",
                Instr::Switch(_) => "switch",
            };
            recorder.emit(TurnEvent::TaskStep {
                task: task.name.clone(),
                step: pc,
                kind: kind.into(),
            });
            let flow = self
                .step(conversation, &task, program, pc, &mut said, recorder)
                .await;
            if matches!(flow, Flow::Stop) {
                break;
            }
        }
        // Switched to another task: it goes on with this message.
        if conversation
            .task
            .as_ref()
            .is_some_and(|r| r.task != task.name && r.pc == 0)
        {
            let more = Box::pin(self.advance(conversation, text, true, recorder)).await;
            said.push(more);
            said.retain(|s| !s.is_empty());
            return said.join("\n");
        }
        said.retain(|s| !s.is_empty());
        // A task that ended (done or failed) hands the conversation back: ask what's next.
        let ended = conversation.task.is_none() && conversation.handoff.is_none();
        if ended && said.last().is_none_or(|s| !s.trim_end().ends_with('?')) {
            said.push(phrase(Phrase::AnythingElse, self.language(conversation)).into());
        }
        if said.is_empty() {
            "OK.".into()
        } else {
            said.join("\n")
        }
    }

    /// When the answer to a choice names none of its records but the slot has `elsewhere`:
    /// loads the records for each other value of the slot it was looked up with; when exactly
    /// one holds what the answer names, the run goes on with that value from the start (a
    /// correction the customer is told about and confirms with the rest); when several do,
    /// the customer is asked which.
    async fn look_elsewhere(
        &self,
        conversation: &mut Conversation,
        task: &TaskDef,
        program: &[Instr],
        text: &str,
        recorder: &mut Recorder<'_>,
    ) -> Option<Elsewhere> {
        /// The most other values looked through (each is one read).
        const MAX_ELSEWHERE: usize = 10;
        let run = conversation.task.as_ref()?;
        let Awaiting::Slot { name } = &run.awaiting else {
            return None;
        };
        let slot = task.slot(name)?;
        let choose = slot.choose_from.as_ref()?;
        let elsewhere = choose.elsewhere.as_ref()?;
        if run.has_completed_write() {
            return None;
        }
        let context = self.task_context(conversation);
        if !nothing_named(slot, text, &context) {
            return None;
        }
        let Instr::Call {
            tool,
            inputs,
            save: Some(root),
            write: false,
            ..
        } = program.get(elsewhere.lookup)?
        else {
            return None;
        };
        let held = context.get(&elsewhere.slot)?.clone();
        let others: Vec<Value> = match lookup_path(&context, &elsewhere.among)? {
            Value::Array(values) => values.clone(),
            Value::Object(map) => map.keys().map(|k| Value::String(k.clone())).collect(),
            _ => return None,
        };
        let mut found = Vec::new();
        for other in others
            .into_iter()
            .filter(|v| *v != held)
            .take(MAX_ELSEWHERE)
        {
            let mut there = context.clone();
            there[elsewhere.slot.as_str()] = other.clone();
            let Ok(records) = self
                .step_call(
                    conversation,
                    elsewhere.lookup,
                    tool,
                    inputs,
                    false,
                    &there,
                    recorder,
                )
                .await
            else {
                continue;
            };
            there[root.as_str()] = records.value;
            let Some(list) = lookup_path(&there, &choose.list) else {
                continue;
            };
            let choices = Choices {
                list,
                value: &choose.value,
                describe: &choose.describe,
            };
            let names_some = if slot.is_list() {
                !choices.many_named(text).is_empty()
            } else {
                choices.one(text).is_some()
            };
            if names_some {
                found.push(other);
            }
        }
        let plain = |v: &Value| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        };
        let lang = self.language(conversation);
        let new = match found.as_slice() {
            [] => return None,
            [new] => new,
            // In several: the customer says which (an id in the answer is a correction).
            several => {
                let list: Vec<String> = several.iter().map(plain).collect();
                return Some(Elsewhere::Ask(
                    phrase(Phrase::FoundInSeveral, lang)
                        .replace("{old}", &plain(&held))
                        .replace("{list}", &join_words(&list, Conjunction::And, lang))
                        .replace("{choice}", &join_words(&list, Conjunction::Or, lang)),
                ));
            }
        };
        let run = conversation.task.as_mut()?;
        run.slots.insert(elsewhere.slot.clone(), new.clone());
        run.restart();
        recorder.emit(TurnEvent::TaskCorrected {
            task: task.name.clone(),
            slots: vec![elsewhere.slot.clone()],
        });
        Some(Elsewhere::GoOn(
            phrase(Phrase::FoundElsewhere, lang)
                .replace("{old}", &plain(&held))
                .replace("{new}", &plain(new)),
        ))
    }

    /// A cancel or a correction while a write was sent and its outcome is unknown (a crash
    /// or a timeout after sending): the change may already have been made, so it is neither
    /// dropped nor sent again under other inputs — the customer is told, and a person checks.
    fn possibly_made(
        &self,
        conversation: &mut Conversation,
        text: &str,
        recorder: &mut Recorder<'_>,
    ) -> Option<String> {
        let run = conversation.task.as_ref()?;
        let write = run.unsettled_write()?;
        let summary = format!(
            "Task `{}`: a change (`{}`) was sent and its outcome is unknown; the customer then wrote \u{201c}{}\u{201d}. Check whether it was made.",
            run.task, write.tool, text
        );
        let lang = self.language(conversation);
        let handed = self.hand_off(conversation, summary, recorder);
        Some(format!("{} {handed}", phrase(Phrase::MayBeMade, lang)))
    }

    /// Slot values the message gives that differ from the ones the run holds (a correction).
    fn changed_slots(
        &self,
        run: &TaskRun,
        task: &TaskDef,
        text: &str,
        context: &Value,
    ) -> Vec<(String, Value)> {
        let mut changed: Vec<(String, Value)> = self
            .slot_values(task, text, None, context)
            .into_iter()
            .filter(|(name, value)| {
                run.slots.contains_key(name) && run.slots.get(name) != Some(value)
            })
            .collect();
        // "Not W9034102 — it's W9810810": the value held is named to be replaced; what else
        // the message gives for that slot is the correction.
        for (name, held) in &run.slots {
            let Some(held_text) = held.as_str() else {
                continue;
            };
            let bare = held_text.trim_start_matches('#');
            if changed.iter().any(|(n, _)| n == name) || bare.len() < 4 || !text.contains(bare) {
                continue;
            }
            let rest = text.replace(held_text, " ").replace(bare, " ");
            if let Some((_, value)) = self
                .slot_values(task, &rest, None, context)
                .into_iter()
                .find(|(n, v)| n == name && v != held)
            {
                changed.push((name.clone(), value));
            }
        }
        changed
    }

    /// Takes slot values, identification details, corrections and yes/no from the message.
    /// Returns a reply when the message settles the turn by itself (an invalid answer, a
    /// declined confirmation).
    fn absorb(
        &self,
        conversation: &mut Conversation,
        task: &TaskDef,
        text: &str,
        first: bool,
        recorder: &mut Recorder<'_>,
    ) -> Option<String> {
        let lang = self.language(conversation);
        let context = self.task_context(conversation);
        let asked_identity = match conversation.task.as_ref().map(|r| &r.awaiting) {
            Some(Awaiting::Identify { asked }) => asked.clone(),
            _ => Vec::new(),
        };
        if first {
            self.absorb_earlier_identification(conversation, task);
        } else {
            self.absorb_identification(conversation, task, text, &asked_identity);
        }
        let run = conversation.task.as_mut()?;
        // "Actually it's W2": changed slot values restart the run from its first instruction;
        // lookups run again and anything confirmed must be confirmed again.
        // At a confirmation a changed value is a correction even without "actually" ("no,
        // #W1000003"): the task runs again with it and asks again.
        let confirming = matches!(run.awaiting, Awaiting::Confirmation { .. });
        // A new value for a detail already given, in a message that does not answer the
        // question asked ("not W9034102 — it's W9810810" when asked for the items), is a
        // correction too.
        let unanswered = match &run.awaiting {
            Awaiting::Slot { name } => !self
                .slot_values(task, text, Some(name), &context)
                .iter()
                .any(|(n, _)| n == name),
            _ => false,
        };
        if !first && (confirming || unanswered || self.config.agent.vocabulary.is_correction(text))
        {
            let changed = self.changed_slots(run, task, text, &context);
            if !changed.is_empty() {
                if run.has_completed_write() {
                    return Some(phrase(Phrase::AlreadyDone, lang).into());
                }
                if run.unsettled_write().is_some() {
                    return self.possibly_made(conversation, text, recorder);
                }
                let names = changed.iter().map(|(n, _)| n.clone()).collect();
                run.slots.extend(changed);
                // New details may lead to the task switched away from ("exchange" for a
                // pending order is a change of items).
                run.restart();
                recorder.emit(TurnEvent::TaskCorrected {
                    task: task.name.clone(),
                    slots: names,
                });
                return None;
            }
        }
        match std::mem::take(&mut run.awaiting) {
            Awaiting::Confirmation {
                digests,
                question,
                unclear,
            } => match self
                .config
                .agent
                .vocabulary
                .consent(text, lang, Some(&question))
            {
                Consent::Yes => {
                    run.confirmed.extend(digests);
                    run.pc += 1;
                }
                Consent::No => {
                    // Kept for one message: "no, wait… actually yes" confirms exactly this.
                    run.awaiting = Awaiting::Declined { digests, question };
                    conversation.declined = conversation.task.clone();
                    self.end_task(conversation, "declined", recorder);
                    return Some(phrase(Phrase::NothingChanged, lang).into());
                }
                Consent::Unclear => {
                    // Restate the exact action; the second time, offer a person.
                    let lead = if unclear == 0 {
                        Phrase::AnswerYesOrNo
                    } else {
                        Phrase::StillUnclear
                    };
                    let again = format!("{} {question}", phrase(lead, lang));
                    run.awaiting = Awaiting::Confirmation {
                        digests,
                        question,
                        unclear: unclear.saturating_add(1),
                    };
                    return Some(again);
                }
            },
            Awaiting::Declined { .. } | Awaiting::Identify { .. } | Awaiting::Nothing => {
                // Values for later steps, in the message that starts the task or answers the
                // identification question.
                for (slot, value) in self.slot_values(task, text, None, &context) {
                    if !self.choices_pending(task, &slot, &context) {
                        run.slots.entry(slot).or_insert(value);
                    }
                }
            }
            Awaiting::Slot { name } => {
                let slot = task.slot(&name)?;
                if slot.is_address()
                    && self
                        .read_slot(slot, text, true, &context, &mut Default::default())
                        .is_none()
                {
                    run.awaiting = Awaiting::Slot { name: name.clone() };
                    return match self.address_answer(conversation, slot, text) {
                        Ok(address) => {
                            if let Some(run) = conversation.task.as_mut() {
                                run.slots.insert(name, address);
                                run.awaiting = Awaiting::Nothing;
                            }
                            None
                        }
                        Err(missing) => Some(missing),
                    };
                }
                let values = self.slot_values(task, text, Some(&name), &context);
                let answered = values.iter().any(|(n, _)| n == &name);
                for (slot, value) in values {
                    if slot == name
                        || !(run.slots.contains_key(&slot)
                            || self.choices_pending(task, &slot, &context))
                    {
                        run.slots.insert(slot, value);
                    }
                }
                if !answered {
                    run.awaiting = Awaiting::Slot { name: name.clone() };
                    let reason = self.invalid_reason(slot, text, &context, lang);
                    // An answer about none of the records ("the desk lamp" for an order that
                    // holds a tea kettle) is not asked for again: the same question would get
                    // the same answer. What there is, said plainly, lets the customer see a
                    // wrong order id, or pick.
                    if nothing_named(slot, text, &context) {
                        return Some(reason);
                    }
                    return Some(format!("{reason} {}", slot.prompt));
                }
            }
        }
        None
    }

    /// Executes one instruction.
    async fn step(
        &self,
        conversation: &mut Conversation,
        task: &TaskDef,
        program: &[Instr],
        pc: usize,
        said: &mut Vec<String>,
        recorder: &mut Recorder<'_>,
    ) -> Flow {
        let context = self.task_context(conversation);
        let advance = |conversation: &mut Conversation, to: usize| {
            if let Some(run) = conversation.task.as_mut() {
                run.pc = to;
            }
            Flow::Next
        };
        match &program[pc] {
            Instr::Identify {
                lookups,
                prompt,
                attempts,
            } => {
                self.identify_step(
                    conversation,
                    lookups,
                    prompt.as_deref(),
                    *attempts,
                    pc,
                    said,
                    recorder,
                )
                .await
            }
            Instr::Collect(slot) => {
                let known = conversation
                    .task
                    .as_ref()
                    .is_some_and(|r| r.slots.contains_key(&slot.name));
                if !known
                    && let Some(value) = self
                        .known_value(conversation, slot)
                        .or_else(|| self.earlier_pair_value(conversation, task, slot, &context))
                        .or_else(|| self.earlier_value(conversation, slot, &context))
                    && let Some(run) = conversation.task.as_mut()
                {
                    run.slots.insert(slot.name.clone(), value);
                    return advance(conversation, pc + 1);
                }
                if known {
                    return advance(conversation, pc + 1);
                }
                if let Some(run) = conversation.task.as_mut() {
                    run.awaiting = Awaiting::Slot {
                        name: slot.name.clone(),
                    };
                }
                said.push(slot.prompt.clone());
                Flow::Stop
            }
            Instr::JumpUnless { condition, target } => {
                let to = if self.condition(condition, &context) {
                    pc + 1
                } else {
                    *target
                };
                advance(conversation, to)
            }
            Instr::Jump(target) => advance(conversation, *target),
            Instr::Say(template) => {
                said.push(self.render(template, &context));
                advance(conversation, pc + 1)
            }
            Instr::Confirm(template) => {
                let mut question = self.render(template, &context);
                if !question.ends_with('?') {
                    question.push_str(" Shall I go ahead?");
                }
                // The customer confirms exactly the writes up to the next confirmation.
                let digests = program[pc + 1..]
                    .iter()
                    .take_while(|i| !matches!(i, Instr::Confirm(_)))
                    .filter_map(|i| match i {
                        Instr::Call {
                            tool,
                            inputs,
                            write: true,
                            ..
                        } => {
                            let prepared = self
                                .prepare_step_call(conversation, tool, inputs, &context)
                                .ok()?;
                            Some(write_digest(tool, &prepared.inputs))
                        }
                        _ => None,
                    })
                    .collect();
                recorder.emit(TurnEvent::ConfirmationRequested {
                    task: task.name.clone(),
                    question: question.clone(),
                });
                if let Some(run) = conversation.task.as_mut() {
                    run.awaiting = Awaiting::Confirmation {
                        digests,
                        question: question.clone(),
                        unclear: 0,
                    };
                }
                said.push(question);
                Flow::Stop
            }
            Instr::Handoff(template) => {
                let summary = template
                    .as_ref()
                    .map(|t| self.render(t, &context))
                    .unwrap_or_else(|| {
                        format!(
                            "Task `{}` needs a person. Collected: {}",
                            task.name,
                            conversation
                                .task
                                .as_ref()
                                .map(|r| json!(r.slots).to_string())
                                .unwrap_or_default()
                        )
                    });
                said.push(self.hand_off(conversation, summary, recorder));
                Flow::Stop
            }
            Instr::End(template) => {
                if let Some(t) = template {
                    said.push(self.render(t, &context));
                }
                self.end_task(conversation, "done", recorder);
                Flow::Stop
            }
            Instr::Switch(target) => {
                let Some(old) = conversation.task.take() else {
                    return Flow::Stop;
                };
                let target_def = self.config.task(target);
                if old.switched_from.contains(target)
                    || target_def.is_none_or(|t| !conversation.identity.allows(t.access))
                {
                    // Never back and forth: the task ends as `end: {}` would.
                    conversation.task = Some(old);
                    self.end_task(conversation, "done", recorder);
                    return Flow::Stop;
                }
                recorder.emit(TurnEvent::TaskFinished {
                    task: old.task.clone(),
                    outcome: "switched".into(),
                });
                conversation.task_count += 1;
                let run_id = format!("{target}-{}", conversation.task_count);
                recorder.emit(TurnEvent::TaskStarted {
                    task: target.clone(),
                    run_id: run_id.clone(),
                });
                let mut run = TaskRun::new(run_id, target);
                run.request = old.request.clone();
                run.identify = old.identify.clone();
                run.switched_from = old.switched_from.clone();
                run.switched_from.push(old.task.clone());
                if let Some(def) = target_def {
                    run.slots = old
                        .slots
                        .into_iter()
                        .filter(|(name, _)| def.slot(name).is_some())
                        .collect();
                }
                conversation.task = Some(run);
                Flow::Stop
            }
            Instr::Call {
                tool,
                inputs,
                save,
                on_error,
                error_message,
                write,
                for_each,
            } => {
                let attempts = if *on_error == OnError::Retry { 2 } else { 1 };
                let result = match for_each {
                    None => {
                        self.step_call_attempts(
                            conversation,
                            pc,
                            (tool, inputs, *write),
                            &context,
                            attempts,
                            recorder,
                        )
                        .await
                    }
                    // A read per element; the results in the same order.
                    Some(each) => {
                        let mut results = Vec::new();
                        let mut failed = None;
                        for item in self.list_expression(each, &context) {
                            let mut item_context = context.clone();
                            item_context["item"] = item;
                            let result = self
                                .step_call_attempts(
                                    conversation,
                                    pc,
                                    (tool, inputs, false),
                                    &item_context,
                                    attempts,
                                    recorder,
                                )
                                .await;
                            match result {
                                Ok(selected) => results.push(selected.value),
                                Err(failure) => {
                                    failed = Some(failure);
                                    break;
                                }
                            }
                        }
                        match failed {
                            Some(failure) => Err(failure),
                            None => Ok(Selected {
                                value: Value::Array(results),
                                truncated: false,
                            }),
                        }
                    }
                };
                match result {
                    Ok(selected) => {
                        if let (Some(name), Some(run)) = (save, conversation.task.as_mut()) {
                            run.results.insert(name.clone(), selected.value);
                        }
                        advance(conversation, pc + 1)
                    }
                    Err(failure)
                        if *on_error == OnError::Handoff
                            || failure.kind == FailureKind::PossiblyExecuted =>
                    {
                        let summary = format!(
                            "Task `{}`: calling `{tool}` failed: {}",
                            task.name, failure.message
                        );
                        said.push(self.hand_off(conversation, summary, recorder));
                        Flow::Stop
                    }
                    Err(failure) => {
                        let mut error_context = context.clone();
                        error_context["error"] = json!(failure.message);
                        let message = error_message
                            .as_ref()
                            .map(|t| self.render(t, &error_context))
                            .filter(|m| !m.is_empty())
                            .unwrap_or_else(|| {
                                format!(
                                    "Sorry, I couldn't complete that: {}.",
                                    failure.message.trim_end_matches('.')
                                )
                            });
                        said.push(message);
                        self.end_task(conversation, "failed", recorder);
                        Flow::Stop
                    }
                }
            }
        }
    }

    /// A step's call, tried up to `attempts` times while it fails.
    async fn step_call_attempts(
        &self,
        conversation: &mut Conversation,
        pc: usize,
        (tool, inputs, write): (&str, &[(String, InputExpr)], bool),
        context: &Value,
        attempts: u32,
        recorder: &mut Recorder<'_>,
    ) -> Result<Selected, CallFailure> {
        let mut result = self
            .step_call(conversation, pc, tool, inputs, write, context, recorder)
            .await;
        for _ in 1..attempts {
            if result.is_ok() {
                break;
            }
            result = self
                .step_call(conversation, pc, tool, inputs, write, context, recorder)
                .await;
        }
        result
    }

    fn prepare_step_call(
        &self,
        conversation: &Conversation,
        tool: &str,
        inputs: &[(String, InputExpr)],
        context: &Value,
    ) -> Result<PreparedCall, CallFailure> {
        let refused = |message: String| CallFailure {
            kind: FailureKind::Refused,
            status: None,
            message,
        };
        let tool = self
            .config
            .tool(tool)
            .ok_or_else(|| refused(format!("no tool `{tool}`")))?;
        let mut arguments = Map::new();
        for (name, expr) in inputs {
            let value = self.input_value(expr, context);
            if !value.is_null() {
                arguments.insert(name.clone(), value);
            }
        }
        let trusted = TrustedContext {
            identity: &conversation.identity,
            conversation_id: &conversation.id,
            user_data: self.user_data(conversation),
        };
        prepare_operator_call(tool, &Value::Object(arguments), trusted, true)
            .map_err(|e| refused(e.to_string()))
    }

    #[allow(clippy::too_many_arguments)]
    async fn step_call(
        &self,
        conversation: &mut Conversation,
        pc: usize,
        tool: &str,
        inputs: &[(String, InputExpr)],
        write: bool,
        context: &Value,
        recorder: &mut Recorder<'_>,
    ) -> Result<Selected, CallFailure> {
        let call_id = format!(
            "{}-step{pc}",
            conversation
                .task
                .as_ref()
                .map(|r| r.run_id.as_str())
                .unwrap_or("task")
        );
        let arguments: Map<String, Value> = inputs
            .iter()
            .map(|(name, expr)| (name.clone(), self.input_value(expr, context)))
            .filter(|(_, v)| !v.is_null())
            .collect();
        recorder.emit(TurnEvent::ToolCallStarted {
            call_id: call_id.clone(),
            tool: tool.to_string(),
            arguments: self.config.redactor.redact_json(&Value::Object(arguments)),
        });
        let prepared = match self.prepare_step_call(conversation, tool, inputs, context) {
            Ok(p) => p,
            Err(failure) => {
                recorder.emit(TurnEvent::ToolCallFinished {
                    call_id,
                    tool: tool.to_string(),
                    status: "refused".into(),
                    error: Some(failure.message.clone()),
                    ignored_inputs: Vec::new(),
                    request: None,
                });
                return Err(failure);
            }
        };
        if !write {
            return self
                .execute(conversation, &call_id, &prepared, recorder)
                .await;
        }
        let digest = write_digest(tool, &prepared.inputs);
        self.confirmed_write(conversation, &call_id, prepared, &digest, recorder)
            .await
    }

    /// A write the model asked for inside a model-driven task: run it if the customer
    /// confirmed exactly these inputs, otherwise ask them (nothing is sent).
    pub(crate) async fn gated_write(
        &self,
        conversation: &mut Conversation,
        call: &ToolCall,
        prepared: PreparedCall,
        recorder: &mut Recorder<'_>,
    ) -> CallEnd {
        let digest = write_digest(&prepared.tool.name, &prepared.inputs);
        let Some(run) = conversation.task.as_mut() else {
            return CallEnd { content: json!({"error": {"kind": "refused", "message": "changes run only inside a task"}}).to_string(), reply: None };
        };
        // The same write again (a model re-proposing it): it was made once and is not made
        // again; its outcome is the answer, with no new confirmation.
        let key = idempotency_key(&conversation.id, &run.run_id, &digest);
        let done = matches!(
            run.writes.get(&key).map(|w| &w.state),
            Some(WriteState::Done { .. })
        );
        if done || run.confirmed.contains(&digest) {
            let result = self
                .confirmed_write(conversation, &call.id, prepared, &digest, recorder)
                .await;
            return CallEnd {
                content: result_content(&result).to_string(),
                reply: None,
            };
        }
        let shown: Vec<String> = prepared
            .inputs
            .iter()
            .filter(|(k, _)| !prepared.tool.bound.contains_key(*k))
            .map(|(k, v)| {
                format!(
                    "{} {}",
                    k.replace('_', " "),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                )
            })
            .collect();
        let question = format!(
            "Just to confirm: {} with {}. Shall I go ahead?",
            prepared.tool.description.trim_end_matches('.'),
            shown.join(", ")
        );
        run.awaiting = Awaiting::Confirmation {
            digests: vec![digest],
            question: question.clone(),
            unclear: 0,
        };
        recorder.emit(TurnEvent::ToolCallFinished {
            call_id: call.id.clone(),
            tool: call.name.clone(),
            status: "refused".into(),
            error: Some(
                "not confirmed: the customer was asked to confirm these exact inputs".into(),
            ),
            ignored_inputs: prepared.ignored_inputs.clone(),
            request: None,
        });
        recorder.emit(TurnEvent::ConfirmationRequested {
            task: run.task.clone(),
            question: question.clone(),
        });
        let content = json!({"error": {"kind": "needs_confirmation", "message": "Nothing was done. The customer is asked to confirm these exact inputs; after they say yes, call again with the same inputs."}});
        CallEnd {
            content: content.to_string(),
            reply: Some(question),
        }
    }

    /// Runs a write the customer confirmed, exactly once: the confirmation is consumed, the
    /// write is recorded as sent (and saved) before the request, and as done (and saved) after.
    /// A write already done is never re-sent; one that may have been sent is re-sent with the
    /// same key, or — when the API does not honour keys — not sent at all.
    async fn confirmed_write(
        &self,
        conversation: &mut Conversation,
        call_id: &str,
        mut prepared: PreparedCall,
        digest: &str,
        recorder: &mut Recorder<'_>,
    ) -> Result<Selected, CallFailure> {
        let conversation_id = conversation.id.clone();
        // The same write sent in an earlier run with an unknown outcome keeps its key.
        let unsettled = conversation.unsettled_writes.get(digest).cloned();
        let Some(run) = conversation.task.as_mut() else {
            return Err(CallFailure {
                kind: FailureKind::Refused,
                status: None,
                message: "changes run only inside a task".into(),
            });
        };
        let key = unsettled
            .clone()
            .unwrap_or_else(|| idempotency_key(&conversation_id, &run.run_id, digest));
        let previous = run.writes.get(&key).map(|w| w.state.clone());
        let outcome_unknown = matches!(previous, Some(WriteState::Sent)) || unsettled.is_some();
        match previous {
            Some(WriteState::Done { ok, outcome }) => {
                recorder.emit(TurnEvent::ToolCallFinished {
                    call_id: call_id.into(),
                    tool: prepared.tool.name.clone(),
                    status: "replayed".into(),
                    error: Some(
                        "made once already; its outcome is repeated, nothing is sent".into(),
                    ),
                    ignored_inputs: Vec::new(),
                    request: None,
                });
                return if ok {
                    Ok(Selected {
                        value: outcome,
                        truncated: false,
                    })
                } else {
                    Err(serde_json::from_value(outcome).unwrap_or(CallFailure {
                        kind: FailureKind::ServerError,
                        status: None,
                        message: "the change failed".into(),
                    }))
                };
            }
            None | Some(WriteState::Sent) if outcome_unknown && !prepared.tool.idempotency_keys => {
                return Err(CallFailure {
                    kind: FailureKind::PossiblyExecuted,
                    status: None,
                    message: "the change was possibly executed before an interruption, and this API cannot tell; a person must check".into(),
                });
            }
            _ => {}
        }
        if !run.confirmed.iter().any(|d| d == digest) && previous.is_none() {
            recorder.emit(TurnEvent::ToolCallFinished {
                call_id: call_id.into(),
                tool: prepared.tool.name.clone(),
                status: "refused".into(),
                error: Some("not confirmed".into()),
                ignored_inputs: Vec::new(),
                request: None,
            });
            return Err(CallFailure {
                kind: FailureKind::Refused,
                status: None,
                message: "the customer has not confirmed this change".into(),
            });
        }
        run.confirmed.retain(|d| d != digest);
        run.writes.insert(
            key.clone(),
            WriteRecord {
                tool: prepared.tool.name.clone(),
                state: WriteState::Sent,
            },
        );
        conversation
            .unsettled_writes
            .insert(digest.to_string(), key.clone());
        if prepared.tool.idempotency_keys {
            prepared.idempotency_key = Some(key.clone());
        }
        // A write goes out only once it is durably recorded as sent: otherwise a crash during
        // the request would leave no trace of it, and a "never mind" after the restart would
        // say "stopped" for a change the API may have made.
        if !self.checkpoint(conversation, recorder).await && previous.is_none() {
            if let Some(run) = conversation.task.as_mut() {
                run.writes.remove(&key);
                run.confirmed.push(digest.to_string());
            }
            return Err(CallFailure {
                kind: FailureKind::Unreachable,
                status: None,
                message: "nothing was sent: the change could not be recorded first (the conversation store failed)".into(),
            });
        }
        let result = self
            .execute(conversation, call_id, &prepared, recorder)
            .await;
        // Transport failures may have reached the API: keep them as "sent" so a retry reuses the key.
        let settled = match &result {
            Ok(selected) => Some(WriteState::Done {
                ok: true,
                outcome: selected.value.clone(),
            }),
            Err(f)
                if matches!(
                    f.kind,
                    FailureKind::ClientError | FailureKind::Refused | FailureKind::BadRequest
                ) =>
            {
                Some(WriteState::Done {
                    ok: false,
                    outcome: serde_json::to_value(f).unwrap_or(Value::Null),
                })
            }
            Err(_) => None,
        };
        if settled.is_some() {
            conversation.unsettled_writes.remove(digest);
        }
        if let (Some(state), Some(run)) = (settled, conversation.task.as_mut()) {
            run.writes.insert(
                key,
                WriteRecord {
                    tool: prepared.tool.name.clone(),
                    state,
                },
            );
        }
        if result.is_ok() {
            // The customer's data changed: fetch user data again next turn.
            conversation.user_data_fetched_at_ms = None;
        }
        self.checkpoint(conversation, recorder).await;
        result
    }
}
