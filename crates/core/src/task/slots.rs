//! Reading slot values out of what the customer wrote: typed values (patterns, enums with
//! their synonyms and meanings, emails, numbers, dates), addresses written as a sentence or
//! line by line, and choices among the customer's own records by description. One message can
//! fill several slots; values given earlier in the request are used rather than asked again.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::engine::lookup_path;
use super::program::{ChooseFrom, Replacing, Slot, TaskDef};
use crate::agent::{Agent, Conversation};
use crate::extract::{extract, words};
use crate::model::Message;
use crate::understand::values::{Address, Choices, Replacements};
use crate::understand::{Lang, Normal};

impl Agent {
    /// Reads one slot's value from a text (`asked`: the text answers this slot's question).
    pub(crate) fn read_slot(
        &self,
        slot: &Slot,
        text: &str,
        asked: bool,
        context: &Value,
        taken: &mut BTreeSet<String>,
    ) -> Option<Value> {
        if let Some(choose) = &slot.choose_from {
            let message = words(text);
            for (phrase, template) in &choose.aliases {
                let phrase_words = words(phrase);
                if !phrase_words.is_empty() && phrase_words.is_subset(&message) {
                    let value = self.render(template, context);
                    if !value.is_empty() {
                        return Some(if slot.is_list() {
                            json!([value])
                        } else {
                            json!(value)
                        });
                    }
                }
            }
            if let Some(replacing) = &choose.replacing {
                if let Some(found) = replacements(choose, replacing, text, context) {
                    return Some(Value::Array(found));
                }
            } else if let Some(records) = lookup_path(context, &choose.list) {
                let choices = Choices {
                    list: records,
                    value: &choose.value,
                    describe: &choose.describe,
                };
                if slot.is_list() {
                    // Details alone ("the grey one") pick a record only in the answer to
                    // this question: elsewhere they may describe the replacement wanted.
                    let many = if asked {
                        choices.many(text)
                    } else {
                        choices.many_named(text)
                    };
                    if !many.is_empty() {
                        return Some(Value::Array(many));
                    }
                } else if let Some(one) = choices.one(text) {
                    return Some(one);
                }
            }
        }
        // New ids for replaced ones: the ids that are not being replaced ("1355937109 to
        // 9949163720" gives 9949163720), one for each.
        if let Some(replacing) = slot.choose_from.as_ref().and_then(|c| c.replacing.as_ref())
            && let Some(Value::Array(old)) = lookup_path(context, &replacing.slot)
            && let Some(Value::Array(ids)) = extract(&slot.property, text, true, taken)
        {
            let new: Vec<Value> = ids.into_iter().filter(|id| !old.contains(id)).collect();
            if new.len() == old.len() {
                return Some(Value::Array(new));
            }
        }
        if slot.is_address() {
            let address = Address::parse(text);
            return address.is_complete().then(|| address.to_json());
        }
        // Bare ids for a list are read only where they cannot belong to another list of the
        // same kind (the answer to its own question, or a task with one such list).
        if slot.is_list() && !asked && self.twin_list(slot) {
            return None;
        }
        if !slot.synonyms.is_empty() {
            let normal = Normal::new(text);
            let by_synonym = slot.synonyms.iter().find(|(_, phrases)| {
                phrases
                    .iter()
                    .any(|p| normal.has(&Normal::new(p).tokens.join(" ")))
            });
            if let Some((value, _)) = by_synonym {
                return Some(json!(value));
            }
        }
        extract(&slot.property, text, asked, taken)
    }

    /// Whether another list slot of the active tasks takes the same kind of values.
    fn twin_list(&self, slot: &Slot) -> bool {
        self.config.tasks.iter().any(|t| {
            t.slot(&slot.name)
                .is_some_and(|own| std::ptr::eq(own, slot))
                && t.slots().any(|o| {
                    o.name != slot.name
                        && o.is_list()
                        && o.property["items"] == slot.property["items"]
                })
        })
    }

    /// Slot values a message gives (`asked` is the slot whose question it answers). A list
    /// of bare ids is read only as the answer to its own question: two lists of the same kind
    /// (items to exchange, and their replacements) must not fill each other.
    /// A choice among records that are not loaded yet waits until they are: read early, its
    /// ids alone would hide the records the customer named in words ("4579334072 and the
    /// backpack").
    pub(crate) fn choices_pending(&self, task: &TaskDef, slot: &str, context: &Value) -> bool {
        task.slot(slot)
            .and_then(|s| s.choose_from.as_ref())
            .is_some_and(|c| c.replacing.is_none() && lookup_path(context, &c.list).is_none())
    }

    pub(crate) fn slot_values(
        &self,
        task: &TaskDef,
        text: &str,
        asked: Option<&str>,
        context: &Value,
    ) -> Vec<(String, Value)> {
        let mut taken = BTreeSet::new();
        let paired = self.replacement_pairs(task, text, context);
        let mut slots: Vec<&Slot> = task
            .slots()
            .filter(|s| !paired.iter().any(|(name, _)| *name == s.name))
            .collect();
        slots.sort_by_key(|s| Some(s.name.as_str()) != asked);
        paired
            .into_iter()
            .chain(
                slots
                    .into_iter()
                    .filter(|s| {
                        !s.is_list() || asked == Some(s.name.as_str()) || s.choose_from.is_some()
                    })
                    .filter_map(|s| {
                        let is_asked = asked == Some(s.name.as_str());
                        self.read_slot(s, text, is_asked, context, &mut taken)
                            .map(|v| (s.name.clone(), v))
                    }),
            )
            .collect()
    }

    /// A slot's value from "A to B" pairs in the customer's messages of this request, the most
    /// recent first (both the replaced and the replacing list).
    pub(crate) fn earlier_pair_value(
        &self,
        conversation: &Conversation,
        task: &TaskDef,
        slot: &Slot,
        context: &Value,
    ) -> Option<Value> {
        request_texts(conversation).into_iter().find_map(|text| {
            self.replacement_pairs(task, text, context)
                .into_iter()
                .find(|(name, _)| *name == slot.name)
                .map(|(_, value)| value)
        })
    }

    /// "A to B and C for D" for a replacing slot: the replaced ids (records of the customer's)
    /// and their replacements, both slots at once.
    fn replacement_pairs(
        &self,
        task: &TaskDef,
        text: &str,
        context: &Value,
    ) -> Vec<(String, Value)> {
        for slot in task.slots() {
            let Some(replacing) = slot.choose_from.as_ref().and_then(|c| c.replacing.as_ref())
            else {
                continue;
            };
            let Some(pattern) = slot.property["items"]["pattern"].as_str() else {
                continue;
            };
            let Ok(fits) = regex::Regex::new(pattern) else {
                continue;
            };
            let value_field = slot
                .choose_from
                .as_ref()
                .map(|c| c.value.as_str())
                .unwrap_or_default();
            let known: Vec<&Value> = lookup_path(context, &replacing.records)
                .map(members)
                .unwrap_or_default();
            let pairs = crate::understand::values::id_pairs(text, &|t| fits.is_match(t));
            let valid = !pairs.is_empty()
                && pairs
                    .iter()
                    .all(|(old, _)| known.iter().any(|r| r[value_field] == json!(old)));
            if valid {
                let (old, new): (Vec<Value>, Vec<Value>) =
                    pairs.into_iter().map(|(o, n)| (json!(o), json!(n))).unzip();
                return vec![
                    (replacing.slot.clone(), Value::Array(old)),
                    (slot.name.clone(), Value::Array(new)),
                ];
            }
        }
        Vec::new()
    }

    /// A slot's value from the customer's earlier messages of this request (since the last
    /// task ended), the most recent first. Free text is never taken unasked, nor a list of
    /// bare ids when another list of the task takes the same kind.
    pub(crate) fn earlier_value(
        &self,
        conversation: &Conversation,
        slot: &Slot,
        context: &Value,
    ) -> Option<Value> {
        if slot.is_free_text() {
            return None;
        }
        request_texts(conversation)
            .into_iter()
            .find_map(|text| self.read_slot(slot, text, false, context, &mut BTreeSet::new()))
    }

    /// Folds one answer into an address given part by part; returns the address once it is
    /// complete, or what is still missing.
    pub(crate) fn address_answer(
        &self,
        conversation: &mut Conversation,
        slot: &Slot,
        text: &str,
    ) -> Result<Value, String> {
        let lang = self.language(conversation);
        let Some(run) = conversation.task.as_mut() else {
            return Err(String::new());
        };
        let mut address = run
            .partial
            .get(&slot.name)
            .map(address_from_json)
            .unwrap_or_default();
        let parsed = Address::parse(text);
        if parsed.address1.is_some() || parsed.zip.is_some() || parsed.state.is_some() {
            address.merge(parsed);
        } else {
            address.parse_part(text);
        }
        if address.is_complete() {
            run.partial.remove(&slot.name);
            return Ok(address.to_json());
        }
        run.partial
            .insert(slot.name.clone(), address_to_json(&address));
        Err(missing_address_parts(&address, lang))
    }
}

/// What the customer wrote for this request, the most recent first: their messages since the
/// last task ended, then the part of a message that asked for this task.
fn request_texts(conversation: &Conversation) -> Vec<&str> {
    let since = conversation.last_task_end.min(conversation.messages.len());
    let request = conversation
        .task
        .as_ref()
        .and_then(|r| r.request.as_deref());
    conversation.messages[since..]
        .iter()
        .rev()
        .filter_map(|m| match m {
            Message::User { content } => Some(content.as_str()),
            _ => None,
        })
        .chain(request)
        .collect()
}

fn members(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => map.values().collect(),
        _ => Vec::new(),
    }
}

/// The replacements the text describes for the values of `replacing.slot`, in order.
fn replacements(
    choose: &ChooseFrom,
    replacing: &Replacing,
    text: &str,
    context: &Value,
) -> Option<Vec<Value>> {
    let old_ids = lookup_path(context, &replacing.slot)?.as_array()?;
    let records = members(lookup_path(context, &replacing.records)?);
    let groups = members(lookup_path(context, &replacing.groups)?);
    let mut old = Vec::new();
    let mut candidates = Vec::new();
    for id in old_ids {
        let record = records.iter().find(|r| r[choose.value.as_str()] == *id)?;
        let group = groups
            .iter()
            .find(|g| g[replacing.key.as_str()] == record[replacing.key.as_str()])?;
        old.push(*record);
        candidates.push(members(&group[replacing.members.as_str()]));
    }
    Replacements {
        old,
        candidates,
        value: &choose.value,
        describe: &choose.describe,
        name_field: "name",
    }
    .choose(text)
}

fn address_to_json(address: &Address) -> Value {
    json!({
        "address1": address.address1, "address2": address.address2, "city": address.city,
        "state": address.state, "zip": address.zip, "country": address.country,
    })
}

fn address_from_json(value: &Value) -> Address {
    let field = |k: &str| value[k].as_str().map(str::to_string);
    Address {
        address1: field("address1"),
        address2: field("address2"),
        city: field("city"),
        state: field("state"),
        zip: field("zip"),
        country: field("country"),
    }
}

/// "I still need the city and ZIP code of the address."
fn missing_address_parts(address: &Address, lang: Lang) -> String {
    let parts: [(&Option<String>, [&str; 5]); 4] = [
        (
            &address.address1,
            [
                "street and number",
                "Straße und Hausnummer",
                "rue et numéro",
                "calle y número",
                "straat en huisnummer",
            ],
        ),
        (&address.city, ["city", "Ort", "ville", "ciudad", "plaats"]),
        (
            &address.state,
            ["state", "Bundesland", "état", "estado", "staat"],
        ),
        (
            &address.zip,
            [
                "ZIP code",
                "Postleitzahl",
                "code postal",
                "código postal",
                "postcode",
            ],
        ),
    ];
    let index = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    let missing: Vec<&str> = parts
        .iter()
        .filter(|(value, _)| value.is_none())
        .map(|(_, names)| names[index])
        .collect();
    let joined = match missing.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => {
            let and = ["and", "und", "et", "y", "en"][index];
            format!("{} {and} {last}", init.join(", "))
        }
    };
    match lang {
        Lang::En => format!("I still need the {joined} of the address."),
        Lang::De => format!("Mir fehlt noch: {joined}."),
        Lang::Fr => format!("Il me manque encore : {joined}."),
        Lang::Es => format!("Todavía me falta: {joined}."),
        Lang::Nl => format!("Ik mis nog: {joined}."),
    }
}
