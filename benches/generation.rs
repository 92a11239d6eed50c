//! Generation benchmark: the release `videoprompt` binary and the Gemini stand-in, each a child
//! process on loopback, driven through GraphQL as the app drives them.
//!
//! ```text
//! cargo bench --bench generation -- [--runs N] [--jobs N] [--workers N] [--latency-ms MS]
//!                                     [--image-kib N] [--only overhead|capacity]
//! ```
//!
//! (a) Overhead: the stand-in answers at once; `--runs` (200) generations for a 1 MiB PNG, one
//!     after another. Per generation: the record's own `completedAt − createdAt` (the server's
//!     clocks: queue wake-up, claim, image read, the Gemini request, the final write) and, for
//!     comparison, the client's time from the mutation's answer until a tight poll sees
//!     COMPLETED. p50 and p99 of each.
//! (b) Capacity: the stand-in takes `--latency-ms` (2000) per answer; `--jobs` (1000)
//!     generations are started at once against a server with `--workers` (50). Reports the total
//!     time from the first request to the last completion against the ideal
//!     `latency × jobs ÷ workers`, and the server's peak RSS (`VmHWM`).
//!
//! SQLite (the embedded default) only: the point is the pipeline's own overhead.

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use testkit::{
    Api, ServerProcess,
    scenario::{create_collection, fixture, register, set_gemini_key, upload_accepted},
};
use tokio::sync::Semaphore;

use common::{ms, percentile};

struct Options {
    runs: usize,
    jobs: usize,
    workers: usize,
    latency_ms: u64,
    image_kib: usize,
    /// `overhead` or `capacity` runs just that part.
    only: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        runs: 200,
        jobs: 1000,
        workers: 50,
        latency_ms: 2000,
        image_kib: 1024,
        only: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        let take = |name: &str| value().unwrap_or_else(|| panic!("{name} takes a number"));
        match args[i].as_str() {
            "--runs" => options.runs = take("--runs") as usize,
            "--jobs" => options.jobs = take("--jobs") as usize,
            "--workers" => options.workers = take("--workers") as usize,
            "--latency-ms" => options.latency_ms = take("--latency-ms"),
            "--image-kib" => options.image_kib = take("--image-kib") as usize,
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

/// The server under test: `workers` workers, Gemini at `stand_in`, SQLite in a fresh folder.
fn server(stand_in: &ServerProcess, workers: usize) -> ServerProcess {
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = common::videoprompt();
    command
        // Every bench client signs up from 127.0.0.1: lift the per-address sign-up limit.
        .args(["serve", "--registrations-per-address", "1000000"])
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir.path())
        .arg("--gemini-base-url")
        .arg(stand_in.base())
        .args(["--workers", &workers.to_string()]);
    common::start(command).keeping(data_dir)
}

/// A signed-in user with a Gemini key and a collection: (token, collection id).
async fn sign_up(api: &Api, email: &str) -> (String, String) {
    let (token, _) = register(api, email).await;
    set_gemini_key(api, &token, "bench-key-0001").await;
    let collection = create_collection(api, &token, "Bench").await;
    (token, collection)
}

async fn upload(api: &Api, token: &str, collection: &str, name: &str, bytes: Vec<u8>) -> String {
    let image = upload_accepted(
        api,
        token,
        collection,
        name,
        bytes,
        "application/octet-stream",
    )
    .await;
    image["id"].as_str().unwrap().to_owned()
}

async fn generate(api: &Api, token: &str, image: &str) -> String {
    let body = api
        .gql_ok(
            "mutation($input: GenerateVideoPromptInput!) { generateVideoPrompt(input: $input) { id } }",
            json!({ "input": { "imageId": image, "cameraStyle": "PAN", "filmEffect": "CINEMATIC" } }),
            Some(token),
        )
        .await;
    body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A valid RGB PNG of about `target` bytes whose pixel data is stored uncompressed (deflate
/// "stored" blocks), so its size is what it looks like; the pixels are noise.
fn png_of_about(target: usize) -> Vec<u8> {
    let width: usize = 512;
    let row = 1 + 3 * width;
    let height = target.div_ceil(row);
    // Each row: a filter byte (0: none), then the pixels.
    let mut raw = vec![0u8; row * height];
    let mut seed: u32 = 0x1234_5678;
    for line in raw.chunks_mut(row) {
        for byte in &mut line[1..] {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            *byte = seed as u8;
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (n, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(n + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(width as u32).to_be_bytes());
    ihdr.extend_from_slice(&(height as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    png.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn timestamp(record: &Value, field: &str) -> DateTime<Utc> {
    record[field]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {record}"))
}

const FOLLOW: &str =
    "query($id: ID!) { videoPrompt(id: $id) { status errorCode createdAt completedAt } }";

async fn overhead(options: &Options) {
    let stand_in = common::stand_in(0);
    let server = server(&stand_in, 16);
    let api = server.as_ref();
    let (token, collection) = sign_up(api, "overhead@bench.test").await;
    let png = png_of_about(options.image_kib << 10);
    let size = png.len();
    let image = upload(api, &token, &collection, "noise.png", png).await;

    let mut recorded = Vec::with_capacity(options.runs);
    let mut observed = Vec::with_capacity(options.runs);
    for _ in 0..options.runs {
        let id = generate(api, &token, &image).await;
        let answered = Instant::now();
        // A tight poll, no pause: the time until it sees COMPLETED is what is measured.
        let record = loop {
            let body = api.gql_ok(FOLLOW, json!({ "id": id }), Some(&token)).await;
            let record = body["data"]["videoPrompt"].clone();
            match record["status"].as_str() {
                Some("COMPLETED") => break record,
                Some("PENDING" | "PROCESSING") => {}
                _ => panic!("the generation did not complete: {record}"),
            }
        };
        observed.push(answered.elapsed());
        let took = timestamp(&record, "completedAt") - timestamp(&record, "createdAt");
        recorded.push(took.to_std().unwrap_or_default());
    }
    recorded.sort();
    observed.sort();
    println!(
        "(a) overhead, {} generations of a {:.2} MiB PNG, stand-in answering at once",
        options.runs,
        size as f64 / f64::from(1 << 20)
    );
    println!(
        "    completedAt − createdAt (server clocks): p50 {}  p99 {}  max {}",
        ms(percentile(&recorded, 50.0)),
        ms(percentile(&recorded, 99.0)),
        ms(percentile(&recorded, 100.0)),
    );
    println!(
        "    mutation answered → COMPLETED seen by a tight poll: p50 {}  p99 {}",
        ms(percentile(&observed, 50.0)),
        ms(percentile(&observed, 99.0)),
    );
}

async fn capacity(options: &Options) {
    let stand_in = common::stand_in(options.latency_ms);
    let server = server(&stand_in, options.workers);
    let api = server.as_ref();
    let (token, collection) = sign_up(api, "capacity@bench.test").await;
    let fixture = fixture("landscape.jpg");
    // A hundred generations per image keeps each image's list one page long.
    let images = options.jobs.div_ceil(100);
    let mut image_ids = Vec::new();
    for n in 0..images {
        image_ids.push(
            upload(
                api,
                &token,
                &collection,
                &format!("l{n}.jpg"),
                fixture.clone(),
            )
            .await,
        );
    }

    let started = Instant::now();
    let requests = Arc::new(Semaphore::new(64));
    let mut tasks = Vec::with_capacity(options.jobs);
    for n in 0..options.jobs {
        let (api, token, image, requests) = (
            api.clone(),
            token.clone(),
            image_ids[n % images].clone(),
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
    let all_requested = started.elapsed();

    // Poll each image's page of prompts until every record is finished. Not `eventually`: the
    // pause between looks is part of the measurement (polls load the server being measured),
    // and a large `--jobs` may take as long as it takes.
    let records = loop {
        let mut records = Vec::new();
        for image in &image_ids {
            let body = api
                .gql_ok(
                    "query($id: ID!) { image(id: $id) { videoPrompts(first: 100) { nodes { status errorCode createdAt completedAt } } } }",
                    json!({ "id": image }),
                    Some(&token),
                )
                .await;
            records.extend(
                body["data"]["image"]["videoPrompts"]["nodes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        let open = records
            .iter()
            .filter(|r| matches!(r["status"].as_str(), Some("PENDING" | "PROCESSING")))
            .count();
        if open == 0 {
            break records;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let completed = records
        .iter()
        .filter(|r| r["status"] == "COMPLETED")
        .count();
    let first = records
        .iter()
        .map(|r| timestamp(r, "createdAt"))
        .min()
        .unwrap();
    let last = records
        .iter()
        .filter_map(|r| r["completedAt"].as_str()?.parse::<DateTime<Utc>>().ok())
        .max()
        .unwrap();
    let total = (last - first).to_std().unwrap_or_default();
    let ideal =
        Duration::from_millis(options.latency_ms) * options.jobs as u32 / options.workers as u32;
    println!(
        "(b) capacity, {} generations at once, stand-in taking {} ms each, {} workers",
        options.jobs, options.latency_ms, options.workers
    );
    println!(
        "    COMPLETED {completed}/{}; all {} requests answered in {}",
        records.len(),
        options.jobs,
        ms(all_requested)
    );
    println!(
        "    first created → last completed: {:.2} s (ideal {} ms × {} ÷ {} = {:.2} s, {:.1} % over)",
        total.as_secs_f64(),
        options.latency_ms,
        options.jobs,
        options.workers,
        ideal.as_secs_f64(),
        (total.as_secs_f64() / ideal.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "    server peak RSS (VmHWM): {:.1} MiB",
        common::memory_kib(&server, "VmHWM") as f64 / 1024.0
    );
    assert_eq!(completed, options.jobs, "not every generation completed");
}

#[tokio::main]
async fn main() {
    let options = options();
    if options.only.as_deref() != Some("capacity") {
        overhead(&options).await;
    }
    if options.only.as_deref() != Some("overhead") {
        capacity(&options).await;
    }
}
