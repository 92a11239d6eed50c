//! Subscription benchmark: many WebSocket subscribers on the real `videoprompt` binary (release
//! build, SQLite), over loopback.
//!
//! ```text
//! cargo bench --bench subscriptions -- [--connections N] [--per-connection M]
//! ```
//!
//! N users (default 50), each with M images (default 100) and one WebSocket connection carrying
//! M subscriptions `videoPromptUpdated(imageId)`, one per image: N × M subscribers. Then every
//! image gets one change (a new PENDING record from `generateVideoPrompt`), and each subscriber
//! notes when the event arrives. Reported, p50/p99/max: the time from the change (the record's
//! `createdAt`, written by the server; same host clock) to its delivery, and the time a user
//! sees, from the client sending the mutation to the subscriber's event; the server's CPU time
//! per change while they are sent and delivered; then the server's memory (RSS from
//! /proc/PID/status) per idle connection and per idle subscription.
//!
//! The two delays differ in where they start: `createdAt` is stamped somewhere inside the
//! request, so a server that stamps it later looks faster on the first figure without being
//! faster for anyone. The second figure holds the whole path and is the one to compare.
//!
//! The Gemini URL points nowhere and one attempt is allowed, so the worker fails each record
//! at once: the PENDING → PROCESSING → FAILED changes that follow are real load too, but only
//! each record's first event is measured.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use testkit::{
    Api, ServerProcess,
    scenario::{create_collection, fixture, register, set_gemini_key, upload_accepted},
};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

use common::{ms, percentile};

/// The server under test: SQLite in a fresh folder, Gemini unreachable (see the module doc).
fn server() -> ServerProcess {
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = common::videoprompt();
    command
        // Every bench client signs up from 127.0.0.1: lift the per-address sign-up limit.
        .args(["serve", "--registrations-per-address", "1000000"])
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir.path())
        .args([
            "--gemini-base-url",
            "http://127.0.0.1:9",
            "--max-attempts",
            "1",
        ]);
    common::start(command).keeping(data_dir)
}

const SUBSCRIBE: &str = "subscription($imageId: ID) { videoPromptUpdated(imageId: $imageId) {
  id status createdAt } }";
const GENERATE: &str = "mutation($input: GenerateVideoPromptInput!) {
  generateVideoPrompt(input: $input) { id } }";

/// A user with `images` uploaded images: (token, image ids).
async fn user(api: &Api, n: usize, images: usize) -> (String, Vec<String>) {
    let (token, _) = register(api, &format!("bench{n}@example.org")).await;
    set_gemini_key(api, &token, "bench-key").await;
    let collection = create_collection(api, &token, "Bench").await;
    let bytes = fixture("tiny.png");
    let mut ids = Vec::with_capacity(images);
    for _ in 0..images {
        let image = upload_accepted(
            api,
            &token,
            &collection,
            "tiny.png",
            bytes.clone(),
            "image/png",
        )
        .await;
        ids.push(image["id"].as_str().unwrap().to_owned());
    }
    (token, ids)
}

fn option(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

async fn run(connections: usize, per_connection: usize) {
    let server = server();
    let api = server.as_ref();
    let ws_url = api.url("/graphql").replacen("http://", "ws://", 1);
    let total = connections * per_connection;

    let setup = Instant::now();
    let mut users = Vec::new();
    for n in 0..connections {
        users.push(user(api, n, per_connection).await);
    }
    println!(
        "setup: {connections} users × {per_connection} images in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = common::memory_kib(&server, "VmRSS");

    // Idle connections: opened and acknowledged, nothing subscribed.
    let mut sockets = Vec::new();
    for (token, _) in &users {
        let mut request = ws_url.as_str().into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
        ws.send(Message::Text(init.to_string().into()))
            .await
            .unwrap();
        loop {
            if let Some(Ok(Message::Text(text))) = ws.next().await
                && text.contains("connection_ack")
            {
                break;
            }
        }
        sockets.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connections = common::memory_kib(&server, "VmRSS");

    // Idle subscriptions.
    for ((_, images), ws) in users.iter().zip(sockets.iter_mut()) {
        for (i, image) in images.iter().enumerate() {
            let subscribe = json!({ "type": "subscribe", "id": i.to_string(),
                "payload": { "query": SUBSCRIBE, "variables": { "imageId": image } } });
            ws.send(Message::Text(subscribe.to_string().into()))
                .await
                .unwrap();
        }
    }
    // Each subscription reads its image's (empty) current state once; let them settle.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_subscriptions = common::memory_kib(&server, "VmRSS");

    // When each image's mutation left the client, in µs after `started` (0: not yet sent),
    // indexed by connection × per_connection + subscription id.
    let started = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());

    // Readers: each notes the delays of every record's first event.
    let samples = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let seen_by_user = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let mut readers = Vec::new();
    for (connection, mut ws) in sockets.into_iter().enumerate() {
        let samples = samples.clone();
        let seen_by_user = seen_by_user.clone();
        let sent_at = sent_at.clone();
        readers.push(tokio::spawn(async move {
            let mut seen = std::collections::HashSet::new();
            let mut mine = 0;
            while mine < per_connection {
                let Some(Ok(message)) = ws.next().await else {
                    break;
                };
                let Message::Text(text) = message else {
                    continue;
                };
                let received = chrono::Utc::now();
                let received_at = started.elapsed();
                let message: Value = serde_json::from_str(&text).unwrap();
                match message["type"].as_str() {
                    Some("ping") => {
                        let _ = ws.send(Message::Text(r#"{"type":"pong"}"#.into())).await;
                    }
                    Some("next") => {
                        let record = &message["payload"]["data"]["videoPromptUpdated"];
                        let Some(id) = record["id"].as_str() else {
                            panic!("unexpected {message}");
                        };
                        if seen.insert(id.to_owned()) {
                            let created: chrono::DateTime<chrono::Utc> =
                                record["createdAt"].as_str().unwrap().parse().unwrap();
                            let delay = (received - created).to_std().unwrap_or_default();
                            samples.lock().await.push(delay);
                            let subscription: usize =
                                message["id"].as_str().unwrap().parse().unwrap();
                            let sent = sent_at[connection * per_connection + subscription]
                                .load(Ordering::Acquire);
                            seen_by_user
                                .lock()
                                .await
                                .push(received_at.saturating_sub(Duration::from_micros(sent)));
                            mine += 1;
                        }
                    }
                    _ => {}
                }
            }
            ws
        }));
    }

    // One change per image, 16 requests at a time.
    let sending = Instant::now();
    let cpu_before = common::cpu_time(&server);
    let jobs: Vec<(usize, String, String)> = users
        .iter()
        .enumerate()
        .flat_map(|(connection, (token, images))| {
            images.iter().enumerate().map(move |(i, image)| {
                (
                    connection * per_connection + i,
                    token.clone(),
                    image.clone(),
                )
            })
        })
        .collect();
    let jobs = Arc::new(Mutex::new(jobs));
    let mut senders = Vec::new();
    for _ in 0..16 {
        let jobs = jobs.clone();
        let api = api.clone();
        let sent_at = sent_at.clone();
        senders.push(tokio::spawn(async move {
            loop {
                let Some((slot, token, image)) = jobs.lock().await.pop() else { break };
                // At least 1 µs, so that 0 keeps meaning "not sent".
                let now = started.elapsed().as_micros().max(1) as u64;
                sent_at[slot].store(now, Ordering::Release);
                api.gql_ok(
                    GENERATE,
                    json!({ "input": { "imageId": image, "cameraStyle": "STATIC", "filmEffect": "NONE" } }),
                    Some(&token),
                )
                .await;
            }
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }
    let sent = sending.elapsed();
    let wait = tokio::time::timeout(Duration::from_secs(120), async {
        for reader in readers {
            let _ = reader.await;
        }
    })
    .await;
    // The workers end each record after its first event: let them finish before reading CPU.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cpu = common::cpu_time(&server).saturating_sub(cpu_before);
    let mut samples = samples.lock().await.clone();
    samples.sort();
    let mut seen_by_user = seen_by_user.lock().await.clone();
    seen_by_user.sort();
    println!(
        "{} subscribers ({connections} connections × {per_connection}): {} of {total} changes delivered{}; \
         changes sent in {:.1} s",
        total,
        samples.len(),
        if wait.is_err() { " (timed out)" } else { "" },
        sent.as_secs_f64()
    );
    println!(
        "change → delivery: p50 {}  p99 {}  max {}",
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 99.0)),
        ms(samples.last().copied().unwrap_or_default()),
    );
    println!(
        "mutation sent → delivery: p50 {}  p99 {}  max {}",
        ms(percentile(&seen_by_user, 50.0)),
        ms(percentile(&seen_by_user, 99.0)),
        ms(seen_by_user.last().copied().unwrap_or_default()),
    );
    println!(
        "server CPU while changes were sent and delivered: {:.1} s, {} per change",
        cpu.as_secs_f64(),
        ms(cpu / total.max(1) as u32),
    );
    let per_connection_kib = rss_connections.saturating_sub(rss_before) as f64 / connections as f64;
    let per_subscription_kib =
        rss_subscriptions.saturating_sub(rss_connections) as f64 / total as f64;
    println!(
        "server RSS: {rss_before} KiB before, {rss_connections} KiB with {connections} idle connections, \
         {rss_subscriptions} KiB with {total} idle subscriptions"
    );
    println!(
        "memory: {per_connection_kib:.1} KiB per idle connection, {per_subscription_kib:.2} KiB per idle subscription"
    );
}

fn main() {
    let connections = option("--connections", 50);
    let per_connection = option("--per-connection", 100);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(run(connections, per_connection));
}
