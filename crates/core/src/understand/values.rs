//! Typed values read out of free text: a person's name ("I'm Yusuf Rossi", "Rossi, Yusuf"),
//! a postal address written as one sentence, a postal code next to its cue ("zip 19122"), and
//! a choice among the customer's own records by description ("the vacuum cleaner", "my
//! Mastercard ending in 2478").

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{Normal, fold};
use crate::extract::words;

/// A person's name as far as the text gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonName {
    /// Given name.
    pub first: Option<String>,
    /// Family name.
    pub last: Option<String>,
}

/// Phrases after which a name follows, in the five languages (folded).
const NAME_CUES: &[&str] = &[
    "my name is",
    "my name's",
    "name is",
    "names",
    "name's",
    "name",
    "i'm",
    "im",
    "i am",
    "this is",
    "it's",
    "call me",
    "ich bin",
    "ich heisse",
    "mein name ist",
    "hier ist",
    "hier spricht",
    "name ist",
    "je m'appelle",
    "je suis",
    "mon nom est",
    "nom",
    "c'est",
    "me llamo",
    "soy",
    "mi nombre es",
    "nombre",
    "ik ben",
    "ik heet",
    "mijn naam is",
    "naam",
    "met",
];

/// Words that are never part of a name (folded).
const NOT_NAMES: &[&str] = &[
    "and",
    "or",
    "from",
    "with",
    "zip",
    "code",
    "postal",
    "postcode",
    "email",
    "e-mail",
    "mail",
    "my",
    "the",
    "a",
    "an",
    "is",
    "in",
    "at",
    "of",
    "to",
    "for",
    "on",
    "by",
    "i",
    "me",
    "hi",
    "hello",
    "hey",
    "please",
    "thanks",
    "thank",
    "you",
    "yes",
    "no",
    "ok",
    "okay",
    "order",
    "sorry",
    "cheers",
    "thx",
    "ty",
    "lol",
    "ich",
    "je",
    "moi",
    "yo",
    "ik",
    "this",
    "oops",
    "whoops",
    "oh",
    "ah",
    "uh",
    "um",
    "hmm",
    "wait",
    "again",
    "already",
    "told",
    "said",
    "like",
    "ups",
    "oeps",
    "perdon",
    "pardon",
    "disculpe",
    "entschuldigung",
    "looking",
    "trying",
    "here",
    "back",
    "new",
    "not",
    "happy",
    "writing",
    "calling",
    "wondering",
    "having",
    "interested",
    "just",
    "also",
    "want",
    "would",
    "like",
    "need",
    "cancel",
    "return",
    "exchange",
    "change",
    "address",
    "and",
    "und",
    "et",
    "y",
    "en",
    "mit",
    "avec",
    "con",
    "met",
    "mijn",
    "mein",
    "meine",
    "mon",
    "ma",
    "mi",
    "postleitzahl",
    "plz",
    "de",
    "la",
    "le",
    "el",
    "het",
    "die",
    "der",
    "das",
    "wohne",
    "live",
    "living",
    "bin",
    "ben",
    "soy",
    "suis",
    "name",
    "naam",
    "nombre",
    "nom",
    "first",
    "last",
    "surname",
    "it",
    "that",
    "going",
    "getting",
    "still",
    "very",
    "so",
    "glad",
    "good",
    "fine",
    "well",
    "done",
    "customer",
    "user",
    "account",
    "hallo",
    "bonjour",
    "hola",
    "hoi",
    "guten",
    "tag",
    "buenos",
    "dias",
    "goedemiddag",
    "goedemorgen",
    "merci",
    "gracias",
    "danke",
    "bedankt",
    "bitte",
    "por",
    "favor",
    "svp",
    "graag",
    "ja",
    "oui",
    "si",
    "nee",
    "nein",
    "non",
    "gift",
    "card",
    "paypal",
    "visa",
    "mastercard",
    "item",
    "items",
    "wrong",
    "actually",
    "meant",
    "correct",
    "right",
    "also",
    "there",
    "writing",
    "zipcode",
    "is",
    "es",
    "est",
    "ist",
    "called",
    "named",
    "heisse",
    "heet",
    "llamo",
    "appelle",
    "ben",
    "wife",
    "husband",
    "i'm",
    "i've",
    "i'd",
    "i'll",
    "it's",
    "that's",
    "what's",
    "im",
    "ive",
    "id",
    "dear",
    "the",
    "can",
    "could",
    "will",
    "want",
    "wanted",
    "would",
    "please",
    "question",
    "help",
    "hi",
    "hey",
];

/// Words that may open a message before a bare name.
const GREETINGS: &[&str] = &[
    "hi", "hello", "hey", "dear", "hallo", "bonjour", "hola", "hoi", "salut", "moin", "yes",
    "sure", "ok", "okay", "ja", "oui", "si", "it's", "its", "sorry", "oh", "ah", "well",
];

/// Words after which a lower-case name may end (other than the end of the text).
const NAME_ENDS: &[&str] = &[
    "and",
    "from",
    "zip",
    "my",
    "with",
    "postal",
    "postcode",
    "email",
    "living",
    "und",
    "et",
    "y",
    "en",
    "mit",
    "avec",
    "con",
    "met",
    "mijn",
    "mein",
    "meine",
    "mon",
    "ma",
    "mi",
    "postleitzahl",
    "plz",
    "code",
    "codigo",
    "i",
    "here",
    "in",
    "at",
    "of",
];

/// One word of the text with what surrounds it.
struct Word {
    /// As written, trimmed of punctuation.
    text: String,
    /// Folded.
    folded: String,
    /// Followed by a comma, period or other clause break.
    breaks: bool,
}

fn split_words(text: &str) -> Vec<Word> {
    text.split_whitespace()
        .filter_map(|raw| {
            let trimmed =
                raw.trim_matches(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'));
            if trimmed.is_empty() {
                return None;
            }
            let tail = &raw[raw
                .rfind(trimmed)
                .map(|i| i + trimmed.len())
                .unwrap_or(raw.len())..];
            Some(Word {
                text: trimmed.to_string(),
                folded: fold(trimmed).replace('\u{2019}', "'"),
                breaks: tail
                    .chars()
                    .any(|c| matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | ')')),
            })
        })
        .collect()
}

fn name_like(word: &Word) -> bool {
    // "that's", "I'm", "taht's": contractions, not names (O'Brien is).
    let contraction = ["'s", "'m", "'re", "'ve", "'ll", "'d", "'t"]
        .iter()
        .any(|end| word.folded.ends_with(end));
    word.text.chars().count() >= 2
        && word
            .text
            .chars()
            .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        && !contraction
        && !NOT_NAMES.contains(&word.folded.as_str())
        && !super::concepts::is_lexicon_word(&word.folded)
}

/// A cue word as written, or with a slip of the fingers in a longer one ("tihs is", "me
/// lalmo", "nme's").
fn cue_word(token: &str, cue: &str) -> bool {
    token == cue || (cue.chars().count() >= 4 && super::consent::slip_of(token, cue))
}

fn capitalised(word: &Word) -> bool {
    word.text.chars().next().is_some_and(char::is_uppercase)
}

fn proper(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) if word.chars().all(|c| !c.is_uppercase()) => {
            first.to_uppercase().collect::<String>() + chars.as_str()
        }
        _ => word.to_string(),
    }
}

fn split_full(run: &[String]) -> PersonName {
    match run {
        [] => PersonName::default(),
        [only] => PersonName {
            first: Some(only.clone()),
            last: None,
        },
        [first @ .., last] => PersonName {
            first: Some(first.join(" ")),
            last: Some(last.clone()),
        },
    }
}

/// Reads a person's name: after a cue ("I'm", "my name is", "je m'appelle"), as "Last,
/// First", or as a message that is nothing but a name (and other details such as a postal
/// code or an email).
pub fn person_name(text: &str) -> Option<PersonName> {
    let words = split_words(text);
    let lower_case_text = !text.chars().any(char::is_uppercase);
    // "Rossi, Yusuf" (alone, or set off: "Thomas, Liam, that's me", "Hi there. Anderson,
    // Aarav, 19031 …")
    let bare: Vec<&Word> = words
        .iter()
        .skip_while(|w| GREETINGS.contains(&w.folded.as_str()) || w.folded == "there")
        .collect();
    let set_off = |w: &Word, next: Option<&&Word>| {
        w.breaks || next.is_some_and(|n| n.text.chars().all(|c| c.is_ascii_digit()))
    };
    let last_first = match bare.as_slice() {
        [last, first] => Some((last, first)),
        [last, first, next, ..]
            if set_off(first, Some(next))
                && ((capitalised(last) && capitalised(first)) || lower_case_text) =>
        {
            Some((last, first))
        }
        _ => None,
    };
    if let Some((last, first)) = last_first
        && last.breaks
        && text.contains(',')
        && name_like(last)
        && name_like(first)
    {
        return Some(PersonName {
            first: Some(proper(&first.text)),
            last: Some(proper(&last.text)),
        });
    }
    // After a cue.
    for (i, _) in words.iter().enumerate() {
        let Some(cue_len) = NAME_CUES.iter().find_map(|cue| {
            let parts: Vec<&str> = cue.split(' ').collect();
            let matches = words[i..].len() >= parts.len()
                && words[i..]
                    .iter()
                    .zip(&parts)
                    .all(|(w, cue)| cue_word(&w.folded, cue));
            matches.then_some(parts.len())
        }) else {
            continue;
        };
        let mut run = Vec::new();
        let mut ended_cleanly = false;
        for word in &words[i + cue_len..] {
            if !name_like(word) || run.len() == 3 {
                ended_cleanly = NAME_ENDS.contains(&word.folded.as_str())
                    || word.text.chars().all(|c| c.is_ascii_digit());
                break;
            }
            run.push(proper(&word.text));
            if word.breaks {
                ended_cleanly = true;
                break;
            }
        }
        if run.len() == words[i + cue_len..].len() {
            ended_cleanly = true;
        }
        // "it's Silva, Yara": a last name, a comma, a first name, and nothing more.
        let after = &words[i + cue_len..];
        let first_set_off = after.len() == 2
            || after.get(1).is_some_and(|w| w.breaks)
            || after.get(2).is_some_and(|w| {
                NAME_ENDS.contains(&w.folded.as_str()) || w.text.chars().all(|c| c.is_ascii_digit())
            });
        if run.len() == 1
            && after.len() >= 2
            && after[0].breaks
            && first_set_off
            && name_like(&after[1])
            && (capitalised(&after[1]) || lower_case_text)
        {
            return Some(PersonName {
                first: Some(proper(&after[1].text)),
                last: Some(run[0].clone()),
            });
        }
        let all_capitalised = words[i + cue_len..].iter().take(run.len()).all(capitalised);
        if !run.is_empty() && (ended_cleanly || all_capitalised) {
            return Some(split_full(&run));
        }
    }
    // A name that opens a message, set off by a comma or a number ("Yara Silva 77159, could
    // you …", "Yara Silva, zip 77159 …").
    let opening_words: Vec<&Word> = words
        .iter()
        .skip_while(|w| GREETINGS.contains(&w.folded.as_str()))
        .collect();
    let mut capitalised_run: Vec<&&Word> = opening_words
        .iter()
        .take_while(|w| name_like(w) && capitalised(w))
        .take(3)
        .collect();
    // Written in lower case, a name is read only when a code or an email follows it right
    // after a comma ("lucas santos, 80239 my new address is …").
    if capitalised_run.len() < 2 {
        let run: Vec<&&Word> = opening_words
            .iter()
            .take_while(|w| name_like(w))
            .take(3)
            .collect();
        let followed_by_detail = run.len() >= 2
            && run[run.len() - 1].breaks
            && opening_words.get(run.len()).is_some_and(|n| {
                n.text.contains('@') || n.text.chars().all(|c| c.is_ascii_digit())
            });
        if followed_by_detail {
            capitalised_run = run;
        }
    }
    if (2..=3).contains(&capitalised_run.len()) {
        let last = capitalised_run[capitalised_run.len() - 1];
        let next = opening_words.get(capitalised_run.len());
        // "Fatima Johnson here, …", "Anna Weber hier", "Marie Dupont ici"
        let introduces =
            |n: &&Word| ["here", "speaking", "hier", "ici", "aqui"].contains(&n.folded.as_str());
        let set_off = last.breaks
            || next.is_none()
            || next.is_some_and(|n| {
                n.text.chars().all(|c| c.is_ascii_digit()) || n.text.contains('@') || introduces(n)
            });
        let middle_clean = capitalised_run[..capitalised_run.len() - 1]
            .iter()
            .all(|w| !w.breaks);
        // With an identifying detail in the message (a code, an email), not a product name.
        let with_detail = words.iter().any(|w| {
            w.text.contains('@')
                || (w.text.len() >= 4 && w.text.chars().all(|c| c.is_ascii_digit()))
        });
        if set_off && middle_clean && with_detail {
            let run: Vec<String> = capitalised_run.iter().map(|w| proper(&w.text)).collect();
            return Some(split_full(&run));
        }
    }
    // A message that is only a name and other details ("Yusuf Rossi, 19122"): the name comes
    // first (after a greeting), and every other word is a detail or a filler.
    let opening = words
        .iter()
        .take_while(|w| GREETINGS.contains(&w.folded.as_str()))
        .count();
    let leftover: Vec<&Word> = words
        .iter()
        .filter(|w| {
            !w.text.chars().any(|c| c.is_ascii_digit())
                && !w.text.contains('@')
                && !NOT_NAMES.contains(&w.folded.as_str())
        })
        .collect();
    let starts_the_message = leftover
        .first()
        .is_some_and(|first| std::ptr::eq(*first, &words[opening.min(words.len() - 1)]));
    let contiguous = leftover.windows(2).all(|pair| {
        let a = words.iter().position(|w| std::ptr::eq(w, pair[0]));
        let b = words.iter().position(|w| std::ptr::eq(w, pair[1]));
        matches!((a, b), (Some(a), Some(b)) if b == a + 1)
    });
    if starts_the_message
        && contiguous
        && (1..=3).contains(&leftover.len())
        && leftover.iter().all(|w| name_like(w))
        && (leftover.iter().all(|w| capitalised(w)) || lower_case_text)
        && words.len() <= leftover.len() + 6
    {
        let run: Vec<String> = leftover.iter().map(|w| proper(&w.text)).collect();
        return Some(split_full(&run));
    }
    None
}

/// The name words of a short answer to "what's your first/last name?": every name-like word.
pub fn name_answer(text: &str) -> Option<Vec<String>> {
    let words = split_words(text);
    // "yusuf rossi, that's me cheers": a name that opens the answer, set off from the rest.
    let clause_end = words
        .iter()
        .position(|w| w.breaks)
        .map_or(words.len(), |i| i + 1);
    let opening: Vec<String> = words[..clause_end]
        .iter()
        .filter(|w| name_like(w))
        .map(|w| proper(&w.text))
        .collect();
    if clause_end < words.len()
        && (1..=3).contains(&opening.len())
        && clause_end <= opening.len() + 2
    {
        return Some(opening);
    }
    let names: Vec<String> = words
        .iter()
        .filter(|w| name_like(w))
        .map(|w| proper(&w.text))
        .collect();
    (!names.is_empty() && names.len() <= 3 && words.len() <= names.len() + 4).then_some(names)
}

/// Cues before a postal code (folded).
const POSTAL_CUES: &[&str] = &[
    "zip",
    "zipcode",
    "zip-code",
    "postal",
    "postcode",
    "post",
    "plz",
    "postleitzahl",
    "cp",
    "codigo",
    "code",
];

/// The token that fits `pattern` and reads as the customer's own postal code: one right after
/// a cue ("zip 19122", "ZIP code is 19122") wins; otherwise the first one that is not the
/// code of an address being given ("… TX 76165").
pub fn postal_code(text: &str, fits: &dyn Fn(&str) -> bool) -> Option<String> {
    let words = split_words(text);
    let candidates: Vec<usize> = (0..words.len()).filter(|i| fits(&words[*i].text)).collect();
    let cued = candidates.iter().find(|i| {
        words[i.saturating_sub(4)..**i]
            .iter()
            .any(|w| POSTAL_CUES.contains(&w.folded.as_str()))
    });
    if let Some(i) = cued {
        return Some(words[*i].text.clone());
    }
    let in_address = |i: usize| {
        i > 0 && {
            let before = &words[i - 1].text;
            before.len() == 2 && before.chars().all(|c| c.is_ascii_uppercase())
        }
    };
    candidates
        .iter()
        .find(|i| !in_address(**i))
        .or(candidates.first())
        .map(|i| words[*i].text.clone())
}

/// Pairs of ids the text links as "this one to that one" ("1355937109 to 9949163720", "A
/// for B", "A → B", "A gegen B", "A par B"), in order.
pub fn id_pairs(text: &str, fits: &dyn Fn(&str) -> bool) -> Vec<(String, String)> {
    const LINKS: &[&str] = &[
        "to", "for", "into", "with", "by", "->", "→", "=>", "instead", "swap", "becomes", "zu",
        "gegen", "in", "durch", "par", "pour", "contre", "en", "por", "para", "naar", "voor",
        "door", "tegen", "item", "the", "a", "an", "new", "one", "of", "neue", "nouveau", "nuevo",
        "nieuwe",
    ];
    let words = split_words(text);
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if fits(&words[i].text) {
            let partner = words[i + 1..]
                .iter()
                .take(5)
                .take_while(|w| fits(&w.text) || LINKS.contains(&w.folded.as_str()))
                .position(|w| fits(&w.text));
            let linked = partner.is_some_and(|p| {
                words[i + 1..i + 1 + p]
                    .iter()
                    .any(|w| !matches!(w.folded.as_str(), "item" | "the" | "a" | "an"))
            });
            if let (Some(p), true) = (partner, linked) {
                pairs.push((words[i].text.clone(), words[i + 1 + p].text.clone()));
                i += p + 2;
                continue;
            }
        }
        i += 1;
    }
    pairs
}

/// A postal address, as far as the text gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    /// Street and number.
    pub address1: Option<String>,
    /// Apartment, suite, floor.
    pub address2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region code.
    pub state: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Country.
    pub country: Option<String>,
}

/// Words after a number that show it is not a house number.
const NOT_STREETS: &[&str] = &[
    "order", "orders", "item", "items", "piece", "pieces", "of", "days", "day", "weeks", "dollars",
    "usd", "euros", "x", "times", "and", "or", "is", "are", "was", "to", "for",
];

const UNIT_WORDS: &[&str] = &[
    "suite",
    "ste",
    "apt",
    "apartment",
    "unit",
    "floor",
    "fl",
    "room",
    "rm",
    "building",
    "bldg",
    "#",
    "no",
    "wohnung",
    "etage",
    "appartement",
    "appt",
    "piso",
    "depto",
    "departamento",
    "puerta",
    "verdieping",
];

const COUNTRIES: &[(&str, &str)] = &[
    ("usa", "USA"),
    ("us", "USA"),
    ("u.s.", "USA"),
    ("u.s.a.", "USA"),
    ("united states", "USA"),
    ("united states of america", "USA"),
    ("america", "USA"),
    ("estados unidos", "USA"),
    ("etats-unis", "USA"),
    ("vereinigte staaten", "USA"),
    ("verenigde staten", "USA"),
    ("canada", "Canada"),
    ("uk", "UK"),
    ("united kingdom", "UK"),
    ("germany", "Germany"),
    ("deutschland", "Germany"),
    ("france", "France"),
    ("spain", "Spain"),
    ("espana", "Spain"),
    ("netherlands", "Netherlands"),
    ("nederland", "Netherlands"),
    ("mexico", "Mexico"),
];

fn country(part: &str) -> Option<&'static str> {
    let folded = fold(part.trim().trim_end_matches('.'));
    COUNTRIES
        .iter()
        .find(|(name, _)| *name == folded.trim_end_matches('.') || *name == folded)
        .map(|(_, canonical)| *canonical)
}

/// US states and territories: (code, folded name).
const US_STATES: &[(&str, &str)] = &[
    ("AL", "alabama"),
    ("AK", "alaska"),
    ("AZ", "arizona"),
    ("AR", "arkansas"),
    ("CA", "california"),
    ("CO", "colorado"),
    ("CT", "connecticut"),
    ("DE", "delaware"),
    ("DC", "district of columbia"),
    ("FL", "florida"),
    ("GA", "georgia"),
    ("HI", "hawaii"),
    ("ID", "idaho"),
    ("IL", "illinois"),
    ("IN", "indiana"),
    ("IA", "iowa"),
    ("KS", "kansas"),
    ("KY", "kentucky"),
    ("LA", "louisiana"),
    ("ME", "maine"),
    ("MD", "maryland"),
    ("MA", "massachusetts"),
    ("MI", "michigan"),
    ("MN", "minnesota"),
    ("MS", "mississippi"),
    ("MO", "missouri"),
    ("MT", "montana"),
    ("NE", "nebraska"),
    ("NV", "nevada"),
    ("NH", "new hampshire"),
    ("NJ", "new jersey"),
    ("NM", "new mexico"),
    ("NY", "new york"),
    ("NC", "north carolina"),
    ("ND", "north dakota"),
    ("OH", "ohio"),
    ("OK", "oklahoma"),
    ("OR", "oregon"),
    ("PA", "pennsylvania"),
    ("RI", "rhode island"),
    ("SC", "south carolina"),
    ("SD", "south dakota"),
    ("TN", "tennessee"),
    ("TX", "texas"),
    ("UT", "utah"),
    ("VT", "vermont"),
    ("VA", "virginia"),
    ("WA", "washington"),
    ("WV", "west virginia"),
    ("WI", "wisconsin"),
    ("WY", "wyoming"),
    ("PR", "puerto rico"),
];

/// A state as customers write it: a two-letter code ("TX"; "tx" too when `lower_ok`, where a
/// code is expected, as before a ZIP code) or a US state's name ("Texas", "new york").
fn state_code(part: &str, lower_ok: bool) -> Option<String> {
    let part = part.trim();
    if part.len() == 2 && part.chars().all(|c| c.is_ascii_uppercase()) {
        return Some(part.to_string());
    }
    let upper = part.to_ascii_uppercase();
    if lower_ok && part.len() == 2 && US_STATES.iter().any(|(code, _)| *code == upper) {
        return Some(upper);
    }
    let folded = fold(part);
    US_STATES
        .iter()
        .find(|(_, name)| *name == folded)
        .map(|(code, _)| (*code).to_string())
}

/// A part that is a state code on its own ("TX"). Names and lower case count only before a
/// ZIP code: "Washington, DC" has a city named like a state.
fn is_state(part: &str) -> bool {
    part.len() == 2 && part.chars().all(|c| c.is_ascii_uppercase())
}

/// A word that may follow the house number: a word, or an ordinal ("2100 1st Avenue").
fn street_word(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    word.chars().next().is_some_and(char::is_alphabetic)
        || (!digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && ["st", "nd", "rd", "th"].contains(&&lower[digits.len()..]))
}

fn is_zip(part: &str) -> bool {
    (part.len() == 5 && part.chars().all(|c| c.is_ascii_digit()))
        || (part.len() == 10
            && part
                .get(..5)
                .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
            && part.get(5..6) == Some("-"))
}

fn is_unit(part: &str) -> bool {
    let folded = fold(part);
    let first = folded
        .split(|c: char| c.is_whitespace() || c == '.')
        .next()
        .unwrap_or("");
    UNIT_WORDS.contains(&first) || folded.starts_with('#')
}

fn starts_with_number(part: &str) -> bool {
    let mut chars = part.trim().chars();
    chars.next().is_some_and(|c| c.is_ascii_digit()) && part.split_whitespace().count() >= 2
}

impl Address {
    /// Whether street, city, state and postal code are all known, and read as such: the
    /// street starts with its number, the city has no digits.
    pub fn is_complete(&self) -> bool {
        let street = self.address1.as_deref().is_some_and(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_digit())
                && s.chars().any(char::is_alphabetic)
                && s.split_whitespace().count() <= 6
        });
        let city = self
            .city
            .as_deref()
            .is_some_and(|c| !c.is_empty() && !c.chars().any(|ch| ch.is_ascii_digit()));
        street && city && self.state.is_some() && self.zip.is_some()
    }

    /// Fills what `other` knows and this does not.
    pub fn merge(&mut self, other: Address) {
        let fill = |mine: &mut Option<String>, theirs: Option<String>| {
            if mine.is_none() {
                *mine = theirs;
            }
        };
        fill(&mut self.address1, other.address1);
        fill(&mut self.address2, other.address2);
        fill(&mut self.city, other.city);
        fill(&mut self.state, other.state);
        fill(&mut self.zip, other.zip);
        fill(&mut self.country, other.country);
    }

    /// The address as JSON (`address2` and `country` default to "" and, for a US state and
    /// ZIP, "USA").
    pub fn to_json(&self) -> Value {
        let us =
            self.state.as_deref().is_some_and(is_state) && self.zip.as_deref().is_some_and(is_zip);
        let country = self
            .country
            .clone()
            .or_else(|| us.then(|| "USA".to_string()))
            .unwrap_or_default();
        let mut map = Map::new();
        for (key, value) in [
            ("address1", self.address1.clone().unwrap_or_default()),
            ("address2", self.address2.clone().unwrap_or_default()),
            ("city", self.city.clone().unwrap_or_default()),
            ("state", self.state.clone().unwrap_or_default()),
            ("zip", self.zip.clone().unwrap_or_default()),
            ("country", country),
        ] {
            map.insert(key.into(), Value::String(value));
        }
        Value::Object(map)
    }

    /// Reads an address out of a sentence ("please send it to 445 Maple Drive, Suite 394,
    /// Fort Worth, TX 76165, USA"): it starts at a house number; its parts are separated by
    /// commas (or recognised by shape: a unit, a state code, a postal code, a country).
    pub fn parse(text: &str) -> Address {
        // The house number: a number followed by a space and a word (not "19122." nor "2
        // items"); the first one from which a complete address reads wins.
        let starts: Vec<usize> = text
            .char_indices()
            .filter(|(i, c)| {
                c.is_ascii_digit()
                    && (*i == 0 || !text[..*i].ends_with(|p: char| p.is_alphanumeric() || p == '#'))
                    && {
                        let rest = &text[*i..];
                        let number_end = rest
                            .find(|c: char| !c.is_ascii_alphanumeric())
                            .unwrap_or(rest.len());
                        rest[number_end..].starts_with(' ')
                            && rest.split_whitespace().nth(1).is_some_and(|w| {
                                street_word(w) && !NOT_STREETS.contains(&fold(w).as_str())
                            })
                    }
            })
            .map(|(i, _)| i)
            .take(8)
            .collect();
        // "My ZIP is 28243 the order should go to 159 Hickory Lane, …": a number whose street
        // would run on, words later, into another house number before any comma is not where
        // the address starts.
        let starts: Vec<usize> = starts
            .iter()
            .copied()
            .filter(|&s| {
                let part_end = text[s..]
                    .find([',', ';', '\n'])
                    .map_or(text.len(), |e| s + e);
                !starts
                    .iter()
                    .any(|&t| t > s && t < part_end && text[s..t].split_whitespace().count() >= 3)
            })
            .collect();
        let parsed: Vec<Address> = starts
            .iter()
            .map(|s| Self::parse_from(text, Some(*s)))
            .collect();
        parsed
            .iter()
            .position(Address::is_complete)
            .or((!parsed.is_empty()).then_some(0))
            .map(|i| parsed[i].clone())
            .unwrap_or_else(|| Self::parse_from(text, None))
    }

    fn parse_from(text: &str, start: Option<usize>) -> Address {
        let mut address = Address::default();
        let body = match start {
            Some(i) => &text[i..],
            None => text,
        };
        let body = body.trim().trim_end_matches(['.', '!', '?']);
        let mut parts: Vec<String> = body
            .split([',', ';', '\n'])
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        // Split "Fort Worth TX 76165" and "TX 76165" into their shapes.
        let mut expanded = Vec::new();
        for part in parts.drain(..) {
            let tokens: Vec<&str> = part.split_whitespace().collect();
            let n = tokens.len();
            // The state right before the ZIP code: "TX", "tx", "Texas", "New York".
            let state_words = (1..=3.min(n.saturating_sub(1))).rev().find(|k| {
                is_zip(tokens[n - 1])
                    && state_code(&tokens[n - 1 - k..n - 1].join(" "), true).is_some()
            });
            if let Some(k) = state_words {
                if n > k + 1 {
                    expanded.push(tokens[..n - 1 - k].join(" "));
                }
                expanded.extend(state_code(&tokens[n - 1 - k..n - 1].join(" "), true));
                expanded.push(tokens[n - 1].to_string());
            } else if n >= 2 && is_zip(tokens[n - 1]) && !starts_with_number(&part) {
                expanded.push(tokens[..n - 1].join(" "));
                expanded.push(tokens[n - 1].to_string());
            } else {
                expanded.push(part);
            }
        }
        // Unclassified parts, and where the state or postal code came (the city is the
        // unclassified part right before them; words after the address are not).
        let mut rest: Vec<(usize, String)> = Vec::new();
        let mut region_at = None;
        for (index, part) in expanded.into_iter().enumerate() {
            if address.zip.is_none() && is_zip(&part) {
                address.zip = Some(part);
                region_at.get_or_insert(index);
            } else if address.state.is_none() && is_state(&part) {
                address.state = Some(part);
                region_at.get_or_insert(index);
            } else if address.country.is_none() && country(&part).is_some() {
                address.country = country(&part).map(str::to_string);
            } else if address.address1.is_none() && starts_with_number(&part) && start.is_some() {
                // "1200 elm street apt 4": the unit is the second line.
                let tokens: Vec<&str> = part.split_whitespace().collect();
                // A unit word with its number ("apt 4", "suite 50", "#5"), not a street's own
                // word ("1 Ferry Building").
                let unit_at = (2..tokens.len()).find(|i| {
                    is_unit(tokens[*i])
                        && (tokens[*i].starts_with('#')
                            || tokens.get(i + 1).is_some_and(|n| {
                                n.chars().any(|c| c.is_ascii_digit()) || n.chars().count() == 1
                            }))
                });
                match unit_at {
                    Some(i) if address.address2.is_none() => {
                        address.address1 = Some(tokens[..i].join(" "));
                        address.address2 = Some(tokens[i..].join(" "));
                    }
                    _ => address.address1 = Some(part),
                }
            } else if address.address2.is_none() && is_unit(&part) {
                address.address2 = Some(part);
            } else {
                rest.push((index, part));
            }
        }
        let city = match region_at {
            Some(at) => rest
                .iter()
                .rev()
                .find(|(i, _)| *i < at)
                .map(|(_, p)| p.clone()),
            None if address.address1.is_some() => rest.last().map(|(_, p)| p.clone()),
            None => None,
        };
        if let Some(city) = city {
            let city = city
                .trim_start_matches(|c: char| !c.is_alphabetic())
                .to_string();
            if !city.is_empty() && city.split_whitespace().count() <= 4 {
                address.city = Some(city);
            }
        }
        address
    }

    /// Reads one part given alone, as the answer to what is still missing.
    pub fn parse_part(&mut self, text: &str) {
        let part = text.trim().trim_end_matches(['.', '!']).trim();
        let parsed = Address::parse(part);
        if parsed.address1.is_some() || parsed.zip.is_some() || parsed.state.is_some() {
            self.merge(parsed);
            return;
        }
        const NONE: &[&str] = &[
            "none", "no", "n/a", "na", "-", "nothing", "nope", "keine", "kein", "nein", "aucun",
            "aucune", "rien", "non", "ninguna", "ninguno", "nada", "geen", "nee", "empty", "blank",
        ];
        if NONE.contains(&fold(part).as_str()) {
            self.address2.get_or_insert_with(String::new);
        } else if let Some(c) = country(part) {
            self.country.get_or_insert(c.to_string());
        } else if is_unit(part) {
            self.address2.get_or_insert(part.to_string());
        } else if self.city.is_none() && !part.is_empty() && part.split_whitespace().count() <= 4 {
            self.city = Some(part.to_string());
        }
    }
}

/// How to recognise one of the customer's own records by description.
pub struct Choices<'a> {
    /// The records (an array, or an object's values).
    pub list: &'a Value,
    /// The field whose value is the slot's value.
    pub value: &'a str,
    /// The fields that describe a record, the main one (its name) first.
    pub describe: &'a [String],
}

/// Whether a describing word is in the message, one typo forgiven in longer words ("PyPal").
fn word_in(word: &str, message: &BTreeSet<String>) -> bool {
    message.contains(word)
        || (word.chars().count() >= 5 && message.iter().any(|m| super::consent::same_word(m, word)))
}

fn field_words(record: &Value, field: &str) -> BTreeSet<String> {
    match &record[field] {
        Value::String(s) => value_words(s),
        Value::Number(n) => BTreeSet::from([n.to_string()]),
        Value::Object(map) => map
            .values()
            .filter_map(Value::as_str)
            .flat_map(value_words)
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .flat_map(value_words)
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// The words of a record's value, short ones kept: a size "S" or "XL" is a detail, where in
/// a sentence "s" would be noise.
fn value_words(value: &str) -> BTreeSet<String> {
    // A yes/no detail is named by its key ("waterproof"), never by "yes".
    if ["yes", "no", "true", "false", "none"].contains(&value.to_ascii_lowercase().as_str()) {
        return BTreeSet::new();
    }
    let value = value.replace('_', " ");
    let mut all = words(&value);
    if value.split_whitespace().count() <= 2 {
        all.extend(token_positions(&value));
    }
    all
}

/// A text's words for matching values: `words`, and every token as `token_positions` reads
/// it (single letters kept: "in S").
fn text_words(text: &str) -> BTreeSet<String> {
    let mut all = words(text);
    all.extend(token_positions(text));
    all
}

/// A record's detail words, the names of its details included ("water resistance").
fn detail_words(record: &Value, field: &str) -> BTreeSet<String> {
    let mut all = field_words(record, field);
    if let Value::Object(map) = &record[field] {
        all.extend(map.keys().flat_map(|k| words(&k.replace('_', " "))));
    }
    all
}

impl Choices<'_> {
    fn records(&self) -> Vec<&Value> {
        match self.list {
            Value::Array(items) => items.iter().collect(),
            Value::Object(map) => map.values().collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the text names any of the records: a word of a name, or a record's own value.
    /// Text that does not may be about records elsewhere (an item of another order).
    pub fn touches(&self, text: &str) -> bool {
        let message = words(text);
        let Some(name_field) = self.describe.first() else {
            return false;
        };
        self.records().iter().any(|r| {
            field_words(r, name_field)
                .iter()
                .any(|w| word_in(w, &message))
                || r.get(self.value)
                    .and_then(Value::as_str)
                    .is_some_and(|id| message.contains(&fold(id)))
        })
    }

    /// The one record the text describes best (its name and details), when one stands out.
    pub fn one(&self, text: &str) -> Option<Value> {
        let message = words(text);
        let mut scored: Vec<(usize, &Value)> = self
            .records()
            .into_iter()
            .map(|r| {
                let score = self
                    .describe
                    .iter()
                    .map(|f| {
                        field_words(r, f)
                            .iter()
                            .filter(|w| word_in(w, &message))
                            .count()
                    })
                    .sum();
                (score, r)
            })
            .collect();
        scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        match scored.as_slice() {
            [(best, record), rest @ ..]
                if *best > 0 && rest.first().is_none_or(|(second, _)| second < best) =>
            {
                record.get(self.value).cloned()
            }
            _ => None,
        }
    }

    /// Every record the text names ("the vacuum cleaner and both lamps"): its name's words
    /// are in the text (at least half of them, and its last one); where several records share
    /// a name, details in the text ("the black one") keep those that fit them best.
    pub fn many(&self, text: &str) -> Vec<Value> {
        self.pick(text, true)
    }

    /// The records the text names by name or id, never by details alone ("the black one"):
    /// details may describe something else (the replacement wanted, another order's item).
    pub fn many_named(&self, text: &str) -> Vec<Value> {
        self.pick(text, false)
    }

    fn pick(&self, text: &str, details_alone: bool) -> Vec<Value> {
        let message = words(text);
        let Some(name_field) = self.describe.first() else {
            return Vec::new();
        };
        let records = self.records();
        // "All of them", "the whole order": every record, when none is named on its own.
        let all = || -> Vec<Value> {
            records
                .iter()
                .filter_map(|r| r.get(self.value).cloned())
                .collect()
        };
        // A name word shared with another record's name ("smart" of "Smart Watch" and "Smart
        // Thermostat") does not name a record on its own.
        let named: Vec<&Value> = records
            .iter()
            .copied()
            .filter(|r| {
                let name = field_words(r, name_field);
                let hits: Vec<&String> = name.intersection(&message).collect();
                // "The vacuum" names the Vacuum Cleaner; "water resistance" (another record's
                // detail) does not name the Water Bottle.
                let distinctive = hits.iter().any(|w| {
                    !records.iter().any(|o| {
                        (o[name_field.as_str()] != r[name_field.as_str()]
                            && field_words(o, name_field).contains(*w))
                            || self.describe[1..]
                                .iter()
                                .any(|f| detail_words(o, f).contains(*w))
                    })
                });
                !name.is_empty()
                    && (hits.len() == name.len() || (distinctive && hits.len() * 2 >= name.len()))
            })
            .collect();
        // A record's details count where they stand next to its name ("the black laptop",
        // "the lamp in white"): details further on may describe something else ("… for the
        // silver one").
        let positions = token_positions(text);
        let detail = |r: &Value| -> usize {
            let name = field_words(r, name_field);
            let named_at: Vec<usize> = (0..positions.len())
                .filter(|i| name.contains(&positions[*i]))
                .collect();
            // "The speaker without water resistance": a yes/no detail named by its key.
            self.flags_named(r, &positions)
                + self.describe[1..]
                    .iter()
                    .map(|f| {
                        let own = field_words(r, f);
                        if named_at.is_empty() {
                            return own.intersection(&message).count();
                        }
                        own.iter()
                            .filter(|w| {
                                (0..positions.len()).any(|i| {
                                    positions[i] == **w
                                        && named_at.iter().any(|n| n.abs_diff(i) <= 2)
                                })
                            })
                            .count()
                    })
                    .sum::<usize>()
        };
        // Records the text names by their own value ("artículo 4579334072").
        let id_of = |r: &Value| r.get(self.value).and_then(Value::as_str).map(fold);
        let by_id: Vec<&Value> = records
            .iter()
            .copied()
            .filter(|r| id_of(r).is_some_and(|id| id.len() >= 4 && message.contains(&id)))
            .collect();
        if named.is_empty() && by_id.is_empty() && message.contains("all") {
            return all();
        }
        // "The grey one": no name, details that fit one record only — among records that
        // share their name with another (the two pet beds). Details alone do not pick a record
        // of a name of its own: "the wristwatch in black" for an order without a wristwatch
        // is not its black water bottle.
        if named.is_empty() && by_id.is_empty() {
            if !details_alone {
                return Vec::new();
            }
            let namesake = |r: &Value| {
                records.iter().any(|o| {
                    !std::ptr::eq(*o, r) && o[name_field.as_str()] == r[name_field.as_str()]
                })
            };
            let mut scored: Vec<(usize, &Value)> = records
                .iter()
                .filter(|r| namesake(r))
                .map(|r| (detail(r), *r))
                .collect();
            scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
            return match scored.as_slice() {
                [(best, record), rest @ ..]
                    if *best > 0 && rest.first().is_none_or(|(second, _)| second < best) =>
                {
                    record.get(self.value).cloned().into_iter().collect()
                }
                _ => Vec::new(),
            };
        }
        // Several records of one name, none described: all of them only when the text says
        // so ("both lamps", "the pet beds"); "one of the pet beds" or "the lamp" is unclear.
        let folded = fold(text);
        let one_of = [
            "one of",
            "einen der",
            "eines der",
            "eine der",
            "l'un des",
            "l'une des",
            "un des",
            "une des",
            "uno de",
            "una de",
            "een van",
        ]
        .iter()
        .any(|p| folded.contains(p));
        let says_all = |record: &Value| -> bool {
            let plural = record[name_field.as_str()]
                .as_str()
                .and_then(|n| n.split_whitespace().last())
                .map(fold)
                .is_some_and(|head| {
                    Normal::new(text).tokens.iter().any(|t| {
                        *t == format!("{head}s")
                            || *t == format!("{head}es")
                            || *t == format!("{head}n")
                    })
                });
            let all_words = [
                "both", "all", "beide", "beiden", "alle", "tous", "toutes", "deux", "ambos",
                "ambas", "todos", "todas", "allebei",
            ];
            !one_of
                && (plural
                    || Normal::new(text)
                        .tokens
                        .iter()
                        .any(|t| all_words.contains(&t.as_str())))
        };
        let mut chosen = Vec::new();
        for record in &records {
            if by_id.iter().any(|r| std::ptr::eq(*r, *record)) {
                record
                    .get(self.value)
                    .into_iter()
                    .for_each(|v| chosen.push(v.clone()));
                continue;
            }
            if !named.iter().any(|r| std::ptr::eq(*r, *record)) {
                continue;
            }
            let same_name: Vec<&Value> = named
                .iter()
                .copied()
                .filter(|o| o[name_field.as_str()] == record[name_field.as_str()])
                .collect();
            // "Water Bottle (item 4579334072)": the name came with the id of one of them.
            if by_id
                .iter()
                .any(|o| o[name_field.as_str()] == record[name_field.as_str()])
            {
                continue;
            }
            // Namesakes told apart by details next to their name: each one described by its
            // own details, as many as the name is mentioned, nearest first ("the rechargeable
            // toothbrush and the AA batteries toothbrush"; "the robotic vacuum cleaner … for
            // the canister one"). None described: every one that fits best ("both lamps").
            let distance = |r: &Value| {
                if self.flags_named(r, &positions) > 0 {
                    0
                } else {
                    self.detail_distance(r, &same_name, name_field, &positions)
                        .map_or(usize::MAX, |(distance, _)| distance)
                }
            };
            let mut described: Vec<&Value> = same_name
                .iter()
                .copied()
                .filter(|o| same_name.len() > 1 && distance(o) <= 2)
                .collect();
            if described.is_empty() {
                let best = same_name.iter().map(|o| detail(o)).max().unwrap_or(0);
                let fitting = same_name.iter().filter(|o| detail(o) == best).count();
                if detail(record) != best || (fitting > 1 && !says_all(record)) {
                    continue;
                }
            } else {
                let head = field_words(record, name_field);
                let mentions = positions
                    .iter()
                    .filter(|t| {
                        record[name_field.as_str()]
                            .as_str()
                            .and_then(|n| token_positions(n).last().cloned())
                            .is_some_and(|last| **t == last)
                            || (head.len() == 1 && head.contains(*t))
                    })
                    .count()
                    .max(1);
                described.sort_by_key(|o| distance(o));
                described.truncate(mentions);
                if !described.iter().any(|o| std::ptr::eq(*o, *record)) {
                    continue;
                }
            }
            if let Some(v) = record.get(self.value) {
                chosen.push(v.clone());
            }
        }
        // In the order the customer wrote them: a list pairs up with another one ("1340995114
        // and 9791469541 to 4107812777 and 1421289881").
        let at = |value: &Value| -> usize {
            let Some(record) = records.iter().find(|r| r.get(self.value) == Some(value)) else {
                return usize::MAX;
            };
            let id = id_of(record).unwrap_or_default();
            if let Some(i) = positions.iter().position(|t| *t == id) {
                return i;
            }
            // Namesakes by where their own details stand.
            let namesakes: Vec<&Value> = records
                .iter()
                .copied()
                .filter(|o| o[name_field.as_str()] == record[name_field.as_str()])
                .collect();
            if namesakes.len() > 1
                && let Some((_, i)) =
                    self.detail_distance(record, &namesakes, name_field, &positions)
            {
                return i;
            }
            let name = field_words(record, name_field);
            positions
                .iter()
                .position(|t| name.contains(t))
                .unwrap_or(usize::MAX)
        };
        chosen.sort_by_key(|v| at(v));
        chosen
    }

    /// How many of a record's yes/no details the text names with their sense ("the speaker
    /// without water resistance").
    fn flags_named(&self, record: &Value, positions: &[String]) -> usize {
        self.describe[1..]
            .iter()
            .filter_map(|f| record[f.as_str()].as_object())
            .flat_map(|map| map.iter())
            .filter(|(key, value)| {
                value
                    .as_str()
                    .is_some_and(|v| flag_named(positions, key, v) == Some(true))
            })
            .count()
    }

    /// How far (in words) a record's own details — those its namesakes lack — stand from a
    /// mention of its name, and where that detail stands.
    fn detail_distance(
        &self,
        record: &Value,
        namesakes: &[&Value],
        name_field: &str,
        positions: &[String],
    ) -> Option<(usize, usize)> {
        let own: BTreeSet<String> = self.describe[1..]
            .iter()
            .flat_map(|f| field_words(record, f))
            .filter(|w| {
                !namesakes.iter().any(|o| {
                    !std::ptr::eq(*o, record)
                        && self.describe[1..]
                            .iter()
                            .any(|f| field_words(o, f).contains(w))
                })
            })
            .collect();
        let name = field_words(record, name_field);
        let at = |set: &BTreeSet<String>| -> Vec<usize> {
            positions
                .iter()
                .enumerate()
                .filter(|(_, t)| set.contains(*t))
                .map(|(i, _)| i)
                .collect()
        };
        let (details, names) = (at(&own), at(&name));
        details
            .iter()
            .flat_map(|d| names.iter().map(move |n| (d.abs_diff(*n), *d)))
            .min()
    }
}

/// Words that turn a yes/no detail to no when they stand just before it ("without water
/// resistance", "ohne", "sans", "sin", "zonder", "not waterproof").
const NEGATING: &[&str] = &[
    "no", "not", "non", "without", "none", "kein", "keine", "keinen", "ohne", "nicht", "sans",
    "pas", "sin", "geen", "zonder", "niet",
];

/// For a yes/no detail (`waterproof: yes`), whether the text asks for this value: `Some(true)`
/// when it names the detail's key with the matching sense ("waterproof" for yes, "without
/// water resistance" for no), `Some(false)` when it names it with the other, `None` when the
/// detail is not a flag or is not named.
fn flag_named(positions: &[String], key: &str, value: &str) -> Option<bool> {
    let wanted = match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => true,
        "no" | "false" => false,
        _ => return None,
    };
    let key: Vec<String> = token_positions(&key.replace('_', " "));
    let at = (0..positions.len()).find(|i| {
        !key.is_empty()
            && key
                .iter()
                .enumerate()
                .all(|(j, k)| positions.get(i + j).is_some_and(|p| same_stem(p, k)))
    })?;
    let negated = positions[at.saturating_sub(2)..at]
        .iter()
        .any(|w| NEGATING.contains(&w.as_str()));
    Some(negated != wanted)
}

/// The same word, or another form of it ("resistant", "resistance"; "waterproofed").
fn same_stem(a: &str, b: &str) -> bool {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a == b || (common >= 6 && common + 3 >= a.chars().count().min(b.chars().count()))
}

/// The text's words in order, each read like a word of `words` (folded, a plural `s` off).
fn token_positions(text: &str) -> Vec<String> {
    super::canonical_tokens(&Normal::new(text).tokens)
        .into_iter()
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if w.len() > 3 => stem.to_string(),
            _ => w,
        })
        .collect()
}

/// Replacements the customer describes for records being replaced ("the keyboard with
/// clicky switches and the thermostat for Google Assistant"): for each replaced record, in
/// order, the member of its group whose details the customer names — details that differ from
/// the old record count most, details kept the same break ties ("same size"), members that
/// are not available lose. Where the text names several records, each one's part of the text
/// (from its name to the next one's) describes its replacement.
pub struct Replacements<'a> {
    /// The records being replaced, in the slot's order.
    pub old: Vec<&'a Value>,
    /// For each, the members of its group (the candidates).
    pub candidates: Vec<Vec<&'a Value>>,
    /// The field that is a member's value (`item_id`).
    pub value: &'a str,
    /// The fields that describe a member (`options`); the first of `name_field` names the
    /// old records in the text.
    pub describe: &'a [String],
    /// The field that names an old record (`name`).
    pub name_field: &'a str,
}

impl Replacements<'_> {
    /// One replacement per old record, or `None` when any is not described clearly.
    pub fn choose(&self, text: &str) -> Option<Vec<Value>> {
        let parts = self.parts(text);
        self.old
            .iter()
            .zip(&self.candidates)
            .zip(&parts)
            .map(|((old, candidates), part)| self.one(old, candidates, part))
            .collect()
    }

    /// Each old record's part of the text.
    fn parts(&self, text: &str) -> Vec<String> {
        let folded = fold(text);
        let tokens = token_positions(text);
        let positions: Vec<Option<usize>> = self
            .old
            .iter()
            .map(|r| {
                // Namesakes ("den roten in S und den schwarzen auch in S") by their own
                // details, where the text names them.
                let namesakes: Vec<&&Value> = self
                    .old
                    .iter()
                    .filter(|o| o[self.name_field] == r[self.name_field])
                    .collect();
                if namesakes.len() > 1 {
                    let own: BTreeSet<String> = self
                        .describe
                        .iter()
                        .flat_map(|f| field_words(r, f))
                        .filter(|w| {
                            !namesakes.iter().any(|o| {
                                !std::ptr::eq(**o, *r)
                                    && self.describe.iter().any(|f| field_words(o, f).contains(w))
                            })
                        })
                        .collect();
                    let at = tokens.iter().position(|t| own.contains(t));
                    if let Some(token_at) = at {
                        // Back to a byte offset in the folded text: the token's first match.
                        let before = tokens[..token_at].len();
                        return folded
                            .match_indices(|c: char| c.is_alphanumeric())
                            .map(|(i, _)| i)
                            .filter(|i| {
                                *i == 0 || !folded[..*i].ends_with(|c: char| c.is_alphanumeric())
                            })
                            .nth(before);
                    }
                }
                let name = r[self.name_field].as_str().map(fold).unwrap_or_default();
                name.split_whitespace()
                    .filter(|w| w.len() > 2)
                    .filter_map(|w| {
                        let stem = w.trim_end_matches('s');
                        folded.find(stem)
                    })
                    .min()
            })
            .collect();
        if self.old.len() < 2 || positions.iter().any(Option::is_none) {
            return vec![text.to_string(); self.old.len()];
        }
        let starts: Vec<usize> = positions.iter().map(|p| p.unwrap_or(0)).collect();
        starts
            .iter()
            .map(|start| {
                let end = starts
                    .iter()
                    .filter(|s| *s > start)
                    .min()
                    .copied()
                    .unwrap_or(folded.len());
                folded.get(*start..end).unwrap_or_default().to_string()
            })
            .collect()
    }

    fn options(&self, record: &Value) -> Vec<(String, String)> {
        self.describe
            .iter()
            .flat_map(|f| match &record[f.as_str()] {
                Value::Object(map) => map
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect::<Vec<_>>(),
                Value::String(s) => vec![(f.clone(), s.clone())],
                _ => Vec::new(),
            })
            .collect()
    }

    fn one(&self, old: &Value, candidates: &[&Value], part: &str) -> Option<Value> {
        let message = text_words(part);
        let positions = token_positions(part);
        let old_options: std::collections::BTreeMap<String, String> =
            self.options(old).into_iter().collect();
        let negated = NEGATING.iter().any(|w| message.contains(*w));
        let mut scored: Vec<(i64, &Value)> = candidates
            .iter()
            .filter(|c| c[self.value] != old[self.value])
            .map(|c| {
                let mut changed_named = 0;
                let mut kept_named = 0;
                let mut kept = 0;
                for (key, value) in self.options(c) {
                    let value_words = value_words(&value);
                    let key_named = words(&key.replace('_', " ")).is_subset(&message);
                    // "waterproof" names `waterproof: yes`; "not waterproof", `no`; "water
                    // resistant", `water resistance: yes`.
                    let named = match flag_named(&positions, &key, &value) {
                        Some(named) => named,
                        None => {
                            (!value_words.is_empty() && value_words.is_subset(&message))
                                || (value.eq_ignore_ascii_case("none") && negated && key_named)
                        }
                    };
                    let same = old_options.get(&key) == Some(&value);
                    match (named, same) {
                        (true, false) => changed_named += 1,
                        (true, true) => kept_named += 1,
                        (false, true) => kept += 1,
                        (false, false) => {}
                    }
                }
                let unavailable = c["available"] == Value::Bool(false);
                let score = if changed_named == 0 {
                    i64::MIN
                } else {
                    changed_named * 100 + kept_named * 10 + kept
                        - if unavailable { 1000 } else { 0 }
                };
                (score, *c)
            })
            .collect();
        scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        match scored.as_slice() {
            [(best, member), rest @ ..]
                if *best > 0 && rest.first().is_none_or(|(second, _)| second < best) =>
            {
                member.get(self.value).cloned()
            }
            _ => None,
        }
    }
}

/// Whether a text reads as nothing but an identification detail list (used to keep
/// free-text answers from swallowing them).
pub fn mentions_any(text: &str, phrases: &[&str]) -> bool {
    Normal::new(text).has_any(phrases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn name(first: &str, last: Option<&str>) -> Option<PersonName> {
        Some(PersonName {
            first: Some(first.into()),
            last: last.map(str::to_string),
        })
    }

    #[test]
    fn names_in_the_forms_customers_write() {
        let yusuf = name("Yusuf", Some("Rossi"));
        assert_eq!(
            person_name("I'm Yusuf Rossi, and my zip code is 19122."),
            yusuf
        );
        assert_eq!(
            person_name("My name is Yusuf Rossi, zip code 19122."),
            yusuf
        );
        assert_eq!(person_name("Yusuf Rossi, zip 19122"), yusuf);
        assert_eq!(person_name("Rossi, Yusuf"), yusuf);
        assert_eq!(person_name("name's yusuf rossi"), yusuf);
        assert_eq!(person_name("hi im yusuf rossi and my zip is 19122"), yusuf);
        assert_eq!(person_name("Ich bin Yusuf Rossi, PLZ 19122"), yusuf);
        assert_eq!(person_name("je m'appelle Yusuf Rossi"), yusuf);
        assert_eq!(
            person_name("Me llamo Yusuf Rossi y mi código postal es 19122"),
            yusuf
        );
        assert_eq!(person_name("Ik ben Yusuf Rossi, postcode 19122"), yusuf);
        assert_eq!(person_name("it's Silva, Yara"), name("Yara", Some("Silva")));
        assert_eq!(
            person_name("Hi, Fatima Johnson here, zip 78712. In my order W8665881 …"),
            name("Fatima", Some("Johnson"))
        );
        assert_eq!(
            person_name("Anna Weber hier, meine PLZ ist 10115"),
            name("Anna", Some("Weber"))
        );
        assert_eq!(
            person_name("It's liam thomas here, my zip code is 20566."),
            name("Liam", Some("Thomas"))
        );
        assert_eq!(
            person_name("My name is yusuf gonzalez and my zip code is 91455."),
            name("Yusuf", Some("Gonzalez"))
        );
        assert_eq!(
            person_name("Thomas, Liam, that's me"),
            name("Liam", Some("Thomas"))
        );
        assert_eq!(
            person_name("Yara Silva 77159 could you change 1355937109 in order #W9810810?"),
            name("Yara", Some("Silva"))
        );
        let isabella = name("Isabella", Some("Johansson"));
        assert_eq!(
            person_name("name's Johansson, Isabella, zip is 32286"),
            isabella
        );
        assert_eq!(
            person_name("It's Johansson, Isabella here my zip cde is 32286 ty"),
            isabella
        );
        assert_eq!(
            person_name("Hi there. Johansson, Isabella, 32286 I want to exchange the boots"),
            isabella
        );
        assert_eq!(
            person_name("soy kovacs, mei, código postal 28236"),
            name("Mei", Some("Kovacs"))
        );
        assert_eq!(
            person_name("I'm Isabella, zip 32286"),
            name("Isabella", None)
        );
        assert_eq!(person_name("tihs is Yusuf Rossi, zip 19122."), yusuf);
        assert_eq!(
            person_name("lucas santos, 80239 my new address is 943 Maple Drive, Chicago, IL 60621"),
            name("Lucas", Some("Santos"))
        );
        assert_eq!(person_name("Me lalmo yusuf li."), name("Yusuf", Some("Li")));
        assert_eq!(
            person_name("Ich bin umgezogen und muss meine Standardadresse ändern."),
            None
        );
        assert_eq!(
            name_answer("yusuf rossi, that's me cheers"),
            Some(vec!["Yusuf".to_string(), "Rossi".to_string()])
        );
        assert_eq!(
            name_answer("Lucas Santos, taht's me"),
            Some(vec!["Lucas".to_string(), "Santos".to_string()])
        );
        assert_eq!(person_name("Order W1 is late, can you check"), None);
        assert_eq!(
            person_name("Laptop, Keyboard and Mouse from order #W1"),
            None
        );
        assert_eq!(person_name("Mechanical Keyboard, the clicky one"), None);
        assert_eq!(person_name("I'm looking to cancel an order"), None);
        assert_eq!(person_name("im looking to cancel an order"), None);
        assert_eq!(
            person_name("Hi! My email is yusuf.rossi7301@example.com. Order #W2378156"),
            None
        );
        assert_eq!(person_name("I want to return the vacuum cleaner"), None);
    }

    #[test]
    fn id_pairs_link_old_to_new() {
        let ten = |t: &str| t.len() == 10 && t.chars().all(|c| c.is_ascii_digit());
        assert_eq!(
            id_pairs(
                "No, that's not right. 8926329222 to 7160999700 and 5312063289 for 6956751343",
                &ten
            ),
            vec![
                ("8926329222".to_string(), "7160999700".to_string()),
                ("5312063289".to_string(), "6956751343".to_string())
            ]
        );
        assert_eq!(
            id_pairs("the wristwatch (item 8886009523), 2407258246 instead", &ten),
            Vec::<(String, String)>::new()
        );
        assert_eq!(
            id_pairs("1111111111 2222222222", &ten),
            Vec::<(String, String)>::new()
        );
    }

    #[test]
    fn the_customers_postal_code_not_the_new_address_one() {
        let five = |t: &str| t.len() == 5 && t.chars().all(|c| c.is_ascii_digit());
        assert_eq!(
            postal_code(
                "ship to 1 Main St, Austin, TX 78701; I'm Ana, zip 19122",
                &five
            )
            .as_deref(),
            Some("19122")
        );
        assert_eq!(
            postal_code(
                "ship to 1 Main St, Austin, TX 78701, I live in 19122",
                &five
            )
            .as_deref(),
            Some("19122")
        );
        assert_eq!(postal_code("19122", &five).as_deref(), Some("19122"));
    }

    #[test]
    fn an_address_in_one_sentence() {
        let a = Address::parse(
            "Please send it to 445 Maple Drive, Suite 394, Fort Worth, TX 76165, USA.",
        );
        assert_eq!(a.address1.as_deref(), Some("445 Maple Drive"));
        assert_eq!(a.address2.as_deref(), Some("Suite 394"));
        assert_eq!(a.city.as_deref(), Some("Fort Worth"));
        assert_eq!(a.state.as_deref(), Some("TX"));
        assert_eq!(a.zip.as_deref(), Some("76165"));
        assert_eq!(a.to_json()["country"], "USA");
        let lines = Address::parse(
            "i'm Noah Ito, zip 98187. order W4219264 should go to\n144 Lakeview Drive\nSuite 925\nNew York, NY 10228\nUSA\ninstead.",
        );
        assert_eq!(lines.address1.as_deref(), Some("144 Lakeview Drive"));
        assert_eq!(lines.address2.as_deref(), Some("Suite 925"));
        assert_eq!(lines.city.as_deref(), Some("New York"));
        assert!(lines.is_complete());
        let b = Address::parse("my new address is 12 Elm Street, Austin TX 78701");
        assert_eq!(b.address1.as_deref(), Some("12 Elm Street"));
        assert_eq!(b.city.as_deref(), Some("Austin"));
        assert!(b.is_complete());
        // A postal code said before, with no comma between it and the address.
        let run_on = Address::parse(
            "mi código postal es 28243 el pedido #W5270061 debería ir a 159 Hickory Lane, Suite 995, Charlotte, NC 28243, USA",
        );
        assert_eq!(run_on.address1.as_deref(), Some("159 Hickory Lane"));
        assert_eq!(run_on.address2.as_deref(), Some("Suite 995"));
        let ordinal = Address::parse("2100 1st Avenue, Apt 301, Seattle, WA 98121, USA");
        assert_eq!(ordinal.address1.as_deref(), Some("2100 1st Avenue"));
        let lower = Address::parse("1200 elm street apt 4, austin tx 78701, usa");
        assert_eq!(lower.state.as_deref(), Some("TX"));
        assert_eq!(lower.address1.as_deref(), Some("1200 elm street"));
        assert_eq!(lower.address2.as_deref(), Some("apt 4"));
        let building = Address::parse("1 Ferry Building, Suite 50, San Francisco, CA 94111, USA");
        assert_eq!(building.address1.as_deref(), Some("1 Ferry Building"));
        assert_eq!(building.address2.as_deref(), Some("Suite 50"));
        assert_eq!(lower.city.as_deref(), Some("austin"));
        let named = Address::parse("12 Elm Street, Austin, Texas 78701");
        assert_eq!(named.state.as_deref(), Some("TX"));
        let dc = Address::parse("565 Maple Drive, Suite 501, Washington, DC 20307, USA");
        assert_eq!(dc.city.as_deref(), Some("Washington"));
        assert_eq!(dc.state.as_deref(), Some("DC"));
        let mut c = Address::parse("445 Maple Drive");
        assert!(!c.is_complete());
        c.parse_part("Fort Worth");
        c.parse_part("TX 76165");
        assert!(c.is_complete());
    }

    #[test]
    fn replacements_by_the_details_that_change() {
        let old = [
            json!({"name": "Mechanical Keyboard", "item_id": "k1", "options": {"switch type": "linear", "backlight": "RGB", "size": "full size"}}),
            json!({"name": "Smart Thermostat", "item_id": "t1", "options": {"compatibility": "Apple HomeKit", "color": "black"}}),
        ];
        let keyboards = [
            json!({"item_id": "k1", "options": {"switch type": "linear", "backlight": "RGB", "size": "full size"}, "available": true}),
            json!({"item_id": "k2", "options": {"switch type": "clicky", "backlight": "RGB", "size": "full size"}, "available": false}),
            json!({"item_id": "k3", "options": {"switch type": "clicky", "backlight": "none", "size": "full size"}, "available": true}),
            json!({"item_id": "k4", "options": {"switch type": "clicky", "backlight": "none", "size": "80%"}, "available": true}),
        ];
        let thermostats = [
            json!({"item_id": "t1", "options": {"compatibility": "Apple HomeKit", "color": "black"}, "available": true}),
            json!({"item_id": "t2", "options": {"compatibility": "Google Assistant", "color": "black"}, "available": true}),
            json!({"item_id": "t3", "options": {"compatibility": "Google Assistant", "color": "white"}, "available": true}),
        ];
        let describe = ["options".to_string()];
        let replacements = Replacements {
            old: old.iter().collect(),
            candidates: vec![keyboards.iter().collect(), thermostats.iter().collect()],
            value: "item_id",
            describe: &describe,
            name_field: "name",
        };
        assert_eq!(
            replacements.choose("my mechanical keyboard, no backlight and clicky switches instead, and the smart thermostat with Google Assistant"),
            Some(vec![json!("k3"), json!("t2")])
        );
        assert_eq!(replacements.choose("something else entirely"), None);
        let old = [
            json!({"name": "Bluetooth Speaker", "item_id": "s1", "options": {"battery life": "10 hours", "color": "blue", "water resistance": "no"}}),
        ];
        let speakers = [
            json!({"item_id": "s1", "options": {"battery life": "10 hours", "color": "blue", "water resistance": "no"}, "available": true}),
            json!({"item_id": "s2", "options": {"battery life": "10 hours", "color": "blue", "water resistance": "yes"}, "available": true}),
            json!({"item_id": "s3", "options": {"battery life": "20 hours", "color": "blue", "water resistance": "no"}, "available": true}),
        ];
        let replacements = Replacements {
            old: old.iter().collect(),
            candidates: vec![speakers.iter().collect()],
            value: "item_id",
            describe: &describe,
            name_field: "name",
        };
        assert_eq!(
            replacements.choose("the speaker for a blue, 10 hours battery, water resistant one"),
            Some(vec![json!("s2")])
        );
        assert_eq!(
            replacements.choose("en bleu, 10 heures d'autonomie, résistante à l'eau"),
            Some(vec![json!("s2")])
        );
        // Namesakes each by their own colour.
        let old = [
            json!({"name": "Cycling Helmet", "item_id": "rm", "options": {"color": "red", "size": "M"}}),
            json!({"name": "Cycling Helmet", "item_id": "bl", "options": {"color": "black", "size": "L"}}),
        ];
        let helmets = [
            json!({"item_id": "rm", "options": {"color": "red", "size": "M"}, "available": true}),
            json!({"item_id": "rs", "options": {"color": "red", "size": "S"}, "available": true}),
            json!({"item_id": "bl", "options": {"color": "black", "size": "L"}, "available": true}),
            json!({"item_id": "bs", "options": {"color": "black", "size": "S"}, "available": true}),
        ];
        let replacements = Replacements {
            old: old.iter().collect(),
            candidates: vec![helmets.iter().collect(), helmets.iter().collect()],
            value: "item_id",
            describe: &describe,
            name_field: "name",
        };
        assert_eq!(
            replacements.choose("den roten in S und den schwarzen auch in S"),
            Some(vec![json!("rs"), json!("bs")])
        );
        assert_eq!(
            replacements.choose("the black one in S, and the red one in S too"),
            Some(vec![json!("rs"), json!("bs")])
        );
        // Numbers count with their unit ("6 hours", not any "… hours").
        let old = [
            json!({"name": "Wireless Earbuds", "item_id": "e1", "options": {"battery life": "4 hours", "color": "blue", "water resistance": "IPX7"}}),
        ];
        let earbuds = [
            json!({"item_id": "e1", "options": {"battery life": "4 hours", "color": "blue", "water resistance": "IPX7"}, "available": true}),
            json!({"item_id": "e2", "options": {"battery life": "6 hours", "color": "blue", "water resistance": "IPX4"}, "available": true}),
            json!({"item_id": "e3", "options": {"battery life": "8 hours", "color": "blue", "water resistance": "IPX4"}, "available": true}),
            json!({"item_id": "e4", "options": {"battery life": "4 hours", "color": "blue", "water resistance": "IPX4"}, "available": true}),
        ];
        let replacements = Replacements {
            old: old.iter().collect(),
            candidates: vec![earbuds.iter().collect()],
            value: "item_id",
            describe: &describe,
            name_field: "name",
        };
        assert_eq!(
            replacements.choose("I'd like to exchange 4 hours IPX7 Wireless Earbuds to one with battery life 6 hours, water resistance IPX4."),
            Some(vec![json!("e2")])
        );
    }

    #[test]
    fn records_by_description() {
        let items = json!([
            {"name": "Vacuum Cleaner", "item_id": "1", "options": {"color": "black"}},
            {"name": "Desk Lamp", "item_id": "2", "options": {"color": "white"}},
            {"name": "Desk Lamp", "item_id": "3", "options": {"color": "black"}},
            {"name": "Headphones", "item_id": "4", "options": {"color": "blue"}}
        ]);
        let describe = ["name".to_string(), "options".to_string()];
        let choices = Choices {
            list: &items,
            value: "item_id",
            describe: &describe,
        };
        assert_eq!(
            choices.many("the vacuum cleaner and the headphones"),
            [json!("1"), json!("4")]
        );
        assert_eq!(choices.many("both lamps"), [json!("2"), json!("3")]);
        assert_eq!(choices.many("the black desk lamp"), [json!("3")]);
        assert_eq!(choices.many("tout, la commande entière").len(), 4);
        // Ids and names mixed; an id picks one of two namesakes.
        let lamps = json!([
            {"name": "Vacuum Cleaner", "item_id": "1001", "options": {"color": "black"}},
            {"name": "Desk Lamp", "item_id": "1002", "options": {"color": "white"}},
            {"name": "Desk Lamp", "item_id": "1003", "options": {"color": "black"}},
            {"name": "Headphones", "item_id": "1004", "options": {"color": "blue"}}
        ]);
        let by_id = Choices {
            list: &lamps,
            value: "item_id",
            describe: &describe,
        };
        assert_eq!(
            by_id.many("devuelvo 1001, y desk lamp (artículo 1003)"),
            [json!("1001"), json!("1003")]
        );
        assert_eq!(
            by_id.many("item 1002 and the headphones"),
            [json!("1002"), json!("1004")]
        );
        // In the order written.
        assert_eq!(by_id.many("1003 1001"), [json!("1003"), json!("1001")]);
        assert_eq!(
            by_id.many("the headphones and the vacuum cleaner"),
            [json!("1004"), json!("1001")]
        );
        let vacuums = json!([
            {"name": "Vacuum Cleaner", "item_id": "a", "options": {"bag": "bagged", "type": "canister"}},
            {"name": "Air Purifier", "item_id": "b", "options": {"type": "ionic"}},
            {"name": "Vacuum Cleaner", "item_id": "c", "options": {"bag": "bagged", "type": "robotic"}}
        ]);
        let choices = Choices {
            list: &vacuums,
            value: "item_id",
            describe: &describe,
        };
        // The new version's details ("canister") do not name the old item.
        assert_eq!(
            choices.many("exchange the robotic vacuum cleaner for the bagless, canister one"),
            [json!("c")]
        );
        assert_eq!(
            choices.many("both vacuum cleaners"),
            [json!("a"), json!("c")]
        );
        let laptops = json!([
            {"name": "Laptop", "item_id": "s", "options": {"color": "silver", "cpu": "i5", "screen": "13-inch"}},
            {"name": "Laptop", "item_id": "b", "options": {"color": "black", "cpu": "i7", "screen": "17-inch"}}
        ]);
        let choices = Choices {
            list: &laptops,
            value: "item_id",
            describe: &describe,
        };
        assert_eq!(
            choices.many("my black laptop for color silver, processor i5 and screen size 13-inch"),
            [json!("b")]
        );
        assert_eq!(choices.many("the laptop in silver"), [json!("s")]);
        let bottle = json!([
            {"name": "Wireless Earbuds", "item_id": "e", "options": {"water resistance": "IPX7"}},
            {"name": "Water Bottle", "item_id": "w", "options": {"color": "blue"}},
            {"name": "Vacuum Cleaner", "item_id": "v", "options": {"color": "red"}}
        ]);
        let choices = Choices {
            list: &bottle,
            value: "item_id",
            describe: &describe,
        };
        assert_eq!(
            choices.many("the earbuds for water resistance IPX4"),
            [json!("e")]
        );
        assert_eq!(
            choices.many("the vacuum and the bottle"),
            [json!("v"), json!("w")]
        );
        let speakers = json!([
            {"name": "Bluetooth Speaker", "item_id": "y", "options": {"color": "blue", "water resistance": "yes"}},
            {"name": "Bluetooth Speaker", "item_id": "n", "options": {"color": "blue", "water resistance": "no"}}
        ]);
        let choices = Choices {
            list: &speakers,
            value: "item_id",
            describe: &describe,
        };
        assert_eq!(
            choices.many("No, the bluetooth speaker without water resistance"),
            [json!("n")]
        );
        assert_eq!(
            choices.many("the water resistance bluetooth speaker"),
            [json!("y")]
        );
        assert_eq!(
            choices.many("both bluetooth speakers"),
            [json!("y"), json!("n")]
        );
        let brushes = json!([
            {"name": "Electric Toothbrush", "item_id": "aa", "options": {"battery type": "AA batteries", "color": "blue", "speed": "high"}},
            {"name": "Electric Kettle", "item_id": "k", "options": {"color": "white"}},
            {"name": "Electric Toothbrush", "item_id": "re", "options": {"battery type": "rechargeable", "color": "black", "speed": "high"}}
        ]);
        let choices = Choices {
            list: &brushes,
            value: "item_id",
            describe: &describe,
        };
        assert_eq!(
            choices.many("my kettle, my rechargeable Electric Toothbrush and my AA batteries Electric Toothbrush"),
            [json!("k"), json!("re"), json!("aa")]
        );
        assert_eq!(choices.many("the blue toothbrush"), [json!("aa")]);
        // Colours in the customer's language.
        let beds = json!([
            {"name": "Pet Bed", "item_id": "g", "options": {"color": "grey", "size": "large"}},
            {"name": "Pet Bed", "item_id": "b", "options": {"color": "beige", "size": "large"}}
        ]);
        let choices = Choices {
            list: &beds,
            value: "item_id",
            describe: &describe,
        };
        assert_eq!(
            choices.many("nur das graue Pet Bed, das beige behalte ich"),
            [json!("g")]
        );
        assert_eq!(choices.many("el Pet Bed gris"), [json!("g")]);
        assert_eq!(choices.many("the grey one"), [json!("g")]);
        assert_eq!(choices.many("one of the pet beds"), Vec::<Value>::new());
        assert_eq!(choices.many("the pet bed"), Vec::<Value>::new());
        assert_eq!(choices.many("the pet beds"), [json!("g"), json!("b")]);
        assert_eq!(choices.many("beide Pet Beds"), [json!("g"), json!("b")]);
        // Details alone pick among namesakes only, and only where they may.
        assert_eq!(choices.many_named("the grey one"), Vec::<Value>::new());
        assert!(choices.touches("the pet bed") && !choices.touches("the grey wristwatch"));
        let mixed = json!([
            {"name": "Water Bottle", "item_id": "w", "options": {"color": "blue"}},
            {"name": "Bookshelf", "item_id": "s", "options": {"color": "black"}}
        ]);
        let choices = Choices {
            list: &mixed,
            value: "item_id",
            describe: &describe,
        };
        assert_eq!(choices.many("the black wristwatch"), Vec::<Value>::new());
        assert_eq!(choices.many("the black bookshelf"), [json!("s")]);
        assert!(!choices.touches("the black wristwatch"));
        let smart = json!([
            {"name": "Smart Watch", "item_id": "w"},
            {"name": "Smart Thermostat", "item_id": "t"}
        ]);
        let describe = ["name".to_string()];
        let choices = Choices {
            list: &smart,
            value: "item_id",
            describe: &describe,
        };
        assert_eq!(choices.many("the smart thermostat"), [json!("t")]);
        assert_eq!(choices.many("the watch"), [json!("w")]);
        let methods = json!({
            "credit_card_1": {"source": "credit_card", "brand": "mastercard", "last_four": "2478", "id": "credit_card_1"},
            "credit_card_2": {"source": "credit_card", "brand": "visa", "last_four": "1111", "id": "credit_card_2"},
            "paypal_3": {"source": "paypal", "id": "paypal_3"},
            "gift_card_4": {"source": "gift_card", "balance": 10, "id": "gift_card_4"}
        });
        let describe = [
            "brand".to_string(),
            "source".to_string(),
            "last_four".to_string(),
        ];
        let choices = Choices {
            list: &methods,
            value: "id",
            describe: &describe,
        };
        assert_eq!(
            choices.one("my Mastercard ending in 2478"),
            Some(json!("credit_card_1"))
        );
        assert_eq!(choices.one("PayPal please"), Some(json!("paypal_3")));
        assert_eq!(choices.one("the gift card"), Some(json!("gift_card_4")));
        assert_eq!(choices.one("my credit card"), None);
        assert_eq!(choices.one("mijn cadeaukaart"), Some(json!("gift_card_4")));
        assert_eq!(
            choices.one("über meine Geschenkkarte"),
            Some(json!("gift_card_4"))
        );
        assert_eq!(choices.one("my PyPal"), Some(json!("paypal_3")));
    }
}

#[cfg(test)]
mod no_panics {
    use super::*;
    use serde_json::json;

    /// Every reader takes any text: multi-byte letters, combining marks, emoji, control
    /// characters, lone punctuation, very long input.
    #[test]
    fn every_reader_takes_any_text() {
        let pieces = [
            "İstanbul",
            "ẞ",
            "ǅ",
            "e\u{301}",
            "y\u{336}es",
            "👍🏽",
            "🙅‍♂️",
            "\u{200b}",
            "\u{202e}",
            "\0",
            "\t",
            "\n",
            "#",
            "#W",
            "12",
            "19122",
            "1151293680",
            "to",
            "for",
            ",",
            ".",
            "…",
            "'",
            "’",
            "-",
            "—",
            "Suite",
            "TX",
            "USA",
            "my name is",
            "I'm",
            "Rossi,",
            "zip",
            "@",
            "a@b.io",
            "(",
            ")",
            "ﬁ",
            "Ⅻ",
            "١٢٣",
            "日本",
            "ا",
            " ",
        ];
        let ten = |t: &str| t.len() == 10 && t.chars().all(|c| c.is_ascii_digit());
        let five = |t: &str| t.len() == 5 && t.chars().all(|c| c.is_ascii_digit());
        let items = json!([{"name": "Lamp", "item_id": "1151293680", "options": {"c": "b"}}]);
        let describe = ["name".to_string(), "options".to_string()];
        let mut seed: u64 = 7;
        for _ in 0..1500 {
            let mut text = String::new();
            for _ in 0..(seed % 9) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
                if seed & 1 == 0 {
                    text.push(' ');
                }
            }
            let _ = person_name(&text);
            let _ = name_answer(&text);
            let _ = postal_code(&text, &five);
            let _ = id_pairs(&text, &ten);
            let mut address = Address::parse(&text);
            address.parse_part(&text);
            let _ = address.to_json();
            let choices = Choices {
                list: &items,
                value: "item_id",
                describe: &describe,
            };
            let _ = choices.one(&text);
            let _ = choices.many(&text);
            for lang in crate::understand::Lang::ALL {
                let _ = crate::understand::consent(&text, lang, Some(&text));
            }
            let _ = crate::extract::words(&text);
            let _ = crate::understand::Lang::detect(&text);
        }
        let long = "yes ".repeat(5000);
        let _ = crate::understand::consent(&long, crate::understand::Lang::En, None);
        let _ = Address::parse(&"1 Main St, ".repeat(500));
        // Found by the held-out customers: ten bytes with a multi-byte letter at the fifth.
        for word in [
            "ausführen",
            "carrément",
            "1 Main St, ausführen",
            "ausführen 12",
        ] {
            assert!(!is_zip(word));
            let _ = Address::parse(word);
        }
    }
}
