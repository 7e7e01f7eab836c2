//! Task definitions compiled from the config: structured steps become a flat program with
//! jumps (so a run's position is one number that survives a restart), templates and conditions
//! are compiled once, and every reference is checked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::config::raw::{OnError, RawStep, RawTask};
use crate::config::{Access, BoundSource, Effect, Located, Tool};

/// A compiled task.
#[derive(Debug)]
pub struct TaskDef {
    /// Name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Messages that start it.
    pub examples: Vec<String>,
    /// Messages that must not start it.
    pub negative_examples: Vec<String>,
    /// Who may start it.
    pub access: Access,
    /// Guidance for the model.
    pub guidance: Option<String>,
    /// When to hand off.
    pub handoff_rule: Option<String>,
    /// The steps.
    pub body: TaskBody,
}

/// How a task runs.
#[derive(Debug)]
pub enum TaskBody {
    /// Engine-driven steps.
    Steps(Vec<Instr>),
    /// Model-driven plain-English steps, and the tools they reference.
    Instructions {
        /// The steps with `{{tool}}` references rewritten for the model.
        steps: Vec<String>,
        /// The referenced tools.
        tools: Vec<String>,
    },
}

/// A slot to collect.
#[derive(Debug)]
pub struct Slot {
    /// Name.
    pub name: String,
    /// The JSON-Schema-like description used to extract and validate it.
    pub property: Value,
    /// The compiled pattern (anchored), if any.
    pub pattern: Option<regex::Regex>,
    /// The question.
    pub prompt: String,
    /// The template that says why an answer is not valid (`{{ choices }}` lists the records
    /// to choose among), if the config gives one.
    pub invalid: Option<String>,
    /// Trusted source that fills it.
    pub from: Option<BoundSource>,
    /// Other ways to say each allowed value.
    pub synonyms: Vec<(String, Vec<String>)>,
    /// Records to choose the value among.
    pub choose_from: Option<ChooseFrom>,
}

/// How a slot's value is chosen among the customer's records.
#[derive(Debug)]
pub struct ChooseFrom {
    /// Path of the records in the task's context.
    pub list: String,
    /// The field that is the value.
    pub value: String,
    /// The fields that describe a record, its name first.
    pub describe: Vec<String>,
    /// Phrase → template name of the value it means.
    pub aliases: Vec<(String, String)>,
    /// Replacements for another list slot's values.
    pub replacing: Option<Replacing>,
    /// Where else the records may be.
    pub elsewhere: Option<Elsewhere>,
}

/// Where else a choice's records may be (see `RawElsewhere`).
#[derive(Debug)]
pub struct Elsewhere {
    /// The slot the records were looked up with.
    pub slot: String,
    /// Path of that slot's other values.
    pub among: String,
    /// The read instruction that loads the records (its `save` is the list's first name).
    pub lookup: usize,
}

/// How replacements are found (see `RawReplacing`).
#[derive(Debug)]
pub struct Replacing {
    /// The list slot whose values are replaced.
    pub slot: String,
    /// Path of the replaced records.
    pub records: String,
    /// The field shared by a record and its replacement.
    pub key: String,
    /// Path of the groups.
    pub groups: String,
    /// The field of a group with its members.
    pub members: String,
}

impl Slot {
    /// Whether the slot holds an address object.
    pub fn is_address(&self) -> bool {
        self.property["format"] == "address"
    }

    /// Whether the slot is a list.
    pub fn is_list(&self) -> bool {
        self.property["type"] == "array"
    }

    /// Whether the slot is free text (no type, pattern, enum or records to choose among): it
    /// is only ever taken as the answer to its own question.
    pub fn is_free_text(&self) -> bool {
        self.property["type"] == "string"
            && self.property.get("format").is_none()
            && self.property.get("pattern").is_none()
            && self.property.get("enum").is_none()
            && self.choose_from.is_none()
    }
}

/// An input of a call step.
#[derive(Debug)]
pub enum InputExpr {
    /// `{{ path }}` alone: the typed value at that path of the context.
    Path(String),
    /// A template rendered to text (its name in `Config::templates`).
    Template(String),
    /// A list of inputs.
    List(Vec<InputExpr>),
    /// An object of inputs.
    Object(Vec<(String, InputExpr)>),
    /// A value without templates.
    Literal(Value),
}

/// One instruction of a structured task.
#[derive(Debug)]
pub enum Instr {
    /// Identify the customer with the first lookup whose inputs are known.
    Identify {
        /// Identifying lookups, in order of preference.
        lookups: Vec<String>,
        /// The question when details are missing (as written), if configured.
        prompt: Option<String>,
        /// Failed lookups before a handoff.
        attempts: u32,
    },
    /// Ask for a slot unless known.
    Collect(Box<Slot>),
    /// Call a tool.
    Call {
        /// Tool name.
        tool: String,
        /// Inputs.
        inputs: Vec<(String, InputExpr)>,
        /// Save the result under this name.
        save: Option<String>,
        /// What a failure does.
        on_error: OnError,
        /// Failure message template name.
        error_message: Option<String>,
        /// Whether the tool writes.
        write: bool,
        /// Call once per element of this expression's list (reads only).
        for_each: Option<String>,
    },
    /// Go to `target` unless `condition` holds.
    JumpUnless {
        /// Expression source (compiled at load, evaluated per run).
        condition: String,
        /// Where to go.
        target: usize,
    },
    /// Go to `target`.
    Jump(usize),
    /// Ask for an explicit yes/no (template name).
    Confirm(String),
    /// Say something (template name).
    Say(String),
    /// Hand off to a human, with a summary (template name).
    Handoff(Option<String>),
    /// End the task (closing message template name).
    End(Option<String>),
    /// Go on as another task, keeping the request and the slots of the same name.
    Switch(String),
}

/// Collects problems and templates while compiling.
pub(crate) struct Compiler<'a> {
    pub problems: &'a mut crate::config::error::Problems,
    pub templates: &'a mut minijinja::Environment<'static>,
    pub tools: &'a BTreeMap<String, Arc<Tool>>,
    pub tool_names: &'a BTreeSet<String>,
    pub task_names: &'a BTreeSet<String>,
}

impl Compiler<'_> {
    fn input_expr(&mut self, id: &str, source: &Value, at: crate::config::Position) -> InputExpr {
        match source {
            Value::String(text) => {
                let path = text
                    .trim()
                    .strip_prefix("{{")
                    .and_then(|s| s.strip_suffix("}}"))
                    .map(str::trim)
                    .filter(|p| {
                        !p.is_empty()
                            && p.chars()
                                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                    });
                match path {
                    Some(p) => InputExpr::Path(p.to_string()),
                    None if !text.contains("{{") && !text.contains("{%") => {
                        InputExpr::Literal(source.clone())
                    }
                    None => InputExpr::Template(self.template(id.to_string(), text, at)),
                }
            }
            Value::Array(items) => InputExpr::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.input_expr(&format!("{id}.{i}"), v, at))
                    .collect(),
            ),
            Value::Object(map) => InputExpr::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.input_expr(&format!("{id}.{k}"), v, at)))
                    .collect(),
            ),
            other => InputExpr::Literal(other.clone()),
        }
    }

    fn template(&mut self, name: String, source: &str, at: crate::config::Position) -> String {
        if let Err(e) = self
            .templates
            .add_template_owned(name.clone(), source.to_string())
        {
            self.problems.add(
                at,
                format!("invalid template: {e}"),
                "templates use Jinja syntax: `{{ slot }}`, `{{ result.field }}`",
            );
        }
        name
    }

    /// Checks `choose_from.elsewhere`: its slot is collected earlier, and an earlier read saves
    /// the records' first name (`order` of `order.items`).
    #[allow(clippy::too_many_arguments)]
    fn elsewhere(
        &mut self,
        task: &str,
        slot: &str,
        list: &str,
        raw: &crate::config::raw::RawElsewhere,
        program: &[Instr],
        slots: &BTreeSet<String>,
        at: crate::config::Position,
    ) -> Option<Elsewhere> {
        if !slots.contains(&raw.slot) {
            self.problems.add(
                at,
                format!("task `{task}`: slot `{slot}`: `elsewhere.slot` `{}` is not collected before it", raw.slot),
                "name the slot the records were looked up with, e.g. `order_id`",
            );
            return None;
        }
        let root = list.split('.').next().unwrap_or_default();
        let lookup = program.iter().rposition(|i| {
            matches!(i, Instr::Call { save: Some(s), write: false, for_each: None, .. } if s == root)
        });
        if lookup.is_none() {
            self.problems.add(
                at,
                format!("task `{task}`: slot `{slot}`: `elsewhere` needs an earlier read that saves `{root}`"),
                "load the records with a `call` of a read tool and `save` them, e.g. `save: order`",
            );
        }
        Some(Elsewhere {
            slot: raw.slot.clone(),
            among: raw.among.clone(),
            lookup: lookup?,
        })
    }

    /// Compiles one task; reports every problem.
    pub(crate) fn task(&mut self, raw: &RawTask) -> TaskDef {
        let name = raw.name.value.clone();
        if raw.steps.is_empty() == raw.instructions.is_empty() {
            self.problems.add(raw.name.at, format!("task `{name}` must have either `steps` or `instructions`"), "write structured `steps:` (engine-driven) or plain-English `instructions:` (model-driven), not both");
        }
        let body = if raw.instructions.is_empty() {
            let mut program = Vec::new();
            let mut slots = BTreeSet::new();
            self.steps(&name, &raw.steps, &mut program, &mut slots);
            // A write is only ever reached after a confirmation on the same path.
            let mut confirmed = false;
            for instr in &program {
                match instr {
                    Instr::Confirm(_) => confirmed = true,
                    Instr::Call {
                        tool, write: true, ..
                    } if !confirmed => {
                        self.problems.add(
                            raw.name.at,
                            format!(
                                "task `{name}` calls write tool `{tool}` before any `confirm` step"
                            ),
                            "add a `confirm` step (showing what will be done) before the call",
                        );
                    }
                    _ => {}
                }
            }
            TaskBody::Steps(program)
        } else {
            self.instructions(&name, &raw.instructions)
        };
        TaskDef {
            name,
            description: raw.description.trim().to_string(),
            examples: raw.examples.clone(),
            negative_examples: raw.negative_examples.clone(),
            access: raw.access,
            guidance: raw.guidance.clone(),
            handoff_rule: raw.handoff.clone(),
            body,
        }
    }

    fn instructions(&mut self, task: &str, lines: &[Located<String>]) -> TaskBody {
        let mut tools = Vec::new();
        let mut steps = Vec::new();
        for line in lines {
            let mut out = String::new();
            let mut rest = line.value.as_str();
            while let Some(start) = rest.find("{{") {
                out.push_str(&rest[..start]);
                let Some(end) = rest[start..].find("}}") else {
                    break;
                };
                let reference = rest[start + 2..start + end].trim();
                if reference == "handover" {
                    out.push_str("the `handoff` tool");
                } else if self.tool_names.contains(reference) {
                    out.push_str(&format!("the `{reference}` tool"));
                    if !tools.iter().any(|t| t == reference) {
                        tools.push(reference.to_string());
                    }
                } else {
                    self.problems.add(
                        line.at,
                        format!("task `{task}` references unknown tool `{{{{{reference}}}}}`"),
                        "use `{{tool_name}}` for a defined tool or `{{handover}}` to hand off",
                    );
                }
                rest = &rest[start + end + 2..];
            }
            out.push_str(rest);
            steps.push(out);
        }
        TaskBody::Instructions { steps, tools }
    }

    fn steps(
        &mut self,
        task: &str,
        steps: &[Located<RawStep>],
        program: &mut Vec<Instr>,
        slots: &mut BTreeSet<String>,
    ) {
        for step in steps {
            let at = step.at;
            let id = format!("tasks.{task}.{}", program.len());
            match &step.value {
                RawStep::Identify(identify) => {
                    for lookup in &identify.using {
                        match self.tools.get(lookup) {
                            Some(tool) if tool.identifies.is_some() => {}
                            Some(_) => self.problems.add(
                                at,
                                format!("task `{task}`: `identify` uses `{lookup}`, which is not an identifying lookup"),
                                "add `identifies:` to the tool (where the response names the customer) or use another tool",
                            ),
                            None => self.problems.add(
                                at,
                                format!("task `{task}`: `identify` uses unknown tool `{lookup}`"),
                                "list tools defined under `tools:` that have `identifies:`",
                            ),
                        }
                    }
                    if identify.using.is_empty() {
                        self.problems.add(
                            at,
                            format!("task `{task}`: `identify` needs at least one lookup"),
                            "write `identify: {using: [find_user_by_email, find_user_by_name_zip]}`",
                        );
                    }
                    program.push(Instr::Identify {
                        lookups: identify.using.clone(),
                        prompt: identify.prompt.clone(),
                        attempts: identify.attempts.unwrap_or(3).max(1),
                    });
                }
                RawStep::Collect(c) => {
                    let pattern = c.pattern.as_ref().and_then(|p| {
                        match regex::Regex::new(&format!("^(?:{p})$")) {
                            Ok(r) => Some(r),
                            Err(e) => {
                                self.problems.add(
                                    at,
                                    format!(
                                        "task `{task}`: slot `{}` has an invalid pattern: {e}",
                                        c.slot
                                    ),
                                    "fix the regular expression",
                                );
                                None
                            }
                        }
                    });
                    let kind = c.kind.as_deref().unwrap_or(if c.choices.is_some() {
                        "enum"
                    } else {
                        "string"
                    });
                    let mut property = match kind {
                        "string" | "enum" => json!({"type": "string"}),
                        "email" => json!({"type": "string", "format": "email"}),
                        "date" => json!({"type": "string", "format": "date"}),
                        "number" => json!({"type": "number"}),
                        "integer" => json!({"type": "integer"}),
                        "list" => json!({"type": "array", "items": {"type": "string"}}),
                        "address" => json!({"type": "object", "format": "address"}),
                        other => {
                            self.problems.add(
                                at,
                                format!(
                                    "task `{task}`: slot `{}` has unknown type `{other}`",
                                    c.slot
                                ),
                                "use string, email, date, number, integer, enum, address or list",
                            );
                            json!({"type": "string"})
                        }
                    };
                    if let Some(p) = &c.pattern {
                        // For a list, the pattern applies to each item.
                        if kind == "list" {
                            property["items"]["pattern"] = json!(format!("^(?:{p})$"));
                        } else {
                            property["pattern"] = json!(p);
                        }
                    }
                    if let Some(choices) = &c.choices {
                        property["enum"] = json!(choices);
                    } else if kind == "enum" {
                        self.problems.add(
                            at,
                            format!(
                                "task `{task}`: slot `{}` is an enum without `enum:` values",
                                c.slot
                            ),
                            "list the allowed values under `enum:`",
                        );
                    }
                    let from = c.from.as_ref().and_then(|f| {
                        let parsed = crate::config::resolve::parse_bound(f);
                        if parsed.is_none() {
                            self.problems.add(
                                at,
                                format!(
                                    "task `{task}`: slot `{}` has unknown source `{f}`",
                                    c.slot
                                ),
                                "use `user.email`, `user.id` or `user_data.<field>`",
                            );
                        }
                        parsed
                    });
                    for value in c.synonyms.keys() {
                        let allowed = c.choices.as_ref().is_some_and(|v| v.contains(value));
                        if !allowed {
                            self.problems.add(
                                at,
                                format!("task `{task}`: slot `{}` has synonyms for `{value}`, which is not one of its `enum` values", c.slot),
                                "give synonyms only for values listed under `enum:`",
                            );
                        }
                    }
                    let choose_from = c.choose_from.as_ref().map(|choose| {
                        if choose.describe.is_empty() {
                            self.problems.add(
                                at,
                                format!("task `{task}`: slot `{}`: `choose_from` needs `describe` fields", c.slot),
                                "list the record fields that describe it, its name first: `describe: [name, options]`",
                            );
                        }
                        let aliases = choose
                            .aliases
                            .iter()
                            .enumerate()
                            .map(|(i, (phrase, template))| {
                                let name = self.template(format!("{id}.alias{i}"), template, at);
                                (phrase.clone(), name)
                            })
                            .collect();
                        if choose.list.is_empty() && choose.replacing.is_none() {
                            self.problems.add(
                                at,
                                format!("task `{task}`: slot `{}`: `choose_from` needs `list` (or `replacing`)", c.slot),
                                "give the path of the records, e.g. `list: order.items`",
                            );
                        }
                        ChooseFrom {
                            list: choose.list.clone(),
                            value: choose.value.clone(),
                            describe: choose.describe.clone(),
                            aliases,
                            replacing: choose.replacing.as_ref().map(|r| Replacing {
                                slot: r.slot.clone(),
                                records: r.records.clone(),
                                key: r.key.clone(),
                                groups: r.groups.clone(),
                                members: r.members.clone(),
                            }),
                            elsewhere: choose.elsewhere.as_ref().and_then(|e| {
                                self.elsewhere(task, &c.slot, &choose.list, e, program, slots, at)
                            }),
                        }
                    });
                    slots.insert(c.slot.clone());
                    program.push(Instr::Collect(Box::new(Slot {
                        name: c.slot.clone(),
                        property,
                        pattern,
                        prompt: c.prompt.clone(),
                        invalid: c
                            .invalid
                            .as_ref()
                            .map(|text| self.template(format!("{id}.invalid"), text, at)),
                        from,
                        synonyms: c
                            .synonyms
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                        choose_from,
                    })));
                }
                RawStep::Call(call) => {
                    let Some(tool) = self.tools.get(&call.tool) else {
                        let known = self
                            .tool_names
                            .iter()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ");
                        self.problems.add(
                            at,
                            format!("task `{task}` calls unknown tool `{}`", call.tool),
                            format!("define the tool under `tools:` or use one of: {known}"),
                        );
                        continue;
                    };
                    let mut inputs = Vec::new();
                    for (input, source) in &call.inputs {
                        let known_input = tool.input_property(input).is_some();
                        if !known_input {
                            self.problems.add(
                                at,
                                format!(
                                    "task `{task}`: tool `{}` has no input `{input}`",
                                    call.tool
                                ),
                                if tool.bound.contains_key(input) {
                                    "bound inputs are filled by the engine; remove it"
                                } else {
                                    "use one of the tool's `input.properties`"
                                },
                            );
                        }
                        let expr = self.input_expr(&format!("{id}.with.{input}"), source, at);
                        inputs.push((input.clone(), expr));
                    }
                    for required in tool.required_inputs() {
                        if !call.inputs.contains_key(&required) {
                            self.problems.add(at, format!("task `{task}`: call to `{}` does not give required input `{required}`", call.tool), "add it under `with:`");
                        }
                    }
                    let error_message = call
                        .error_message
                        .as_ref()
                        .map(|m| self.template(format!("{id}.error"), m, at));
                    if let Some(each) = &call.for_each {
                        if let Err(e) = self.templates.compile_expression(each) {
                            self.problems.add(at, format!("task `{task}`: invalid `for_each` expression `{each}`: {e}"), "write an expression that gives a list, e.g. `order['items'] | map(attribute='product_id') | list`");
                        }
                        if tool.effect == Effect::Write {
                            self.problems.add(
                                at,
                                format!(
                                    "task `{task}`: `for_each` calls write tool `{}`",
                                    call.tool
                                ),
                                "a write runs once per confirmation: call it without `for_each`",
                            );
                        }
                    }
                    program.push(Instr::Call {
                        tool: call.tool.clone(),
                        inputs,
                        save: call.save.clone(),
                        on_error: call.on_error.unwrap_or_default(),
                        error_message,
                        write: tool.effect == Effect::Write,
                        for_each: call.for_each.clone(),
                    });
                }
                RawStep::If(branch) => {
                    if let Err(e) = self.templates.compile_expression(&branch.when) {
                        self.problems.add(at, format!("task `{task}`: invalid condition `{}`: {e}", branch.when), "write e.g. `order.status == \"pending\"` (and, or, not, ==, !=, <, >, in)");
                    }
                    let jump_index = program.len();
                    program.push(Instr::JumpUnless {
                        condition: branch.when.clone(),
                        target: 0,
                    });
                    self.steps(task, &branch.then, program, slots);
                    if branch.otherwise.is_empty() {
                        let end = program.len();
                        program[jump_index] = Instr::JumpUnless {
                            condition: branch.when.clone(),
                            target: end,
                        };
                    } else {
                        let skip_index = program.len();
                        program.push(Instr::Jump(0));
                        let else_start = program.len();
                        self.steps(task, &branch.otherwise, program, slots);
                        let end = program.len();
                        program[jump_index] = Instr::JumpUnless {
                            condition: branch.when.clone(),
                            target: else_start,
                        };
                        program[skip_index] = Instr::Jump(end);
                    }
                }
                RawStep::Confirm(c) => {
                    let name = self.template(id, &c.message, at);
                    program.push(Instr::Confirm(name));
                }
                RawStep::Say(text) => {
                    let name = self.template(id, text, at);
                    program.push(Instr::Say(name));
                }
                RawStep::Handoff(h) => {
                    let name = h.summary.as_ref().map(|s| self.template(id, s, at));
                    program.push(Instr::Handoff(name));
                }
                RawStep::End(e) => {
                    let name = e.message.as_ref().map(|m| self.template(id, m, at));
                    program.push(Instr::End(name));
                }
                RawStep::Switch(target) => {
                    if target == task {
                        self.problems.add(
                            at,
                            format!("task `{task}`: `switch` names the task itself"),
                            "name another task, or use `end: {}`",
                        );
                    } else if !self.task_names.contains(target) {
                        self.problems.add(
                            at,
                            format!("task `{task}`: `switch` names unknown task `{target}`"),
                            "name a task defined under `tasks:`",
                        );
                    }
                    program.push(Instr::Switch(target.clone()));
                }
            }
        }
    }
}

impl TaskDef {
    /// The words of the task's description and examples.
    pub fn words(&self) -> BTreeSet<String> {
        let mut all = crate::extract::words(&self.description);
        for example in &self.examples {
            all.extend(crate::extract::words(example));
        }
        all
    }

    /// The slot definition named `name`.
    pub fn slot(&self, name: &str) -> Option<&Slot> {
        self.slots().find(|s| s.name == name)
    }

    /// Every slot, in program order.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        let program: &[Instr] = match &self.body {
            TaskBody::Steps(p) => p,
            TaskBody::Instructions { .. } => &[],
        };
        program.iter().filter_map(|i| match i {
            Instr::Collect(s) => Some(s.as_ref()),
            _ => None,
        })
    }
}
