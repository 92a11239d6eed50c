//! The `videoprompt` binary built for these tests, to run as a child process
//! ([`testkit::ServerProcess`]).

use std::{path::Path, process::Command};

/// The binary `cargo test` built alongside this test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_videoprompt");

/// The binary in `dir` with a clean environment: no setting leaks in from the machine running
/// the tests.
pub fn videoprompt(dir: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command.current_dir(dir).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command
}
