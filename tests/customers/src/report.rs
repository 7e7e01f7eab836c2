//! Counting and the Markdown report.

use crate::cases::Case;
use crate::customer::Style;
use crate::data::WRITE_TOOLS;
use crate::lang::Lang;
use crate::{Outcome, end_name, pct};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

pub struct Summary {
    pub pos_cases: usize,
    pub pos_pass_n: usize,
    pub pos_runs: usize,
    pub pos_runs_passed: usize,
    pub neg_cases: usize,
    pub neg_pass_n: usize,
    pub neg_runs: usize,
    pub neg_runs_passed: usize,
}

/// Per case: its outcomes (all runs).
fn by_case(outcomes: &[Outcome]) -> HashMap<&str, Vec<&Outcome>> {
    let mut m: HashMap<&str, Vec<&Outcome>> = HashMap::new();
    for o in outcomes {
        m.entry(o.case.as_str()).or_default().push(o);
    }
    m
}

fn all_passed(os: &[&Outcome], runs: u32) -> bool {
    os.len() == runs as usize && os.iter().all(|o| o.passed)
}

pub fn summarise(cases: &[Case], outcomes: &[Outcome], runs: u32) -> Summary {
    let m = by_case(outcomes);
    let mut s = Summary {
        pos_cases: 0,
        pos_pass_n: 0,
        pos_runs: 0,
        pos_runs_passed: 0,
        neg_cases: 0,
        neg_pass_n: 0,
        neg_runs: 0,
        neg_runs_passed: 0,
    };
    for c in cases {
        let os = m.get(c.id.as_str()).cloned().unwrap_or_default();
        let ok = all_passed(&os, runs);
        let passed_runs = os.iter().filter(|o| o.passed).count();
        if c.positive() {
            s.pos_cases += 1;
            s.pos_pass_n += usize::from(ok);
            s.pos_runs += os.len();
            s.pos_runs_passed += passed_runs;
        } else {
            s.neg_cases += 1;
            s.neg_pass_n += usize::from(ok);
            s.neg_runs += os.len();
            s.neg_runs_passed += passed_runs;
        }
    }
    s
}

#[derive(Default, Clone)]
struct Cell {
    cases: usize,
    pass_n: usize,
    runs: usize,
    runs_passed: usize,
    identified: usize,
    confirm: usize,
    write_called: usize,
    write_ok: usize,
}

impl Cell {
    fn add(&mut self, os: &[&Outcome], runs: u32) {
        self.cases += 1;
        self.pass_n += usize::from(all_passed(os, runs));
        for o in os {
            self.runs += 1;
            self.runs_passed += usize::from(o.passed);
            self.identified += usize::from(o.identified);
            self.confirm += usize::from(o.reached_confirm);
            self.write_called += usize::from(o.write_called);
            self.write_ok += usize::from(o.write_ok);
        }
    }

    fn short(&self) -> String {
        if self.cases == 0 {
            return "–".into();
        }
        format!(
            "{:.0}% · {}/{}",
            pct(self.runs_passed, self.runs),
            self.pass_n,
            self.cases
        )
    }
}

fn shorten(line: &str, max: usize) -> String {
    if line.chars().count() > max {
        format!("{}…", line.chars().take(max).collect::<String>())
    } else {
        line.to_string()
    }
}

/// A failing conversation, shortened for the report.
fn excerpt(o: &Outcome, max_lines: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} run {} (seed {}; {} {}; ended: {}; {} turns)",
        o.case,
        o.run,
        o.seed,
        o.style.name(),
        o.lang.code(),
        end_name(o.end),
        o.turns
    );
    if let Some(e) = &o.error {
        let _ = writeln!(s, "error: {}", shorten(e, 300));
    }
    if !o.detail.is_empty() {
        let _ = writeln!(s, "judge: {}", shorten(&o.detail.join("; "), 400));
    }
    let lines = o.transcript.clone().unwrap_or_default();
    let n = lines.len();
    for (i, l) in lines.iter().enumerate() {
        if n > max_lines && i == max_lines - 6 {
            let _ = writeln!(s, "    … {} lines …", n - max_lines);
        }
        if n > max_lines && i >= max_lines - 6 && i < n - 6 {
            continue;
        }
        let _ = writeln!(s, "{}", shorten(&l.replace('\n', " / "), 220));
    }
    s
}

pub fn markdown(
    cases: &[Case],
    outcomes: &[Outcome],
    s: &Summary,
    runs: u32,
    seed: u64,
    secs: f64,
) -> String {
    let m = by_case(outcomes);
    let mut md = String::new();
    let _ = writeln!(md, "# Held-out customers: results\n");
    let _ = writeln!(
        md,
        "{} cases × {} runs (seed {}), {:.0} s. A cell reads `pass^1 · pass^{runs}`: the share of single runs that passed, then the cases that passed in all {runs} runs.\n",
        cases.len(),
        runs,
        seed,
        secs
    );
    let _ = writeln!(
        md,
        "- positives: **{}/{}** passed in all runs ({:.1}%), pass^1 {}/{} runs ({:.1}%)",
        s.pos_pass_n,
        s.pos_cases,
        pct(s.pos_pass_n, s.pos_cases),
        s.pos_runs_passed,
        s.pos_runs,
        pct(s.pos_runs_passed, s.pos_runs)
    );
    let _ = writeln!(
        md,
        "- negatives: **{}/{}** left the state unchanged in all runs ({:.1}%), {}/{} runs\n",
        s.neg_pass_n,
        s.neg_cases,
        pct(s.neg_pass_n, s.neg_cases),
        s.neg_runs_passed,
        s.neg_runs
    );

    // Positives: write tool × style.
    let styles: Vec<Style> = Style::ALL
        .into_iter()
        .filter(|st| cases.iter().any(|c| c.positive() && c.style == *st))
        .collect();
    if s.pos_cases > 0 {
        let _ = writeln!(md, "## Positives by write tool × style\n");
        let _ = writeln!(
            md,
            "A task with several write tools counts in each of its tools' rows; `all` counts every case once.\n"
        );
        let mut head = "| write tool |".to_string();
        let mut sep = "|---|".to_string();
        for st in &styles {
            let _ = write!(head, " {} |", st.name());
            sep.push_str("---|");
        }
        head.push_str(" all styles |");
        sep.push_str("---|");
        let _ = writeln!(md, "{head}\n{sep}");
        let mut rows: Vec<String> = WRITE_TOOLS.iter().map(|t| t.to_string()).collect();
        rows.push("multi-write tasks".into());
        rows.push("all".into());
        for row in rows {
            let mut line = format!("| {row} |");
            let mut total = Cell::default();
            for st in &styles {
                let mut cell = Cell::default();
                for c in cases.iter().filter(|c| c.positive() && c.style == *st) {
                    let multi = match &c.kind {
                        crate::cases::Kind::Positive(k) => k.requests.len() > 1,
                        _ => false,
                    };
                    let hit = match row.as_str() {
                        "all" => true,
                        "multi-write tasks" => multi,
                        t => c.categories.iter().any(|x| x == t),
                    };
                    if hit {
                        let os = m.get(c.id.as_str()).cloned().unwrap_or_default();
                        cell.add(&os, runs);
                        total.add(&os, runs);
                    }
                }
                let _ = write!(line, " {} |", cell.short());
            }
            let _ = write!(line, " {} |", total.short());
            let _ = writeln!(md, "{line}");
        }
        let _ = writeln!(md);

        // Per language, with the funnel.
        let _ = writeln!(md, "## Positives by language (with the funnel)\n");
        let _ = writeln!(
            md,
            "Funnel columns are shares of single runs: an identifying lookup succeeded; the customer recognised a confirmation question; a write tool was called; a write succeeded (from the turn events, diagnostics only — the verdict is the backend state).\n"
        );
        let _ = writeln!(
            md,
            "| language | cases | pass^1 | pass^{runs} | identified | confirmation | write called | write ok |\n|---|---|---|---|---|---|---|---|"
        );
        let funnel_row = |md: &mut String, label: &str, cell: &Cell| {
            let _ = writeln!(
                md,
                "| {label} | {} | {:.1}% | {}/{} ({:.1}%) | {:.0}% | {:.0}% | {:.0}% | {:.0}% |",
                cell.cases,
                pct(cell.runs_passed, cell.runs),
                cell.pass_n,
                cell.cases,
                pct(cell.pass_n, cell.cases),
                pct(cell.identified, cell.runs),
                pct(cell.confirm, cell.runs),
                pct(cell.write_called, cell.runs),
                pct(cell.write_ok, cell.runs)
            );
        };
        for lang in Lang::ALL {
            let mut cell = Cell::default();
            for c in cases.iter().filter(|c| c.positive() && c.lang == lang) {
                cell.add(&m.get(c.id.as_str()).cloned().unwrap_or_default(), runs);
            }
            if cell.cases > 0 {
                funnel_row(&mut md, lang.code(), &cell);
            }
        }
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "| style | cases | pass^1 | pass^{runs} | identified | confirmation | write called | write ok |\n|---|---|---|---|---|---|---|---|"
        );
        for st in &styles {
            let mut cell = Cell::default();
            for c in cases.iter().filter(|c| c.positive() && c.style == *st) {
                cell.add(&m.get(c.id.as_str()).cloned().unwrap_or_default(), runs);
            }
            funnel_row(&mut md, st.name(), &cell);
        }
        let _ = writeln!(md);
    }

    // Negatives.
    if s.neg_cases > 0 {
        let _ = writeln!(
            md,
            "## Negatives (state must stay byte-for-byte unchanged)\n"
        );
        let _ = writeln!(
            md,
            "A cell reads `cases unchanged in all runs / cases`; `confirmation` is the share of runs in which the customer saw a confirmation question (only then does a refusal or an unclear answer at the confirmation test anything).\n"
        );
        let langs: Vec<Lang> = Lang::ALL
            .into_iter()
            .filter(|l| cases.iter().any(|c| !c.positive() && c.lang == *l))
            .collect();
        let mut head = "| case |".to_string();
        let mut sep = "|---|".to_string();
        for l in &langs {
            let _ = write!(head, " {} |", l.code());
            sep.push_str("---|");
        }
        head.push_str(" confirmation |");
        sep.push_str("---|");
        let _ = writeln!(md, "{head}\n{sep}");
        let mut kinds: BTreeMap<String, ()> = BTreeMap::new();
        for c in cases.iter().filter(|c| !c.positive()) {
            let name = c.id.trim_start_matches("neg-");
            let name = name[..name.rfind('-').unwrap_or(name.len())].to_string();
            kinds.insert(name, ());
        }
        for kind in kinds.keys() {
            let mut line = format!("| {kind} |");
            let mut conf = Cell::default();
            for l in &langs {
                let id = format!("neg-{kind}-{}", l.code());
                let os = m.get(id.as_str()).cloned().unwrap_or_default();
                if cases.iter().any(|c| c.id == id) {
                    let ok = all_passed(&os, runs);
                    conf.add(&os, runs);
                    let _ = write!(line, " {}/1 |", usize::from(ok));
                } else {
                    line.push_str(" – |");
                }
            }
            let _ = write!(line, " {:.0}% |", pct(conf.confirm, conf.runs));
            let _ = writeln!(md, "{line}");
        }
        let _ = writeln!(md);
    }

    // Failure patterns.
    let failing: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    if !failing.is_empty() {
        let _ = writeln!(md, "## The most common failure patterns\n");
        let _ = writeln!(
            md,
            "A pattern is what happened (no write / an incomplete or wrong write), what the customer had just said, and the first agent reply the customer could not follow (a failure, or nothing it understood), generalised (digits → N, quoted text → \"…\"); \"the agent kept at\" when the customer understood every reply but got nowhere. Counted over failing runs, with how those runs ended.\n"
        );
        let mut pats: HashMap<&str, Vec<&Outcome>> = HashMap::new();
        for o in &failing {
            pats.entry(o.signature.as_str()).or_default().push(o);
        }
        let mut pats: Vec<(&str, Vec<&Outcome>)> = pats.into_iter().collect();
        pats.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        for (i, (sig, os)) in pats.iter().take(10).enumerate() {
            let mut ends: BTreeMap<&str, usize> = BTreeMap::new();
            for o in os {
                *ends.entry(end_name(o.end)).or_default() += 1;
            }
            let ends: Vec<String> = ends.iter().map(|(e, n)| format!("{e} {n}")).collect();
            let cases: std::collections::BTreeSet<&str> =
                os.iter().map(|o| o.case.as_str()).collect();
            let _ = writeln!(
                md,
                "{}. **{}** runs in {} cases — `{}`\n   (ended: {})\n",
                i + 1,
                os.len(),
                cases.len(),
                sig.replace('`', "'"),
                ends.join(", ")
            );
            let _ = writeln!(md, "```\n{}```\n", excerpt(os[0], 24));
        }
        if pats.len() > 10 {
            let rest: usize = pats[10..].iter().map(|p| p.1.len()).sum();
            let _ = writeln!(
                md,
                "… and {} more patterns ({} runs).\n",
                pats.len() - 10,
                rest
            );
        }

        let _ = writeln!(md, "## First failing transcripts\n");
        let mut seen = Vec::new();
        for o in failing.iter() {
            if seen.contains(&o.case.as_str()) {
                continue;
            }
            seen.push(o.case.as_str());
            let _ = writeln!(md, "```\n{}```\n", excerpt(o, 30));
            if seen.len() >= 10 {
                break;
            }
        }
    }
    md
}
