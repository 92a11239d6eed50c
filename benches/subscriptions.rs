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
//! notes when the event arrives. Reported: the time from the change (the record's `createdAt`,
//! written by the server; same host clock) to its delivery, p50/p99/max, and the server's
//! memory (RSS from /proc/PID/status) per idle connection and per idle subscription.
//!
//! The Gemini URL points nowhere and one attempt is allowed, so the worker fails each record
//! at once: the PENDING → PROCESSING → FAILED changes that follow are real load too, but only
//! each record's first event is measured.

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

use common::{PASSWORD, Spawned, graphql, ms, percentile};

/// The server under test: SQLite in a fresh folder, Gemini unreachable (see the module doc).
fn server() -> Spawned {
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
    Spawned::start(command, "GraphiQL at", Some(data_dir))
}

const UPLOAD: &str = "mutation($collectionId: ID!, $file: Upload!) {
  uploadImage(collectionId: $collectionId, file: $file) { id } }";
const SUBSCRIBE: &str = "subscription($imageId: ID) { videoPromptUpdated(imageId: $imageId) {
  id status createdAt } }";
const GENERATE: &str = "mutation($input: GenerateVideoPromptInput!) {
  generateVideoPrompt(input: $input) { id } }";

/// A user with `images` uploaded images: (token, image ids).
async fn user(
    client: &reqwest::Client,
    base: &str,
    n: usize,
    images: usize,
) -> (String, Vec<String>) {
    let body = graphql(
        client,
        base,
        "mutation($input: CredentialsInput!) { register(input: $input) { token } }",
        json!({ "input": { "email": format!("bench{n}@example.org"), "password": PASSWORD } }),
        None,
    )
    .await;
    let token = body["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    graphql(
        client,
        base,
        "mutation($k: String!) { setGeminiApiKey(apiKey: $k) { hasGeminiApiKey } }",
        json!({ "k": "bench-key" }),
        Some(&token),
    )
    .await;
    let body = graphql(
        client,
        base,
        "mutation($name: String!) { createCollection(name: $name) { id } }",
        json!({ "name": "Bench" }),
        Some(&token),
    )
    .await;
    let collection = body["data"]["createCollection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/images/tiny.png"
    ))
    .unwrap();
    let mut ids = Vec::with_capacity(images);
    for _ in 0..images {
        let operations =
            json!({ "query": UPLOAD, "variables": { "collectionId": collection, "file": null } });
        let form = Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                Part::bytes(bytes.clone())
                    .file_name("tiny.png")
                    .mime_str("image/png")
                    .unwrap(),
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
        let id = body["data"]["uploadImage"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("upload failed: {body}"))
            .to_owned();
        ids.push(id);
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
    let base = server.base.clone();
    let ws_url = format!("{}/graphql", base.replacen("http://", "ws://", 1));
    let client = reqwest::Client::new();
    let total = connections * per_connection;

    let setup = Instant::now();
    let mut users = Vec::new();
    for n in 0..connections {
        users.push(user(&client, &base, n, per_connection).await);
    }
    println!(
        "setup: {connections} users × {per_connection} images in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = server.memory_kib("VmRSS");

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
    let rss_connections = server.memory_kib("VmRSS");

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
    let rss_subscriptions = server.memory_kib("VmRSS");

    // Readers: each notes the delay of every record's first event.
    let samples = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let mut readers = Vec::new();
    for mut ws in sockets {
        let samples = samples.clone();
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
    let started = Instant::now();
    let jobs: Vec<(String, String)> = users
        .iter()
        .flat_map(|(token, images)| {
            images
                .iter()
                .map(move |image| (token.clone(), image.clone()))
        })
        .collect();
    let jobs = Arc::new(Mutex::new(jobs));
    let mut senders = Vec::new();
    for _ in 0..16 {
        let jobs = jobs.clone();
        let client = client.clone();
        let base = base.clone();
        senders.push(tokio::spawn(async move {
            loop {
                let Some((token, image)) = jobs.lock().await.pop() else { break };
                graphql(
                    &client,
                    &base,
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
    let sent = started.elapsed();
    let wait = tokio::time::timeout(Duration::from_secs(120), async {
        for reader in readers {
            let _ = reader.await;
        }
    })
    .await;
    let mut samples = samples.lock().await.clone();
    samples.sort();
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
    let _ = rustls::crypto::ring::default_provider().install_default();
    let connections = option("--connections", 50);
    let per_connection = option("--per-connection", 100);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(run(connections, per_connection));
}
