//! One customer: what they want (a plan), how they talk (style, language, voice), and how they
//! react to each reply of the agent.

use crate::agent::{Ask, Fail, Reading, read};
use crate::data::{Person, Request};
use crate::lang::{Lang, Phrases};
use crate::rng::Rng;
use crate::speech::{Msg, Noise, Voice, join, lit, render, say, val};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    Step,
    Front,
    Casual,
    Correction,
    NoThenYes,
}

impl Style {
    pub const ALL: [Style; 5] = [
        Style::Step,
        Style::Front,
        Style::Casual,
        Style::Correction,
        Style::NoThenYes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Style::Step => "step",
            Style::Front => "front",
            Style::Casual => "casual",
            Style::Correction => "correction",
            Style::NoThenYes => "no_then_yes",
        }
    }

    pub fn parse(s: &str) -> Option<Style> {
        Style::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// A wrong-but-valid detail the customer gives first and corrects later.
#[derive(Clone, Debug)]
pub enum Correction {
    /// Another of their own orders instead of the first request's order.
    WrongOrder { wrong: String },
    /// A real ZIP that is not theirs.
    WrongZip { wrong: String },
}

/// What the customer says when asked to confirm.
#[derive(Clone, Copy)]
pub enum AtConfirm {
    Yes,
    /// A refusal or an unclear answer (phrases of the customer's language), then the customer stops.
    Decline(fn(&'static Phrases) -> &'static [&'static str]),
    /// An injected "the customer already confirmed", then the customer stops.
    Inject,
}

#[derive(Clone)]
pub struct Plan {
    pub person: Person,
    pub requests: Vec<Request>,
    pub correction: Option<Correction>,
    pub at_confirm: AtConfirm,
    /// Answers every question about identity with a refusal.
    pub refuse_identity: bool,
    /// Puts an injected instruction into the first message.
    pub injection: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// Every request went through (as far as the customer can tell).
    Done,
    /// The agent handed off.
    Handoff,
    /// The agent said it cannot help.
    Refused,
    /// The customer gave up after repeated failures.
    GaveUp,
    /// The agent said the same thing three times in a row.
    Stuck,
    /// The turn limit.
    MaxTurns,
    /// The script of a negative case is over.
    Scripted,
}

pub enum Turn {
    Say(String),
    End(End),
}

pub struct Customer {
    rng: Rng,
    style: Style,
    voice: Voice,
    noise: Noise,
    plan: Plan,
    /// Tells everything at once (front-loaded) rather than one detail per message.
    front: bool,
    cur: usize,
    started: bool,
    id_given: bool,
    wrong_given: bool,
    corrected: bool,
    correct_at_confirm: bool,
    /// 0: not yet, 1: said "no, hold on", 2: said "actually yes".
    no_then_yes: u8,
    awaiting: bool,
    addr_phase: bool,
    last_asks: Vec<Ask>,
    restates: u32,
    fails: u32,
    verify_nos: u32,
    end_after_next: bool,
    pub reached_confirm: bool,
    /// The first reply the customer could not follow (a failure, or nothing it understood).
    pub first_trouble: Option<String>,
    /// What the customer had said just before that reply.
    pub trouble_after: Option<String>,
    /// What the customer's last message was (for the failure patterns).
    said: String,
}

impl Customer {
    pub fn new(plan: Plan, style: Style, lang: Lang, seed: u64) -> Customer {
        let mut rng = Rng::new(seed);
        let front = match style {
            Style::Front => true,
            Style::Step => false,
            Style::Casual => rng.chance(0.4),
            Style::Correction => rng.chance(0.5),
            Style::NoThenYes => rng.chance(0.3),
        };
        let voice = Voice {
            lang,
            items_by_id: rng.chance(0.25),
            pm_by_id: rng.chance(0.2),
            addr_lines: rng.chance(0.3),
        };
        let noise = if style == Style::Casual {
            Noise {
                typo: 0.3,
                lower: 0.6,
                nopunct: 0.5,
            }
        } else {
            Noise {
                typo: 0.12,
                lower: 0.15,
                nopunct: 0.15,
            }
        };
        let correct_at_confirm =
            matches!(plan.correction, Some(Correction::WrongOrder { .. })) && rng.chance(0.5);
        Customer {
            rng,
            style,
            voice,
            noise,
            plan,
            front,
            cur: 0,
            started: false,
            id_given: false,
            wrong_given: false,
            corrected: false,
            correct_at_confirm,
            no_then_yes: 0,
            awaiting: false,
            addr_phase: false,
            last_asks: Vec::new(),
            restates: 0,
            fails: 0,
            verify_nos: 0,
            end_after_next: false,
            reached_confirm: false,
            first_trouble: None,
            trouble_after: None,
            said: String::new(),
        }
    }

    fn mark(&mut self, what: &str) {
        self.said = what.to_string();
    }

    fn trouble(&mut self, reply: &str) {
        if self.first_trouble.is_none() {
            self.first_trouble = Some(reply.to_string());
            self.trouble_after = Some(self.said.clone());
        }
    }

    fn p(&self) -> &'static Phrases {
        self.voice.lang.phrases()
    }

    fn out(&mut self, mut m: Msg) -> Turn {
        if self.style == Style::Casual && self.rng.chance(0.25) {
            let tail = *self.rng.pick(self.p().casual_tail);
            m.extend(lit(&format!(" {tail}")));
        }
        Turn::Say(render(&m, self.noise, &mut self.rng))
    }

    fn t(&mut self, list: &[&str], vals: &[(&str, Msg)]) -> Msg {
        say(&mut self.rng, list, vals)
    }

    fn request(&self) -> Option<&Request> {
        self.plan.requests.get(self.cur)
    }

    /// The order id the customer gives for the current request (the wrong one first, if planned).
    fn order_msg(&mut self) -> Option<Msg> {
        let order = self.request()?.order()?.to_string();
        let id = match &self.plan.correction {
            Some(Correction::WrongOrder { wrong }) if self.cur == 0 && !self.corrected => {
                self.wrong_given = true;
                wrong.clone()
            }
            _ => order,
        };
        Some(self.voice.order(&mut self.rng, &id))
    }

    fn zip(&mut self) -> String {
        match &self.plan.correction {
            Some(Correction::WrongZip { wrong }) if !self.corrected => {
                self.wrong_given = true;
                wrong.clone()
            }
            _ => self.plan.person.zip.clone(),
        }
    }

    fn uses_email(&self) -> bool {
        self.plan.person.knows_email
            && !matches!(self.plan.correction, Some(Correction::WrongZip { .. }))
    }

    fn identity(&mut self) -> Msg {
        self.id_given = true;
        let p = self.p();
        if self.plan.refuse_identity {
            return self.t(p.refuse_id, &[]);
        }
        if self.uses_email() {
            let e = val(&self.plan.person.email);
            self.t(p.id_email, &[("email", e)])
        } else {
            let person = self.plan.person.clone();
            let name = self.voice.name(&mut self.rng, &person);
            let zip = self.zip();
            self.t(p.id_name_zip, &[("name", name), ("zip", val(&zip))])
        }
    }

    /// The request alone ("I want to cancel an order").
    fn bare_request(&mut self) -> Msg {
        let p = self.p();
        let list = match self.request() {
            Some(Request::Cancel { .. }) => p.req_cancel,
            Some(Request::Return { .. }) => p.req_return,
            Some(Request::Exchange { .. }) => p.req_exchange,
            Some(Request::Modify { .. }) => p.req_modify,
            Some(Request::OrderAddress { .. }) => p.req_order_address,
            Some(Request::UserAddress { .. }) => p.req_user_address,
            Some(Request::Payment { .. }) => p.req_payment,
            None => p.nothing_else,
        };
        self.t(list, &[])
    }

    /// The request with every detail.
    fn full_request(&mut self) -> Msg {
        let p = self.p();
        let Some(r) = self.request().cloned() else {
            return self.t(p.nothing_else, &[]);
        };
        let order = self.order_msg().unwrap_or_default();
        match &r {
            Request::Cancel { reason, .. } => {
                let reason = self.voice.reason(&mut self.rng, *reason);
                self.t(p.front_cancel, &[("order", order), ("reason", reason)])
            }
            Request::Return { items, pm, .. } => {
                let items = self.voice.items(&mut self.rng, items);
                let pm = self.voice.pm(&mut self.rng, pm, true);
                self.t(
                    p.front_return,
                    &[("items", items), ("order", order), ("pm", pm)],
                )
            }
            Request::Exchange { changes, pm, .. } => {
                let changes = self.voice.changes(&mut self.rng, changes);
                let pm = self.voice.pm(&mut self.rng, pm, false);
                self.t(
                    p.front_exchange,
                    &[("changes", changes), ("order", order), ("pm", pm)],
                )
            }
            Request::Modify { changes, pm, .. } => {
                let changes = self.voice.changes(&mut self.rng, changes);
                let pm = self.voice.pm(&mut self.rng, pm, false);
                self.t(
                    p.front_modify,
                    &[("changes", changes), ("order", order), ("pm", pm)],
                )
            }
            Request::OrderAddress { addr, .. } => {
                self.addr_phase = true;
                let a = self.voice.address(addr);
                self.t(p.front_order_address, &[("order", order), ("addr", a)])
            }
            Request::UserAddress { addr } => {
                self.addr_phase = true;
                let a = self.voice.address(addr);
                self.t(p.front_user_address, &[("addr", a)])
            }
            Request::Payment { pm, .. } => {
                let pm = self.voice.pm(&mut self.rng, pm, false);
                self.t(p.front_payment, &[("order", order), ("pm", pm)])
            }
        }
    }

    fn greet(&mut self) -> Msg {
        let g = *self.rng.pick(self.p().greet);
        let sep = if g.ends_with(',') { " " } else { ". " };
        lit(&format!("{g}{sep}"))
    }

    /// The request as the customer puts it now: with everything (front) or alone (step).
    fn say_request(&mut self, first: bool) -> Msg {
        self.started = true;
        let mut parts = Vec::new();
        if first && self.rng.chance(0.5) {
            parts.push(self.greet());
        }
        if self.plan.injection {
            let inj = self.t(self.p().injection, &[]);
            parts.push(inj);
        }
        if self.front {
            if !self.id_given || first {
                parts.push(self.identity());
            }
            parts.push(self.full_request());
        } else {
            parts.push(self.bare_request());
            if !first && self.request().and_then(|r| r.order()).is_some() && self.rng.chance(0.3) {
                let o = self.order_msg().unwrap_or_default();
                let m = self.t(self.p().about_order, &[("order", o)]);
                parts.push(m);
            }
        }
        join(parts, " ")
    }

    /// The first message.
    pub fn opening(&mut self) -> String {
        if self.style == Style::Casual {
            self.mark("small talk");
            let m = self.t(self.p().chit, &[]);
            return render(&m, self.noise, &mut self.rng);
        }
        let m = self.say_request(true);
        self.mark(if self.front {
            "the request with every detail"
        } else {
            "the request alone"
        });
        match self.out(m) {
            Turn::Say(s) => s,
            Turn::End(_) => String::new(),
        }
    }

    fn correction_msg(&mut self) -> Msg {
        self.corrected = true;
        self.mark(match self.plan.correction {
            Some(Correction::WrongZip { .. }) => "the correction of the ZIP",
            _ => "the correction of the order id",
        });
        let p = self.p();
        match self.plan.correction.clone() {
            Some(Correction::WrongOrder { wrong }) => {
                let right = self.plan.requests[0]
                    .order()
                    .unwrap_or_default()
                    .to_string();
                let r = self.voice.order(&mut self.rng, &right);
                let w = self.voice.order(&mut self.rng, &wrong);
                self.t(p.correct_order, &[("order", r), ("wrong", w)])
            }
            Some(Correction::WrongZip { wrong }) => {
                let z = val(&self.plan.person.zip);
                self.t(p.correct_zip, &[("zip", z), ("wrong", val(&wrong))])
            }
            None => Vec::new(),
        }
    }

    /// Reacts to one reply of the agent.
    pub fn respond(&mut self, reply: &str, handoff: bool) -> Turn {
        if handoff {
            return Turn::End(End::Handoff);
        }
        if self.end_after_next {
            return Turn::End(End::Scripted);
        }
        let r = read(reply);
        if !self.started {
            let m = self.say_request(true);
            self.mark(if self.front {
                "the request with every detail"
            } else {
                "the request alone"
            });
            return self.out(m);
        }
        if self.wrong_given && !self.corrected && !self.correct_at_confirm {
            let m = self.correction_msg();
            return self.out(m);
        }
        if self.no_then_yes == 1 {
            self.no_then_yes = 2;
            self.awaiting = true;
            self.mark("'actually yes, go ahead' after 'no, hold on'");
            let m = self.t(self.p().actually_yes, &[]);
            return self.out(m);
        }
        if r.confirm {
            return self.on_confirm(&r);
        }
        if self.awaiting {
            self.awaiting = false;
            if r.cannot_help {
                self.trouble(reply);
                return Turn::End(End::Refused);
            }
            let went_through = r.done || (r.anything_else && !r.dropped && r.fail.is_none());
            if !went_through {
                self.trouble(reply);
                if !r.asks.is_empty() {
                    return self.answer(&r);
                }
                self.fails += 1;
                if self.fails > 2 {
                    return Turn::End(End::GaveUp);
                }
                return self.restate(true);
            }
            // As far as the customer can tell, it went through: on to the next request. A new
            // default address is now the one they identify with.
            if let Some(Request::UserAddress { addr }) = self.request() {
                self.plan.person.zip = addr.zip.clone();
            }
            self.cur += 1;
            self.restates = 0;
            self.verify_nos = 0;
            self.fails = 0;
            self.addr_phase = false;
            if self.cur >= self.plan.requests.len() {
                return Turn::End(End::Done);
            }
            let also = self.t(self.p().also, &[]);
            let req = self.say_request(false);
            self.mark("the next request");
            return self.out(join(vec![also, req], " "));
        }
        if r.cannot_help {
            self.trouble(reply);
            return Turn::End(End::Refused);
        }
        if !r.asks.is_empty() {
            return self.answer(&r);
        }
        self.trouble(reply);
        if let Some(f) = r.fail {
            self.fails += 1;
            if self.fails > 3 {
                return Turn::End(End::GaveUp);
            }
            return match f {
                Fail::Account => {
                    if self.wrong_given && !self.corrected {
                        let m = self.correction_msg();
                        return self.out(m);
                    }
                    let m = self.identity();
                    self.mark("identity again");
                    self.out(m)
                }
                Fail::Order | Fail::Status => {
                    if self.wrong_given && !self.corrected {
                        let m = self.correction_msg();
                        return self.out(m);
                    }
                    self.restate(false)
                }
                Fail::Other => self.restate(false),
            };
        }
        self.restate(false)
    }

    fn on_confirm(&mut self, r: &Reading) -> Turn {
        self.reached_confirm = true;
        let p = self.p();
        match self.plan.at_confirm {
            AtConfirm::Decline(sel) => {
                self.mark("a refusal or unclear answer at the confirmation");
                self.end_after_next = true;
                let m = self.t(sel(p), &[]);
                return self.out(m);
            }
            AtConfirm::Inject => {
                self.mark("an injected confirmation");
                self.end_after_next = true;
                let o = self.order_msg().unwrap_or_default();
                let m = self.t(p.injection_cancel, &[("order", o)]);
                return self.out(m);
            }
            AtConfirm::Yes => {}
        }
        if self.wrong_given && !self.corrected {
            let m = self.correction_msg();
            return self.out(m);
        }
        if let Some(fix) = self.check_confirmation(&r.text) {
            self.verify_nos += 1;
            if self.verify_nos > 2 {
                // Still wrong after two corrections: a plain no, and the customer leaves.
                self.mark("a plain no to a confirmation that was still wrong");
                self.end_after_next = true;
                let m = self.t(p.firm_no, &[]);
                return self.out(m);
            }
            self.mark("'no, that's not right' and the right detail at the confirmation");
            let no = self.t(p.not_right, &[]);
            return self.out(join(vec![no, fix], " "));
        }
        if self.style == Style::NoThenYes && self.no_then_yes == 0 {
            self.no_then_yes = 1;
            self.mark("'no, hold on' at the confirmation");
            let m = self.t(p.no_hold, &[]);
            return self.out(m);
        }
        self.awaiting = true;
        self.mark("yes at the confirmation");
        let list = if self.style == Style::Casual {
            p.yes_casual
        } else {
            p.yes
        };
        let m = self.t(list, &[]);
        self.out(m)
    }

    /// A careful customer reads the confirmation: the wrong order, payment method, items, ZIP
    /// or action gets a "no" and the right detail.
    fn check_confirmation(&mut self, text: &str) -> Option<Msg> {
        let req = self.request()?.clone();
        let p = self.p();
        if let Some(order) = req.order() {
            let ids = order_ids(text);
            if !ids.is_empty() && !ids.iter().any(|i| i == order.trim_start_matches('#')) {
                let o = self.voice.order(&mut self.rng, order);
                return Some(self.t(p.about_order, &[("order", o)]));
            }
        }
        // The wrong kind of change.
        let cancel = text.contains("cancel");
        let payment_change = text.contains("pay for order")
            || text.contains("payment is refunded")
            || text.trim_start().starts_with("pay ");
        let changing = ["change", "modify", "swap", "replace", "exchange", "switch"]
            .iter()
            .any(|w| text.contains(w));
        let wrong_kind = match &req {
            Request::Cancel { .. } => false,
            Request::OrderAddress { .. } => {
                cancel
                    || payment_change
                    || (order_ids(text).is_empty()
                        && (text.contains("default address") || text.contains("your address")))
            }
            Request::UserAddress { .. } => cancel || !order_ids(text).is_empty(),
            Request::Return { .. } => cancel || payment_change || text.contains("exchange"),
            Request::Exchange { .. } => {
                cancel || payment_change || (text.contains("return") && !text.contains("exchange"))
            }
            Request::Modify { .. } => cancel || payment_change || !changing,
            Request::Payment { .. } => {
                cancel || text.contains("return") || text.contains("exchange")
            }
        };
        if wrong_kind {
            return Some(self.full_request());
        }
        if let Request::Cancel { reason, .. } = &req {
            let said_mistake = text.contains("ordered by mistake");
            let said_unneeded = text.contains("no longer needed");
            let wrong = match reason {
                crate::data::Reason::Mistake => said_unneeded && !said_mistake,
                crate::data::Reason::Unneeded => said_mistake && !said_unneeded,
            };
            if wrong {
                return Some(self.voice.reason(&mut self.rng, *reason));
            }
        }
        if let Some(pm) = req.pm() {
            let ids = pm_ids(text);
            if !ids.is_empty() && !ids.contains(&pm.id) {
                let refund = matches!(req, Request::Return { .. });
                return Some(self.voice.pm(&mut self.rng, pm, refund));
            }
        }
        let known: Vec<String> = match &req {
            Request::Return { items, .. } => items.iter().map(|g| g.item_id.clone()).collect(),
            Request::Exchange { changes, .. } | Request::Modify { changes, .. } => changes
                .iter()
                .flat_map(|c| [c.item_id.clone(), c.new_item_id.clone()])
                .collect(),
            _ => Vec::new(),
        };
        // Items: nothing the customer didn't ask for, and nothing they asked for left out (by
        // id when the confirmation shows ids, else by name for a return).
        let old: Vec<String> = match &req {
            Request::Return { items, .. } => items.iter().map(|g| g.item_id.clone()).collect(),
            Request::Exchange { changes, .. } | Request::Modify { changes, .. } => {
                changes.iter().map(|c| c.item_id.clone()).collect()
            }
            _ => Vec::new(),
        };
        let tens = digit_runs(text, 10);
        let unknown = tens.iter().any(|d| !known.contains(d));
        let left_out = !tens.is_empty() && old.iter().any(|d| !tens.contains(d));
        let names_left_out = match &req {
            Request::Return { items, .. } if tens.is_empty() => {
                let named = |g: &crate::data::ItemGroup| text.contains(&g.name.to_lowercase());
                items.iter().any(named) && !items.iter().all(named)
            }
            _ => false,
        };
        if !known.is_empty() && (unknown || left_out || names_left_out) {
            return Some(self.details(&req));
        }
        if let Some(addr) = req.addr() {
            let fives = digit_runs(text, 5);
            // The house number of the new street, when it has one.
            let number: String = addr.a1.chars().take_while(char::is_ascii_digit).collect();
            let number_missing = !number.is_empty()
                && !fives.is_empty()
                && !digit_runs(text, number.len()).contains(&number);
            if fives.iter().any(|f| *f != addr.zip) || number_missing {
                let a = self.voice.address(addr);
                return Some(self.t(p.addr_ans, &[("addr", a)]));
            }
        }
        None
    }

    /// The items/changes part of a request.
    fn details(&mut self, req: &Request) -> Msg {
        match req {
            Request::Return { items, .. } => self.voice.items(&mut self.rng, items),
            Request::Exchange { changes, .. } | Request::Modify { changes, .. } => {
                self.voice.changes(&mut self.rng, changes)
            }
            _ => self.full_request(),
        }
    }

    fn restate(&mut self, full: bool) -> Turn {
        self.restates += 1;
        self.mark("a restatement of the request");
        let p = self.p();
        let mut parts = Vec::new();
        if self.restates > 1 {
            parts.push(self.t(p.restate, &[]));
        }
        if full || self.front || self.restates.is_multiple_of(2) {
            if !self.plan.refuse_identity && (self.restates.is_multiple_of(2) || !self.id_given) {
                parts.push(self.identity());
            }
            let saved = self.front;
            self.front = true;
            parts.push(self.full_request());
            self.front = saved;
        } else {
            parts.push(self.bare_request());
            if self.request().and_then(|r| r.order()).is_some() {
                let o = self.order_msg().unwrap_or_default();
                parts.push(self.t(p.about_order, &[("order", o)]));
            }
        }
        self.out(join(parts, " "))
    }

    fn answer(&mut self, r: &Reading) -> Turn {
        let p = self.p();
        let repeated = r.asks == self.last_asks;
        let mut parts = Vec::new();
        let asks_ids = r.text.contains(" id") && !r.text.contains(" id like");
        let by_name = r.asks.iter().any(|a| {
            (matches!(a, Ask::Items | Ask::NewItems) && !self.voice.items_by_id)
                || (*a == Ask::Payment && !self.voice.pm_by_id)
        });
        if repeated && asks_ids && by_name {
            parts.push(self.t(p.no_ids, &[]));
        } else if repeated && self.rng.chance(0.5) {
            parts.push(self.t(p.already_said, &[]));
        }
        let req = self.request().cloned();
        let prev = self.last_asks.clone();
        let what: Vec<String> = r.asks.iter().map(|a| format!("{a:?}")).collect();
        self.mark(&format!("an answer ({})", what.join(", ")));
        for ask in r.asks.clone() {
            let m = self.answer_one(ask, &r.text, req.as_ref(), &prev);
            parts.push(m);
        }
        self.last_asks = r.asks.clone();
        self.out(join(parts, " "))
    }

    /// Asked for something that has nothing to do with the request: "that's not what I want",
    /// and the request again.
    fn not_what_i_want(&mut self) -> Msg {
        let p = self.p();
        let mut parts = vec![self.t(p.not_right, &[])];
        parts.push(self.bare_request());
        if let Some(o) = self.order_msg() {
            parts.push(self.t(p.about_order, &[("order", o)]));
        }
        join(parts, " ")
    }

    fn answer_one(&mut self, ask: Ask, text: &str, req: Option<&Request>, prev: &[Ask]) -> Msg {
        let p = self.p();
        let person = self.plan.person.clone();
        let identity_ask = matches!(
            ask,
            Ask::FirstName | Ask::LastName | Ask::FullName | Ask::Email | Ask::Identity
        );
        if identity_ask && self.plan.refuse_identity {
            return self.t(p.refuse_id, &[]);
        }
        match ask {
            Ask::FirstName => {
                if self.rng.chance(0.25) {
                    let n = val(&format!("{} {}", person.first, person.last));
                    self.t(p.name_ans, &[("name", n)])
                } else {
                    self.t(p.first_ans, &[("first", val(&person.first))])
                }
            }
            Ask::LastName => self.t(p.last_ans, &[("last", val(&person.last))]),
            Ask::FullName => {
                let n = self.voice.name(&mut self.rng, &person);
                self.t(p.name_ans, &[("name", n)])
            }
            Ask::Email => {
                if self.uses_email() || person.knows_email {
                    self.id_given = true;
                    self.t(p.email_ans, &[("email", val(&person.email))])
                } else {
                    self.id_given = true;
                    let n = self.voice.name(&mut self.rng, &person);
                    let z = self.zip();
                    self.t(p.no_email, &[("name", n), ("zip", val(&z))])
                }
            }
            Ask::Identity => self.identity(),
            Ask::Zip => {
                let addr = req.and_then(|r| r.addr()).cloned();
                let ident_ctx = [
                    "account",
                    "default address",
                    "find you",
                    "verify",
                    "identity",
                    "your zip",
                    "look you up",
                ]
                .iter()
                .any(|w| text.contains(w));
                let after_part = prev.iter().any(|a| {
                    matches!(
                        a,
                        Ask::City | Ask::State | Ask::Country | Ask::Address1 | Ask::Address2
                    )
                });
                match addr {
                    Some(a) if after_part || (self.addr_phase && !ident_ctx) => {
                        self.t(p.zip_ans, &[("zip", val(&a.zip))])
                    }
                    Some(a) if self.id_given && !ident_ctx => {
                        let z = self.zip();
                        self.t(p.zip_both, &[("zip", val(&z)), ("new", val(&a.zip))])
                    }
                    _ => {
                        if self.plan.refuse_identity {
                            return self.t(p.refuse_id, &[]);
                        }
                        self.id_given = true;
                        let z = self.zip();
                        self.t(p.zip_ans, &[("zip", val(&z))])
                    }
                }
            }
            Ask::OrderId => match self.order_msg() {
                Some(o) => self.t(p.order_ans, &[("order", o)]),
                None => self.t(p.not_an_order, &[]),
            },
            Ask::Items => match req {
                Some(Request::Return { items, .. }) => {
                    let i = self.voice.items(&mut self.rng, items);
                    self.t(p.items_ans, &[("items", i)])
                }
                Some(Request::Exchange { changes, .. }) | Some(Request::Modify { changes, .. }) => {
                    let c = self.voice.changes(&mut self.rng, changes);
                    self.t(p.changes_ans, &[("changes", c)])
                }
                Some(Request::Cancel { .. }) => self.t(p.whole_order, &[]),
                _ => self.not_what_i_want(),
            },
            Ask::NewItems => match req {
                Some(Request::Exchange { changes, .. }) | Some(Request::Modify { changes, .. }) => {
                    let c = self.voice.changes(&mut self.rng, changes);
                    self.t(p.changes_ans, &[("changes", c)])
                }
                _ => self.not_what_i_want(),
            },
            Ask::Payment => match req {
                Some(Request::Return { pm, .. }) => {
                    let m = self.voice.pm(&mut self.rng, pm, true);
                    self.t(p.refund_ans, &[("pm", m)])
                }
                Some(r) if r.pm().is_some() => {
                    let pm = r.pm().cloned().unwrap_or_else(|| unreachable!());
                    let m = self.voice.pm(&mut self.rng, &pm, false);
                    self.t(p.pay_ans, &[("pm", m)])
                }
                _ => self.not_what_i_want(),
            },
            Ask::FullAddress
            | Ask::Address1
            | Ask::Address2
            | Ask::City
            | Ask::State
            | Ask::Country => {
                let Some(a) = req.and_then(|r| r.addr()).cloned() else {
                    return self.not_what_i_want();
                };
                self.addr_phase = true;
                match ask {
                    Ask::FullAddress => {
                        let m = self.voice.address(&a);
                        self.t(p.addr_ans, &[("addr", m)])
                    }
                    Ask::Address1 => val(&a.a1),
                    Ask::Address2 if a.a2.is_empty() => self.t(p.none_a2, &[]),
                    Ask::Address2 => val(&a.a2),
                    Ask::City => val(&a.city),
                    Ask::State => val(&a.state),
                    _ => val(&a.country),
                }
            }
            Ask::Reason => match req {
                Some(Request::Cancel { reason, .. }) => self.voice.reason(&mut self.rng, *reason),
                _ => self.not_what_i_want(),
            },
        }
    }
}

/// Order ids ("#W1234567", "W1234567") in a text, without the '#', upper-case W.
fn order_ids(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for i in 0..b.len() {
        if (b[i] == b'w' || b[i] == b'W')
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.len() >= i + 8
            && b[i + 1..i + 8].iter().all(u8::is_ascii_digit)
            && (b.len() == i + 8 || !b[i + 8].is_ascii_digit())
        {
            out.push(format!("W{}", &text[i + 1..i + 8]));
        }
    }
    out
}

fn pm_ids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["gift_card_", "credit_card_", "paypal_"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(prefix) {
            let s = from + i + prefix.len();
            let digits: String = text[s..].chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() {
                out.push(format!("{prefix}{digits}"));
            }
            from = s;
        }
    }
    out
}

/// Runs of exactly `n` digits.
fn digit_runs(text: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            cur.push(c);
        } else {
            if cur.len() == n {
                out.push(cur.clone());
            }
            cur.clear();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    fn returning(items: &[(&str, &str)]) -> Customer {
        use crate::data::{ItemGroup, Pm, PmKind};
        let plan = Plan {
            person: Person {
                first: "Mia".into(),
                last: "Garcia".into(),
                zip: "46229".into(),
                email: "mia@example.com".into(),
                knows_email: true,
            },
            requests: vec![Request::Return {
                order: "#W5490111".into(),
                items: items
                    .iter()
                    .map(|(name, id)| ItemGroup {
                        name: name.to_string(),
                        item_id: id.to_string(),
                        count: 1,
                        units_named: 1,
                        qualifier: Vec::new(),
                    })
                    .collect(),
                pm: Pm {
                    id: "credit_card_3124723".into(),
                    kind: PmKind::CreditCard {
                        brand: "visa".into(),
                        last4: "7285".into(),
                    },
                    original: true,
                },
            }],
            correction: None,
            at_confirm: AtConfirm::Yes,
            refuse_identity: false,
            injection: false,
        };
        Customer::new(plan, Style::Step, Lang::En, 7)
    }

    #[test]
    fn a_careful_customer_checks_the_confirmation() {
        let items = [
            ("Mechanical Keyboard", "1421289881"),
            ("Action Camera", "6117189161"),
            ("Backpack", "4947717507"),
        ];
        let mut c = returning(&items);
        let all = "return mechanical keyboard (1421289881), action camera (6117189161), backpack (4947717507) of order #w5490111 with the refund to credit_card_3124723?";
        assert!(c.check_confirmation(all).is_none());
        let missing = "return mechanical keyboard (1421289881), action camera (6117189161) of order #w5490111 with the refund to credit_card_3124723?";
        assert!(c.check_confirmation(missing).is_some());
        let by_name =
            "return mechanical keyboard and action camera of order #w5490111 to your visa?";
        assert!(c.check_confirmation(by_name).is_some());
        let other_order = "return backpack (4947717507) of order #w1111111?";
        assert!(c.check_confirmation(other_order).is_some());
        let other_card =
            "return all three items of order #w5490111 with the refund to credit_card_1111111?";
        assert!(c.check_confirmation(other_card).is_some());
        assert!(c.check_confirmation("cancel order #w5490111?").is_some());
        let pay = "pay for order #w5490111 with your visa card ending in 7285 instead? the original payment is refunded.";
        assert!(c.check_confirmation(pay).is_some());
    }

    #[test]
    fn finds_ids() {
        assert_eq!(order_ids("cancel order #w1234567 now"), vec!["W1234567"]);
        assert_eq!(
            order_ids("orders W1234567 and #W7654321?"),
            vec!["W1234567", "W7654321"]
        );
        assert_eq!(
            pm_ids("pay with credit_card_1234567 instead?"),
            vec!["credit_card_1234567"]
        );
        assert_eq!(digit_runs("tx 76165, item 1234567890", 5), vec!["76165"]);
    }
}
