//! Judging the backend's state after a conversation.
//!
//! Positives: every record of `expected.json[task]` (orders and users, by id) must equal the
//! backend's record, and every other order, user and product must equal the initial database.
//! "Equal" is JSON equality with: object keys in any order; numbers equal to 2 decimals
//! (|a − b| < 0.005); the arrays `items` and `return_items` as multisets (the order in which
//! the customer named the items does not matter), `exchange_items`/`exchange_new_items` as a
//! multiset of (old, new) pairs; every other array (payment history, fulfilments, …) in order.
//!
//! Negatives: the whole `/state` body must be byte-for-byte the one before the conversation.

use serde_json::{Map, Value};

pub struct Verdict {
    pub passed: bool,
    pub detail: Vec<String>,
}

const MULTISET: [&str; 2] = ["items", "return_items"];

fn num_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 0.005,
        _ => false,
    }
}

pub fn eq(a: &Value, b: &Value, key: &str) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => num_eq(a, b),
        (Value::Object(x), Value::Object(y)) => obj_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if MULTISET.contains(&key) {
                multiset_eq(x, y)
            } else {
                x.iter().zip(y).all(|(p, q)| eq(p, q, ""))
            }
        }
        _ => a == b,
    }
}

fn multiset_eq(x: &[Value], y: &[Value]) -> bool {
    let mut used = vec![false; y.len()];
    'outer: for p in x {
        for (j, q) in y.iter().enumerate() {
            if !used[j] && eq(p, q, "") {
                used[j] = true;
                continue 'outer;
            }
        }
        return false;
    }
    true
}

fn pairs(m: &Map<String, Value>) -> Option<Vec<Value>> {
    let old = m.get("exchange_items")?.as_array()?;
    let new = m.get("exchange_new_items")?.as_array()?;
    if old.len() != new.len() {
        return None;
    }
    Some(
        old.iter()
            .zip(new)
            .map(|(o, n)| Value::Array(vec![o.clone(), n.clone()]))
            .collect(),
    )
}

fn obj_eq(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    if x.len() != y.len() || x.keys().any(|k| !y.contains_key(k)) {
        return false;
    }
    let paired = match (pairs(x), pairs(y)) {
        (Some(p), Some(q)) => {
            if !multiset_eq(&p, &q) {
                return false;
            }
            true
        }
        _ => false,
    };
    x.iter().all(|(k, v)| {
        if paired && (k == "exchange_items" || k == "exchange_new_items") {
            return true;
        }
        eq(v, &y[k], k)
    })
}

/// Where two values differ (JSON-pointer-ish paths with both sides, shortened), at most `max`.
pub fn diff(path: &str, want: &Value, got: &Value, key: &str, out: &mut Vec<String>, max: usize) {
    if out.len() >= max || eq(want, got, key) {
        return;
    }
    match (want, got) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => diff(&format!("{path}/{k}"), v, w, k, out, max),
                    None => out.push(format!("{path}/{k}: missing (want {})", short(v))),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                if out.len() < max {
                    out.push(format!("{path}/{k}: unexpected {}", short(&y[k])));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() && !MULTISET.contains(&key) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}/{i}"), p, q, "", out, max);
            }
        }
        _ => out.push(format!("{path}: want {}, got {}", short(want), short(got))),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

/// A positive case: the expected records are there, nothing else moved.
pub fn positive(
    initial: &Value,
    initial_text: &str,
    state_text: &str,
    expected: &Value,
) -> Verdict {
    if state_text == initial_text {
        return Verdict {
            passed: false,
            detail: vec!["nothing changed".into()],
        };
    }
    let state: Value = match serde_json::from_str(state_text) {
        Ok(v) => v,
        Err(e) => {
            return Verdict {
                passed: false,
                detail: vec![format!("/state is not JSON: {e}")],
            };
        }
    };
    let mut detail = Vec::new();
    for table in ["orders", "users", "products"] {
        let want = expected[table].as_object().cloned().unwrap_or_default();
        for (id, record) in &want {
            let got = &state[table][id];
            diff(&format!("{table}/{id}"), record, got, "", &mut detail, 8);
        }
        let empty = Map::new();
        let before = initial[table].as_object().unwrap_or(&empty);
        let after = state[table].as_object().unwrap_or(&empty);
        for (id, rec) in after {
            if want.contains_key(id) {
                continue;
            }
            match before.get(id) {
                Some(b) if eq(b, rec, "") => {}
                Some(b) => {
                    let mut d = Vec::new();
                    diff(&format!("{table}/{id}"), b, rec, "", &mut d, 2);
                    detail.push(format!("unexpected change: {}", d.join("; ")));
                }
                None => detail.push(format!("unexpected new record {table}/{id}")),
            }
        }
        for id in before.keys() {
            if !after.contains_key(id) {
                detail.push(format!("record removed: {table}/{id}"));
            }
        }
    }
    Verdict {
        passed: detail.is_empty(),
        detail,
    }
}

/// A negative case: nothing changed at all.
pub fn negative(before: &str, after: &str) -> Verdict {
    if before == after {
        return Verdict {
            passed: true,
            detail: Vec::new(),
        };
    }
    let mut detail = Vec::new();
    match (
        serde_json::from_str::<Value>(before),
        serde_json::from_str::<Value>(after),
    ) {
        (Ok(b), Ok(a)) => {
            diff("", &b, &a, "", &mut detail, 6);
            for d in detail.iter_mut() {
                *d = d
                    .replacen(": want ", ": was ", 1)
                    .replacen(", got ", ", now ", 1);
            }
        }
        _ => detail.push("state changed (not JSON)".into()),
    }
    if detail.is_empty() {
        detail.push("state text changed (same JSON)".into());
    }
    Verdict {
        passed: false,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tolerant_where_documented_strict_elsewhere() {
        assert!(eq(
            &json!({"a": 1.004, "b": [1, 2]}),
            &json!({"b": [1, 2], "a": 1.0}),
            ""
        ));
        assert!(!eq(&json!({"b": [1, 2]}), &json!({"b": [2, 1]}), ""));
        assert!(eq(
            &json!({"return_items": ["1", "2"]}),
            &json!({"return_items": ["2", "1"]}),
            ""
        ));
        assert!(eq(
            &json!({"exchange_items": ["1", "2"], "exchange_new_items": ["3", "4"]}),
            &json!({"exchange_items": ["2", "1"], "exchange_new_items": ["4", "3"]}),
            ""
        ));
        assert!(!eq(
            &json!({"exchange_items": ["1", "2"], "exchange_new_items": ["3", "4"]}),
            &json!({"exchange_items": ["2", "1"], "exchange_new_items": ["3", "4"]}),
            ""
        ));
        assert!(!eq(&json!({"a": 1}), &json!({"a": 1, "b": 2}), ""));
    }
}
