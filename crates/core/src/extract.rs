//! Reading values out of customer messages, deterministically: content words, value tokens,
//! schema-typed extraction (enums, emails, numbers, dates, patterns). Consent, cancel and
//! correction are recognised in [`crate::understand`]. Used by the task engine and the
//! offline engine alike.

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

/// Content words, by meaning: lower-cased, accents folded, phrases of the five languages and
/// common paraphrases mapped to one English word ("send it back" → `return`, "stornieren" →
/// `cancel`; see [`crate::understand::canonical_tokens`]), lightly stemmed (plural `s` dropped).
pub fn words(text: &str) -> BTreeSet<String> {
    let normal = crate::understand::Normal::new(text);
    // French and other elisions ("l'adresse", "d'une") read as the word itself.
    let tokens: Vec<String> = normal
        .tokens
        .iter()
        .map(|t| match t.split_once('\'') {
            Some((head, rest))
                if !rest.is_empty()
                    && matches!(head, "l" | "d" | "j" | "qu" | "c" | "s" | "m" | "t" | "n") =>
            {
                rest.to_string()
            }
            _ => t.clone(),
        })
        .collect();
    crate::understand::canonical_tokens(&tokens)
        .into_iter()
        .map(|w| w.replace('\'', ""))
        .filter(|w| !w.is_empty() && !STOPWORDS.contains(&w.as_str()))
        .map(|w| {
            if w.len() > 3 {
                w.strip_suffix('s').map(str::to_string).unwrap_or(w)
            } else {
                w
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

/// A schema pattern anchored to the whole token, matched the way the tool's JSON Schema
/// matches it (ECMA-262: `\d` is `[0-9]`, `\w` is `[A-Za-z0-9_]`), so a value read out of a
/// message is one the tool's input validation accepts: "שלום" is no `^\w{4}$`, "١٢٣٤٥" no
/// `^\d{5}$`.
#[derive(Clone)]
struct WholeToken(std::sync::Arc<jsonschema::Validator>);

impl WholeToken {
    fn is_match(&self, token: &str) -> bool {
        self.0.is_valid(&Value::String(token.to_string()))
    }
}

/// Schema patterns compiled once (they come from the config, so the set is small and fixed).
static ANCHORED: LazyLock<std::sync::Mutex<std::collections::HashMap<String, Option<WholeToken>>>> =
    LazyLock::new(Default::default);

fn anchored(pattern: &str) -> Option<WholeToken> {
    let mut cache = ANCHORED.lock().expect("pattern cache");
    cache
        .entry(pattern.to_string())
        .or_insert_with(|| {
            let schema = json!({"type": "string", "pattern": format!("^(?:{pattern})$")});
            jsonschema::validator_for(&schema)
                .ok()
                .map(|v| WholeToken(std::sync::Arc::new(v)))
        })
        .clone()
}

/// The fixed characters a pattern starts with (`#W` of `^#W\d{7}$`).
fn literal_prefix(pattern: &str) -> String {
    pattern
        .trim_start_matches('^')
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '#' | '-' | '_'))
        .collect()
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
        let exact = choices.iter().find(|c| {
            c.as_str().is_some_and(|c| {
                let c = c.to_lowercase();
                lower
                    .split(|ch: char| !ch.is_alphanumeric() && ch != '_' && ch != '-')
                    .any(|w| w == c)
                    || (c.contains(' ') && lower.contains(&c))
            })
        });
        return exact.cloned().or_else(|| enum_by_meaning(choices, text));
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
        let lang = crate::understand::Lang::detect(text).unwrap_or_default();
        return match crate::understand::consent(text, lang, None) {
            crate::understand::Consent::Yes => Some(json!(true)),
            crate::understand::Consent::No => Some(json!(false)),
            crate::understand::Consent::Unclear => None,
        };
    }
    if let Some(pattern) = property["pattern"].as_str() {
        let full = anchored(pattern)?;
        let exact = free.iter().find_map(|t| {
            if full.is_match(t) {
                Some((*t, (*t).clone()))
            } else if full.is_match(&t.to_uppercase()) {
                Some((*t, t.to_uppercase()))
            } else {
                None
            }
        });
        // "W2378156" or "2378156" for `#W\d{7}`: the pattern's fixed start, left off.
        let completed = || {
            let prefix = literal_prefix(pattern);
            free.iter().find_map(|t| {
                let upper = t.to_uppercase();
                let digits = upper.chars().filter(char::is_ascii_digit).count();
                if prefix.is_empty() || digits < 3 {
                    return None;
                }
                (0..prefix.len())
                    .filter(|k| prefix.is_char_boundary(*k))
                    .filter(|k| upper.starts_with(&prefix[*k..]) || prefix[*k..].is_empty())
                    .map(|k| format!("{}{upper}", &prefix[..k]))
                    .chain([format!("{prefix}{upper}")])
                    .find(|candidate| full.is_match(candidate))
                    .map(|candidate| (*t, candidate))
            })
        };
        let (token, value) = exact.or_else(completed)?;
        pick(token, taken);
        return Some(json!(value));
    }
    // A free-text string is taken only as the answer to its own question.
    let whole = text.trim();
    (asked && !whole.is_empty()).then(|| json!(whole))
}

/// The one allowed value whose meaning the message carries best ("bought it by accident" →
/// "ordered by mistake"): most of the value's content words, by meaning, are in the message,
/// and no other value fits as well.
fn enum_by_meaning(choices: &[Value], text: &str) -> Option<Value> {
    let message = words(text);
    let mut scored: Vec<(f64, &Value)> = choices
        .iter()
        .filter_map(|c| {
            c.as_str()
                .map(|s| (overlap(&message, &s.replace('_', " ")), c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    match scored.as_slice() {
        [(best, value), rest @ ..]
            if *best >= 0.5 && rest.first().is_none_or(|(second, _)| second < best) =>
        {
            Some((*value).clone())
        }
        _ => None,
    }
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

/// `3.12.2026`, `03/12/2026`, `12/3/2026`, `2026/12/03`.
static NUMERIC_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,4})([./])(\d{1,2})([./])(\d{2,4})\b").expect("static regex")
});

/// A day, a month name and a year in either order: `3 December 2026`, `December 3, 2026`,
/// `3. Dezember 2026`, `3 de diciembre de 2026`.
static WORD_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:(\d{1,2})(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?([a-zéû]{3,10})\.?,?\s+(?:de\s+)?(\d{4})|([a-zéû]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))\b")
        .expect("static regex")
});

/// Month names and their common abbreviations in the five languages (folded).
fn month(name: &str) -> Option<usize> {
    const MONTHS: [&[&str]; 12] = [
        &[
            "january", "jan", "januar", "janvier", "janv", "enero", "ene", "januari",
        ],
        &[
            "february", "feb", "februar", "fevrier", "fev", "febrero", "februari",
        ],
        &[
            "march", "mar", "marz", "maerz", "mars", "marzo", "maart", "mrt",
        ],
        &["april", "apr", "avril", "avr", "abril", "abr"],
        &["may", "mai", "mayo", "mei"],
        &["june", "jun", "juni", "juin", "junio"],
        &["july", "jul", "juli", "juillet", "juil", "julio"],
        &["august", "aug", "aout", "agosto", "ago", "augustus"],
        &[
            "september",
            "sep",
            "sept",
            "septembre",
            "septiembre",
            "setiembre",
        ],
        &["october", "oct", "oktober", "okt", "octobre", "octubre"],
        &["november", "nov", "novembre", "noviembre"],
        &[
            "december",
            "dec",
            "dezember",
            "dez",
            "decembre",
            "diciembre",
            "dic",
        ],
    ];
    let folded = crate::understand::fold(name);
    MONTHS
        .iter()
        .position(|names| names.contains(&folded.as_str()))
        .map(|i| i + 1)
}

/// `YYYY-MM-DD` when the day exists.
fn calendar_date(year: u32, month: usize, day: u32) -> Option<String> {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
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
    ((1000..=9999).contains(&year)
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days[month - 1])
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// Finds a real calendar date written the common ways — ISO (`2026-12-01`), with a month name
/// in any of the five languages (`1 December 2026`, `December 1, 2026`, `1. Dezember 2026`,
/// `1 de diciembre de 2026`), or in numbers (`1.12.2026` is day first; `2026/12/01`; with
/// slashes the order is read only when it cannot be the other one: `25/12/2026`, `12/25/2026`)
/// — and gives it as `YYYY-MM-DD`.
pub fn find_date(text: &str) -> Option<String> {
    if let Some(iso) = DATE
        .captures_iter(text)
        .find_map(|c| calendar_date(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?))
    {
        return Some(iso);
    }
    if let Some(named) = WORD_DATE.captures_iter(text).find_map(|c| {
        let (day, name, year) = match (c.get(1), c.get(4)) {
            (Some(day), _) => (day.as_str(), &c[2], &c[3]),
            (None, Some(name)) => (&c[5], name.as_str(), &c[6]),
            _ => return None,
        };
        calendar_date(year.parse().ok()?, month(name)?, day.parse().ok()?)
    }) {
        return Some(named);
    }
    NUMERIC_DATE.captures_iter(text).find_map(|c| {
        let (a, sep, b, sep2, y) = (&c[1], &c[2], &c[3], &c[4], &c[5]);
        if sep != sep2 {
            return None;
        }
        let (a_n, b_n): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
        if a.len() == 4 {
            let day: u32 = y.parse().ok()?;
            return calendar_date(a_n, b_n as usize, day);
        }
        let year: u32 = match y.len() {
            4 => y.parse().ok()?,
            2 => 2000 + y.parse::<u32>().ok()?,
            _ => return None,
        };
        let (day, month) = if sep == "." || a_n > 12 {
            (a_n, b_n)
        } else if b_n > 12 {
            (b_n, a_n)
        } else if a_n == b_n {
            (a_n, b_n)
        } else {
            return None;
        };
        calendar_date(year, month as usize, day)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real() {
        assert_eq!(
            find_date("on 2026-12-01 please").as_deref(),
            Some("2026-12-01")
        );
        assert_eq!(find_date("2026-02-30"), None);
        assert_eq!(find_date("2028-02-29").as_deref(), Some("2028-02-29"));
        for (text, date) in [
            ("on 3 December 2026 please", "2026-12-03"),
            ("December 3rd, 2026", "2026-12-03"),
            ("am 3. Dezember 2026", "2026-12-03"),
            ("le 3 décembre 2026", "2026-12-03"),
            ("el 3 de diciembre de 2026", "2026-12-03"),
            ("op 3 december 2026", "2026-12-03"),
            ("3.12.2026", "2026-12-03"),
            ("25/12/2026", "2026-12-25"),
            ("12/25/2026", "2026-12-25"),
            ("2026/12/03", "2026-12-03"),
        ] {
            assert_eq!(find_date(text).as_deref(), Some(date), "{text}");
        }
        // Day and month that could be either way round, or no such day: not read.
        assert_eq!(find_date("03/12/2026"), None);
        assert_eq!(find_date("31 February 2026"), None);
        assert_eq!(find_date("order 1234/5678"), None);
    }

    /// Found by the property tests: the schema's `\w` and `\d` are ASCII (ECMA-262), the
    /// regex crate's are Unicode; a Hebrew word was taken for `^\w{4}$` and then refused by
    /// the tool's input validation.
    #[test]
    fn a_pattern_matches_as_the_schema_does() {
        let word = json!({"type": "string", "pattern": "^\\w{4}$"});
        assert_eq!(extract(&word, "שלום", false, &mut BTreeSet::new()), None);
        assert_eq!(
            extract(&word, "שלום ab_1", false, &mut BTreeSet::new()),
            Some(json!("ab_1"))
        );
        let zip = json!({"type": "string", "pattern": "^\\d{5}$"});
        assert_eq!(extract(&zip, "١٢٣٤٥", false, &mut BTreeSet::new()), None);
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
        for written in [
            "order W2378156 please",
            "#W2378156",
            "it's 2378156",
            "w2378156.",
        ] {
            assert_eq!(
                extract(
                    &json!({"type": "string", "pattern": "^#W\\d{7}$"}),
                    written,
                    false,
                    &mut BTreeSet::new()
                ),
                Some(json!("#W2378156")),
                "{written}"
            );
        }
        assert_eq!(
            extract(
                &json!({"type": "string", "pattern": "^#W\\d{7}$"}),
                "my zip is 19122",
                false,
                &mut BTreeSet::new()
            ),
            None
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
