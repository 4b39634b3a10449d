//! One module per group of subcommands, each with its arguments and a `run()`.

pub mod analysis;
pub mod bodies;
pub mod calendar;
pub mod config;
pub mod demo;
pub mod inbox;
pub mod request;
pub mod round;
pub mod send;
pub mod web;
