//! End-to-end tests of the `foi` binary: one test binary, a module per area.

#![allow(clippy::unwrap_used)]

mod analysis;
mod bodies;
mod calendar;
mod config;
mod demo;
mod find_emails;
mod inbox;
mod lifecycle;
mod send;
mod tidy;
mod users;
mod util;
