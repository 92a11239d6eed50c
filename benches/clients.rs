//! What client developers' choices cost: compression, persisted queries and exports, measured
//! against the real `videoprompt` release binary over loopback.
//!
//! ```text
//! cargo bench --bench clients -- [--backend sqlite|postgres] [--clients N] [--seconds S]
//!                                [--exports N] [--export-prompts N]
//! ```
//!
//! One user with 20 collections × 20 images × 5 finished prompts of about 600 characters (the
//! app's largest screen, about 1.4 MB of JSON), and one more image with `--export-prompts`
//! (10,000) prompts. Then:
//!
//! 1. export: that image's prompts as CSV, `--exports` times one after another, each timed to
//!    its last byte, with the server's peak RSS before the first and after the last (the
//!    export runs first, on a fresh process, so the peak is its own);
//! 2. compression: the nested read with `Accept-Encoding` identity, gzip, br and zstd: bytes
//!    per answer and requests per second;
//! 3. persisted queries: the nested read and a small one (an image and its 5 prompts) sent in
//!    full by POST, as an APQ hash by POST, and as an APQ hash by GET: requests per second.
//!
//! PostgreSQL comes from `VIDEOPROMPT_TEST_POSTGRES_URL`, like the other benchmarks.

mod common;

use std::{
    sync::atomic::{AtomicBool, AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use reqwest::{RequestBuilder, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use testkit::{
    Api,
    scenario::{create_collection, register, upload_accepted},
};

use common::{ms, percentile};

struct Options {
    backend: String,
    clients: usize,
    seconds: u64,
    exports: usize,
    export_prompts: usize,
}

fn options() -> Options {
    let mut options = Options {
        backend: "postgres".into(),
        clients: 16,
        seconds: 10,
        exports: 3,
        export_prompts: 10_000,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        let number = || value.parse().expect("a number");
        match args[i].as_str() {
            "--backend" => options.backend = value.clone(),
            "--clients" => options.clients = number(),
            "--seconds" => options.seconds = number() as u64,
            "--exports" => options.exports = number(),
            "--export-prompts" => options.export_prompts = number(),
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

const NESTED: &str = "{ me { collections(first: 20) { nodes { id name images(first: 20) { nodes { id width height videoPrompts(first: 5) { nodes { id status prompt } } } } } } } }";
const SMALL: &str = "query($id: ID!) { image(id: $id) { id fileName videoPrompts(first: 5) { nodes { id status prompt } } } }";

/// A prompt of about 600 characters, as Gemini writes them.
fn prompt_text(i: usize) -> String {
    let sentence = "Die Kamera gleitet langsam über den nebligen See, goldenes Licht bricht durch die Bäume, Wasser glitzert. ";
    format!("Prompt {i}: {}", sentence.repeat(6))
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn main() {
    let options = options();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(options));
}

async fn run(options: Options) {
    let server = common::Server::start(&options.backend).await;
    let api = server.api();

    // The rows: 20 × 20 × 5, and one image with many prompts to export.
    let (token, user_id) = register(api, "clients@bench.test").await;
    let user_id: uuid::Uuid = user_id.parse().unwrap();
    let db = sea_orm::Database::connect(&server.database_url)
        .await
        .unwrap();
    let png = testkit::scenario::fixture("tiny.png");
    let mut small_image = String::new();
    for c in 0..20 {
        let collection = create_collection(api, &token, &format!("Album {c}")).await;
        for i in 0..20 {
            let image = upload_accepted(
                api,
                &token,
                &collection,
                &format!("{c}-{i}.png"),
                png.clone(),
                "image/png",
            )
            .await;
            let id = image["id"].as_str().unwrap().to_owned();
            common::add_prompts(&db, user_id, id.parse().unwrap(), 5, prompt_text).await;
            small_image = id;
        }
    }
    let export_collection = create_collection(api, &token, "Export").await;
    let export_image = upload_accepted(
        api,
        &token,
        &export_collection,
        "export.png",
        png,
        "image/png",
    )
    .await;
    let export_image: uuid::Uuid = export_image["id"].as_str().unwrap().parse().unwrap();
    common::add_prompts(
        &db,
        user_id,
        export_image,
        options.export_prompts,
        prompt_text,
    )
    .await;
    db.close().await.unwrap();

    export(api, &server, &token, export_image, &options).await;
    compression(api, &token, &options).await;
    persisted(api, &token, &small_image, &options).await;
}

async fn export(
    api: &Api,
    server: &common::Server,
    token: &str,
    image: uuid::Uuid,
    options: &Options,
) {
    let peak_before = server.peak_rss_mib();
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..options.exports {
        let body = api
            .gql_ok(
                "query($id: ID!) { image(id: $id) { exportUrl(format: CSV) } }",
                json!({ "id": image }),
                Some(token),
            )
            .await;
        let link = body["data"]["image"]["exportUrl"].as_str().unwrap();
        let started = Instant::now();
        let mut response = api.http().get(api.url(link)).send().await.unwrap();
        assert!(response.status().is_success());
        size = 0;
        while let Some(chunk) = response.chunk().await.unwrap() {
            size += chunk.len();
        }
        times.push(started.elapsed());
    }
    let peak_after = server.peak_rss_mib();
    println!(
        "export csv prompts={} bytes={} times={} peak RSS {peak_before:.1} -> {peak_after:.1} MiB",
        options.export_prompts,
        size,
        times.iter().map(|t| ms(*t)).collect::<Vec<_>>().join(", "),
    );
}

async fn compression(api: &Api, token: &str, options: &Options) {
    for encoding in ["identity", "gzip", "br", "zstd"] {
        let (rate, bytes, samples) = measure(options, || {
            api.http()
                .post(api.url("/graphql"))
                .bearer_auth(token)
                .header(header::ACCEPT_ENCODING, encoding)
                .json(&json!({ "query": NESTED }))
        })
        .await;
        println!(
            "nested read  Accept-Encoding {encoding:<8} bytes/answer={bytes:>9}  rps={rate:>7.1}  p50={}  p99={}",
            ms(percentile(&samples, 50.0)),
            ms(percentile(&samples, 99.0)),
        );
    }
}

async fn persisted(api: &Api, token: &str, small_image: &str, options: &Options) {
    for (name, query, variables) in [
        ("nested", NESTED, json!({})),
        ("small ", SMALL, json!({ "id": small_image })),
    ] {
        let hash = sha256_hex(query);
        let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        // Registers the hash with this instance.
        let registered: Value = api
            .http()
            .post(api.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables, "extensions": extensions }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(registered.get("errors").is_none(), "{registered}");
        let get_params = [
            ("variables", variables.to_string()),
            ("extensions", extensions.to_string()),
        ];
        let ways: [(&str, MakeRequest); 3] = [
            (
                "POST full text",
                Box::new(|| {
                    api.http()
                        .post(api.url("/graphql"))
                        .bearer_auth(token)
                        .json(&json!({ "query": query, "variables": variables }))
                }),
            ),
            (
                "POST APQ hash",
                Box::new(|| {
                    api.http()
                        .post(api.url("/graphql"))
                        .bearer_auth(token)
                        .json(&json!({ "variables": variables, "extensions": extensions }))
                }),
            ),
            (
                "GET APQ hash ",
                Box::new(|| {
                    api.http()
                        .get(api.url("/graphql"))
                        .bearer_auth(token)
                        .query(&get_params)
                }),
            ),
        ];
        for (way, request) in &ways {
            let (rate, bytes, samples) = measure(options, request).await;
            println!(
                "{name} read  {way}  bytes/answer={bytes:>9}  rps={rate:>8.1}  p50={}  p99={}",
                ms(percentile(&samples, 50.0)),
                ms(percentile(&samples, 99.0)),
            );
        }
    }
}

/// Builds one request of a kind, for each of the loops.
type MakeRequest<'a> = Box<dyn Fn() -> RequestBuilder + Sync + 'a>;

/// `clients` loops of one request for `seconds` after a 2 s warm-up: the rate, the size of an
/// answer as it travelled, and the sorted latencies. Every answer must be a 200.
async fn measure(
    options: &Options,
    request: impl Fn() -> RequestBuilder + Sync,
) -> (f64, usize, Vec<Duration>) {
    let stop = AtomicBool::new(false);
    let measuring = AtomicBool::new(false);
    let bytes = AtomicUsize::new(0);
    let (stop, measuring, bytes, request) = (&stop, &measuring, &bytes, &request);
    let clients = (0..options.clients).map(|_| async move {
        let mut samples = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            let response = request().send().await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            let body = response.bytes().await.unwrap();
            let elapsed = started.elapsed();
            bytes.store(body.len(), Ordering::Relaxed);
            if measuring.load(Ordering::Relaxed) {
                samples.push(elapsed);
            }
        }
        samples
    });
    let clock = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        measuring.store(true, Ordering::Relaxed);
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(options.seconds)).await;
        measuring.store(false, Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
        started.elapsed()
    };
    let (elapsed, all) = tokio::join!(clock, futures_util::future::join_all(clients));
    let mut samples: Vec<Duration> = all.into_iter().flatten().collect();
    samples.sort();
    (
        samples.len() as f64 / elapsed.as_secs_f64(),
        bytes.load(Ordering::Relaxed),
        samples,
    )
}
