//! Load benchmark: drives the real `videoprompt` binary over loopback and reports throughput
//! and latency percentiles.
//!
//! ```text
//! cargo bench --bench load -- [--scenario me|collections|all] [--backend sqlite|postgres|both]
//!                             [--clients N] [--seconds S]
//! ```
//!
//! Scenario `me` (issue 2): while 8 clients log in nonstop (each login hashes a password with
//! argon2id), N clients send `{ me { email hasGeminiApiKey } }`. The figure that matters is the
//! query's p99: password hashing runs on the blocking pool under a bound, so it must not stall
//! the other requests.
//!
//! Scenario `collections` (issue 3): a user with 20 collections of 20 images; N clients send
//! `{ me { collections(first: 20) { nodes { images(first: 20) { nodes { id width height } } } } } }`.
//! Reported with the server's peak RSS and the SQL statements one such request runs (the
//! DataLoaders keep that number fixed however many collections there are).
//!
//! PostgreSQL comes from `VIDEOPROMPT_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the benchmark creates and drops its own
//! database there.

mod common;

use std::{
    process::Child,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

const LOGIN_CLIENTS: usize = 8;
use common::{PASSWORD, graphql, ms, percentile};

struct Options {
    scenarios: Vec<&'static str>,
    backends: Vec<&'static str>,
    clients: usize,
    seconds: u64,
}

fn options() -> Options {
    let mut options = Options {
        scenarios: vec!["me", "collections"],
        backends: vec!["sqlite", "postgres"],
        clients: 16,
        seconds: 10,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--backend" => {
                options.backends = match value.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    _ => vec!["sqlite", "postgres"],
                };
                i += 1;
            }
            "--scenario" => {
                options.scenarios = match value.as_str() {
                    "me" => vec!["me"],
                    "collections" => vec!["collections"],
                    _ => vec!["me", "collections"],
                };
                i += 1;
            }
            "--clients" => {
                options.clients = value.parse().expect("--clients takes a number");
                i += 1;
            }
            "--seconds" => {
                options.seconds = value.parse().expect("--seconds takes a number");
                i += 1;
            }
            // `cargo bench` passes `--bench`; ignore what is not ours.
            _ => {}
        }
        i += 1;
    }
    options
}

/// The server under test, a child process on its own port.
struct Server {
    child: Child,
    base: String,
    _data_dir: tempfile::TempDir,
    postgres_database: Option<String>,
}

fn postgres_admin_url() -> String {
    std::env::var("VIDEOPROMPT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl Server {
    async fn start(backend: &str) -> Server {
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = common::videoprompt();
        command
            // Every bench client signs up from 127.0.0.1: lift the per-address sign-up limit.
            .args(["serve", "--registrations-per-address", "1000000"])
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.path());
        let mut postgres_database = None;
        if backend == "postgres" {
            let admin = Database::connect(postgres_admin_url())
                .await
                .expect("PostgreSQL is not reachable");
            let name = format!("vp_bench_{}", std::process::id());
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap();
            let admin_url = postgres_admin_url();
            let base = admin_url.rsplit_once('/').unwrap().0;
            command.env("DATABASE_URL", format!("{base}/{name}")).env(
                "VIDEOPROMPT_MASTER_KEY",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            );
            postgres_database = Some(name);
        }
        let (child, base) = common::start_and_wait_for_address(command, "GraphiQL at");
        Server {
            child,
            base,
            _data_dir: data_dir,
            postgres_database,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(name) = self.postgres_database.take() {
            // Drop may run inside the benchmark's runtime: drop the database from a plain
            // thread with its own.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join()
            .ok();
        }
    }
}

impl Server {
    /// The server's peak resident memory so far (`VmHWM`), in MiB.
    fn peak_rss_mib(&self) -> f64 {
        common::memory_kib(&self.child, "VmHWM") as f64 / 1024.0
    }
}

const REGISTER: &str = "mutation($input: CredentialsInput!) { register(input: $input) { token } }";
const LOGIN: &str = "mutation($input: CredentialsInput!) { login(input: $input) { token } }";
const ME: &str = "{ me { email hasGeminiApiKey } }";

fn credentials(email: &str) -> Value {
    json!({ "input": { "email": email, "password": PASSWORD } })
}

async fn scenario_me(backend: &str, options: &Options) {
    let server = Server::start(backend).await;
    let client = reqwest::Client::new();
    let base = server.base.clone();

    let token = graphql(
        &client,
        &base,
        REGISTER,
        credentials("reader@bench.test"),
        None,
    )
    .await["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 0..LOGIN_CLIENTS {
        graphql(
            &client,
            &base,
            REGISTER,
            credentials(&format!("login{i}@bench.test")),
            None,
        )
        .await;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let logins = Arc::new(AtomicU64::new(0));
    let mut login_tasks = Vec::new();
    for i in 0..LOGIN_CLIENTS {
        let (client, base, stop, logins) =
            (client.clone(), base.clone(), stop.clone(), logins.clone());
        login_tasks.push(tokio::spawn(async move {
            let input = credentials(&format!("login{i}@bench.test"));
            while !stop.load(Ordering::Relaxed) {
                graphql(&client, &base, LOGIN, input.clone(), None).await;
                logins.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let started = Instant::now();
    let (samples, elapsed) = measure(&client, &base, &token, ME, options, |body| {
        assert_eq!(body["data"]["me"]["email"], "reader@bench.test");
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for task in login_tasks {
        task.await.unwrap();
    }
    let login_seconds = started.elapsed().as_secs_f64();
    println!(
        "me/{backend:<8} clients={:<3} queries/s={:>8.0}  p50={}  p90={}  p99={}  max={}  logins/s={:.1}",
        options.clients,
        samples.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 90.0)),
        ms(percentile(&samples, 99.0)),
        ms(samples.last().copied().unwrap_or_default()),
        logins.load(Ordering::Relaxed) as f64 / login_seconds,
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = options();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        for scenario in &options.scenarios {
            for backend in &options.backends {
                match *scenario {
                    "me" => scenario_me(backend, &options).await,
                    _ => scenario_collections(backend, &options).await,
                }
            }
        }
    });
}

const COLLECTIONS_QUERY: &str = "{ me { collections(first: 20) { nodes { images(first: 20) { nodes { id width height } } } } } }";

/// Runs `clients` loops of one query for `seconds` after a warm-up; returns the sorted
/// latencies and the measured duration.
async fn measure(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &'static str,
    options: &Options,
    check: fn(&Value),
) -> (Vec<Duration>, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..options.clients {
        let (client, base, stop, measuring, token) = (
            client.clone(),
            base.to_owned(),
            stop.clone(),
            measuring.clone(),
            token.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let body = graphql(&client, &base, query, json!({}), Some(&token)).await;
                let elapsed = started.elapsed();
                check(&body);
                if measuring.load(Ordering::Relaxed) {
                    samples.push(elapsed);
                }
            }
            samples
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.unwrap());
    }
    samples.sort();
    (samples, elapsed)
}

async fn scenario_collections(backend: &str, options: &Options) {
    let server = Server::start(backend).await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let token = graphql(
        &client,
        &base,
        REGISTER,
        credentials("albums@bench.test"),
        None,
    )
    .await["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let image = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/images/tiny.png"
    ))
    .unwrap();
    for c in 0..20 {
        let body = graphql(
            &client,
            &base,
            "mutation($n: String!) { createCollection(name: $n) { id } }",
            json!({ "n": format!("Album {c}") }),
            Some(&token),
        )
        .await;
        let collection = body["data"]["createCollection"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for i in 0..20 {
            let operations = json!({
                "query": "mutation($c: ID!, $f: Upload!) { uploadImage(collectionId: $c, file: $f) { id } }",
                "variables": { "c": collection, "f": null },
            });
            let form = reqwest::multipart::Form::new()
                .text("operations", operations.to_string())
                .text("map", r#"{"0":["variables.f"]}"#)
                .part(
                    "0",
                    reqwest::multipart::Part::bytes(image.clone())
                        .file_name(format!("{c}-{i}.png")),
                );
            let body: Value = client
                .post(format!("{base}/graphql"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(body.get("errors").is_none(), "upload failed: {body}");
        }
    }
    let (samples, elapsed) = measure(&client, &base, &token, COLLECTIONS_QUERY, options, |body| {
        let collections = body["data"]["me"]["collections"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(collections.len(), 20);
        assert_eq!(
            collections[0]["images"]["nodes"].as_array().unwrap().len(),
            20
        );
    })
    .await;
    println!(
        "collections/{backend:<8} clients={:<3} queries/s={:>7.0}  p50={}  p90={}  p99={}  max={}  peak RSS={:.1} MiB",
        options.clients,
        samples.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 90.0)),
        ms(percentile(&samples, 99.0)),
        ms(samples.last().copied().unwrap_or_default()),
        server.peak_rss_mib(),
    );
}
