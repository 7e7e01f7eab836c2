//! Reading values out of customer messages, deterministically: content words, value tokens,
//! schema-typed extraction (enums, emails, numbers, dates, patterns), yes/no, cancel and
//! correction recognition. Used by the task engine and the offline engine alike.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("static regex")
});
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^-?\d+(\.\d+)?$").expect("static regex"));

const STOPWORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "be", "to", "of", "and", "or", "in", "on", "for", "my",
    "me", "i", "it", "you", "your", "can", "could", "would", "please", "what", "whats", "where",
    "how", "do", "does", "did", "this", "that", "with", "by", "from", "at", "about", "we", "our",
    "us", "want", "like", "need", "know", "tell", "hi", "hello", "hey", "there", "am", "im",
    "just", "some", "any", "get", "has", "have", "s",
];

/// Lower-cased content words, lightly stemmed (plural `s` dropped).
pub fn words(text: &str) -> BTreeSet<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOPWORDS.contains(w))
        .map(|w| {
            if w.len() > 3 {
                w.strip_suffix('s').unwrap_or(w).to_string()
            } else {
                w.to_string()
            }
        })
        .collect()
}

/// Candidate value tokens: whitespace-separated, trimmed of surrounding punctuation.
pub fn tokens(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|t| {
            t.trim_matches(|c: char| {
                matches!(
                    c,
                    ',' | '.' | '!' | '?' | ';' | ':' | '"' | '\'' | '(' | ')'
                )
            })
        })
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn overlap(message: &BTreeSet<String>, reference: &str) -> f64 {
    let reference = words(reference);
    if reference.is_empty() {
        return 0.0;
    }
    message.intersection(&reference).count() as f64 / reference.len() as f64
}

/// Schema patterns compiled once, anchored to the whole token (they come from the config, so
/// the set is small and fixed).
static ANCHORED: LazyLock<std::sync::Mutex<std::collections::HashMap<String, Option<Regex>>>> =
    LazyLock::new(Default::default);

fn anchored(pattern: &str) -> Option<Regex> {
    let mut cache = ANCHORED.lock().expect("pattern cache");
    cache
        .entry(pattern.to_string())
        .or_insert_with(|| Regex::new(&format!("^(?:{pattern})$")).ok())
        .clone()
}

/// Extracts one input's value from a message, not reusing tokens already taken.
pub fn extract(
    property: &Value,
    text: &str,
    asked: bool,
    taken: &mut BTreeSet<String>,
) -> Option<Value> {
    let kind = property["type"].as_str().unwrap_or("string");
    if let Some(choices) = property["enum"].as_array() {
        let lower = text.to_lowercase();
        return choices
            .iter()
            .find(|c| {
                c.as_str().is_some_and(|c| {
                    let c = c.to_lowercase();
                    lower
                        .split(|ch: char| !ch.is_alphanumeric() && ch != '_' && ch != '-')
                        .any(|w| w == c)
                        || (c.contains(' ') && lower.contains(&c))
                })
            })
            .cloned();
    }
    let candidates = tokens(text);
    if kind == "array" {
        // A list: every token that is a valid item, in order, duplicates kept.
        let item = &property["items"];
        let items: Vec<Value> = candidates
            .iter()
            .filter_map(|t| extract(item, t, false, &mut BTreeSet::new()))
            .collect();
        for i in &items {
            if let Some(s) = i.as_str() {
                taken.insert(s.to_string());
            }
        }
        return (!items.is_empty()).then_some(Value::Array(items));
    }
    let free: Vec<&String> = candidates.iter().filter(|t| !taken.contains(*t)).collect();
    let pick = |t: &String, taken: &mut BTreeSet<String>| {
        taken.insert(t.clone());
    };
    if property["format"] == "date" {
        let found = find_date(text)?;
        taken.insert(found.clone());
        return Some(json!(found));
    }
    if property["format"] == "email" {
        let found = EMAIL.find(text)?.as_str().to_string();
        taken.insert(found.clone());
        return Some(json!(found));
    }
    if kind == "integer" || kind == "number" {
        let t = free.into_iter().find(|t| NUMBER.is_match(t))?;
        pick(t, taken);
        let value: Value = serde_json::from_str(t).ok()?;
        return (kind == "number" || value.is_i64() || value.is_u64()).then_some(value);
    }
    if kind == "boolean" {
        let w = words(text);
        if ["yes", "yeah", "yep", "true", "sure"]
            .iter()
            .any(|y| w.contains(*y))
        {
            return Some(json!(true));
        }
        if ["no", "nope", "false"].iter().any(|n| w.contains(*n)) {
            return Some(json!(false));
        }
        return None;
    }
    if let Some(pattern) = property["pattern"].as_str() {
        let full = anchored(pattern)?;
        let t = free
            .into_iter()
            .find(|t| full.is_match(t) || full.is_match(&t.to_uppercase()))?;
        pick(t, taken);
        let value = if full.is_match(t) {
            t.clone()
        } else {
            t.to_uppercase()
        };
        return Some(json!(value));
    }
    // A free-text string is taken only as the answer to its own question.
    let whole = text.trim();
    (asked && !whole.is_empty()).then(|| json!(whole))
}

/// Renders a JSON value for a customer: `key: value` lines for objects, items for arrays.
pub fn render_plain(value: &Value) -> String {
    fn scalar(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => "—".into(),
            Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| format!("{}: {}", k.replace('_', " "), scalar(v)))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    }
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("- {}: {}", k.replace('_', " "), scalar(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Array(items) if items.is_empty() => "nothing".into(),
        Value::Array(items) => items
            .iter()
            .map(|i| format!("- {}", scalar(i)))
            .collect::<Vec<_>>()
            .join("\n"),
        other => scalar(other),
    }
}

static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b").expect("static regex"));

/// Finds an ISO date (`2026-12-01`) that is a real calendar date.
pub fn find_date(text: &str) -> Option<String> {
    DATE.captures_iter(text).find_map(|c| {
        let year: u32 = c[1].parse().ok()?;
        let month: usize = c[2].parse().ok()?;
        let day: u32 = c[3].parse().ok()?;
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days[month - 1];
        valid.then(|| c[0].to_string())
    })
}

const YES: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "confirm",
    "confirmed",
    "correct",
    "right",
    "absolutely",
    "definitely",
    "please do",
    "go ahead",
    "do it",
    "that's right",
    "that is right",
    "sounds good",
];
const NO: &[&str] = &[
    "no", "n", "nope", "nah", "don't", "do not", "not now", "negative", "wait", "hold on", "stop",
];

/// Recognises an explicit yes or no. Anything ambiguous ("yes and no", "maybe") is `None`.
pub fn yes_no(text: &str) -> Option<bool> {
    let lower = text.to_lowercase().replace(['’', '`'], "'");
    let cleaned: String = lower
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let cleaned = format!(
        " {} ",
        cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let has = |list: &[&str]| list.iter().any(|p| cleaned.contains(&format!(" {p} ")));
    match (has(YES), has(NO)) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

const CANCEL: &[&str] = &[
    "never mind",
    "nevermind",
    "forget it",
    "forget about it",
    "cancel that",
    "cancel this",
    "stop this",
    "don't bother",
    "i changed my mind",
    "changed my mind",
    "abort",
    "quit",
    "leave it",
];

/// Whether the message abandons what is in progress ("never mind", "forget it").
pub fn is_cancel(text: &str) -> bool {
    let lower = text.to_lowercase().replace('’', "'");
    CANCEL.iter().any(|p| lower.contains(p))
}

const CORRECTION: &[&str] = &[
    "actually",
    "i meant",
    "sorry, it's",
    "sorry it's",
    "no, it's",
    "no it's",
    "correction",
    "wrong",
    "instead",
    "change it to",
    "make it",
];

/// Whether the message corrects something given earlier ("actually it's W2").
pub fn is_correction(text: &str) -> bool {
    let lower = text.to_lowercase().replace('’', "'");
    CORRECTION.iter().any(|p| lower.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_and_no_variants() {
        for y in [
            "yes",
            "Yes please",
            "yep!",
            "sure, go ahead",
            "OK",
            "that's right",
            "Confirm",
        ] {
            assert_eq!(yes_no(y), Some(true), "{y}");
        }
        for n in ["no", "Nope.", "no thanks", "don't", "not now", "wait"] {
            assert_eq!(yes_no(n), Some(false), "{n}");
        }
        for unclear in ["maybe", "yes and no", "what?", "W1000001"] {
            assert_eq!(yes_no(unclear), None, "{unclear}");
        }
    }

    #[test]
    fn cancel_and_correction() {
        assert!(is_cancel("Never mind, forget it"));
        assert!(!is_cancel("cancel my order"));
        assert!(is_correction("actually it's W1000001"));
        assert!(!is_correction("W1000001"));
    }

    #[test]
    fn dates_are_real() {
        assert_eq!(
            find_date("on 2026-12-01 please").as_deref(),
            Some("2026-12-01")
        );
        assert_eq!(find_date("2026-02-30"), None);
        assert_eq!(find_date("2028-02-29").as_deref(), Some("2028-02-29"));
    }

    #[test]
    fn typed_extraction() {
        let mut taken = BTreeSet::new();
        assert_eq!(
            extract(
                &json!({"type": "string", "format": "email"}),
                "I'm ana@corp.io",
                false,
                &mut taken
            ),
            Some(json!("ana@corp.io"))
        );
        assert_eq!(
            extract(
                &json!({"type": "integer"}),
                "for 12 seats",
                false,
                &mut taken
            ),
            Some(json!(12))
        );
        assert_eq!(
            extract(
                &json!({"enum": ["pro", "basic"]}),
                "the Pro plan",
                false,
                &mut taken
            ),
            Some(json!("pro"))
        );
        assert_eq!(
            extract(
                &json!({"type": "string", "format": "date"}),
                "how about 2026-12-03?",
                false,
                &mut taken
            ),
            Some(json!("2026-12-03"))
        );
        assert_eq!(
            extract(
                &json!({"type": "string", "pattern": "W\\d{7}"}),
                "order w1234567.",
                false,
                &mut taken
            ),
            Some(json!("W1234567"))
        );
        assert_eq!(
            extract(&json!({"type": "string"}), "Globex", false, &mut taken),
            None
        );
        assert_eq!(
            extract(&json!({"type": "string"}), "Globex", true, &mut taken),
            Some(json!("Globex"))
        );
    }
}
