//! The crash harness (issue 11): the real `switchboard serve` is SIGKILLed at random points
//! while customers cancel orders through a structured and an instruction task, on SQLite and
//! PostgreSQL, against a backend that counts effective writes per order. The verdict demands
//! 0 duplicate effective writes, 0 lost conversations and every sent write resolved.

pub mod backend;
pub mod customer;
pub mod model;
pub mod postgres;
pub mod rng;
pub mod run;
pub mod server;
pub mod verdict;
