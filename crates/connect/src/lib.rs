//! Switchboard's connectors: the HTTP executor for tools, the User Data API client and the
//! outbound guard every user-configured URL goes through.
//!
//! This crate owns all outbound HTTP to company APIs. It decides nothing about policy (who may
//! call what, which inputs are bound): that is `switchboard-core`'s, and a call reaches this
//! crate only as a `PreparedCall` that passed those checks.

mod body;
pub mod guard;
pub mod jwks;
pub mod tools;
pub mod user_data;

pub use body::guarded_client;
pub use guard::{NameLookup, SystemLookup};
pub use jwks::Jwks;
pub use tools::{HttpToolRunner, inputs_from_pairs};
pub use user_data::HttpUserDataSource;
