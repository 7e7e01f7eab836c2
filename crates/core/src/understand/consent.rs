//! Consent, conservative by construction: a reply is *yes* only when it affirms and every
//! word of it is an affirmation, a courtesy or an echo of the question — and it carries no
//! negation, question, hedge, condition, deferral or change request. *No* is read generously.
//! Everything else is *unclear*, and the engine asks again.

use super::vocab::{self, Vocab};
use super::{Lang, Normal, Vocabulary};

/// How a customer answered a yes/no question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    /// An explicit, unconditional yes.
    Yes,
    /// A refusal.
    No,
    /// Neither: ask again.
    Unclear,
}

/// Emoji read as words before tokenising (a thumbs-up is a yes; a thinking face is a hedge).
const EMOJI: &[(&str, &str)] = &[
    ("\u{1f44d}", " yes "),
    ("\u{1f44c}", " ok "),
    ("\u{2705}", " yes "),
    ("\u{2714}", " yes "),
    ("\u{1f44e}", " no "),
    ("\u{274c}", " no "),
    ("\u{1f6ab}", " no "),
    ("\u{1f914}", " hmm "),
    ("\u{1f937}", " hmm "),
];

/// Reads a reply to a yes/no question. `lang` is the conversation's language (its words are
/// allowed around a yes); the refusal, negation, hedge and condition words of every language
/// count, so a customer who mixes languages is never read as a yes by accident. `question`
/// is what was asked: its words may be echoed in a yes ("yes, cancel #W1000002").
pub fn consent(text: &str, lang: Lang, question: Option<&str>) -> Consent {
    classify(text, lang, question, &Vocabulary::default())
}

pub(super) fn classify(
    text: &str,
    lang: Lang,
    question: Option<&str>,
    custom: &Vocabulary,
) -> Consent {
    let mut text = text.to_string();
    for (emoji, word) in EMOJI {
        text = text.replace(emoji, word);
    }
    // Anything but words, plain punctuation and the emoji above — quotes, brackets, other
    // emoji and emoticons, markup, operators, combining marks, trailing dots — may change what
    // the words mean ("yes 🙄", "!yes", "~~yes~~", "yes...", "[confirmed=true]"): never a yes.
    for (smiley, word) in [
        (":-)", " "),
        (":)", " "),
        ("🙂", " "),
        ("😊", " "),
        ("🙏", " "),
    ] {
        text = text.replace(smiley, word);
    }
    // "!yes", "-yes": a sign in front of a word is an operator, not punctuation.
    let chars: Vec<char> = text.chars().collect();
    let prefixed = chars.iter().enumerate().any(|(i, c)| {
        matches!(c, '!' | '-' | '\u{2013}' | '\u{2014}')
            && (i == 0 || chars[i - 1].is_whitespace())
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
    });
    // A quoted word ("'yes'"), or an English yes spelled with accents ("yés"): not typing.
    let quoted = chars.iter().enumerate().any(|(i, c)| {
        matches!(c, '\'' | '\u{2018}' | '\u{2019}')
            && (i == 0 || chars[i - 1].is_whitespace())
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
    });
    let decorated = text.split_whitespace().any(|w| {
        let lower = w.to_lowercase();
        let folded = super::fold(&lower);
        folded != lower
            && vocab::of(Lang::En)
                .affirm
                .contains(&folded.trim_matches(|c: char| !c.is_alphanumeric()))
    });
    let marked = prefixed
        || quoted
        || decorated
        || text.contains("..")
        || text.contains('\u{2026}')
        || text.chars().any(|c| {
            !(c.is_alphanumeric()
                || c.is_whitespace()
                || matches!(
                    c,
                    '.' | ','
                        | '!'
                        | '?'
                        | '\''
                        | '\u{2019}'
                        | '-'
                        | '\u{2013}'
                        | '\u{2014}'
                        | '¿'
                        | '¡'
                        | '#'
                        | '&'
                ))
                || unicode_mark(c)
        });
    let mut normal = Normal::new(&text);
    if normal.tokens.is_empty() {
        return Consent::Unclear;
    }
    // English "ya" opening a reply is "yeah"; in Spanish it is "already" or "I see" and stays
    // unclear.
    if lang == Lang::En && normal.tokens.first().is_some_and(|t| t == "ya") {
        normal.tokens[0] = "yeah".into();
        normal.joined = format!(" {} ", normal.tokens.join(" "));
    }
    let own = vocab::of(lang);
    let every = Lang::ALL.map(vocab::of);
    let in_any = |pick: fn(&Vocab) -> &'static [&'static str], n: &Normal| {
        every.iter().any(|v| n.has_any(pick(v)))
    };
    // "no problem", "of course": affirming phrases that hold a negation word.
    // Their longer words may slip ("sin problea", "no porblem"); the negation word itself
    // must be written as it is.
    let mut cleaned = normal.clone();
    for v in &every {
        for phrase in v.harmless {
            cleaned.tokens = replace_harmless(&cleaned.tokens, phrase);
        }
    }
    cleaned.joined = format!(" {} ", cleaned.tokens.join(" "));
    soften_dutch_maar(&mut cleaned);
    cleaned.tokens = cleaned
        .joined
        .split_whitespace()
        .map(str::to_string)
        .collect();

    // "Actually, yes, go ahead": a reply may open with "actually" (later, it turns).
    if cleaned.tokens.first().is_some_and(|t| t == "actually") {
        cleaned.tokens.remove(0);
        cleaned.joined = format!(" {} ", cleaned.tokens.join(" "));
    }
    if in_any(|v| v.hedge, &cleaned) {
        return Consent::Unclear;
    }
    let question_asked = cleaned.question_mark || opens_question(&cleaned, &every);
    let refuses = in_any(|v| v.refusal, &cleaned)
        || has_elided_negation(&cleaned)
        || custom.no.iter().any(|p| cleaned.has(p));
    let affirms = affirms(&cleaned, own, &every) || custom.yes.iter().any(|p| cleaned.has(p));
    if refuses && !question_asked {
        // "yes and no", "ok no": a refusal next to a bare yes and nothing else is mixed.
        let only_bare = affirms
            && !in_any(
                |v| v.negation,
                &without(&cleaned, &["no", "nein", "non", "nee"]),
            );
        return if only_bare {
            Consent::Unclear
        } else {
            Consent::No
        };
    }
    if question_asked || in_any(|v| v.condition, &cleaned) || spanish_if(&cleaned) {
        return Consent::Unclear;
    }
    if in_any(|v| v.negation, &cleaned) {
        return Consent::No;
    }
    if affirms && !marked && all_words_allowed(&cleaned, own, question, custom) {
        return Consent::Yes;
    }
    Consent::Unclear
}

/// Dutch "maar" closing an imperative softens it ("doe het maar", "annuleer maar", "stuur het
/// daar maar naartoe"); right after a yes it is "but" ("ja maar …") and stays.
fn soften_dutch_maar(normal: &mut Normal) {
    let tokens: Vec<&str> = normal.joined.split_whitespace().collect();
    let mut kept = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let after_yes = i > 0
            && [Lang::Nl, Lang::En]
                .iter()
                .any(|l| vocab::of(*l).affirm.contains(&tokens[i - 1]));
        let closing = tokens.get(i + 1).is_none_or(|next| {
            matches!(
                *next,
                "hoor" | "door" | "naartoe" | "toe" | "gerust" | "even"
            )
        });
        if *token == "maar" && i > 0 && !after_yes && closing {
            continue;
        }
        kept.push(*token);
    }
    normal.joined = format!(" {} ", kept.join(" "));
}

/// A combining mark (strikethrough, accents added to a letter after it).
fn unicode_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// The text without some words (to look for other negations).
fn without(normal: &Normal, words: &[&str]) -> Normal {
    let tokens: Vec<String> = normal
        .tokens
        .iter()
        .filter(|t| !words.contains(&t.as_str()))
        .cloned()
        .collect();
    Normal {
        joined: format!(" {} ", tokens.join(" ")),
        tokens,
        question_mark: normal.question_mark,
    }
}

/// French elided negation: "n'est", "n'ai", "n'en".
fn has_elided_negation(normal: &Normal) -> bool {
    normal.tokens.iter().any(|t| t.starts_with("n'"))
}

/// Spanish "si" is "yes" at the start of a reply ("si, adelante") and "if" elsewhere
/// ("si puedes…"); French "si" (if) is a condition word of its own.
fn spanish_if(normal: &Normal) -> bool {
    const EMPHATIC: &[&str] = &["si", "que", "pues", "eso", "ahora", "ya", "claro", "bueno"];
    normal
        .tokens
        .iter()
        .enumerate()
        .any(|(i, t)| t == "si" && i > 0 && !EMPHATIC.contains(&normal.tokens[i - 1].as_str()))
}

/// A reply that starts like a question ("is that right", "can you…", "est-ce que…").
fn opens_question(normal: &Normal, every: &[&Vocab; 5]) -> bool {
    let Some(first) = normal.tokens.first() else {
        return false;
    };
    // "do it", "go ahead": imperatives are not questions; an auxiliary followed by a subject is.
    let subjects = [
        "it",
        "that",
        "this",
        "you",
        "i",
        "we",
        "there",
        "he",
        "she",
        "they",
        "es",
        "das",
        "sie",
        "du",
        "ich",
        "het",
        "dat",
        "u",
        "je",
        "jij",
        "ik",
        "il",
        "elle",
        "vous",
        "tu",
        "c'est",
        "eso",
        "esto",
        "usted",
        "me",
        "my",
        "the",
        "everything",
        "all",
    ];
    let auxiliary = [
        "is", "are", "was", "were", "will", "would", "can", "could", "shall", "should", "does",
        "did", "have", "has", "may", "might", "am", "do", "ist", "sind", "kann", "wird", "soll",
        "kun", "kunt", "zal", "zou", "wordt", "heb", "hebt", "heeft", "est", "puedes", "puede",
        "podria", "esta",
    ];
    if auxiliary.contains(&first.as_str()) {
        // "do it" is an order; "do you…" is a question.
        let subjects: &[&str] = if matches!(first.as_str(), "do" | "does" | "did") {
            &["you", "i", "we", "they", "he", "she"]
        } else {
            &subjects
        };
        return normal
            .tokens
            .get(1)
            .is_some_and(|second| subjects.contains(&second.as_str()));
    }
    every.iter().any(|v| {
        v.question_openers
            .iter()
            .filter(|w| !auxiliary.contains(w))
            .any(|w| normal.starts_with(w))
    })
}

/// Whether the reply holds an affirmation of the conversation's language or of English
/// (customers everywhere write "ok" and "yes"), typos forgiven for longer words.
fn affirms(normal: &Normal, own: &Vocab, every: &[&Vocab; 5]) -> bool {
    // A yes-word of any of the five languages affirms ("ja" in an English conversation);
    // the blockers of all five languages apply anyway.
    let _ = own;
    every.iter().any(|v| {
        v.affirm.iter().any(|phrase| {
            normal.has(phrase)
                || (!phrase.contains(' ')
                    && normal
                        .tokens
                        .iter()
                        .any(|t| same_word(t, phrase) || spanish_yes(t, phrase, normal)))
        })
    })
}

fn spanish_yes(token: &str, phrase: &str, normal: &Normal) -> bool {
    phrase == "si" && token == "si" && normal.tokens.first().is_some_and(|f| f == "si")
}

/// A token is the word itself, the word with letters stretched ("yesss", "okkk"), or — for
/// words of five letters or more — the word with one typo (one letter added, dropped,
/// changed or two swapped).
pub(super) fn same_word(token: &str, word: &str) -> bool {
    if token == word {
        return true;
    }
    // Only the last letter may be stretched ("yesss", "jaaa"); "suuure" and "riiight" are
    // tone, not typing.
    let trailing = token.trim_end_matches(|c| token.ends_with(c));
    if !trailing.is_empty() && trailing.len() < token.len() && {
        let last = token.chars().last().unwrap_or(' ');
        format!("{trailing}{last}") == word || format!("{trailing}{last}{last}") == word
    } {
        return true;
    }
    word.chars().count() >= 6 && !known_word(token) && one_edit_apart(token, word)
}

/// A word some vocabulary lists as it is ("hallo" is a greeting, not a typo of "hazlo").
fn known_word(token: &str) -> bool {
    Lang::ALL.iter().any(|l| {
        let v = vocab::of(*l);
        [
            v.markers,
            v.affirm,
            v.filler,
            v.negation,
            v.refusal,
            v.hedge,
            v.condition,
        ]
        .iter()
        .any(|list| list.contains(&token))
    })
}

/// The tokens with every occurrence of a harmless phrase ("no problem") replaced by "ok"; a
/// word of five letters or more may have slipped.
fn replace_harmless(tokens: &[String], phrase: &str) -> Vec<String> {
    let words: Vec<&str> = phrase.split(' ').collect();
    let fits = |token: &str, word: &str| {
        token == word || (word.chars().count() >= 5 && slip_of(token, word))
    };
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let here = &tokens[i..];
        if here.len() >= words.len() && words.iter().zip(here).all(|(w, t)| fits(t, w)) {
            out.push("ok".to_string());
            i += words.len();
        } else {
            out.push(tokens[i].clone());
            i += 1;
        }
    }
    out
}

/// A slip of the fingers on `word`: one letter dropped ("god") or two neighbours swapped
/// ("colo", "ahaed") — not a letter changed or added, which makes other words ("skip", "hour").
pub(super) fn slip_of(token: &str, word: &str) -> bool {
    let (t, w): (Vec<char>, Vec<char>) = (token.chars().collect(), word.chars().collect());
    if t.len() + 1 == w.len() {
        return (0..w.len()).any(|i| w[..i] == t[..i] && w[i + 1..] == t[i..]);
    }
    t.len() == w.len()
        && (0..w.len().saturating_sub(1)).any(|i| {
            t[i] == w[i + 1] && t[i + 1] == w[i] && t[..i] == w[..i] && t[i + 2..] == w[i + 2..]
        })
}

/// Damerau–Levenshtein distance of exactly one.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a == b || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Equal => {
            ra[1..] == rb[1..]
                || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        std::cmp::Ordering::Greater => ra[1..] == *rb,
        std::cmp::Ordering::Less => *ra == rb[1..],
    }
}

/// Every word is an affirmation, a courtesy, or an echo of what was asked.
fn all_words_allowed(
    normal: &Normal,
    own: &Vocab,
    question: Option<&str>,
    custom: &Vocabulary,
) -> bool {
    let english = vocab::of(Lang::En);
    let echo = question.map(Normal::new);
    let every = Lang::ALL.map(vocab::of);
    let allowed_word = |token: &str| {
        let listed = |list: &[&str]| list.iter().any(|w| !w.contains(' ') && same_word(token, w));
        listed(own.affirm)
            || listed(own.filler)
            || every.iter().any(|v| listed(v.affirm) || listed(v.filler))
            || echo
                .as_ref()
                .is_some_and(|q| q.tokens.iter().any(|w| w == token))
    };
    // Words inside an affirming phrase ("de acuerdo", "ga je gang") are allowed as a whole.
    let mut covered = vec![false; normal.tokens.len()];
    let custom_yes = custom.yes.iter().map(String::as_str);
    for phrase in own
        .affirm
        .iter()
        .copied()
        .chain(english.affirm.iter().copied())
        .chain(custom_yes)
    {
        let words: Vec<&str> = phrase.split(' ').collect();
        if words.len() < 2 && !custom.yes.iter().any(|c| c == phrase) {
            continue;
        }
        for start in 0..normal.tokens.len() {
            if normal.tokens[start..]
                .iter()
                .take(words.len())
                .map(String::as_str)
                .eq(words.iter().copied())
            {
                covered[start..start + words.len()].fill(true);
            }
        }
    }
    // Next to a yes written plainly, a courtesy word with one typo ("go ahaed", "yes plase")
    // is still a courtesy — unless it is a word of its own or one
    // typo from a word that blocks (a negation, refusal, hedge, condition or question word).
    let plain_yes = normal.tokens.iter().any(|t| {
        every.iter().any(|v| {
            v.affirm
                .iter()
                .any(|w| !w.contains(' ') && (t == w || same_word(t, w)))
        })
    });
    let blocks = |token: &str| {
        every.iter().any(|v| {
            [
                v.negation,
                v.refusal,
                v.hedge,
                v.condition,
                v.question_openers,
            ]
            .iter()
            .flat_map(|list| list.iter())
            .filter(|w| !w.contains(' '))
            .any(|w| {
                *w == token
                    || slip_of(token, w)
                    || (token.chars().count() >= 5 && one_edit_apart(token, w))
            })
        })
    };
    let typo_of_courtesy = |token: &str| {
        plain_yes
            && token.chars().count() >= 4
            && token.chars().all(char::is_alphabetic)
            && !known_word(token)
            && !blocks(token)
            && every.iter().any(|v| {
                v.affirm
                    .iter()
                    .chain(v.filler)
                    .flat_map(|phrase| phrase.split(' '))
                    .any(|w| w.chars().count() >= 4 && slip_of(token, w))
            })
    };
    normal
        .tokens
        .iter()
        .zip(&covered)
        .all(|(token, covered)| *covered || allowed_word(token) || typo_of_courtesy(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(lang: Lang, expect: Consent, replies: &[&str]) {
        for reply in replies {
            assert_eq!(consent(reply, lang, None), expect, "{lang:?} {reply:?}");
        }
    }

    #[test]
    fn the_replies_that_once_wrote_are_never_a_yes() {
        check(
            Lang::En,
            Consent::No,
            &[
                "absolutely not",
                "not correct",
                "that's not right",
                "I never said yes",
                "I won't confirm anything.",
                "I can't confirm that.",
                "No, hold on.",
            ],
        );
        check(
            Lang::En,
            Consent::Unclear,
            &[
                "I'm not sure",
                "is that right?",
                "are you sure?",
                "quite",
                "maybe",
            ],
        );
    }

    #[test]
    fn a_typo_in_a_courtesy_next_to_a_plain_yes() {
        check(
            Lang::En,
            Consent::Yes,
            &[
                "yes go ahaed thx!",
                "yes plase",
                "sure, thnaks",
                "ya go ahead",
                "ya go aehad",
                "ok colo do it",
            ],
        );
        // One typo from a word that blocks, or no plain yes: never a yes.
        check(
            Lang::En,
            Consent::Unclear,
            &["yes bit", "sounds god", "ok mabye", "ok fi you can"],
        );
        // A slip in the long word of an affirming phrase that holds a negation word.
        check(
            Lang::Es,
            Consent::Yes,
            &["va, sin problea", "va sin prbolema", "sí, sin prolbema"],
        );
        check(Lang::En, Consent::Yes, &["ok no porblem"]);
        // The negation word itself must be written as it is, and a refusal next to the
        // phrase is never a yes.
        check(Lang::En, Consent::Unclear, &["ok noo problem"]);
        assert_ne!(
            consent("sin problea, pero no lo haga", Lang::Es, None),
            Consent::Yes
        );
    }

    #[test]
    fn clear_yeses_in_five_languages() {
        check(
            Lang::En,
            Consent::Yes,
            &[
                "yes",
                "Yes please",
                "sure, go ahead",
                "yesss",
                "Actually, yes, go ahead.",
                "👍",
            ],
        );
        check(
            Lang::De,
            Consent::Yes,
            &["Ja, bitte", "passt schon", "klar, mach das"],
        );
        check(
            Lang::Fr,
            Consent::Yes,
            &["oui", "d'accord, allez-y", "Oui, merci"],
        );
        check(
            Lang::Es,
            Consent::Yes,
            &["sí, adelante", "si claro", "vale"],
        );
        check(
            Lang::Nl,
            Consent::Yes,
            &["ja hoor", "doe maar", "prima, ga je gang"],
        );
    }

    #[test]
    fn conditions_questions_and_changes_are_unclear() {
        check(
            Lang::En,
            Consent::Unclear,
            &[
                "yes but first tell me the refund",
                "ok if it's free",
                "yes, to my other card",
            ],
        );
        check(Lang::Es, Consent::Unclear, &["si puedes hacerlo mañana"]);
        check(Lang::Fr, Consent::Unclear, &["oui, si c'est possible"]);
        check(Lang::Nl, Consent::Unclear, &["ja maar eerst de prijs"]);
    }

    #[test]
    fn company_words_extend_the_vocabulary_but_never_pass_the_checks() {
        let custom = Vocabulary::new(
            &["make it happen".into(), "jawoll".into()],
            &["hard pass".into()],
            &["scrap that".into()],
            &[],
            &[],
        );
        assert_eq!(
            custom.consent("make it happen", Lang::En, None),
            Consent::Yes
        );
        assert_eq!(custom.consent("Jawoll!", Lang::De, None), Consent::Yes);
        assert_eq!(
            custom.consent("make it happen?", Lang::En, None),
            Consent::Unclear
        );
        assert_eq!(
            custom.consent("don't make it happen", Lang::En, None),
            Consent::No
        );
        assert_eq!(
            custom.consent("maybe make it happen", Lang::En, None),
            Consent::Unclear
        );
        assert_eq!(custom.consent("hard pass", Lang::En, None), Consent::No);
        assert!(custom.is_cancel("ugh, scrap that"));
        assert_eq!(consent("make it happen", Lang::En, None), Consent::Unclear);
    }

    #[test]
    fn tone_markers_modal_forms_and_wider_scope_are_never_a_yes() {
        // Found by a black-box attack on the demo (each of these once wrote).
        for reply in [
            "yes 🙄",
            "yes 🙅",
            "yes :(",
            "yes...",
            "ok…",
            "\"yes\"",
            "[confirmed=true]",
            "/confirm",
            "!yes",
            "~~yes~~",
            "ye\u{336}s",
            "yes lol",
            "suuure",
            "riiight",
            "I'd confirm",
            "I'll confirm",
            "I will confirm",
            "I could confirm",
            "I'd agree",
            "Yes. Actually, I love it.",
            "yes, then again",
            "yes, oh well",
            "yes everything",
            "yes, cancel all my orders",
            "yes both",
            "yes, send me a new one",
            "yes, cancel the cancellation",
            "Please cancel order W1000002, I ordered by mistake",
        ] {
            assert_ne!(
                consent(
                    reply,
                    Lang::En,
                    Some("Cancel order W1000002 (Desk lamp) because \"ordered by mistake\"?")
                ),
                Consent::Yes,
                "{reply:?}"
            );
        }
        for (lang, reply) in [
            (Lang::De, "ich bestätige dann"),
            (Lang::De, "ja, gleich"),
            (Lang::De, "ja, alle"),
            (Lang::De, "na ja"),
            (Lang::Es, "qué va"),
            (Lang::Es, "venga ya"),
            (Lang::Es, "ya"),
            (Lang::Nl, "ja dag"),
            (Lang::Nl, "nou ja"),
            (Lang::Fr, "ouais ouais"),
        ] {
            assert_ne!(
                consent(reply, lang, None),
                Consent::Yes,
                "{lang:?} {reply:?}"
            );
        }
        // A clear yes of another language still counts.
        assert_eq!(consent("ja", Lang::En, None), Consent::Yes);
        assert_eq!(consent("oui", Lang::En, None), Consent::Yes);
    }

    #[test]
    fn echoing_the_question_is_still_a_yes_but_other_values_are_not() {
        let question = "Cancel order #W1000002 because \"ordered by mistake\"?";
        assert_eq!(
            consent("yes, cancel #W1000002", Lang::En, Some(question)),
            Consent::Yes
        );
        assert_eq!(
            consent("yes, cancel #W1000003", Lang::En, Some(question)),
            Consent::Unclear
        );
    }

    #[test]
    fn a_yes_next_to_any_negation_refusal_hedge_or_condition_is_never_a_yes() {
        for lang in Lang::ALL {
            let v = vocab::of(lang);
            let blockers = v
                .negation
                .iter()
                .chain(v.refusal)
                .chain(v.hedge)
                .chain(v.condition);
            for blocker in blockers {
                for yes in ["yes", "ok", v.affirm[0]] {
                    // A reply may open with "actually" ("Actually, yes, go ahead").
                    let opening = (*blocker != "actually").then(|| format!("{blocker}, {yes}"));
                    for reply in [Some(format!("{yes} {blocker}")), opening]
                        .into_iter()
                        .flatten()
                    {
                        assert_ne!(
                            consent(&reply, lang, None),
                            Consent::Yes,
                            "{lang:?}: {reply:?}"
                        );
                    }
                }
            }
        }
    }
}
