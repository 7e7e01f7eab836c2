//! Properties of the config loader: any text is loaded or refused without panicking, a valid
//! config with one field broken is refused with an error at that field's line, and loading is
//! deterministic.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::Config;

const SHOP: &str = include_str!("../../../../examples/shop/switchboard.yaml");

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("SHOP_URL".to_string(), "http://127.0.0.1:9".to_string()),
        ("SHOP_API_KEY".to_string(), "sk-test-123456".to_string()),
        (
            "SHOP_WIDGET_SECRET".to_string(),
            "widget-secret-123".to_string(),
        ),
    ])
}

/// The outcome of a load in comparable form: the tools and tasks, or every error.
fn outcome(text: &str) -> Result<Vec<String>, String> {
    Config::from_yaml("agent.yaml", text, &env())
        .map(|c| {
            c.tools
                .iter()
                .map(|t| t.name.clone())
                .chain(c.tasks.iter().map(|t| t.name.clone()))
                .collect()
        })
        .map_err(|e| e.to_string())
}

/// Fields with a value of a fixed type or form, and a value each must refuse.
const BROKEN_VALUES: &[(&str, &str)] = &[
    ("method", "FETCH"),
    ("max_chars", "lots"),
    ("allow_loopback", "maybe"),
    ("provider", "nowhere"),
    ("url", "not a url"),
    ("jmespath", "\"[[[\""),
    ("fields", "7"),
    ("when", "{a: 1}"),
    ("examples", "{a: 1}"),
    ("hmac_secret", "[1, 2]"),
];

/// Fields whose name, misspelt, is an unknown field of a fixed structure.
const RENAMED_KEYS: &[&str] = &[
    "method",
    "url",
    "jmespath",
    "max_chars",
    "examples",
    "request",
    "response",
    "identifies",
    "fallback",
    "instructions",
    "allow_loopback",
    "hmac_secret",
    "fields",
    "answers",
    "model",
    "provider",
];

/// The lines of the shop config that hold `key:`, as (0-based line, indentation, key).
fn keyed_lines() -> Vec<(usize, usize, String)> {
    SHOP.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let body = line.trim_start();
            let body = body.strip_prefix("- ").unwrap_or(body);
            let (key, _) = body.split_once(':')?;
            let key = key.trim();
            (!key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .then(|| (i, line.len() - body.len(), key.to_string()))
        })
        .collect()
}

/// Text that looks like YAML: the shop config cut, with lines dropped, repeated, re-indented,
/// or with arbitrary text spliced in.
fn yaml_like() -> impl Strategy<Value = String> {
    let lines: Vec<&'static str> = SHOP.lines().collect();
    let count = lines.len();
    prop_oneof![
        any::<String>(),
        "(\\PC|\n|\t|:|-|\\[|\\]|\\{|\\}|'|\"|&|\\*|!|#|\\|| ){0,200}",
        (0..SHOP.len()).prop_map(|cut| SHOP[..SHOP.floor_char_boundary(cut)].to_string()),
        (0..count, 0..count, any::<String>(), 0usize..4).prop_map(move |(a, b, noise, kind)| {
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            match kind {
                0 => {
                    out.remove(a);
                }
                1 => out.insert(a, lines[b].to_string()),
                2 => out[a] = format!("  {}", out[a]),
                _ => {
                    let at = out[a].floor_char_boundary(b % (out[a].len() + 1));
                    out[a].insert_str(at, &noise);
                }
            }
            out.join("\n")
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(128)
    ))]

    #[test]
    fn any_text_is_loaded_or_refused_without_panicking(text in yaml_like()) {
        let _ = outcome(&text);
    }

    #[test]
    fn loading_is_deterministic(text in yaml_like()) {
        prop_assert_eq!(outcome(&text), outcome(&text));
    }

    /// One field given a value its type refuses, or its key misspelt: the config is refused,
    /// and an error names the file and that field's line.
    #[test]
    fn one_broken_field_is_reported_at_its_line(
        pick in any::<proptest::sample::Index>(),
        rename in any::<bool>(),
    ) {
        let candidates: Vec<(usize, usize, String, Option<&str>)> = keyed_lines()
            .into_iter()
            .filter_map(|(line, indent, key)| {
                let broken = BROKEN_VALUES.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
                let renamable = RENAMED_KEYS.contains(&key.as_str());
                match (rename, broken, renamable) {
                    (true, _, true) => Some((line, indent, key, None)),
                    (false, Some(value), _) => Some((line, indent, key, Some(value))),
                    _ => None,
                }
            })
            .collect();
        let (line, indent, key, broken) = pick.get(&candidates).clone();
        let original = SHOP.lines().nth(line).expect("the line");
        let prefix = &original[..indent];
        let mutated_line = match broken {
            Some(value) => format!("{prefix}{key}: {value}"),
            None => format!("{prefix}{key}x{}", &original[indent + key.len()..]),
        };
        // A block value (`key: |`, `key:` followed by an indented list) goes with its key.
        let mut lines: Vec<String> = SHOP.lines().map(str::to_string).collect();
        if broken.is_some() {
            let mut end = line + 1;
            while end < lines.len() && {
                let next = &lines[end];
                let next_indent = next.len() - next.trim_start().len();
                !next.trim().is_empty() && next_indent > indent && !next.trim_start().starts_with('#')
                    && (original.trim_end().ends_with(':') || original.trim_end().ends_with('|') || original.trim_end().ends_with(">-"))
            } {
                end += 1;
            }
            lines.drain(line + 1..end);
        }
        lines[line] = mutated_line.clone();
        let text = lines.join("\n");
        let errors = Config::from_yaml("agent.yaml", &text, &env())
            .err()
            .unwrap_or_else(|| panic!("`{mutated_line}` at line {} was accepted", line + 1));
        prop_assert!(
            errors.0.iter().any(|e| e.file == "agent.yaml" && e.at.line == line as u64 + 1),
            "`{}` at line {}: {}", mutated_line, line + 1, errors
        );
    }
}
