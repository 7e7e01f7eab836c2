//! Understanding what customers write, deterministically and in five languages (English,
//! German, French, Spanish, Dutch): whether a reply consents (conservatively), abandons what is
//! in progress, corrects an earlier detail or asks for a person; which language the customer
//! writes; and the engine's own fixed phrases in that language.
//!
//! Everything here matches whole words and whole phrases of a normalised text (lower case,
//! accents folded, apostrophes unified), never substrings, so "quite" never reads as "quit".

mod concepts;
mod consent;
mod phrases;
#[cfg(test)]
mod properties;
pub mod values;
mod vocab;

pub use concepts::canonical_tokens;
pub use consent::{Consent, consent};

/// A slip of the fingers on a word of five letters or more: one letter dropped or two
/// neighbours swapped ("cancle", "retrun", "exchang").
pub fn slip(token: &str, word: &str) -> bool {
    word.chars().count() >= 5 && consent::slip_of(token, word)
}
pub use phrases::{Conjunction, Phrase, join_words, phrase};

use serde::{Deserialize, Serialize};

/// A language the engine understands and answers in.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Dutch.
    Nl,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 5] = [Lang::En, Lang::De, Lang::Fr, Lang::Es, Lang::Nl];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Nl => "nl",
        }
    }

    /// The language for an ISO 639-1 code (`de`, `DE`, `de-AT`).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The language a text is most likely written in, when its words say so clearly enough
    /// (two function words more than any other language); `None` for short or mixed texts.
    pub fn detect(text: &str) -> Option<Lang> {
        let normal = Normal::new(text);
        let mut scores: Vec<(Lang, usize)> = Lang::ALL
            .into_iter()
            .map(|lang| {
                let markers = vocab::of(lang).markers;
                let hits = normal
                    .tokens
                    .iter()
                    .filter(|t| markers.contains(&t.as_str()))
                    .count();
                (lang, hits)
            })
            .collect();
        scores.sort_by_key(|s| std::cmp::Reverse(s.1));
        let (best, best_hits) = scores[0];
        let runner_up = scores[1].1;
        (best_hits >= 1 && best_hits > runner_up).then_some(best)
    }

    /// The language of a conversation: its customer messages taken together, the most recent
    /// weighing most; English when nothing is clear.
    pub fn of_conversation<'a>(messages: impl DoubleEndedIterator<Item = &'a str>) -> Lang {
        let recent: Vec<&str> = messages.rev().take(4).collect();
        let joined = recent.join(" ");
        Lang::detect(&joined)
            .or_else(|| recent.iter().find_map(|m| Lang::detect(m)))
            .unwrap_or_default()
    }
}

/// A text normalised for matching: lower case, accents folded, typographic apostrophes
/// unified, split into word tokens; `joined` is the tokens with a space on either side of
/// each, so a phrase matches only as whole words (`joined.contains(" go ahead ")`).
#[derive(Debug, Clone)]
pub struct Normal {
    /// The word tokens.
    pub tokens: Vec<String>,
    /// ` token token … ` for phrase matching.
    pub joined: String,
    /// The text held a question mark.
    pub question_mark: bool,
}

/// Folds the accents of Latin letters (é → e, ß → ss) so that customers who type without
/// accents are read the same.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '\u{2019}' | '\u{2018}' | '\u{b4}' | '`' => out.push('\''),
            other => out.push(other),
        }
    }
    out
}

impl Normal {
    /// Normalises a text.
    pub fn new(text: &str) -> Normal {
        let folded = fold(text);
        let question_mark = folded.contains('?') || folded.contains('¿');
        let tokens: Vec<String> = folded
            .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
            .map(|t| t.trim_matches(|c| c == '\'' || c == '-'))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        let joined = format!(" {} ", tokens.join(" "));
        Normal {
            tokens,
            joined,
            question_mark,
        }
    }

    /// Whether the text holds this phrase (one or more whole words).
    pub fn has(&self, phrase: &str) -> bool {
        self.joined.contains(&format!(" {phrase} "))
    }

    /// Whether the text holds any of these phrases.
    pub fn has_any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.has(p))
    }

    /// Whether the text starts with this phrase.
    pub fn starts_with(&self, phrase: &str) -> bool {
        self.joined.starts_with(&format!(" {phrase} "))
    }
}

/// Words and phrases a company adds to the built-in vocabularies (`agent.vocabulary` in the
/// config), in any language. Added yes-phrases still pass every check a built-in one does:
/// a negation, question, hedge or condition next to them is never a yes.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    /// More ways to say yes.
    pub yes: Vec<String>,
    /// More ways to say no.
    pub no: Vec<String>,
    /// More ways to abandon what is in progress.
    pub cancel: Vec<String>,
    /// More ways to correct a detail.
    pub correction: Vec<String>,
    /// More ways to ask for a person.
    pub person: Vec<String>,
}

fn folded_phrases(phrases: &[String]) -> Vec<String> {
    phrases
        .iter()
        .map(|p| Normal::new(p).tokens.join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

impl Vocabulary {
    /// A vocabulary from the config's lists (folded like every text the engine reads).
    pub fn new(
        yes: &[String],
        no: &[String],
        cancel: &[String],
        correction: &[String],
        person: &[String],
    ) -> Self {
        Self {
            yes: folded_phrases(yes),
            no: folded_phrases(no),
            cancel: folded_phrases(cancel),
            correction: folded_phrases(correction),
            person: folded_phrases(person),
        }
    }

    /// [`consent`] with these additions.
    pub fn consent(&self, text: &str, lang: Lang, question: Option<&str>) -> Consent {
        consent::classify(text, lang, question, self)
    }

    /// [`is_cancel`] with these additions.
    pub fn is_cancel(&self, text: &str) -> bool {
        let normal = Normal::new(text);
        any_language(&normal, |v| v.cancel) || self.cancel.iter().any(|p| normal.has(p))
    }

    /// [`is_correction`] with these additions.
    pub fn is_correction(&self, text: &str) -> bool {
        let normal = Normal::new(text);
        any_language(&normal, |v| v.correction) || self.correction.iter().any(|p| normal.has(p))
    }

    /// [`asks_for_person`] with these additions.
    pub fn asks_for_person(&self, text: &str) -> bool {
        let normal = Normal::new(text);
        any_language(&normal, |v| v.person) || self.person.iter().any(|p| normal.has(p))
    }
}

/// The phrases of one kind in every language (a customer may switch language mid-sentence,
/// and these kinds do not collide across the five languages).
fn any_language(text: &Normal, pick: fn(&vocab::Vocab) -> &'static [&'static str]) -> bool {
    Lang::ALL
        .into_iter()
        .any(|lang| text.has_any(pick(vocab::of(lang))))
}

/// Whether the message abandons what is in progress ("never mind", "forget it", "laat maar").
pub fn is_cancel(text: &str) -> bool {
    let normal = Normal::new(text);
    any_language(&normal, |v| v.cancel)
}

/// Whether the message corrects a detail given earlier ("actually it's #W2", "ich meinte …").
pub fn is_correction(text: &str) -> bool {
    let normal = Normal::new(text);
    any_language(&normal, |v| v.correction)
}

/// Whether the customer says they act for someone else ("this is for my friend", "on behalf
/// of my mother"): identification by name and code would let anyone act on another's account.
pub fn for_someone_else(text: &str) -> bool {
    const CUES: &[&str] = &[
        "for my friend",
        "for a friend",
        "my friend's",
        "on behalf of",
        "for someone else",
        "not my account",
        "isn't my account",
        "is not my account",
        "for my wife",
        "for my husband",
        "for my mother",
        "for my mom",
        "for my father",
        "for my dad",
        "for my boss",
        "fur meinen freund",
        "fur meine freundin",
        "im namen von",
        "nicht mein konto",
        "pour mon ami",
        "pour mon amie",
        "au nom de",
        "pas mon compte",
        "para mi amigo",
        "para mi amiga",
        "en nombre de",
        "no es mi cuenta",
        "voor mijn vriend",
        "voor mijn vriendin",
        "namens",
        "niet mijn account",
    ];
    Normal::new(text).has_any(CUES)
}

/// Whether the message asks for a person ("can I talk to a human", "einen Mitarbeiter bitte").
pub fn asks_for_person(text: &str) -> bool {
    let normal = Normal::new(text);
    any_language(&normal, |v| v.person)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_and_correction_match_whole_phrases_only() {
        for cancel in [
            "Never mind, forget it",
            "forget it",
            "ach, vergiss es",
            "laissez tomber",
            "olvídalo",
            "laat maar",
            "I changed my mind",
        ] {
            assert!(is_cancel(cancel), "{cancel}");
        }
        for not_cancel in [
            "cancel my order",
            "that's quite right",
            "I'd like to stop by the store",
            "the order is unforgettable",
        ] {
            assert!(!is_cancel(not_cancel), "{not_cancel}");
        }
        assert!(is_correction("actually it's #W1000001"));
        assert!(is_correction("Entschuldigung, ich meinte #W1000001"));
        assert!(is_correction("en fait c'est la commande W1000001"));
        assert!(!is_correction("W1000001"));
        assert!(!is_correction("factually correct"));
    }

    #[test]
    fn languages_are_detected_from_function_words() {
        assert_eq!(
            Lang::detect("Ich möchte meine Bestellung stornieren"),
            Some(Lang::De)
        );
        assert_eq!(
            Lang::detect("Je voudrais annuler ma commande"),
            Some(Lang::Fr)
        );
        assert_eq!(Lang::detect("Quiero cancelar mi pedido"), Some(Lang::Es));
        assert_eq!(
            Lang::detect("Ik wil mijn bestelling annuleren"),
            Some(Lang::Nl)
        );
        assert_eq!(Lang::detect("I want to cancel my order"), Some(Lang::En));
        assert_eq!(Lang::detect("#W1000001"), None);
    }

    #[test]
    fn a_person_is_asked_for_in_every_language() {
        for ask in [
            "can I talk to a human?",
            "I want to speak to a real person",
            "einen Mitarbeiter bitte",
            "je veux parler à un conseiller",
            "quiero hablar con una persona",
            "mag ik een medewerker spreken",
        ] {
            assert!(asks_for_person(ask), "{ask}");
        }
        assert!(!asks_for_person("the person who ordered it is my wife"));
    }
}
