//! Switchboard's core: the configuration model and its validation, identity and access policy,
//! request templates, the agent loop and the model interface.
//!
//! This crate does no I/O of its own. The model, HTTP, clock and store are passed in behind
//! traits, so the same engine runs against in-memory fakes in tests and real services in
//! production. It never opens a socket, spawns a process or reads a file other than config.

pub mod agent;
pub mod config;
pub mod extract;
pub mod identity;
pub mod model;
pub mod secret;
pub mod store;
pub mod task;
pub mod template;
pub mod tool_call;
pub mod understand;
pub mod user_data;
