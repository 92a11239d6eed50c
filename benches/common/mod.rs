//! What the benchmarks share: starting a `videoprompt` child process (a server or the Gemini
//! stand-in) and reading its address from its log, its memory from `/proc`, a GraphQL call, and
//! latency percentiles.
//!
//! Included by each benchmark with `mod common;`; each uses only part of it.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery staple";

/// A command running the benchmarked release binary; under `BENCH_WRAPPER` when that is set
/// (e.g. `BENCH_WRAPPER=heaptrack` to profile the server's heap; memory figures then describe
/// the wrapper, not the server).
pub fn videoprompt() -> Command {
    let binary = env!("CARGO_BIN_EXE_videoprompt");
    match std::env::var("BENCH_WRAPPER") {
        Ok(wrapper) if !wrapper.is_empty() => {
            let mut command = Command::new(wrapper);
            command.arg(binary);
            command
        }
        _ => Command::new(binary),
    }
}

/// Starts `command` and waits for the log line that carries its address: the first
/// `127.0.0.1:PORT` after `marker`. Returns the child and `http://127.0.0.1:PORT`; the rest of
/// the log is drained so the process never blocks on a full pipe.
pub fn start_and_wait_for_address(mut command: Command, marker: &str) -> (Child, String) {
    command
        .env(
            "RUST_LOG",
            "warn,videoprompt::startup=info,videoprompt::cli=info",
        )
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("could not start videoprompt");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the process exited before listening")
            .unwrap();
        let Some(rest) = line.split(marker).nth(1) else {
            continue;
        };
        if let Some(at) = rest.find("127.0.0.1:") {
            let port: String = rest[at + 10..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            break format!("http://127.0.0.1:{port}");
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (child, addr)
}

/// A `videoprompt` child process that logged its address; killed when dropped, and its data
/// folder (if it has one) removed with it.
pub struct Spawned {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _dir: Option<tempfile::TempDir>,
}

impl Spawned {
    /// Starts `command` and waits for its address (see `start_and_wait_for_address`); `dir` is
    /// kept as long as the process runs.
    pub fn start(command: Command, marker: &str, dir: Option<tempfile::TempDir>) -> Self {
        let (child, base) = start_and_wait_for_address(command, marker);
        Self {
            child,
            base,
            _dir: dir,
        }
    }

    /// See [`memory_kib`].
    pub fn memory_kib(&self, field: &str) -> u64 {
        memory_kib(&self.child, field)
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Gemini stand-in, answering each generation after `latency_ms`.
pub fn stand_in(latency_ms: u64) -> Spawned {
    let mut command = videoprompt();
    command.args(["gemini-stand-in", "--listen", "127.0.0.1:0", "--latency-ms"]);
    command.arg(latency_ms.to_string());
    Spawned::start(command, "Gemini stand-in listening", None)
}

/// A memory figure of a process from `/proc/PID/status` in KiB (`VmRSS`, `VmHWM` …); 0 when
/// it cannot be read.
pub fn memory_kib(child: &Child, field: &str) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// POSTs a GraphQL operation and returns its answer, which must carry no errors.
pub async fn graphql(
    client: &reqwest::Client,
    base: &str,
    query: &str,
    variables: Value,
    token: Option<&str>,
) -> Value {
    let mut request = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body
}

/// The `p`th percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}
