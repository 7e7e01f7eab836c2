//! The verdict of a run: what the customers saw, what the store kept and what the backend
//! applied, put side by side. Pure data in, figures and violations out, so it is tested on its
//! own (a verdict that cannot fail proves nothing).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// What a reply told the customer about a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// "Done — order W… is cancelled.", "That's already done…"
    Done,
    /// "OK, I've stopped that.", "I couldn't cancel…": nothing was changed.
    NotDone,
    /// "The change I started may already have been made…": honest about the unknown.
    MayBeMade,
}

/// The order of a claim that names none and may be about any of the conversation's orders
/// ("That's already done" after a correction is about the order held before it).
pub const ANY_ORDER: &str = "*";

/// The order a claim in `reply` is about: the one it names; for a "done" that names none,
/// any of the conversation's; otherwise the one the customer is talking about.
pub fn claim_order(reply: &str, claim: &Claim, current: &str) -> String {
    match crate::model::order_in(reply) {
        Some(order) => order,
        None if *claim == Claim::Done => ANY_ORDER.into(),
        None => current.into(),
    }
}

/// Reads what a reply claims, if anything.
pub fn claim_of(reply: &str) -> Option<Claim> {
    let lower = reply.to_lowercase();
    if lower.contains("may already have been made") {
        Some(Claim::MayBeMade)
    } else if lower.contains("is cancelled") || lower.contains("already done") {
        Some(Claim::Done)
    } else if lower.contains("stopped that")
        || lower.contains("couldn't cancel")
        || lower.contains("could not cancel")
        || lower.contains("won't")
    {
        Some(Claim::NotDone)
    } else {
        None
    }
}

/// One conversation as the customer lived it.
#[derive(Clone, Debug, Default)]
pub struct CustomerRecord {
    /// The conversation id the server gave.
    pub id: String,
    /// Turns that got an answer.
    pub answered_turns: usize,
    /// Claims made to the customer, each about the order the customer was talking about.
    pub claims: Vec<(String, Claim)>,
    /// The orders the customer asked to cancel.
    pub orders: BTreeSet<String>,
    /// The conversation reached its end (or a person took it over).
    pub finished: bool,
    /// The server answered "conversation not found" after it had been created.
    pub vanished: bool,
}

/// One conversation as the store has it after the run.
#[derive(Clone, Debug, Default)]
pub struct StoredConversation {
    /// Customer messages in the stored transcript.
    pub user_messages: usize,
    /// A person has it.
    pub handed_off: bool,
    /// Writes of the active task still recorded as *sent* (outcome unknown).
    pub sent_unresolved: usize,
    /// Claims in the stored transcript (a reply the customer may have missed in a crash).
    pub claims: Vec<(String, Claim)>,
}

/// One order as the backend saw it.
#[derive(Clone, Debug, Default)]
pub struct BackendOrder {
    /// Idempotency keys of the requests that reached it.
    pub keys_received: BTreeSet<String>,
    /// Requests that reached it.
    pub requests: u32,
    /// Writes that took effect (a new key on this order).
    pub effective: u32,
}

/// The numbers of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Conversations created.
    pub conversations: usize,
    /// Conversations that reached their end.
    pub finished: usize,
    /// Write requests that reached the backend (re-sends included).
    pub writes_sent: u32,
    /// Logical writes that took effect.
    pub writes_effective: u32,
    /// Effective writes beyond the first per order.
    pub duplicates: u32,
    /// Conversations the store no longer has.
    pub lost: usize,
    /// Answered turns missing from the stored transcript.
    pub lost_turns: usize,
    /// Writes sent and never resolved (neither done, told as possibly made, nor handed off).
    pub unresolved: usize,
    /// "Done" told for a write the backend never applied.
    pub false_done: usize,
    /// "Stopped" told for a write the backend applied.
    pub false_stopped: usize,
    /// Conversations handed to a person.
    pub handed_off: usize,
}

/// The verdict: figures and every violation in words.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Verdict {
    /// The counts.
    pub figures: Figures,
    /// One line per violation (empty: the run passed).
    pub violations: Vec<String>,
}

impl Verdict {
    /// Whether nothing was violated.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Judges a run. `stored` is keyed by conversation id (missing: the store lost it); `backend`
/// by order id.
pub fn judge(
    customers: &[CustomerRecord],
    stored: &BTreeMap<String, StoredConversation>,
    backend: &BTreeMap<String, BackendOrder>,
) -> Verdict {
    let mut verdict = Verdict::default();
    let figures = &mut verdict.figures;
    let violations = &mut verdict.violations;
    figures.conversations = customers.len();
    for order in backend.values() {
        figures.writes_sent += order.requests;
        figures.writes_effective += order.effective.min(1);
        figures.duplicates += order.effective.saturating_sub(1);
    }
    for (id, order) in backend {
        if order.effective > 1 {
            violations.push(format!(
                "order {id}: {} effective writes (keys {:?})",
                order.effective, order.keys_received
            ));
        }
    }
    for customer in customers {
        let id = &customer.id;
        if customer.finished {
            figures.finished += 1;
        } else {
            violations.push(format!("conversation {id}: never reached its end"));
        }
        let Some(store) = stored.get(id).filter(|_| !customer.vanished) else {
            figures.lost += 1;
            violations.push(format!("conversation {id}: lost by the store"));
            continue;
        };
        if store.user_messages < customer.answered_turns {
            figures.lost_turns += customer.answered_turns - store.user_messages;
            violations.push(format!(
                "conversation {id}: {} answered turns, {} stored",
                customer.answered_turns, store.user_messages
            ));
        }
        if store.handed_off {
            figures.handed_off += 1;
        }
        if store.sent_unresolved > 0 && !store.handed_off {
            figures.unresolved += store.sent_unresolved;
            violations.push(format!(
                "conversation {id}: {} write(s) still recorded as sent, not handed off",
                store.sent_unresolved
            ));
        }
        let claims: Vec<&(String, Claim)> =
            customer.claims.iter().chain(store.claims.iter()).collect();
        for (order, claim) in claims.iter().copied() {
            let effective = if order == ANY_ORDER {
                customer
                    .orders
                    .iter()
                    .map(|o| backend.get(o).map_or(0, |o| o.effective))
                    .max()
                    .unwrap_or(0)
            } else {
                backend.get(order).map_or(0, |o| o.effective)
            };
            match claim {
                Claim::Done if effective == 0 => {
                    figures.false_done += 1;
                    violations.push(format!(
                        "conversation {id}: told \"done\" for {order}, which the backend never applied"
                    ));
                }
                Claim::NotDone if effective > 0 => {
                    figures.false_stopped += 1;
                    violations.push(format!(
                        "conversation {id}: told \"stopped\" for {order}, which the backend applied"
                    ));
                }
                _ => {}
            }
        }
        // Every write that reached the backend is resolved in the customer's eyes: told done,
        // told it may have been made, or in a person's hands.
        for order in &customer.orders {
            let Some(seen) = backend.get(order).filter(|o| o.requests > 0) else {
                continue;
            };
            let told = claims.iter().any(|(o, c)| {
                (o == order || o == ANY_ORDER) && matches!(c, Claim::Done | Claim::MayBeMade)
            });
            if !told && !store.handed_off {
                figures.unresolved += 1;
                violations.push(format!(
                    "conversation {id}: the write on {order} reached the backend ({} request(s)) and was never resolved",
                    seen.requests
                ));
            }
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(requests: u32, effective: u32) -> BackendOrder {
        BackendOrder {
            keys_received: (0..effective.max(1)).map(|k| format!("k{k}")).collect(),
            requests,
            effective,
        }
    }

    fn customer(id: &str, order: &str, claims: Vec<Claim>) -> CustomerRecord {
        CustomerRecord {
            id: id.into(),
            answered_turns: 3,
            claims: claims.into_iter().map(|c| (order.to_string(), c)).collect(),
            orders: [order.to_string()].into(),
            finished: true,
            vanished: false,
        }
    }

    fn stored(handed_off: bool, sent_unresolved: usize) -> StoredConversation {
        StoredConversation {
            user_messages: 3,
            handed_off,
            sent_unresolved,
            claims: Vec::new(),
        }
    }

    /// One conversation, its stored form and its order: the verdict's violations.
    fn check(
        customer: CustomerRecord,
        store: Option<StoredConversation>,
        backend_order: BackendOrder,
    ) -> Verdict {
        let stored = store
            .map(|s| BTreeMap::from([(customer.id.clone(), s)]))
            .unwrap_or_default();
        let backend = BTreeMap::from([("W1000001".to_string(), backend_order)]);
        judge(&[customer], &stored, &backend)
    }

    #[test]
    fn a_clean_run_passes() {
        let v = check(
            customer("c1", "W1000001", vec![Claim::Done]),
            Some(stored(false, 0)),
            order(2, 1),
        );
        assert!(v.passed(), "{:?}", v.violations);
        assert_eq!(v.figures.writes_sent, 2);
        assert_eq!(v.figures.writes_effective, 1);
    }

    #[test]
    fn a_duplicate_effective_write_fails() {
        let v = check(
            customer("c1", "W1000001", vec![Claim::Done]),
            Some(stored(false, 0)),
            order(2, 2),
        );
        assert!(!v.passed());
        assert_eq!(v.figures.duplicates, 1);
        assert!(
            v.violations[0].contains("2 effective writes"),
            "{:?}",
            v.violations
        );
    }

    #[test]
    fn a_lost_conversation_fails() {
        let v = check(
            customer("c1", "W1000001", vec![Claim::Done]),
            None,
            order(1, 1),
        );
        assert_eq!(v.figures.lost, 1);
        assert!(!v.passed());
    }

    #[test]
    fn a_lost_answered_turn_fails() {
        let mut s = stored(false, 0);
        s.user_messages = 2;
        let v = check(
            customer("c1", "W1000001", vec![Claim::Done]),
            Some(s),
            order(1, 1),
        );
        assert_eq!(v.figures.lost_turns, 1);
        assert!(!v.passed());
    }

    #[test]
    fn stopped_for_an_applied_write_fails_and_may_be_made_with_a_handoff_passes() {
        let v = check(
            customer("c1", "W1000001", vec![Claim::NotDone]),
            Some(stored(false, 0)),
            order(1, 1),
        );
        assert_eq!(v.figures.false_stopped, 1);
        assert!(!v.passed());
        let v = check(
            customer("c1", "W1000001", vec![Claim::MayBeMade]),
            Some(stored(true, 1)),
            order(1, 1),
        );
        assert!(v.passed(), "{:?}", v.violations);
    }

    #[test]
    fn done_for_a_write_never_applied_fails() {
        let v = check(
            customer("c1", "W1000001", vec![Claim::Done]),
            Some(stored(false, 0)),
            order(0, 0),
        );
        assert_eq!(v.figures.false_done, 1);
        assert!(!v.passed());
    }

    #[test]
    fn a_sent_write_left_unresolved_fails() {
        // Still *sent* in the store, nobody told, nobody handed it.
        let v = check(
            customer("c1", "W1000001", vec![]),
            Some(stored(false, 1)),
            order(1, 1),
        );
        assert!(v.figures.unresolved >= 1);
        assert!(!v.passed());
        // Reached the backend, the task forgot it, the customer was told nothing.
        let v = check(
            customer("c1", "W1000001", vec![]),
            Some(stored(false, 0)),
            order(1, 0),
        );
        assert_eq!(v.figures.unresolved, 1);
        // The answer was lost in a crash, but the stored transcript told it.
        let mut s = stored(false, 0);
        s.claims = vec![("W1000001".into(), Claim::Done)];
        let v = check(customer("c1", "W1000001", vec![]), Some(s), order(1, 1));
        assert!(v.passed(), "{:?}", v.violations);
    }

    #[test]
    fn an_unfinished_conversation_fails() {
        let mut c = customer("c1", "W1000001", vec![Claim::Done]);
        c.finished = false;
        let v = check(c, Some(stored(false, 0)), order(1, 1));
        assert!(!v.passed());
    }

    #[test]
    fn replies_are_read_as_claims() {
        assert_eq!(
            claim_of("Done — order W1000002 is cancelled."),
            Some(Claim::Done)
        );
        assert_eq!(
            claim_of("OK, I've stopped that. Is there anything else I can help with?"),
            Some(Claim::NotDone)
        );
        assert_eq!(
            claim_of(
                "The change I started may already have been made, so I can't simply stop or redo it. I'm handing this over"
            ),
            Some(Claim::MayBeMade)
        );
        assert_eq!(claim_of("Why are you cancelling?"), None);
        assert_eq!(
            claim_order(
                "Done — order W1000002 is cancelled.",
                &Claim::Done,
                "W1000003"
            ),
            "W1000002"
        );
        assert_eq!(
            claim_order("That's already done.", &Claim::Done, "W1000003"),
            ANY_ORDER
        );
        assert_eq!(
            claim_order("OK, I've stopped that.", &Claim::NotDone, "W1000003"),
            "W1000003"
        );
    }

    #[test]
    fn already_done_after_a_correction_is_about_the_order_held_before() {
        // W1000001 was cancelled; the customer corrected to W1000002 and heard "already done".
        let mut c = customer("c1", "W1000002", vec![]);
        c.orders.insert("W1000001".into());
        c.claims.push((ANY_ORDER.into(), Claim::Done));
        let stored = BTreeMap::from([("c1".to_string(), stored(false, 0))]);
        let backend = BTreeMap::from([
            ("W1000001".to_string(), order(1, 1)),
            ("W1000002".to_string(), BackendOrder::default()),
        ]);
        let v = judge(&[c.clone()], &stored, &backend);
        assert!(v.passed(), "{:?}", v.violations);
        // Nothing applied at all: "already done" is false.
        let backend = BTreeMap::from([("W1000001".to_string(), BackendOrder::default())]);
        assert!(!judge(&[c], &stored, &backend).passed());
    }
}
