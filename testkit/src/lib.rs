//! Test support shared by the test binaries (`tests/api`, `tests/gemini`) and the benchmarks:
//! a server's GraphQL endpoint over real HTTP ([`Api`]), the scenarios a user goes through
//! ([`scenario`]), a graphql-ws client ([`WsClient`]), a PostgreSQL database per test
//! ([`TestDatabase`]), the server binary as a child process ([`ServerProcess`]), waiting for a
//! condition ([`eventually`]), and the rule that a required suite fails instead of skipping.
//!
//! It does not depend on the `videoprompt` crate: everything here goes through the server's
//! public surface, so in-process servers (`tests/api`'s `TestApp`), child processes and the
//! benchmarks' release binaries are driven the same way.

mod api;
mod eventually;
mod postgres;
mod process;
pub mod scenario;
mod suites;
mod ws;

pub use api::{Api, error_code, http_client, http_client_builder};
pub use eventually::{Outcome, PATIENCE, eventually, eventually_within};
pub use postgres::{TestDatabase, postgres_admin_url};
pub use process::ServerProcess;
pub use suites::{announce_skip, require_all_suites};
pub use ws::{Incoming, WsClient};
