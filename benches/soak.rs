//! Soak benchmark: the release binary under a steady mix of generations, reads and live
//! subscribers for many minutes, printing read latency and memory over time, so that a cost or
//! a memory use that grows with the data shows as a trend instead of hiding in a short run.
//!
//! ```text
//! cargo bench --bench soak -- [--minutes 30] [--backend sqlite|postgres|both]
//!                             [--generators 2] [--readers 6] [--subscribers 200]
//!                             [--latency-ms 200] [--sample-seconds 30] [--warm-up-minutes 2]
//! ```
//!
//! One user with 5 collections of 10 images and a Gemini key; the stand-in answers each
//! generation after `--latency-ms`. `--generators` clients each start a generation on a random
//! image and poll it until it ends, nonstop; `--readers` clients send the app's screen read
//! (`me { collections(first: 5) { nodes { images(first: 10) { nodes { id url videoPrompts(first:
//! 5) { … } } } } } }`), whose pages sit on ever more prompts; `--subscribers` subscriptions by
//! image (spread over 4 WebSocket connections) receive every change. Every `--sample-seconds`
//! a line: generations finished (and how many did not complete), reads and their p50/p99 in
//! that interval, events delivered, and the server's RSS. At the end: the RSS growth per 10,000
//! generations after the warm-up (the figure issue 16 bounds at 5 MB).

mod common;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use testkit::{
    Api, TestDatabase,
    scenario::{bearer, create_collection, fixture, register, set_gemini_key, upload_accepted},
};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

use common::{ms, percentile};

struct Options {
    minutes: f64,
    backends: Vec<&'static str>,
    generators: usize,
    readers: usize,
    subscribers: usize,
    latency_ms: u64,
    sample_seconds: u64,
    warm_up_minutes: f64,
}

fn options() -> Options {
    let mut options = Options {
        minutes: 30.0,
        backends: vec!["sqlite", "postgres"],
        generators: 2,
        readers: 6,
        subscribers: 200,
        latency_ms: 200,
        sample_seconds: 30,
        warm_up_minutes: 2.0,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        let number = |name: &str| -> f64 {
            value
                .parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        };
        match args[i].as_str() {
            "--minutes" => options.minutes = number("--minutes"),
            "--warm-up-minutes" => options.warm_up_minutes = number("--warm-up-minutes"),
            "--generators" => options.generators = number("--generators") as usize,
            "--readers" => options.readers = number("--readers") as usize,
            "--subscribers" => options.subscribers = number("--subscribers") as usize,
            "--latency-ms" => options.latency_ms = number("--latency-ms") as u64,
            "--sample-seconds" => options.sample_seconds = number("--sample-seconds") as u64,
            "--backend" => {
                options.backends = match value.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    _ => vec!["sqlite", "postgres"],
                }
            }
            // `cargo bench` passes `--bench`; ignore what is not ours.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    options
}

const READ: &str = "{ me { collections(first: 5) { nodes { images(first: 10) { nodes { id url videoPrompts(first: 5) { nodes { id status prompt } } } } } } } }";
const GENERATE: &str =
    "mutation($input: GenerateVideoPromptInput!) { generateVideoPrompt(input: $input) { id } }";
const STATUS: &str = "query($id: ID!) { videoPrompt(id: $id) { status errorCode } }";
const SUBSCRIBE: &str =
    "subscription($i: ID) { videoPromptUpdated(imageId: $i) { id status prompt } }";

/// What the clients count, shared with the sampler.
#[derive(Default)]
struct Counters {
    completed: AtomicU64,
    not_completed: AtomicU64,
    read_errors: AtomicU64,
    events: AtomicU64,
    /// Read latencies since the last sample.
    reads: Mutex<Vec<Duration>>,
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        for backend in &options.backends {
            soak(backend, &options).await;
        }
    });
}

async fn soak(backend: &str, options: &Options) {
    let stand_in = common::stand_in(options.latency_ms);
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = common::videoprompt();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir.path())
        .arg("--gemini-base-url")
        .arg(stand_in.base());
    let mut database = None;
    if backend == "postgres" {
        let created = TestDatabase::create()
            .await
            .expect("PostgreSQL is not reachable: set VIDEOPROMPT_TEST_POSTGRES_URL");
        command.env("DATABASE_URL", created.url()).env(
            "VIDEOPROMPT_MASTER_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        );
        warn_when_autovacuum_is_off(created.url()).await;
        database = Some(created);
    }
    let server = common::start(command).keeping(data_dir);
    let api: &Api = server.as_ref();

    let (token, _) = register(api, "soak@bench.test").await;
    set_gemini_key(api, &token, "bench-key-0001").await;
    let bytes = fixture("tiny.png");
    let mut images = Vec::new();
    for c in 0..5 {
        let collection = create_collection(api, &token, &format!("Album {c}")).await;
        for i in 0..10 {
            let image = upload_accepted(
                api,
                &token,
                &collection,
                &format!("{c}-{i}.png"),
                bytes.clone(),
                "image/png",
            )
            .await;
            images.push(image["id"].as_str().unwrap().to_owned());
        }
    }
    let images = Arc::new(images);
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();

    for n in 0..options.generators {
        let (api, token, images, counters, stop) = (
            api.clone(),
            token.clone(),
            images.clone(),
            counters.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut pick = n;
            while !stop.load(Ordering::Relaxed) {
                pick = (pick * 31 + 7) % images.len();
                generate_once(&api, &token, &images[pick], &counters).await;
            }
        }));
    }
    for _ in 0..options.readers {
        let (api, token, counters, stop) =
            (api.clone(), token.clone(), counters.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let body = api.gql(READ, json!({}), Some(&token)).await;
                let elapsed = started.elapsed();
                if body["errors"].is_null() {
                    counters.reads.lock().unwrap().push(elapsed);
                } else {
                    counters.read_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    const CONNECTIONS: usize = 4;
    for c in 0..CONNECTIONS.min(options.subscribers) {
        let mine: Vec<String> = (c..options.subscribers)
            .step_by(CONNECTIONS)
            .map(|s| images[s % images.len()].clone())
            .collect();
        tasks.push(tokio::spawn(subscriber(
            api.clone(),
            token.clone(),
            mine,
            counters.clone(),
            stop.clone(),
        )));
    }

    println!(
        "soak/{backend}: {} generators (stand-in {} ms), {} readers, {} subscribers, {} min",
        options.generators,
        options.latency_ms,
        options.readers,
        options.subscribers,
        options.minutes
    );
    println!(
        "{:>7} {:>12} {:>8} {:>9} {:>10} {:>10} {:>10} {:>9}",
        "minute", "generations", "failed", "reads", "read p50", "read p99", "events", "RSS MiB"
    );
    let started = Instant::now();
    let total = Duration::from_secs_f64(options.minutes * 60.0);
    let warm_up = Duration::from_secs_f64(options.warm_up_minutes * 60.0);
    let mut after_warm_up: Option<(u64, f64)> = None;
    let mut last = (0, 0.0);
    while started.elapsed() < total {
        tokio::time::sleep(Duration::from_secs(options.sample_seconds)).await;
        let mut reads = std::mem::take(&mut *counters.reads.lock().unwrap());
        reads.sort();
        let completed = counters.completed.load(Ordering::Relaxed);
        let rss = common::memory_kib(&server, "VmRSS") as f64 / 1024.0;
        println!(
            "{:>7.1} {:>12} {:>8} {:>9} {:>10} {:>10} {:>10} {:>9.1}",
            started.elapsed().as_secs_f64() / 60.0,
            completed,
            counters.not_completed.load(Ordering::Relaxed),
            reads.len(),
            ms(percentile(&reads, 50.0)),
            ms(percentile(&reads, 99.0)),
            counters.events.load(Ordering::Relaxed),
            rss,
        );
        if after_warm_up.is_none() && started.elapsed() >= warm_up {
            after_warm_up = Some((completed, rss));
        }
        last = (completed, rss);
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.abort();
    }
    match after_warm_up {
        Some((from, rss_from)) if last.0 > from => println!(
            "soak/{backend}: RSS {rss_from:.1} → {:.1} MiB after the warm-up over {} generations: {:+.2} MiB per 10,000; read errors {}, generations not COMPLETED {}",
            last.1,
            last.0 - from,
            (last.1 - rss_from) * 10_000.0 / (last.0 - from) as f64,
            counters.read_errors.load(Ordering::Relaxed),
            counters.not_completed.load(Ordering::Relaxed),
        ),
        _ => println!("soak/{backend}: too short to measure past the warm-up"),
    }
    drop(server);
    drop(stand_in);
    drop(database);
}

/// Starts one generation and polls it until it ends.
async fn generate_once(api: &Api, token: &str, image: &str, counters: &Counters) {
    let body = api
        .gql(
            GENERATE,
            json!({ "input": { "imageId": image, "cameraStyle": "PAN", "filmEffect": "CINEMATIC" } }),
            Some(token),
        )
        .await;
    let Some(id) = body["data"]["generateVideoPrompt"]["id"].as_str() else {
        counters.not_completed.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
        return;
    };
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let body = api.gql(STATUS, json!({ "id": id }), Some(token)).await;
        match body["data"]["videoPrompt"]["status"].as_str() {
            Some("PENDING" | "PROCESSING") => continue,
            Some("COMPLETED") => counters.completed.fetch_add(1, Ordering::Relaxed),
            _ => counters.not_completed.fetch_add(1, Ordering::Relaxed),
        };
        return;
    }
}

/// One WebSocket connection with a subscription per image in `images`, counting events until
/// told to stop (or until the server closes it, which the count then shows as a standstill).
async fn subscriber(
    api: Api,
    token: String,
    images: Vec<String>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let url = api.url("/graphql").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |value: Value| Message::Text(value.to_string().into());
    ws.send(send(
        json!({ "type": "connection_init", "payload": bearer(&token) }),
    ))
    .await
    .unwrap();
    for (n, image) in images.iter().enumerate() {
        ws.send(send(json!({ "type": "subscribe", "id": n.to_string(),
                             "payload": { "query": SUBSCRIBE, "variables": { "i": image } } })))
            .await
            .unwrap();
    }
    while !stop.load(Ordering::Relaxed) {
        let Some(Ok(frame)) = ws.next().await else {
            return;
        };
        if let Message::Text(text) = frame {
            let message: Value = serde_json::from_str(&text).unwrap_or_default();
            match message["type"].as_str() {
                Some("next") => {
                    counters.events.fetch_add(1, Ordering::Relaxed);
                }
                Some("ping") => {
                    let _ = ws.send(send(json!({ "type": "pong" }))).await;
                }
                _ => {}
            }
        }
    }
}

/// Each generation leaves dead row versions in `video_prompts` that only a vacuum clears; with
/// autovacuum off the reads slow down for that reason alone (README, "soak").
async fn warn_when_autovacuum_is_off(url: &str) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SHOW autovacuum",
        ))
        .await
        .unwrap()
        .unwrap();
    let setting: String = row.try_get("", "autovacuum").unwrap();
    if setting != "on" {
        println!(
            "warning: this PostgreSQL runs with autovacuum = {setting}: dead row versions of \
             video_prompts pile up and reads slow down for that reason alone"
        );
    }
    let _ = db.close().await;
}
