//! Load benchmark: drives the real `videoprompt` binary over loopback and reports throughput
//! and latency percentiles.
//!
//! ```text
//! cargo bench --bench load -- [--scenario me|collections|prompts|all] [--backend sqlite|postgres|both]
//!                             [--clients N] [--seconds S] [--prompts 5,2000,50000]
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
//! Scenario `prompts` (issue 16): one image per `--prompts` count (default 5, 2,000 and 50,000
//! prompts behind it, written straight to the database); N clients send
//! `image(id) { videoPrompts(first: 5) { nodes { id status prompt } } }` for each image in turn.
//! A page costs what it holds, so the three rates should be within a few per cent.
//!
//! PostgreSQL comes from `VIDEOPROMPT_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the benchmark creates and drops its own
//! database there.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use testkit::{
    Api,
    scenario::{PASSWORD, create_collection, register, upload_accepted},
};

const LOGIN_CLIENTS: usize = 8;
use common::{ms, percentile};

struct Options {
    scenarios: Vec<&'static str>,
    backends: Vec<&'static str>,
    clients: usize,
    seconds: u64,
    prompts: Vec<usize>,
}

fn options() -> Options {
    let mut options = Options {
        scenarios: vec!["me", "collections", "prompts"],
        backends: vec!["sqlite", "postgres"],
        clients: 16,
        seconds: 10,
        prompts: vec![5, 2_000, 50_000],
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
                    "prompts" => vec!["prompts"],
                    _ => vec!["me", "collections", "prompts"],
                };
                i += 1;
            }
            "--clients" => {
                options.clients = value.parse().expect("--clients takes a number");
                i += 1;
            }
            "--prompts" => {
                options.prompts = value
                    .split(',')
                    .map(|n| n.trim().parse().expect("--prompts takes numbers: 5,2000"))
                    .collect();
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

const LOGIN: &str = "mutation($input: CredentialsInput!) { login(input: $input) { token } }";
const ME: &str = "{ me { email hasGeminiApiKey } }";

fn credentials(email: &str) -> Value {
    json!({ "input": { "email": email, "password": PASSWORD } })
}

async fn scenario_me(backend: &str, options: &Options) {
    let server = common::Server::start(backend).await;
    let api = server.api();

    let (token, _) = register(api, "reader@bench.test").await;
    for i in 0..LOGIN_CLIENTS {
        register(api, &format!("login{i}@bench.test")).await;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let logins = Arc::new(AtomicU64::new(0));
    let mut login_tasks = Vec::new();
    for i in 0..LOGIN_CLIENTS {
        let (api, stop, logins) = (api.clone(), stop.clone(), logins.clone());
        login_tasks.push(tokio::spawn(async move {
            let input = credentials(&format!("login{i}@bench.test"));
            while !stop.load(Ordering::Relaxed) {
                api.gql_ok(LOGIN, input.clone(), None).await;
                logins.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let started = Instant::now();
    let (samples, elapsed) = measure(api, &token, ME, json!({}), options, |body| {
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
    let options = options();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        for scenario in &options.scenarios {
            for backend in &options.backends {
                match *scenario {
                    "me" => scenario_me(backend, &options).await,
                    "prompts" => scenario_prompts(backend, &options).await,
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
    api: &Api,
    token: &str,
    query: &'static str,
    variables: Value,
    options: &Options,
    check: fn(&Value),
) -> (Vec<Duration>, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..options.clients {
        let (api, stop, measuring, token, variables) = (
            api.clone(),
            stop.clone(),
            measuring.clone(),
            token.to_owned(),
            variables.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let body = api.gql_ok(query, variables.clone(), Some(&token)).await;
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
    let server = common::Server::start(backend).await;
    let api = server.api();
    let (token, _) = register(api, "albums@bench.test").await;
    let image = testkit::scenario::fixture("tiny.png");
    for c in 0..20 {
        let collection = create_collection(api, &token, &format!("Album {c}")).await;
        for i in 0..20 {
            upload_accepted(
                api,
                &token,
                &collection,
                &format!("{c}-{i}.png"),
                image.clone(),
                "image/png",
            )
            .await;
        }
    }
    let (samples, elapsed) = measure(api, &token, COLLECTIONS_QUERY, json!({}), options, |body| {
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

const PROMPTS_QUERY: &str =
    "query($id: ID!) { image(id: $id) { videoPrompts(first: 5) { nodes { id status prompt } } } }";

async fn scenario_prompts(backend: &str, options: &Options) {
    let server = common::Server::start(backend).await;
    let api = server.api();
    let (token, user_id) = register(api, "crowded@bench.test").await;
    let user_id: uuid::Uuid = user_id.parse().unwrap();
    let collection = create_collection(api, &token, "Voll").await;
    let db = sea_orm::Database::connect(&server.database_url)
        .await
        .unwrap();
    let image = testkit::scenario::fixture("tiny.png");
    let mut images = Vec::new();
    for &count in &options.prompts {
        let uploaded = upload_accepted(
            api,
            &token,
            &collection,
            &format!("{count}.png"),
            image.clone(),
            "image/png",
        )
        .await;
        let image_id: uuid::Uuid = uploaded["id"].as_str().unwrap().parse().unwrap();
        common::add_prompts(&db, user_id, image_id, count, |i| {
            format!("Eine ruhige Kamerafahrt über das Bild, Nummer {i}.")
        })
        .await;
        images.push((count, image_id));
    }
    db.close().await.unwrap();
    for (count, image_id) in images {
        let (samples, elapsed) = measure(
            api,
            &token,
            PROMPTS_QUERY,
            json!({ "id": image_id }),
            options,
            |body| {
                let nodes = body["data"]["image"]["videoPrompts"]["nodes"]
                    .as_array()
                    .unwrap();
                assert_eq!(nodes.len(), 5, "{body}");
            },
        )
        .await;
        println!(
            "prompts/{backend:<8} behind={count:<6} clients={:<3} queries/s={:>7.0}  p50={}  p90={}  p99={}  max={}",
            options.clients,
            samples.len() as f64 / elapsed.as_secs_f64(),
            ms(percentile(&samples, 50.0)),
            ms(percentile(&samples, 90.0)),
            ms(percentile(&samples, 99.0)),
            ms(samples.last().copied().unwrap_or_default()),
        );
    }
}
