//! What the benchmarks share beyond [`testkit`] (which starts and drives the processes, see
//! `testkit/src/lib.rs`): the benchmarked release binary as a command, the Gemini stand-in as
//! a child process, the server under test on SQLite or PostgreSQL, a process's memory from
//! `/proc`, latency percentiles, and finished prompts written straight to the database.
//!
//! Included by each benchmark with `mod common;`; each uses only part of it.
#![allow(dead_code)]

use std::{process::Command, time::Duration};

use testkit::ServerProcess;

/// A command running the benchmarked release binary; under `BENCH_WRAPPER` when that is set
/// (e.g. `BENCH_WRAPPER=heaptrack` to profile the server's heap; memory figures then describe
/// the wrapper, not the server). It logs little: warnings, and the start-up lines that carry
/// its address.
pub fn videoprompt() -> Command {
    // `BENCH_SERVER_BIN` runs another build (an older commit, say) under the same harness, so
    // two builds can be measured alternately in one session.
    let binary = std::env::var("BENCH_SERVER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_videoprompt").to_owned());
    let mut command = match std::env::var("BENCH_WRAPPER") {
        Ok(wrapper) if !wrapper.is_empty() => {
            let mut command = Command::new(wrapper);
            command.arg(binary);
            command
        }
        _ => Command::new(binary),
    };
    command
        .env(
            "RUST_LOG",
            "warn,videoprompt::startup=info,videoprompt::cli=info",
        )
        .env("NO_COLOR", "1");
    command
}

/// Starts the server `command` (see [`ServerProcess::start`]); panics with its log if it
/// exits instead.
pub fn start(command: Command) -> ServerProcess {
    ServerProcess::start(command)
        .unwrap_or_else(|(status, log)| panic!("the server did not start ({status}):\n{log}"))
}

/// The server under test, a child process on its own port, and its PostgreSQL database if it
/// has one (dropped after the process is killed).
pub struct Server {
    pub process: ServerProcess,
    /// Where the server keeps its rows, for scenarios that write many straight to the database.
    pub database_url: String,
    _database: Option<testkit::TestDatabase>,
}

impl Server {
    pub async fn start(backend: &str) -> Server {
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = videoprompt();
        command
            // Every bench client signs up from 127.0.0.1: lift the per-address sign-up limit.
            .args(["serve", "--registrations-per-address", "1000000"])
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.path());
        let mut database_url = format!(
            "sqlite://{}?mode=rw",
            data_dir.path().join("videoprompt.db").display()
        );
        let mut database = None;
        if backend == "postgres" {
            let created = testkit::TestDatabase::create()
                .await
                .expect("PostgreSQL is not reachable: set VIDEOPROMPT_TEST_POSTGRES_URL");
            command.env("DATABASE_URL", created.url()).env(
                "VIDEOPROMPT_MASTER_KEY",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            );
            database_url = created.url().to_owned();
            database = Some(created);
        }
        Server {
            process: start(command).keeping(data_dir),
            database_url,
            _database: database,
        }
    }

    pub fn api(&self) -> &testkit::Api {
        self.process.as_ref()
    }

    /// The server's peak resident memory so far (`VmHWM`), in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        memory_kib(&self.process, "VmHWM") as f64 / 1024.0
    }
}

/// The Gemini stand-in, answering each generation after `latency_ms`.
pub fn stand_in(latency_ms: u64) -> ServerProcess {
    let mut command = videoprompt();
    command.args(["gemini-stand-in", "--listen", "127.0.0.1:0", "--latency-ms"]);
    command.arg(latency_ms.to_string());
    ServerProcess::start_after(command, "Gemini stand-in listening")
        .unwrap_or_else(|(status, log)| panic!("the stand-in did not start ({status}):\n{log}"))
}

/// A memory figure of a process from `/proc/PID/status` in KiB (`VmRSS`, `VmHWM` …); 0 when
/// it cannot be read.
pub fn memory_kib(process: &ServerProcess, field: &str) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", process.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The CPU time a process has used so far, all its threads, user and system (fields 14 and 15
/// of `/proc/PID/stat`, in the kernel's clock ticks of 1/100 s); zero when it cannot be read.
pub fn cpu_time(process: &ServerProcess) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", process.id())).unwrap_or_default();
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
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

/// `count` finished prompts on the image, written straight to the database in batches, one
/// millisecond apart (as many as the bench wants, in seconds instead of an hour of
/// generations); `text` writes the `i`th prompt.
pub async fn add_prompts(
    db: &sea_orm::DatabaseConnection,
    user_id: uuid::Uuid,
    image_id: uuid::Uuid,
    count: usize,
    text: impl Fn(usize) -> String,
) {
    use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
    use sea_orm::{EntityTrait, Set};
    let start = chrono::Utc::now() - chrono::Duration::days(30);
    let rows: Vec<video_prompt::ActiveModel> = (0..count)
        .map(|i| {
            let at = start + chrono::Duration::milliseconds(i as i64);
            video_prompt::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                image_id: Set(image_id),
                user_id: Set(user_id),
                camera_style: Set("PAN".into()),
                film_effect: Set("NOIR".into()),
                notes: Set(None),
                status: Set(VideoPromptStatus::Completed),
                prompt: Set(Some(text(i))),
                details: Set(Some(serde_json::json!({ "scene": "Szene", "camera": "Kamera", "lighting": "Licht", "mood": "Stimmung", "effects": "Effekte" }))),
                error_code: Set(None),
                error_message: Set(None),
                model: Set(Some("gemini-2.5-flash".into())),
                prompt_tokens: Set(Some(1_000)),
                output_tokens: Set(Some(200)),
                attempts: Set(1),
                idempotency_key: Set(None),
                lease_owner: Set(None),
                lease_expires_at: Set(None),
                next_attempt_at: Set(at),
                created_at: Set(at),
                started_at: Set(Some(at)),
                completed_at: Set(Some(at)),
                updated_at: Set(at),
            }
        })
        .collect();
    for chunk in rows.chunks(1_000) {
        video_prompt::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
}
