//! Integration tests of the proxy's HTTP API: each test spawns its own app on port 0.

mod assets;
mod attacks;
mod binary;
mod chat;
mod clients;
mod contract;
mod deploy;
mod first_hour;
mod fuzz;
mod hardening;
mod health;
mod helpers;
mod images;
mod pieces;
mod providers;
mod redis;
mod secrets;
mod speech;
mod startup_checks;
mod upstream_failures;
