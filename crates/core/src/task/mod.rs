//! Tasks: multi-step workflows the company defines (DESIGN §1.3). `program` compiles them from
//! the config; `run` holds a run's durable state; the engine that advances them lives in
//! `crate::agent`, next to the loop it shares with open conversations.

pub mod engine;
mod identify;
pub mod program;
pub mod run;
mod slots;

pub use engine::trigger_score;
pub use program::{ChooseFrom, InputExpr, Instr, Slot, TaskBody, TaskDef};
pub use run::{Awaiting, QueuedRequest, TaskRun, WriteRecord, WriteState};
