//! End-to-end tests: the real binary and the real engine over real HTTP against the demo shop,
//! mock company APIs and scripted mock model servers, all on 127.0.0.1 port 0.

mod commands;
mod demo;
mod durability;
mod failures;
mod faults;
mod nodes;
mod providers;
mod secrets;
mod security;
mod support;
mod tasks;
