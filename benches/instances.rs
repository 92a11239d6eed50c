//! Several instances on one PostgreSQL (issue 7): release `videoprompt` processes on a fresh
//! database, one shared image folder and the Gemini stand-in (a child process too).
//!
//! ```text
//! cargo bench --bench instances -- [--jobs N] [--workers N] [--latency-ms MS] [--changes N]
//!                                    [--only throughput|delivery]
//! ```
//!
//! (a) Throughput: the stand-in takes `--latency-ms` (500) per answer; `--jobs` (400)
//!     generations are started at once, spread round-robin over one instance, then (on a fresh
//!     database) over two, each with `--workers` (16). Prints generations finished per second
//!     (jobs ÷ first `createdAt` → last `completedAt`) against the ideal
//!     `instances × workers ÷ latency`.
//! (b) Delivery: two instances without workers, a WebSocket subscriber (by `imageId`) on each;
//!     `--changes` (300) times, one after another, a `generateVideoPrompt` sent to instance B.
//!     Prints p50/p99 of the time from sending it until B's own subscriber has the new record
//!     (local delivery) and until A's subscriber has it (through NOTIFY, A's listener and one
//!     read), and of the difference, the cost of crossing instances.
//!
//! PostgreSQL at `VIDEOPROMPT_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/
//! postgres`), where a database is created per part and dropped afterwards.

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use testkit::{
    Api, ServerProcess, TestDatabase,
    scenario::{create_collection, fixture, register, set_gemini_key, upload_accepted},
};
use tokio::sync::Semaphore;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use common::{ms, percentile, stand_in};

struct Options {
    jobs: usize,
    workers: usize,
    latency_ms: u64,
    changes: usize,
    only: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        jobs: 400,
        workers: 16,
        latency_ms: 500,
        changes: 300,
        only: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        let take = |name: &str| value().unwrap_or_else(|| panic!("{name} takes a number"));
        match args[i].as_str() {
            "--jobs" => options.jobs = take("--jobs") as usize,
            "--workers" => options.workers = take("--workers") as usize,
            "--latency-ms" => options.latency_ms = take("--latency-ms"),
            "--changes" => options.changes = take("--changes") as usize,
            "--only" => options.only = args.get(i + 1).cloned(),
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

/// A fresh database, the settings every instance shares, and the instances. Dropped in this
/// order: the instances killed, the connection closed, the database dropped.
struct Cluster {
    instances: Vec<ServerProcess>,
    db: DatabaseConnection,
    _database: TestDatabase,
    _store: tempfile::TempDir,
}

impl Cluster {
    async fn start(stand_in: &ServerProcess, instances: usize, workers: usize) -> Self {
        let database = TestDatabase::create()
            .await
            .expect("PostgreSQL is needed: set VIDEOPROMPT_TEST_POSTGRES_URL");
        let url = database.url().to_owned();
        let store = tempfile::tempdir().unwrap();
        let store_url = format!("file://{}/", store.path().display());
        let key = videoprompt::crypto::MasterKey::generate().to_base64();
        let mut started = Vec::new();
        // One after the other: the first start migrates the database.
        for _ in 0..instances {
            let dir = tempfile::tempdir().unwrap();
            let mut command = common::videoprompt();
            command
                // Every bench client signs up from 127.0.0.1: lift the per-address sign-up limit.
                .args(["serve", "--registrations-per-address", "1000000"])
                .args(["--listen", "127.0.0.1:0", "--data-dir"])
                .arg(dir.path())
                .args(["--workers", &workers.to_string()])
                .env("DATABASE_URL", &url)
                .env("VIDEOPROMPT_MASTER_KEY", &key)
                .env("VIDEOPROMPT_OBJECT_STORE_URL", &store_url)
                .env("VIDEOPROMPT_GEMINI_BASE_URL", stand_in.base())
                .env("VIDEOPROMPT_DB_MAX_CONNECTIONS", "32");
            started.push(common::start(command).keeping(dir));
        }
        // Each listener says it is listening only to its log, which the bench does not read;
        // it resyncs its subscribers once it is, so a short pause is enough here.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Self {
            instances: started,
            db: Database::connect(&url).await.unwrap(),
            _database: database,
            _store: store,
        }
    }

    async fn scalar(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    }
}

/// Registers a user with a key and a collection on `api`; returns (token, collection id).
async fn sign_up(api: &Api, email: &str) -> (String, String) {
    let (token, _) = register(api, email).await;
    set_gemini_key(api, &token, "bench-key-0001").await;
    let collection = create_collection(api, &token, "Bench").await;
    (token, collection)
}

async fn upload(api: &Api, token: &str, collection: &str) -> String {
    let image = upload_accepted(
        api,
        token,
        collection,
        "landscape.jpg",
        fixture("landscape.jpg"),
        "application/octet-stream",
    )
    .await;
    image["id"].as_str().unwrap().to_owned()
}

const GENERATE: &str =
    "mutation($input: GenerateVideoPromptInput!) { generateVideoPrompt(input: $input) { id } }";

async fn generate(api: &Api, token: &str, image: &str) -> String {
    let body = api
        .gql_ok(
            GENERATE,
            json!({ "input": { "imageId": image, "cameraStyle": "PAN", "filmEffect": "CINEMATIC" } }),
            Some(token),
        )
        .await;
    body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Generations finished per second with `instances` instances of `options.workers` each.
async fn throughput(options: &Options, instances: usize) -> f64 {
    let stand_in = stand_in(options.latency_ms);
    let cluster = Cluster::start(&stand_in, instances, options.workers).await;
    let apis: Vec<Api> = cluster
        .instances
        .iter()
        .map(|p| p.as_ref().clone())
        .collect();
    let (token, collection) = sign_up(&apis[0], "throughput@bench.test").await;
    let image = upload(&apis[0], &token, &collection).await;

    let requests = Arc::new(Semaphore::new(64));
    let mut tasks = Vec::with_capacity(options.jobs);
    for n in 0..options.jobs {
        let (api, token, image, requests) = (
            apis[n % instances].clone(),
            token.clone(),
            image.clone(),
            requests.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = requests.acquire().await.unwrap();
            generate(&api, &token, &image).await
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let waiting = Instant::now();
    while cluster
        .scalar("SELECT count(*) FROM video_prompts WHERE status IN ('PENDING', 'PROCESSING')")
        .await
        > 0
    {
        assert!(
            waiting.elapsed() < Duration::from_secs(600),
            "the generations did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let completed = cluster
        .scalar("SELECT count(*) FROM video_prompts WHERE status = 'COMPLETED'")
        .await;
    let span_ms = cluster
        .scalar(
            "SELECT (extract(epoch FROM max(completed_at) - min(created_at)) * 1000)::bigint \
             FROM video_prompts",
        )
        .await;
    assert_eq!(
        completed as usize, options.jobs,
        "not every generation completed"
    );
    let per_second = options.jobs as f64 / (span_ms as f64 / 1000.0);
    let ideal = (instances * options.workers) as f64 / (options.latency_ms as f64 / 1000.0);
    println!(
        "    {instances} instance(s) × {} workers: {} generations in {:.2} s = {per_second:.1}/s \
         (ideal {ideal:.1}/s, {:.0} %)",
        options.workers,
        options.jobs,
        span_ms as f64 / 1000.0,
        per_second / ideal * 100.0
    );
    drop(cluster);
    per_second
}

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws connection subscribed to an image's records.
async fn subscribe(api: &Api, token: &str, image: &str) -> Socket {
    let mut request = api
        .url("/graphql")
        .replacen("http://", "ws://", 1)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let text = |value: Value| Message::Text(value.to_string().into());
    ws.send(text(json!({ "type": "connection_init",
                         "payload": { "Authorization": format!("Bearer {token}") } })))
        .await
        .unwrap();
    ws.send(text(json!({ "type": "subscribe", "id": "1", "payload": {
            "query": "subscription($i: ID) { videoPromptUpdated(imageId: $i) { id status } }",
            "variables": { "i": image } } })))
        .await
        .unwrap();
    ws
}

/// Reads until the record `id` arrives; returns when.
async fn arrival(ws: &mut Socket, id: &str) -> Instant {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("no event within 30 s")
            .expect("the WebSocket closed")
            .unwrap();
        let Message::Text(text) = frame else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["type"] == "next" && message["payload"]["data"]["videoPromptUpdated"]["id"] == id
        {
            return Instant::now();
        }
    }
}

async fn delivery(options: &Options) {
    let stand_in = stand_in(0);
    let cluster = Cluster::start(&stand_in, 2, 0).await;
    let (a, b): (&Api, &Api) = (cluster.instances[0].as_ref(), cluster.instances[1].as_ref());
    let (token, collection) = sign_up(a, "delivery@bench.test").await;
    let image = upload(a, &token, &collection).await;
    let mut on_a = subscribe(a, &token, &image).await;
    let mut on_b = subscribe(b, &token, &image).await;
    // Both subscriptions are in force once a first change reached them.
    let warm = generate(b, &token, &image).await;
    arrival(&mut on_a, &warm).await;
    arrival(&mut on_b, &warm).await;

    let (mut local, mut remote, mut crossing) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..options.changes {
        let sent = Instant::now();
        let id = generate(b, &token, &image).await;
        let (at_b, at_a) = tokio::join!(arrival(&mut on_b, &id), arrival(&mut on_a, &id));
        local.push(at_b - sent);
        remote.push(at_a - sent);
        crossing.push(at_a.saturating_duration_since(at_b));
    }
    for samples in [&mut local, &mut remote, &mut crossing] {
        samples.sort();
    }
    println!(
        "(b) delivery of a change made on B ({} changes, one after another)",
        options.changes
    );
    for (what, samples) in [
        ("mutation sent → B's subscriber (same instance)", &local),
        ("mutation sent → A's subscriber (other instance)", &remote),
        ("B's subscriber → A's subscriber (crossing)", &crossing),
    ] {
        println!(
            "    {what}: p50 {}  p99 {}  max {}",
            ms(percentile(samples, 50.0)),
            ms(percentile(samples, 99.0)),
            ms(percentile(samples, 100.0)),
        );
    }
    drop(cluster);
}

#[tokio::main]
async fn main() {
    let options = options();
    if options.only.as_deref() != Some("delivery") {
        println!(
            "(a) throughput: {} generations at once, stand-in taking {} ms each",
            options.jobs, options.latency_ms
        );
        let one = throughput(&options, 1).await;
        let two = throughput(&options, 2).await;
        println!(
            "    two instances finish {:.2}× as many per second as one",
            two / one
        );
    }
    if options.only.as_deref() != Some("throughput") {
        delivery(&options).await;
    }
}
