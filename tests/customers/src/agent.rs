//! How the customer reads the agent's reply: the customer's own keyword logic, written for how
//! support agents phrase things in general (English, plus a few words of each customer
//! language for the engine's fixed phrases). Nothing here looks at the engine's code.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    FirstName,
    LastName,
    FullName,
    Zip,
    Email,
    /// "Can you verify your identity?" without saying how.
    Identity,
    OrderId,
    Items,
    NewItems,
    Payment,
    FullAddress,
    Address1,
    Address2,
    City,
    State,
    Country,
    Reason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    /// "I couldn't find an account…"
    Account,
    /// "I couldn't find order … on your account"
    Order,
    /// "only pending orders can be …"
    Status,
    Other,
}

#[derive(Clone, Debug, Default)]
pub struct Reading {
    pub asks: Vec<Ask>,
    pub confirm: bool,
    pub anything_else: bool,
    pub done: bool,
    pub fail: Option<Fail>,
    pub cannot_help: bool,
    /// The agent says it stopped or will not do it.
    pub dropped: bool,
    /// The reply, lower-cased (for the customer's checks of a confirmation).
    pub text: String,
}

fn has(t: &str, words: &[&str]) -> bool {
    words.iter().any(|w| t.contains(w))
}

/// Whole-word check (ASCII word boundaries).
fn word(t: &str, w: &str) -> bool {
    let mut from = 0;
    while let Some(i) = t[from..].find(w) {
        let s = from + i;
        let e = s + w.len();
        let before = t[..s]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after = t[e..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before && after {
            return true;
        }
        from = s + w.len().max(1);
    }
    false
}

const CONFIRM_WORDS: &[&str] = &[
    "confirm",
    "proceed",
    "go ahead",
    "shall i",
    "should i",
    "do you want me",
    "would you like me",
    "want me to",
    "is that correct",
    "is this correct",
    "is that right",
    "is this right",
    "are you sure",
    "yes or no",
    "yes/no",
    "(yes",
    "reply yes",
    "say yes",
    "ok to",
    "okay to",
    // de / fr / es / nl
    "bestätig",
    "soll ich",
    "einverstanden",
    "ja oder nein",
    "confirmez",
    "confirmer",
    "dois-je",
    "oui ou non",
    "confirma",
    "¿desea",
    "sí o no",
    "bevestig",
    "zal ik",
    "ja of nee",
];

const ACTION_STARTS: &[&str] = &[
    "cancel", "return", "exchange", "change", "ship", "pay ", "make ", "modify", "update",
    "switch", "send", "move", "refund", "replace", "swap", "proceed", "set ", "use ",
];

const WH: &[&str] = &[
    "which",
    "what",
    "why",
    "where",
    "who",
    "how",
    "when",
    "tell me",
    "give me",
    "provide",
    "please enter",
    "please share",
    "let me know",
    "can you give",
    "could you give",
    "can you tell",
    "could you tell",
    "may i have",
    "can i have",
    "could i have",
    "need your",
    "i need the",
    "i need your",
    "send me",
    "type ",
    // de / fr / es / nl: question words and "tell me / give me / please"
    "welche",
    "was ",
    "wie ",
    "nennen sie",
    "geben sie",
    "sagen sie",
    "bitte",
    "quel",
    "quelle",
    "indiquez",
    "donnez",
    "dites",
    "pouvez-vous",
    "s'il vous plaît",
    "cuál",
    "qué",
    "indíqueme",
    "dígame",
    "deme",
    "por favor",
    "welk",
    "wat ",
    "geef",
    "noem",
    "vertel",
    "alstublieft",
];

const FILLERS: &[&str] = &[
    "and ",
    "so ",
    "ok ",
    "okay ",
    "thanks ",
    "thank you ",
    "great ",
    "now ",
    "also ",
    "next ",
    "perfect ",
    "got it ",
    "alright ",
    "sure ",
    "then ",
];

/// Reads one reply.
pub fn read(reply: &str) -> Reading {
    let text = reply.to_lowercase();
    let t = text.as_str();
    let mut r = Reading {
        text: text.clone(),
        ..Reading::default()
    };
    // A refusal or a handover, said in prose (not in a bulleted menu of what the agent can do).
    let prose: String = t
        .lines()
        .filter(|l| !l.trim_start().starts_with(['-', '*', '•']))
        .collect::<Vec<_>>()
        .join("\n");
    r.cannot_help = has(
        &prose,
        &[
            "can't help with",
            "cannot help with",
            "can't help you",
            "cannot help you",
            "can not help",
            "unable to help",
            "not able to help",
            "transferring you",
            "transfer you",
            "being transferred",
            "connect you with",
            "hand you over",
            "handing you over",
            "not allowed to",
            "not permitted",
            "against our policy",
            "i can't do that",
            "i cannot do that",
        ],
    );
    r.fail = if has(
        t,
        &[
            "couldn't find an account",
            "could not find an account",
            "no account",
            "can't find an account",
            "cannot find an account",
            "couldn't find your account",
            "could not find your account",
            "couldn't verify",
            "could not verify",
            "don't match",
            "do not match",
            "doesn't match",
            "didn't match",
            "did not match",
            "couldn't match",
            "could not match",
            "user not found",
        ],
    ) {
        Some(Fail::Account)
    } else if (has(
        t,
        &[
            "couldn't find order",
            "could not find order",
            "can't find order",
            "cannot find order",
            "order not found",
            "no order",
        ],
    )) || (has(t, &["couldn't find", "could not find", "not found"])
        && t.contains("order"))
    {
        Some(Fail::Order)
    } else if has(
        t,
        &[
            "only pending",
            "only delivered",
            "can no longer",
            "can't be changed",
            "cannot be changed",
            "can't be cancelled",
            "cannot be cancelled",
            "already",
        ],
    ) {
        Some(Fail::Status)
    } else if has(
        t,
        &[
            "couldn't",
            "could not",
            "failed",
            "error",
            "unable to",
            "wasn't able",
            "was not able",
            "sorry, i can't",
            "i can't",
        ],
    ) {
        Some(Fail::Other)
    } else {
        None
    };
    r.done = r.fail.is_none()
        && has(
            t,
            &[
                " is cancelled",
                " has been cancelled",
                " was cancelled",
                " is canceled",
                " has been canceled",
                " is updated",
                " has been updated",
                " was updated",
                " is requested",
                " has been requested",
                " was requested",
                " are changed",
                " is changed",
                " have been changed",
                " has been changed",
                " now paid",
                "success",
                "all set",
                "completed",
                "submitted",
                "processed your",
            ],
        );
    r.done = r.done || (r.fail.is_none() && word(t, "done"));
    r.dropped = has(
        t,
        &[
            "stopped",
            "i won't",
            "won't do",
            "will not",
            "not go ahead",
            "no changes",
            "nothing was changed",
            "nothing has changed",
            "left it",
            "aborted",
            "cancelled that",
            "never mind",
            "okay, i won't",
            "not changed",
        ],
    );
    if r.dropped {
        r.done = false;
    }
    r.anything_else = has(
        t,
        &[
            "anything else",
            "something else",
            "else i can",
            "else can i",
            "help you with anything",
            "sonst noch",
            "noch etwas",
            "autre chose",
            "algo más",
            "nog iets",
            "iets anders",
        ],
    );
    // Questions and requests, sentence by sentence.
    let mut confirm_hits = 0;
    let mut any_wh = false;
    let mut action_sentence = false;
    for raw in split_sentences(t) {
        let is_question = raw.ends_with('?');
        let mut s = raw
            .trim_end_matches(['?', '.', '!', ':'])
            .trim()
            .to_string();
        // "To find your account: what's your first name?" → the part after the colon.
        if let Some(i) = s.rfind(": ") {
            let tail = s[i + 2..].to_string();
            if WH.iter().any(|w| tail.starts_with(w)) {
                s = tail;
            }
        }
        loop {
            let before = s.clone();
            for f in FILLERS {
                if let Some(rest) = s.strip_prefix(f) {
                    s = rest.trim_start_matches([',', ' ']).to_string();
                }
            }
            if s == before {
                break;
            }
        }
        let wh = WH
            .iter()
            .any(|w| s.starts_with(w) || s.contains(&format!(" {w}")))
            || s.starts_with("please ")
            || s.contains(" please");
        let action_start = ACTION_STARTS.iter().any(|a| s.starts_with(a))
            || s.starts_with("would you like to")
            || s.starts_with("do you want to")
            || s.starts_with("can i go")
            || s.starts_with("shall")
            || s.starts_with("should");
        let confirmish = has(&s, CONFIRM_WORDS);
        if is_question && (action_start || (confirmish && !wh_slot(&s))) {
            confirm_hits += 1;
            continue;
        }
        if wh {
            any_wh = true;
        }
        if action_start {
            action_sentence = true;
        }
        if !(is_question || wh) {
            continue;
        }
        for a in slot_asks(&s) {
            if !r.asks.contains(&a) {
                r.asks.push(a);
            }
        }
    }
    if confirm_hits > 0 && r.asks.is_empty() {
        r.confirm = true;
    }
    // "Cancel order #W1 because …. Shall I?" split oddly: a reply that opens with the action
    // and ends with a question.
    if !r.confirm && !any_wh && t.trim_end().ends_with('?') && action_sentence {
        r.confirm = true;
        r.asks.clear();
    }
    // "Please reply yes to confirm." without a question mark.
    if !r.confirm
        && r.asks.is_empty()
        && has(
            t,
            &[
                "reply yes",
                "say yes",
                "type yes",
                "(yes/no)",
                "yes or no",
                "confirm",
            ],
        )
        && !r.done
        && r.fail.is_none()
    {
        r.confirm = true;
    }
    r
}

/// A sentence that names a slot after a question word ("which order should I cancel").
fn wh_slot(s: &str) -> bool {
    (s.starts_with("which")
        || s.starts_with("what")
        || s.starts_with("why")
        || s.starts_with("where"))
        && !slot_asks(s).is_empty()
}

fn split_sentences(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = t.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        let next_space = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        if (c == '?' || c == '!' || c == '\n' || (c == '.' && next_space)) && !cur.trim().is_empty()
        {
            out.push(cur.trim().to_string());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

fn slot_asks(s: &str) -> Vec<Ask> {
    let mut a = Vec::new();
    let email = has(
        s,
        &["email", "e-mail", "mail address", "courriel", "correo"],
    );
    if has(
        s,
        &["first name", "given name", "vorname", "prénom", "voornaam"],
    ) {
        a.push(Ask::FirstName);
    }
    if has(
        s,
        &[
            "last name",
            "surname",
            "family name",
            "nachname",
            "nom de famille",
            "apellido",
            "achternaam",
        ],
    ) {
        a.push(Ask::LastName);
    }
    // "first and last name", "Vor- und Nachname", "prénom et nom": the whole name.
    let whole = has(
        s,
        &[
            "first and last name",
            "first name and last name",
            "full name",
            "first and family name",
            "vor- und nachname",
            "vor- und zuname",
            "prénom et nom",
            "nom et prénom",
            "nombre y apellido",
            "nombre completo",
            "voor- en achternaam",
            "volledige naam",
        ],
    );
    if whole {
        a.retain(|x| !matches!(x, Ask::FirstName | Ask::LastName));
    }
    if whole
        || !a.contains(&Ask::FirstName)
            && !a.contains(&Ask::LastName)
            && (word(s, "name") || word(s, "nom") || word(s, "nombre") || word(s, "naam"))
            && !has(s, &["product name", "item name", "user name", "username"])
    {
        a.push(Ask::FullName);
    }
    if email {
        a.push(Ask::Email);
    }
    if has(
        s,
        &[
            "zip",
            "postal",
            "postcode",
            "post code",
            "plz",
            "código postal",
            "code postal",
        ],
    ) {
        a.push(Ask::Zip);
    }
    if has(
        s,
        &[
            "verify your identity",
            "identify you",
            "authenticate",
            "look up your account",
            "find your account",
            "locate your account",
        ],
    ) && a.is_empty()
    {
        a.push(Ask::Identity);
    }
    if has(
        s,
        &[
            "which order",
            "what order",
            "order id",
            "order number",
            "order #",
            "#w0",
            "order's id",
            "bestellnummer",
            "numéro de commande",
            "número de pedido",
            "bestelnummer",
        ],
    ) {
        a.push(Ask::OrderId);
    }
    let new_items = has(
        s,
        &[
            "new item",
            "replacement",
            "instead",
            "new ones",
            "options you want",
            "same product",
            "new option",
            "which variant",
            "what would you like it",
            "swap it for",
            "exchange it for",
            "change it to",
        ],
    );
    if new_items {
        a.push(Ask::NewItems);
    } else if has(
        s,
        &[
            "which item",
            "what item",
            "which product",
            "items",
            "item id",
            "which one",
            "what product",
        ],
    ) {
        a.push(Ask::Items);
    }
    if has(
        s,
        &[
            "payment",
            "pay for",
            "pay with",
            "card",
            "refund",
            "paypal",
            "price difference",
            "charge",
        ],
    ) {
        a.push(Ask::Payment);
    }
    let addr_part = if has(
        s,
        &[
            "second line",
            "line 2",
            "address2",
            "address line 2",
            "apartment",
            "suite",
            "apt",
            "unit",
        ],
    ) {
        Some(Ask::Address2)
    } else if has(
        s,
        &[
            "street",
            "first line",
            "line 1",
            "address1",
            "address line 1",
        ],
    ) {
        Some(Ask::Address1)
    } else {
        None
    };
    if let Some(p) = addr_part {
        a.push(p);
    }
    if word(s, "city") || word(s, "town") {
        a.push(Ask::City);
    }
    if word(s, "state") || word(s, "province") {
        a.push(Ask::State);
    }
    if word(s, "country") {
        a.push(Ask::Country);
    }
    if addr_part.is_none()
        && s.contains("address")
        && !email
        && !a
            .iter()
            .any(|x| matches!(x, Ask::City | Ask::State | Ask::Country | Ask::Zip))
    {
        a.push(Ask::FullAddress);
    }
    if word(s, "why") || has(s, &["reason", "grund", "raison", "motivo", "reden"]) {
        a.push(Ask::Reason);
    }
    // "Your email, or your name and ZIP": one way of identifying, the customer's choice.
    let ident = |x: &Ask| matches!(x, Ask::FirstName | Ask::LastName | Ask::FullName | Ask::Zip);
    if a.contains(&Ask::Email) && a.iter().any(ident) {
        a.retain(|x| !ident(x) && *x != Ask::Email);
        a.insert(0, Ask::Identity);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_common_agent_questions() {
        assert_eq!(
            read("To find your account: what's your first name?").asks,
            vec![Ask::FirstName]
        );
        assert_eq!(read("And your last name?").asks, vec![Ask::LastName]);
        assert_eq!(
            read("Could you also give me your first and last name?").asks,
            vec![Ask::FullName]
        );
        assert_eq!(
            read("To find your account, please give me your email address or first and last name and ZIP code.").asks,
            vec![Ask::Identity]
        );
        assert_eq!(
            read("Pour retrouver votre compte, indiquez-moi : adresse e-mail ou prénom et nom et code postal.").asks,
            vec![Ask::Identity]
        );
        assert_eq!(
            read("Nennen Sie mir bitte Ihren Vor- und Nachnamen.").asks,
            vec![Ask::FullName]
        );
        assert_eq!(
            read("Could you tell me your email address?").asks,
            vec![Ask::Email]
        );
        assert_eq!(
            read("Which order would you like to cancel? (Its id looks like #W0000000.)").asks,
            vec![Ask::OrderId]
        );
        assert_eq!(read("City?").asks, vec![Ask::City]);
        assert_eq!(
            read("And the new items, in the same order (item ids of the same products with the options you want)?").asks,
            vec![Ask::NewItems]
        );
        assert_eq!(
            read("The second line (or 'none')?").asks,
            vec![Ask::Address2]
        );
        assert_eq!(read("State (two letters)?").asks, vec![Ask::State]);
        assert_eq!(read("ZIP code?").asks, vec![Ask::Zip]);
        assert_eq!(
            read("Why do you want to cancel it: no longer needed, or ordered by mistake?").asks,
            vec![Ask::Reason]
        );
        assert_eq!(
            read("Where should the refund go? The original payment method or one of your gift cards (give its id).").asks,
            vec![Ask::Payment]
        );
    }

    #[test]
    fn reads_confirmations_and_outcomes() {
        let r = read(
            "Cancel order #W1234567 because \"no longer needed\"? The refund goes back to the original payment method.",
        );
        assert!(r.confirm, "{r:?}");
        assert!(read("Make 12 Main St, Austin, TX 78701, USA your default address?").confirm);
        assert!(read("Shall I go ahead with the exchange?").confirm);
        assert!(!read("What's the new street address (first line)?").confirm);
        let r = read(
            "Ship order #W8665881 to 20566. I need order W8665881 shipped to a different address: 123 Elm Street, Suite 641, Austin, TX 78712, USA?",
        );
        assert!(r.confirm && r.asks.is_empty(), "{r:?}");
        let r = read(
            "Thanks, I've found your account.\nShip order #W8665881 to 20566. I need order W8665881 shipped to a different address: 123 Elm Street, Suite 641, Austin, TX 78712, USA?",
        );
        assert!(r.confirm && r.asks.is_empty(), "{r:?}");
        assert!(read("Order #W1234567 is cancelled.").done);
        let r = read("Order #W1 is delivered; only pending orders can be cancelled.");
        assert_eq!(r.fail, Some(Fail::Status));
        assert!(!r.done);
        assert_eq!(
            read("I couldn't find an account with those details.").fail,
            Some(Fail::Account)
        );
        assert!(read("Is there anything else I can help you with?").anything_else);
    }
}
