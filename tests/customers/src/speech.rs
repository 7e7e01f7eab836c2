//! Turning what a customer means into text: templates filled with values, then the customer's
//! own sloppiness (typos, lower case, missing punctuation) on the words around the values.

use crate::data::{Address, Change, ItemGroup, Person, Pm, PmKind, Reason};
use crate::lang::{Lang, Phrases};
use crate::rng::Rng;

#[derive(Clone, Debug)]
pub enum Seg {
    /// Words of the template: may get typos, lower case, lost punctuation.
    Lit(String),
    /// A value (name, id, email, address, item name, option): said exactly.
    Val(String),
}

pub type Msg = Vec<Seg>;

pub fn lit(s: &str) -> Msg {
    vec![Seg::Lit(s.to_string())]
}

pub fn val(s: &str) -> Msg {
    vec![Seg::Val(s.to_string())]
}

/// Fills `{name}` placeholders of `t` with messages.
pub fn fill(t: &str, vals: &[(&str, Msg)]) -> Msg {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let key = &rest[open + 1..open + close];
        if open > 0 {
            out.push(Seg::Lit(rest[..open].to_string()));
        }
        match vals.iter().find(|(k, _)| *k == key) {
            Some((_, m)) => out.extend(m.iter().cloned()),
            None => out.push(Seg::Lit(format!("{{{key}}}"))),
        }
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Seg::Lit(rest.to_string()));
    }
    out
}

/// Joins messages with a separator.
pub fn join(parts: Vec<Msg>, sep: &str) -> Msg {
    let mut out = Vec::new();
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(Seg::Lit(sep.to_string()));
        }
        out.extend(p);
    }
    out
}

/// "a, b and c".
pub fn list(parts: Vec<Msg>, and: &str) -> Msg {
    let n = parts.len();
    let mut out = Vec::new();
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            let sep = if i + 1 == n {
                format!(" {and} ")
            } else {
                ", ".to_string()
            };
            out.push(Seg::Lit(sep));
        }
        out.extend(p);
    }
    out
}

/// How sloppy one message is.
#[derive(Clone, Copy, Debug)]
pub struct Noise {
    pub typo: f64,
    pub lower: f64,
    pub nopunct: f64,
}

/// The final text of a message, with this message's sloppiness drawn from `rng`.
pub fn render(msg: &Msg, noise: Noise, rng: &mut Rng) -> String {
    let lower = rng.chance(noise.lower);
    let nopunct = rng.chance(noise.nopunct);
    let typo = rng.chance(noise.typo);
    let mut segs: Vec<Seg> = msg.clone();
    if lower {
        for s in segs.iter_mut() {
            if let Seg::Lit(t) = s {
                *t = t.to_lowercase();
            }
        }
    }
    if nopunct {
        for s in segs.iter_mut() {
            if let Seg::Lit(t) = s {
                *t = t.replace(['.', '!', ','], "");
            }
        }
    }
    if typo {
        // Words (≥ 4 letters) of the template text: (segment, char start, char len).
        let mut words = Vec::new();
        for (si, s) in segs.iter().enumerate() {
            if let Seg::Lit(t) = s {
                let chars: Vec<char> = t.chars().collect();
                let mut i = 0;
                while i < chars.len() {
                    if chars[i].is_alphabetic() {
                        let start = i;
                        while i < chars.len() && chars[i].is_alphabetic() {
                            i += 1;
                        }
                        if i - start >= 4 {
                            words.push((si, start, i - start));
                        }
                    } else {
                        i += 1;
                    }
                }
            }
        }
        if !words.is_empty() {
            let (si, start, len) = words[rng.below(words.len())];
            if let Seg::Lit(t) = &mut segs[si] {
                let mut chars: Vec<char> = t.chars().collect();
                let at = start + 1 + rng.below(len - 2);
                if rng.chance(0.5) {
                    chars.remove(at);
                } else {
                    chars.swap(at, at + 1);
                }
                *t = chars.into_iter().collect();
            }
        }
    }
    let mut out = String::new();
    for s in &segs {
        match s {
            Seg::Lit(t) | Seg::Val(t) => out.push_str(t),
        }
    }
    let mut text = out
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    text = text.replace(" \n", "\n").replace("\n ", "\n");
    text.trim().to_string()
}

/// Picks a template from a list and fills it.
pub fn say(rng: &mut Rng, list: &[&str], vals: &[(&str, Msg)]) -> Msg {
    let t: &str = list[rng.below(list.len())];
    fill(t, vals)
}

/// The customer's way of naming things, fixed per case (a customer who names items by id does so
/// throughout).
pub struct Voice {
    pub lang: Lang,
    pub items_by_id: bool,
    pub pm_by_id: bool,
    pub addr_lines: bool,
}

impl Voice {
    pub fn p(&self) -> &'static Phrases {
        self.lang.phrases()
    }

    pub fn name(&self, rng: &mut Rng, p: &Person) -> Msg {
        let n = match rng.below(10) {
            0..=4 => format!("{} {}", p.first, p.last),
            5..=7 => format!("{} {}", p.first, p.last).to_lowercase(),
            _ => format!("{}, {}", p.last, p.first),
        };
        val(&n)
    }

    pub fn order(&self, rng: &mut Rng, id: &str) -> Msg {
        if rng.chance(0.7) {
            val(id)
        } else {
            val(id.trim_start_matches('#'))
        }
    }

    fn item_name(&self, rng: &mut Rng, name: &str) -> String {
        if rng.chance(0.7) {
            name.to_lowercase()
        } else {
            name.to_string()
        }
    }

    fn plural(&self, name: &str) -> String {
        if self.lang == Lang::En && !name.ends_with('s') {
            format!("{name}s")
        } else {
            name.to_string()
        }
    }

    /// "the vacuum cleaner", "both lamps", "the black desk lamp", "item 1234567890".
    pub fn items(&self, rng: &mut Rng, groups: &[ItemGroup]) -> Msg {
        let p = self.p();
        let mut parts = Vec::new();
        for g in groups {
            let name = self.item_name(rng, &g.name);
            if self.items_by_id {
                for _ in 0..g.count {
                    parts.push(say(
                        rng,
                        p.item_by_id,
                        &[("name", val(&name)), ("id", val(&g.item_id))],
                    ));
                }
                continue;
            }
            let names = self.plural(&name);
            let m = if g.count >= 2 && g.count == g.units_named {
                if g.count == 2 {
                    say(rng, p.both, &[("names", val(&names))])
                } else {
                    say(
                        rng,
                        p.n_of,
                        &[("n", val(&g.count.to_string())), ("names", val(&names))],
                    )
                }
            } else if g.count >= 2 {
                say(
                    rng,
                    p.n_of,
                    &[("n", val(&g.count.to_string())), ("names", val(&names))],
                )
            } else if g.units_named > 1 && !g.qualifier.is_empty() {
                let q = self.qualified(&name, &g.qualifier);
                say(rng, p.the_item, &[("name", val(&q))])
            } else if g.units_named > 1 {
                say(
                    rng,
                    p.one_of,
                    &[("names", val(&names)), ("name", val(&name))],
                )
            } else {
                say(rng, p.the_item, &[("name", val(&name))])
            };
            parts.push(m);
        }
        list(parts, p.and)
    }

    /// "black desk lamp", "bluetooth speaker without water resistance".
    fn qualified(&self, name: &str, q: &[(String, String)]) -> String {
        let p = self.p();
        let mut before = Vec::new();
        let mut after = Vec::new();
        for (k, v) in q {
            match v.as_str() {
                "yes" => after.push(format!("{} {k}", p.with)),
                "no" | "none" => after.push(format!("{} {k}", p.without)),
                _ => before.push(v.clone()),
            }
        }
        let mut s = before.join(" ");
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(name);
        for a in after {
            s.push(' ');
            s.push_str(&a);
        }
        s
    }

    fn opts(&self, rng: &mut Rng, opts: &[(String, String)]) -> Msg {
        let p = self.p();
        let parts = opts
            .iter()
            .map(|(k, v)| match v.as_str() {
                "yes" => say(rng, p.opt_yes, &[("key", val(k))]),
                "no" => say(rng, p.opt_no, &[("key", val(k))]),
                "none" => say(rng, p.opt_none, &[("key", val(k))]),
                // "bagged/bagless: bagless" is just "bagless".
                _ if k.contains('/') => val(v),
                _ if v.len() <= 3 || v.chars().all(|c| c.is_ascii_digit()) => {
                    val(&format!("{k} {v}"))
                }
                _ => match rng.below(3) {
                    0 => val(v),
                    1 => val(&format!("{k} {v}")),
                    _ => val(&format!("{v} {k}")),
                },
            })
            .collect();
        if rng.chance(0.5) {
            join(parts, ", ")
        } else {
            list(parts, p.and)
        }
    }

    /// "the keyboard for the clicky one and the thermostat for one with Google Home".
    pub fn changes(&self, rng: &mut Rng, changes: &[Change]) -> Msg {
        let p = self.p();
        let mut parts = Vec::new();
        for c in changes {
            let name = self.item_name(rng, &c.name);
            let names = self.plural(&name);
            let item = if self.items_by_id {
                say(
                    rng,
                    p.item_by_id,
                    &[("name", val(&name)), ("id", val(&c.item_id))],
                )
            } else {
                match c.dup_index {
                    Some(0) => say(
                        rng,
                        p.one_of,
                        &[("names", val(&names)), ("name", val(&name))],
                    ),
                    Some(_) => say(rng, p.other_of, &[("name", val(&name))]),
                    None if !c.qualifier.is_empty() => {
                        let q = self.qualified(&name, &c.qualifier);
                        say(rng, p.the_item, &[("name", val(&q))])
                    }
                    None => say(rng, p.the_item, &[("name", val(&name))]),
                }
            };
            let new = if self.items_by_id {
                say(rng, p.new_by_id, &[("id", val(&c.new_item_id))])
            } else {
                let which = if c.changed.is_empty() || rng.chance(0.2) {
                    &c.full
                } else {
                    &c.changed
                };
                let o = self.opts(rng, which);
                say(rng, p.new_desc, &[("opts", o)])
            };
            parts.push(say(rng, p.change_one, &[("item", item), ("new", new)]));
        }
        list(parts, p.and)
    }

    /// "my Mastercard ending in 2478", "PayPal", "my gift card", "the original payment method".
    pub fn pm(&self, rng: &mut Rng, pm: &Pm, refund: bool) -> Msg {
        let p = self.p();
        if self.pm_by_id {
            return say(rng, p.pm_id, &[("id", val(&pm.id))]);
        }
        if refund && pm.original && rng.chance(0.3) {
            return say(rng, p.original_pm, &[]);
        }
        match &pm.kind {
            PmKind::CreditCard { brand, last4 } => {
                let b = if rng.chance(0.8) {
                    capitalise(brand)
                } else {
                    brand.clone()
                };
                say(rng, p.card, &[("brand", val(&b)), ("last4", val(last4))])
            }
            PmKind::GiftCard => say(rng, p.gift_card, &[]),
            PmKind::Paypal => say(rng, p.paypal, &[]),
        }
    }

    /// The address as one sentence, or line by line.
    pub fn address(&self, a: &Address) -> Msg {
        if self.addr_lines {
            let mut lines = vec![a.a1.clone()];
            if !a.a2.is_empty() {
                lines.push(a.a2.clone());
            }
            lines.push(format!("{}, {} {}", a.city, a.state, a.zip));
            lines.push(a.country.clone());
            vec![
                Seg::Lit("\n".into()),
                Seg::Val(lines.join("\n")),
                Seg::Lit("\n".into()),
            ]
        } else {
            let mut parts = vec![a.a1.clone()];
            if !a.a2.is_empty() {
                parts.push(a.a2.clone());
            }
            parts.push(a.city.clone());
            parts.push(format!("{} {}", a.state, a.zip));
            parts.push(a.country.clone());
            val(&parts.join(", "))
        }
    }

    pub fn reason(&self, rng: &mut Rng, r: Reason) -> Msg {
        let p = self.p();
        match r {
            Reason::Mistake => say(rng, p.mistake, &[]),
            Reason::Unneeded => say(rng, p.unneeded, &[]),
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_and_words_are_filled() {
        let m = fill(
            "I'm {name}, zip {zip}.",
            &[("name", val("Yusuf Rossi")), ("zip", val("19122"))],
        );
        let mut rng = Rng::new(1);
        let quiet = Noise {
            typo: 0.0,
            lower: 0.0,
            nopunct: 0.0,
        };
        assert_eq!(render(&m, quiet, &mut rng), "I'm Yusuf Rossi, zip 19122.");
        let loud = Noise {
            typo: 1.0,
            lower: 1.0,
            nopunct: 1.0,
        };
        for seed in 0..50 {
            let t = render(&m, loud, &mut Rng::new(seed));
            assert!(t.contains("Yusuf Rossi") && t.contains("19122"), "{t}");
            assert!(!t.contains('.'), "{t}");
        }
    }
}
