//! Secrets: a value that cannot be printed, and the redactor that scrubs known secret values
//! from any text that leaves the process (logs, transcripts, errors, admin output).
//!
//! A secret leaves in more shapes than its own: an API that echoes a header back puts it in a
//! JSON string (`\u0063anary`, `a\/b`), a URL carries it percent-encoded, a form `+` for a
//! space, a debug-printed log field `\u{63}`. The redactor matches every such form, character
//! by character and in any mix. Text is redacted whole before it is cut ([`Redactor::excerpt`]):
//! a cut secret is no longer the secret, and nothing could recognise what is left of it.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

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

    /// Whether the value is long enough to be redacted (see [`Redactor::MIN_SECRET_LEN`]).
    pub fn is_redactable(&self) -> bool {
        self.0.chars().count() >= Redactor::MIN_SECRET_LEN
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

/// Replaces every known secret value in a text with [`REDACTED`], in whatever encoding it
/// appears. Built from the resolved configuration; applied to every string that is logged,
/// stored in a transcript or returned in an error.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    patterns: Vec<Pattern>,
}

/// One secret, split into characters once for matching.
#[derive(Clone)]
struct Pattern {
    secret: Secret,
    chars: Vec<char>,
    /// The first byte of the secret as is.
    lead: u8,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.patterns.len())
    }
}

impl Redactor {
    /// The fewest characters a secret may have. A shorter value could not be replaced
    /// everywhere without destroying ordinary text, so it could not be kept out of logs and
    /// transcripts: the config loader and the server refuse such secrets with an error, and
    /// `new` never receives one from them. (`new` still leaves a shorter value out rather than
    /// replace every `abc` in every log line.)
    pub const MIN_SECRET_LEN: usize = 8;

    /// A redactor for these secrets.
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let mut secrets: Vec<Secret> = secrets.into_iter().filter(Secret::is_redactable).collect();
        secrets.sort_by(|a, b| {
            b.expose()
                .len()
                .cmp(&a.expose().len())
                .then_with(|| a.expose().cmp(b.expose()))
        });
        secrets.dedup();
        let patterns = secrets
            .into_iter()
            .map(|secret| Pattern {
                chars: secret.expose().chars().collect(),
                lead: secret.expose().as_bytes()[0],
                secret,
            })
            .collect();
        Self { patterns }
    }

    /// The secrets this redactor knows.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.patterns.iter().map(|p| &p.secret)
    }

    /// The text with every secret value replaced, in every form it takes. A secret cut off by
    /// the end of the text is replaced too once [`Self::MIN_SECRET_LEN`] of its characters are
    /// there: someone upstream cut it, and what is left still gives most of it away.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for pattern in &self.patterns {
            if let Some(replaced) = pattern.replace_in(&out) {
                out = replaced;
            }
        }
        out
    }

    /// The text redacted whole, then cut to at most `max_chars` characters. This is the one
    /// way to shorten text that may hold a secret: cut first, a secret straddling the cut
    /// would leave its start behind, which the redactor can no longer recognise.
    pub fn excerpt(&self, text: &str, max_chars: usize) -> String {
        self.redact(text).chars().take(max_chars).collect()
    }

    /// Redacts every string inside a JSON value, keys included, and every number whose text
    /// holds a secret (an all-digit key or PIN an API echoes back as a number), which becomes
    /// the redacted text.
    pub fn redact_json(&self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        if self.patterns.is_empty() {
            return value.clone();
        }
        match value {
            Value::String(s) => Value::String(self.redact(s)),
            Value::Number(n) if self.contains_secret(&n.to_string()) => {
                Value::String(self.redact(&n.to_string()))
            }
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

    /// Whether any secret value occurs in the text, in any form.
    pub fn contains_secret(&self, text: &str) -> bool {
        self.patterns
            .iter()
            .any(|p| p.find(text.as_bytes(), 0).is_some())
    }

    /// For text redacted while it streams: the byte index up to which it can be redacted and
    /// passed on now (the text's length when nothing is unfinished). What follows may be the
    /// start of a secret that text not yet seen completes, or part of a secret that began
    /// before, and waits for more text.
    pub fn unfinished_from(&self, text: &str) -> usize {
        let bytes = text.as_bytes();
        let starts = |at: usize| self.patterns.iter().filter(move |p| p.may_start(bytes[at]));
        let mut boundary = (0..bytes.len())
            .find(|&at| starts(at).any(|p| matches!(p.match_at(bytes, at), Matched::CutOff(_))))
            .unwrap_or(bytes.len());
        // A whole secret across the boundary moves it back to where that secret starts.
        while let Some(start) = (0..boundary).find(|&at| {
            starts(at)
                .any(|p| matches!(p.match_at(bytes, at), Matched::Whole(end) if end > boundary))
        }) {
            boundary = start;
        }
        boundary
    }
}

/// How a secret matched at one place in a text.
#[derive(Debug, PartialEq, Eq)]
enum Matched {
    /// Whole; the match ends at this byte.
    Whole(usize),
    /// The text ended after this many of its characters.
    CutOff(usize),
    /// Not here.
    No,
}

/// One way a character was written, at one place in a text.
enum Step {
    /// It was; the next character starts at this byte.
    To(usize),
    /// The text ends before it is complete.
    CutOff,
}

impl Pattern {
    /// The text with every match replaced; `None` when there is none.
    fn replace_in(&self, text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        let mut out = String::new();
        let mut copied = 0;
        let mut start = 0;
        while let Some((at, end)) = self.find(bytes, start) {
            out.push_str(&text[copied..at]);
            out.push_str(REDACTED);
            copied = end;
            start = end;
        }
        if copied == 0 {
            return None;
        }
        out.push_str(&text[copied..]);
        Some(out)
    }

    /// The first match at or after `from`: `(start, end)` in bytes.
    fn find(&self, bytes: &[u8], from: usize) -> Option<(usize, usize)> {
        (from..bytes.len())
            .filter(|&at| self.may_start(bytes[at]))
            .find_map(|at| match self.match_at(bytes, at) {
                Matched::Whole(end) => Some((at, end)),
                Matched::CutOff(n) if n >= Redactor::MIN_SECRET_LEN => Some((at, bytes.len())),
                _ => None,
            })
    }

    /// Whether a match can start with this byte (a cheap filter before [`Self::match_at`]).
    /// Every byte it accepts is ASCII or a UTF-8 lead byte, so a match starts on a character.
    fn may_start(&self, byte: u8) -> bool {
        byte == self.lead || byte == b'\\' || byte == b'%' || (self.chars[0] == ' ' && byte == b'+')
    }

    /// Matches the whole secret at `start`, following every way each character may be
    /// written (a small set of positions: at most a few ways apply at once).
    fn match_at(&self, bytes: &[u8], start: usize) -> Matched {
        // Characters written as is need no set of positions: most candidates end here.
        let mut at = start;
        let mut done = 0;
        for &c in &self.chars {
            if matches!(bytes.get(at), None | Some(b'\\' | b'%' | b'+')) {
                break;
            }
            let mut buffer = [0; 4];
            let literal = c.encode_utf8(&mut buffer).as_bytes();
            if bytes[at..].starts_with(literal) {
                at += literal.len();
                done += 1;
            } else if literal.starts_with(&bytes[at..]) {
                return Matched::CutOff(done);
            } else {
                return Matched::No;
            }
        }
        // Nothing is allocated until a character written encoded has matched.
        let mut positions: Vec<usize> = Vec::new();
        let mut found = Vec::new();
        for (done, &c) in self.chars.iter().enumerate().skip(done) {
            let mut next = Vec::new();
            let mut cut_off = false;
            let from = if positions.is_empty() {
                std::slice::from_ref(&at)
            } else {
                positions.as_slice()
            };
            for &p in from {
                steps(bytes, p, c, &mut found);
                for step in found.drain(..) {
                    match step {
                        Step::To(end) if !next.contains(&end) => next.push(end),
                        Step::To(_) => {}
                        Step::CutOff => cut_off = true,
                    }
                }
            }
            if next.is_empty() {
                return if cut_off {
                    Matched::CutOff(done)
                } else {
                    Matched::No
                };
            }
            positions = next;
        }
        Matched::Whole(positions.into_iter().max().unwrap_or(at))
    }
}

/// Every way `c` may be written at byte `at` of `bytes`: as is; percent-encoded (its UTF-8
/// bytes, either hex case); `+` for a space; or escaped after one or more backslashes (JSON
/// `\uXXXX` with surrogate pairs, `\"` `\\` `\/` `\n` `\t` `\r` `\b` `\f`, Rust `\u{…}`).
/// Several backslashes are an escape escaped again (a JSON string inside a JSON string).
fn steps(bytes: &[u8], at: usize, c: char, steps: &mut Vec<Step>) {
    let Some(&byte) = bytes.get(at) else {
        steps.push(Step::CutOff);
        return;
    };
    let mut buffer = [0; 4];
    let literal = c.encode_utf8(&mut buffer).as_bytes();
    let rest = &bytes[at..];
    if rest.starts_with(literal) {
        steps.push(Step::To(at + literal.len()));
    } else if literal.starts_with(rest) {
        steps.push(Step::CutOff);
    }
    if c == ' ' && byte == b'+' {
        steps.push(Step::To(at + 1));
    }
    if byte == b'%' {
        steps.extend(percent_encoded(bytes, at, literal));
    }
    if byte == b'\\' {
        let run = rest.iter().take_while(|b| **b == b'\\').count();
        if c == '\\' {
            // An escaped backslash is two (or, escaped again, four or eight).
            steps.extend(
                [2, 4, 8]
                    .into_iter()
                    .filter(|n| *n <= run)
                    .map(|n| Step::To(at + n)),
            );
        }
        steps.extend(escaped(bytes, at + run, c));
    }
}

/// `%XX` for each UTF-8 byte of the character.
fn percent_encoded(bytes: &[u8], at: usize, literal: &[u8]) -> Option<Step> {
    let mut p = at;
    for &expected in literal {
        match bytes.get(p..p + 3) {
            Some([b'%', high, low]) => {
                if hex_value(&[*high, *low]) != Some(u32::from(expected)) {
                    return None;
                }
            }
            Some(_) => return None,
            None => {
                let partial = &bytes[p..];
                let plausible = partial.first().is_none_or(|b| *b == b'%')
                    && partial.iter().skip(1).all(u8::is_ascii_hexdigit);
                return plausible.then_some(Step::CutOff);
            }
        }
        p += 3;
    }
    Some(Step::To(p))
}

/// The escape of `c` that starts at byte `at`, just after its backslashes.
fn escaped(bytes: &[u8], at: usize, c: char) -> Option<Step> {
    let Some(&letter) = bytes.get(at) else {
        return Some(Step::CutOff);
    };
    let short = match c {
        '"' => Some(b'"'),
        '\\' => Some(b'\\'),
        '/' => Some(b'/'),
        '\n' => Some(b'n'),
        '\t' => Some(b't'),
        '\r' => Some(b'r'),
        '\u{8}' => Some(b'b'),
        '\u{c}' => Some(b'f'),
        _ => None,
    };
    if short == Some(letter) {
        return Some(Step::To(at + 1));
    }
    if letter != b'u' {
        return None;
    }
    if bytes.get(at + 1) == Some(&b'{') {
        // Rust's `\u{63}`.
        let digits = bytes[at + 2..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let close = at + 2 + digits;
        return match bytes.get(close) {
            None => Some(Step::CutOff),
            Some(b'}') if hex_value(&bytes[at + 2..close]) == Some(u32::from(c)) => {
                Some(Step::To(close + 1))
            }
            Some(_) => None,
        };
    }
    // JSON's `\uXXXX`; a character beyond the BMP is a surrogate pair `\uD83D\uDE00`.
    let mut units = [0u16; 2];
    let units = c.encode_utf16(&mut units);
    let mut p = at;
    for (i, unit) in units.iter().enumerate() {
        if i > 0 {
            let run = bytes[p..].iter().take_while(|b| **b == b'\\').count();
            match bytes.get(p + run) {
                None => return Some(Step::CutOff),
                Some(b'u') if run > 0 => p += run,
                Some(_) => return None,
            }
        }
        let digits = bytes.get(p + 1..p + 5);
        match digits {
            Some(digits) if hex_value(digits) == Some(u32::from(*unit)) => p += 5,
            Some(_) => return None,
            None => {
                let partial = &bytes[(p + 1).min(bytes.len())..];
                return partial
                    .iter()
                    .all(u8::is_ascii_hexdigit)
                    .then_some(Step::CutOff);
            }
        }
    }
    Some(Step::To(p))
}

/// The value of ASCII hex digits (either case); `None` for anything else or too many.
fn hex_value(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 6 {
        return None;
    }
    let text = std::str::from_utf8(digits).ok()?;
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// A redactor that learns secrets while it is in use: the log writer holds one for the life of
/// the process, and every config loaded or reloaded — with the admin key and the database
/// password — adds its secrets. Nothing is forgotten: a turn that began before a reload may
/// still log a secret of the config it started with.
#[derive(Clone, Debug, Default)]
pub struct SharedRedactor(Arc<RwLock<Redactor>>);

impl SharedRedactor {
    /// Adds every secret `redactor` knows.
    pub fn learn(&self, redactor: &Redactor) {
        self.learn_secrets(redactor.secrets().cloned());
    }

    /// Adds these secrets.
    pub fn learn_secrets(&self, secrets: impl IntoIterator<Item = Secret>) {
        let mut current = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let known: Vec<Secret> = current.secrets().cloned().chain(secrets).collect();
        *current = Redactor::new(known);
    }

    /// The text with every secret learned so far replaced.
    pub fn redact(&self, text: &str) -> String {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .redact(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "canary-7f3a9c1e";

    fn canary() -> Redactor {
        Redactor::new([Secret::new(CANARY)])
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("sk-live-123456");
        assert_eq!(format!("{s} {s:?}"), "[REDACTED] [REDACTED]");
        assert_eq!(s.expose(), "sk-live-123456");
        assert_eq!(
            format!("{:?}", Redactor::new([s])),
            "Redactor(1 secrets)",
            "a redactor does not print what it knows"
        );
    }

    #[test]
    fn redactor_replaces_longest_first_and_inside_json() {
        let r = Redactor::new([Secret::new("abcdefgh"), Secret::new("abcdefgh-ijkl")]);
        assert_eq!(
            r.redact("x abcdefgh-ijkl y abcdefgh"),
            "x [REDACTED] y [REDACTED]"
        );
        let v = serde_json::json!({"k": ["token abcdefgh"], "abcdefgh": 1});
        assert_eq!(
            r.redact_json(&v),
            serde_json::json!({"k": ["token [REDACTED]"], "[REDACTED]": 1})
        );
        assert!(r.contains_secret("..abcdefgh.."));
        assert!(!r.contains_secret("abcdefg"));
    }

    /// Found by the property tests: an all-digit secret that an API echoes back as a JSON
    /// number passed `redact_json` untouched and reached the agent.
    #[test]
    fn a_secret_echoed_as_a_number_is_redacted() {
        let r = Redactor::new([Secret::new("10000000")]);
        let v = serde_json::json!({"status": 10000000, "order_id": 10000000.0, "n": 7});
        assert_eq!(
            r.redact_json(&v),
            serde_json::json!({"status": "[REDACTED]", "order_id": "[REDACTED].0", "n": 7})
        );
    }

    #[test]
    fn every_encoding_of_a_secret_is_redacted() {
        let r = canary();
        let unicode_escaped: String = CANARY
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let upper_unicode_escaped: String = CANARY
            .chars()
            .map(|c| format!("\\u{:04X}", c as u32))
            .collect();
        let percent_upper: String = CANARY.bytes().map(|b| format!("%{b:02X}")).collect();
        let percent_lower: String = CANARY.bytes().map(|b| format!("%{b:02x}")).collect();
        for written in [
            CANARY.to_string(),
            format!("\\u0063{}", &CANARY[1..]),
            format!("\\\\u0063{}", &CANARY[1..]),
            format!("\\u{{63}}{}", &CANARY[1..]),
            unicode_escaped,
            upper_unicode_escaped,
            percent_upper,
            percent_lower,
            format!("%63an%61ry{}", &CANARY[6..]),
        ] {
            let text = format!("Bearer {written}!");
            assert_eq!(r.redact(&text), "Bearer [REDACTED]!", "{written}");
            assert!(r.contains_secret(&text), "{written}");
        }
        assert_eq!(
            r.redact("canary-7f3a9c1f"),
            "canary-7f3a9c1f",
            "one character off"
        );
    }

    #[test]
    fn slashes_spaces_quotes_and_wide_characters_in_every_encoding() {
        let secret = "pa/ss w\"rd-😀-x";
        let r = Redactor::new([Secret::new(secret)]);
        let json = serde_json::to_string(secret).unwrap();
        let json = &json[1..json.len() - 1];
        let slashes = json.replace('/', "\\/");
        let percent: String = secret.bytes().map(|b| format!("%{b:02X}")).collect();
        let form = percent.replace("%20", "+");
        let ascii_json = "pa\\/ss w\\\"rd-\\ud83d\\ude00-x";
        let debug = format!("{secret:?}");
        for written in [
            json,
            &slashes,
            &percent,
            &form,
            ascii_json,
            &debug[1..debug.len() - 1],
        ] {
            assert_eq!(
                r.redact(&format!("<{written}>")),
                "<[REDACTED]>",
                "{written}"
            );
        }
        let nested = serde_json::to_string(&serde_json::to_string(secret).unwrap()).unwrap();
        assert!(r.contains_secret(&nested), "{nested}");
    }

    #[test]
    fn redaction_comes_before_the_cut() {
        let r = canary();
        let text = format!("{}Bearer {CANARY} and more", "x".repeat(10));
        let cut = r.excerpt(&text, 20);
        assert_eq!(cut, "xxxxxxxxxxBearer [RE");
        assert!(!cut.contains("canary-7f"));
    }

    #[test]
    fn a_secret_cut_off_by_the_end_of_the_text_is_redacted_once_long_enough() {
        let r = canary();
        assert_eq!(r.redact("Bearer canary-7f"), "Bearer [REDACTED]");
        assert_eq!(r.redact("Bearer \\u0063anary-7f"), "Bearer [REDACTED]");
        assert_eq!(
            r.redact("Bearer canary-"),
            "Bearer canary-",
            "shorter than the minimum"
        );
    }

    #[test]
    fn streamed_text_holds_back_only_what_may_begin_a_secret() {
        let r = canary();
        assert_eq!(r.unfinished_from("hello world"), 11);
        assert_eq!(r.unfinished_from("token: can"), 7);
        assert_eq!(r.unfinished_from("token: \\u00"), 7);
        assert_eq!(r.unfinished_from("a 50% cut"), 9);
        assert_eq!(r.unfinished_from("ends with %6"), 10);
        assert_eq!(r.unfinished_from("hi"), 2);
        let two = Redactor::new([Secret::new(CANARY), Secret::new("anary-7f3a9c1e-and-more")]);
        assert_eq!(
            two.unfinished_from("x canary-7f3a9c1e-and"),
            2,
            "the whole canary waits with the longer secret that overlaps it"
        );
    }

    #[test]
    fn short_values_are_never_secrets_and_a_shared_redactor_learns() {
        assert!(!Secret::new("1234567").is_redactable());
        assert_eq!(
            Redactor::new([Secret::new("1234567")]).redact("1234567"),
            "1234567"
        );
        let shared = SharedRedactor::default();
        assert_eq!(shared.redact(CANARY), CANARY);
        shared.learn(&canary());
        shared.learn_secrets([Secret::new("another-secret")]);
        assert_eq!(
            shared.redact(&format!("{CANARY} another-secret")),
            "[REDACTED] [REDACTED]"
        );
    }
}
