//! Properties of the recognisers that any customer's message exercises: they take any text
//! without panicking, find a value wherever it sits in a message, never read a refusal as a
//! yes, and do not care about case, spacing or a closing mark. Case counts are proptest's
//! default (256); `PROPTEST_CASES` raises them.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::json;

use super::values::{self, Address, Choices};
use super::{Consent, Lang, consent};
use crate::extract::extract;

/// Pieces a customer's message is made of, the awkward ones included: combining marks,
/// right-to-left text and overrides, zero-width and control characters, NUL, emoji with
/// modifiers, ligatures, other scripts' digits, and the words the recognisers look for.
const PIECES: &[&str] = &[
    "yes",
    "no",
    "not",
    "don't",
    "ok",
    "please",
    "go ahead",
    "#W1234567",
    "W1234567",
    "19122",
    "a@b.io",
    "my name is",
    "I'm",
    "zip",
    "to",
    "for",
    "e\u{301}",
    "y\u{336}es",
    "\u{202e}",
    "\u{200f}",
    "\u{200b}",
    "\0",
    "\u{7f}",
    "\r\n",
    "\t",
    "👍",
    "👍🏽",
    "🙅‍♂️",
    "ﬁ",
    "İ",
    "ẞ",
    "١٢٣٤٥",
    "مرحبا",
    "שלום",
    "日本",
    "…",
    "’",
    "\"",
    "?",
    "!",
    ".",
    ",",
    "(",
    ")",
    "@",
    "-",
];

/// `PROPTEST_CASES` if set, otherwise `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

/// Any text: arbitrary Unicode mixed with the pieces above, up to a few hundred characters.
fn message() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<String>(),
        proptest::sample::select(PIECES).prop_map(str::to_string),
        "\\PC{0,12}",
    ];
    proptest::collection::vec((piece, any::<bool>()), 0..24).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(p, space)| if space { format!("{p} ") } else { p })
            .collect()
    })
}

/// Filler a customer puts around a value: words of any script and punctuation, but no ASCII
/// digit and no `@` or `#`, so the only value in the message is the one placed there.
fn filler() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-zA-Z]{1,10}",
            "[a-zA-Z]{1,8}[,.!?]",
            proptest::sample::select(
                &[
                    "please",
                    "my",
                    "is",
                    "order",
                    "thanks",
                    "hi",
                    "the",
                    "email",
                    "à",
                    "ñ",
                    "日本",
                    "مرحبا",
                    "e\u{301}",
                    "👍",
                    "—",
                    "…",
                    "(",
                    ")",
                    "zip",
                    "code",
                    "to",
                ][..]
            )
            .prop_map(str::to_string),
        ],
        0..12,
    )
    .prop_map(|words| words.join(" "))
}

/// A question as the engine asks it; the echo check compares the reply with it.
const QUESTION: &str = "Cancel order #W2378156 because \"ordered by mistake\"? Shall I go ahead?";

fn every_reader(text: &str, question: &str) {
    let ten = |t: &str| t.len() == 10 && t.chars().all(|c| c.is_ascii_digit());
    let five = |t: &str| t.len() == 5 && t.chars().all(|c| c.is_ascii_digit());
    let _ = values::person_name(text);
    let _ = values::name_answer(text);
    let _ = values::postal_code(text, &five);
    let _ = values::id_pairs(text, &ten);
    let mut address = Address::parse(text);
    address.parse_part(text);
    let _ = address.to_json();
    let items = json!([{"name": "Lamp", "item_id": "1151293680", "options": {"c": "b"}}]);
    let describe = ["name".to_string(), "options".to_string()];
    let choices = Choices {
        list: &items,
        value: "item_id",
        describe: &describe,
    };
    let _ = choices.one(text);
    let _ = choices.many(text);
    for lang in Lang::ALL {
        let _ = consent(text, lang, Some(question));
        let _ = consent(text, lang, None);
    }
    let _ = super::is_cancel(text);
    let _ = super::is_correction(text);
    let _ = super::asks_for_person(text);
    let _ = super::for_someone_else(text);
    let _ = Lang::detect(text);
    let _ = crate::extract::words(text);
    let _ = crate::extract::find_date(text);
    for property in [
        json!({"type": "string", "format": "email"}),
        json!({"type": "string", "pattern": "^#W\\d{7}$"}),
        json!({"type": "integer"}),
        json!({"type": "number"}),
        json!({"type": "boolean"}),
        json!({"type": "string", "format": "date"}),
        json!({"type": "string", "enum": ["ordered by mistake", "no longer needed"]}),
        json!({"type": "array", "items": {"type": "string", "pattern": "^\\d{10}$"}}),
    ] {
        let _ = extract(&property, text, true, &mut BTreeSet::new());
    }
}

/// Replies the corpus labels as a clear yes or a clear no (English and the other languages).
fn corpus(label: &str) -> Vec<(Lang, String)> {
    include_str!("../../tests/data/consent.tsv")
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (fields.get(1) == Some(&label)).then(|| {
                (
                    Lang::from_code(fields[0]).expect("a known language"),
                    fields[3].to_string(),
                )
            })
        })
        .collect()
}

/// Clear refusals a customer wraps in other words ("hmm, absolutely not, thanks").
const REFUSALS: &[&str] = &[
    "no",
    "No",
    "absolutely not",
    "don't",
    "do not",
    "not",
    "never",
    "nope",
    "no way",
    "I don't want that",
    "please don't",
    "stop",
    "nein",
    "non",
    "nee",
    "niet doen",
    "no gracias",
    "auf keinen Fall",
];

/// Words that could make a yes look stronger, placed around a refusal.
const AFFIRMING_FILLER: &[&str] = &[
    "yes",
    "yes!",
    "ok",
    "okay",
    "sure",
    "please",
    "go ahead",
    "confirm",
    "correct",
    "right",
    "thanks",
    "ja",
    "oui",
    "sí",
    "absolutely",
    "definitely",
    "👍",
    "✅",
    ",",
    ".",
    "!",
];

proptest! {
    // Every reader over 4,000 characters takes about a second in a debug build: fewer cases
    // here (the fuzz target covers long messages at speed).
    #![proptest_config(ProptestConfig::with_cases(cases(16)))]

    /// Up to the server's message limit (4,000 characters) of one piece repeated.
    #[test]
    fn long_repetitive_text_is_read_without_panicking(
        piece in proptest::sample::select(PIECES),
        chars in 1usize..4000,
    ) {
        let unit = format!("{piece} ");
        let text = unit.repeat(chars / unit.chars().count() + 1);
        every_reader(&text, QUESTION);
    }

}

proptest! {
    #[test]
    fn any_text_is_read_without_panicking(text in message()) {
        every_reader(&text, QUESTION);
        // The question is the engine's own text; a reply echoing any of it is still read.
        every_reader(&text, &text);
    }

    #[test]
    fn an_email_anywhere_in_a_message_is_found_exactly(
        before in filler(),
        after in filler(),
        email in "[a-zA-Z0-9][a-zA-Z0-9_%+-]{0,12}(\\.[a-zA-Z0-9]{1,6})?@[a-zA-Z0-9]{1,10}(\\.[a-zA-Z0-9]{1,8})?\\.[a-zA-Z]{2,6}",
        open in proptest::sample::select(&["", "(", "<", "\""][..]),
        close in proptest::sample::select(&["", ")", ">", ".", ",", "!", "?", "\""][..]),
    ) {
        let text = format!("{before} {open}{email}{close} {after}");
        let mut taken = BTreeSet::new();
        let found = extract(&json!({"type": "string", "format": "email"}), &text, false, &mut taken);
        prop_assert_eq!(found, Some(json!(email)), "{:?}", text);
    }

    #[test]
    fn an_order_id_anywhere_in_a_message_is_found_exactly(
        before in filler(),
        after in filler(),
        digits in "[0-9]{7}",
        written in proptest::sample::select(&["#W", "#w", "W", "w", ""][..]),
        open in proptest::sample::select(&["", "(", "\""][..]),
        close in proptest::sample::select(&["", ")", ".", ",", "!", "?", "\"", ":"][..]),
    ) {
        let text = format!("{before} {open}{written}{digits}{close} {after}");
        let mut taken = BTreeSet::new();
        let property = json!({"type": "string", "pattern": "^#W\\d{7}$"});
        let found = extract(&property, &text, false, &mut taken);
        prop_assert_eq!(found, Some(json!(format!("#W{digits}"))), "{:?}", text);
    }

    /// What the recogniser takes for a pattern is what the tool's JSON Schema accepts: the
    /// schema's `\d` is ECMA-262's `[0-9]`, so no other script's digits may get through.
    #[test]
    fn a_value_taken_for_a_pattern_satisfies_the_schema(
        text in message(),
        pattern in proptest::sample::select(&["^#W\\d{7}$", "^\\d{5}$", "^[A-Z]{2}\\d{3}$", "^\\w{4}$"][..]),
    ) {
        let property = json!({"type": "string", "pattern": pattern});
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&property)
            .expect("a valid schema");
        if let Some(value) = extract(&property, &text, false, &mut BTreeSet::new()) {
            prop_assert!(validator.is_valid(&value), "{:?} from {:?}", value, text);
        }
    }

    #[test]
    fn a_zip_code_anywhere_in_a_message_is_found_exactly(
        before in filler(),
        after in filler(),
        zip in "[0-9]{5}",
        close in proptest::sample::select(&["", ".", ",", "!", "?", ")"][..]),
    ) {
        let text = format!("{before} {zip}{close} {after}");
        let five = |t: &str| t.len() == 5 && t.chars().all(|c| c.is_ascii_digit());
        prop_assert_eq!(values::postal_code(&text, &five), Some(zip), "{:?}", text);
    }

    #[test]
    fn an_amount_anywhere_in_a_message_is_found_exactly(
        before in filler(),
        after in filler(),
        cents in 0u64..10_000_000,
    ) {
        let amount = format!("{}.{:02}", cents / 100, cents % 100);
        let text = format!("{before} {amount} {after}");
        let found = extract(&json!({"type": "number"}), &text, false, &mut BTreeSet::new());
        let expected: serde_json::Value = serde_json::from_str(&amount).expect("a number");
        prop_assert_eq!(found, Some(expected), "{:?}", text);
    }

    /// A clear refusal is never a yes, whatever affirming words surround it.
    #[test]
    fn a_refusal_wrapped_in_any_words_is_never_a_yes(
        refusal in proptest::sample::select(REFUSALS),
        before in proptest::collection::vec(proptest::sample::select(AFFIRMING_FILLER), 0..4),
        after in proptest::collection::vec(proptest::sample::select(AFFIRMING_FILLER), 0..4),
        lang in proptest::sample::select(Lang::ALL.to_vec()),
    ) {
        let text = format!("{} {refusal} {}", before.join(" "), after.join(" "));
        prop_assert_ne!(consent(&text, lang, None), Consent::Yes, "{:?}", text);
        let question = "Cancel order #W2378156? Shall I go ahead?";
        prop_assert_ne!(consent(&text, lang, Some(question)), Consent::Yes, "{:?}", text);
    }

    /// A clear yes or no keeps its meaning in capitals, in lower case, with extra spaces and
    /// with an exclamation mark at the end.
    #[test]
    fn consent_does_not_depend_on_case_spacing_or_a_closing_mark(
        index in any::<proptest::sample::Index>(),
        yes in any::<bool>(),
        case in 0u8..3,
        gaps in proptest::collection::vec(" {1,4}|\t", 1..12),
        bang in any::<bool>(),
    ) {
        let replies = corpus(if yes { "yes" } else { "no" });
        let (lang, reply) = index.get(&replies).clone();
        let expected = consent(&reply, lang, None);
        let cased = match case {
            0 => reply.to_uppercase(),
            1 => reply.to_lowercase(),
            _ => reply.clone(),
        };
        let mut gap = gaps.iter().cycle();
        let mut spaced = String::new();
        for word in cased.split(' ') {
            spaced.push_str(word);
            spaced.push_str(gap.next().expect("cycled"));
        }
        let mut varied = format!("  {}", spaced.trim_end());
        if bang && !varied.ends_with(['?', '.', '!']) {
            varied.push('!');
        }
        prop_assert_eq!(consent(&varied, lang, None), expected, "{:?} → {:?}", reply, varied);
    }

    /// Negating a clear yes never leaves a yes.
    #[test]
    fn a_negated_yes_is_never_a_yes(
        index in any::<proptest::sample::Index>(),
        negation in proptest::sample::select(&["not", "don't", "do not", "never", "no,", "I don't want you to"][..]),
    ) {
        let replies: Vec<(Lang, String)> = corpus("yes");
        let (lang, reply) = index.get(&replies).clone();
        let text = format!("{negation} {reply}");
        prop_assert_ne!(consent(&text, lang, None), Consent::Yes, "{:?}", text);
    }
}
