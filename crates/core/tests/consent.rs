//! The labelled consent corpus (`tests/data/consent.tsv`, written independently of the
//! recogniser: clear yes, clear no and unclear replies in five languages, with negation,
//! question, hedge, condition and typo variants). The write gate's guarantee: no reply that is
//! not a clear yes is ever read as one; and clear yeses are recognised (≥ 98 %).

use std::collections::BTreeMap;

use switchboard_core::understand::{Consent, Lang, consent};

struct Case {
    lang: Lang,
    label: Consent,
    kind: String,
    text: String,
}

fn corpus() -> Vec<Case> {
    let source = include_str!("data/consent.tsv");
    source
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "consent.tsv line {}: {line:?}", i + 2);
            let label = match fields[1] {
                "yes" => Consent::Yes,
                "no" => Consent::No,
                "unclear" => Consent::Unclear,
                other => panic!("consent.tsv line {}: unknown label {other}", i + 2),
            };
            Case {
                lang: Lang::from_code(fields[0]).expect("a known language"),
                label,
                kind: fields[2].to_string(),
                text: fields[3].to_string(),
            }
        })
        .collect()
}

/// The corpus's replies answer one of three confirmation questions (a cancellation, a new
/// shipping address, another payment method); which one is not recorded. A reply counts as a
/// yes when it is one to some question, and as a false yes when it is one to any — the strict
/// reading for safety, the lenient one for recall. With no question, echoes are not allowed.
const QUESTIONS: &[&str] = &[
    "Cancel order #W2378156 because \"ordered by mistake\"? The refund goes back to the original payment method.",
    "Ship order #W1234567 to 12 Elm Street, Austin, TX 78701, USA?",
    "Just to confirm: change the payment of order #W7654321 to your Visa ending in 4421. Shall I go ahead?",
];

fn verdict(case: &Case) -> Consent {
    let verdicts: Vec<Consent> = QUESTIONS
        .iter()
        .map(|q| consent(&case.text, case.lang, Some(q)))
        .chain([consent(&case.text, case.lang, None)])
        .collect();
    if case.label == Consent::Yes {
        if verdicts.contains(&Consent::Yes) {
            Consent::Yes
        } else {
            verdicts[0]
        }
    } else {
        verdicts
            .iter()
            .copied()
            .find(|v| *v == Consent::Yes)
            .unwrap_or(verdicts[0])
    }
}

#[test]
fn no_false_yes_and_clear_yes_recall_of_98_percent() {
    let cases = corpus();
    assert!(
        cases.len() >= 400,
        "the corpus holds {} replies",
        cases.len()
    );
    // (lang, label, verdict) → count
    let mut matrix: BTreeMap<(&str, String, String), usize> = BTreeMap::new();
    let mut false_yes = Vec::new();
    let mut missed_yes = Vec::new();
    for case in &cases {
        let verdict = verdict(case);
        *matrix
            .entry((
                case.lang.code(),
                format!("{:?}", case.label),
                format!("{verdict:?}"),
            ))
            .or_default() += 1;
        if verdict == Consent::Yes && case.label != Consent::Yes {
            false_yes.push(format!(
                "{} {:?} [{}] {:?}",
                case.lang.code(),
                case.label,
                case.kind,
                case.text
            ));
        }
        if case.label == Consent::Yes && verdict != Consent::Yes {
            missed_yes.push(format!(
                "{} [{}] {:?} → {verdict:?}",
                case.lang.code(),
                case.kind,
                case.text
            ));
        }
    }
    println!("consent corpus: {} replies", cases.len());
    println!("lang  label    → Yes  No  Unclear");
    for lang in Lang::ALL {
        for label in ["Yes", "No", "Unclear"] {
            let count = |verdict: &str| {
                matrix
                    .get(&(lang.code(), label.to_string(), verdict.to_string()))
                    .copied()
                    .unwrap_or(0)
            };
            println!(
                "{}    {label:<8} → {:>3} {:>3} {:>3}",
                lang.code(),
                count("Yes"),
                count("No"),
                count("Unclear")
            );
        }
    }
    let yes_total = cases.iter().filter(|c| c.label == Consent::Yes).count();
    let recall = 1.0 - missed_yes.len() as f64 / yes_total as f64;
    println!(
        "false yes: {} of {}; clear-yes recall: {:.1} % ({} missed of {yes_total})",
        false_yes.len(),
        cases.len() - yes_total,
        recall * 100.0,
        missed_yes.len()
    );
    for m in &missed_yes {
        println!("  missed: {m}");
    }
    assert!(
        false_yes.is_empty(),
        "read as yes:\n{}",
        false_yes.join("\n")
    );
    assert!(recall >= 0.98, "clear-yes recall {:.1} %", recall * 100.0);
}

/// A second corpus, from a black-box attack on the demo by someone who never saw the
/// recogniser (`tests/data/consent_attack.tsv`, single-turn replies to "Cancel order W1000002
/// (Desk lamp) because "ordered by mistake"?"): emoji and emoticons, quotes and markup,
/// operators, modal and future forms, widened scope, sarcasm, look-alike letters, injections.
/// No reply it marks as not a clear yes may be read as one. Six rows were relabelled as yes,
/// each with its reason in the `note` column (the attacker relabelled 27 such itself).
#[test]
fn the_attack_corpus_has_no_false_yes() {
    let question = "Cancel order W1000002 (Desk lamp) because \"ordered by mistake\"?";
    let source = include_str!("data/consent_attack.tsv");
    let mut false_yes = Vec::new();
    let (mut yes_total, mut yes_read) = (0, 0);
    let mut total = 0;
    for line in source.lines().skip(1) {
        let mut fields = line.splitn(4, '\t');
        let (Some(lang), Some(expected), Some(reply)) =
            (fields.next(), fields.next(), fields.next())
        else {
            panic!("consent_attack.tsv: malformed line {line:?}");
        };
        let lang = Lang::from_code(lang).expect("a known language");
        let verdict = consent(reply, lang, Some(question));
        total += 1;
        if expected == "yes" {
            yes_total += 1;
            yes_read += usize::from(verdict == Consent::Yes);
        } else if verdict == Consent::Yes {
            false_yes.push(format!("{} {reply:?}", lang.code()));
        }
    }
    println!(
        "attack corpus: {total} replies; false yes {} of {}; clear yes read {yes_read} of {yes_total}",
        false_yes.len(),
        total - yes_total
    );
    assert!(
        false_yes.is_empty(),
        "read as yes:\n{}",
        false_yes.join("\n")
    );
}
