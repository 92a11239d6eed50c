//! Client overhead against the Gemini stand-in on loopback (issue 4, "Speed").
//!
//! Reports requests per generation on each path, and for a 1 MiB image the client's own cost
//! per generation beyond the HTTP round trip: time and heap allocations. The baseline is a raw
//! reqwest POST of the very body the client sends, so what remains is the client's work
//! (base64, JSON building and serialising, response parsing, error typing).
//!
//! Allocations are counted only on the client's threads: the stand-in runs on a runtime of its
//! own thread, and the client on a current-thread runtime here, so its HTTP I/O counts too, and
//! so does that runtime's blocking pool, where the client serialises the request body.
//!
//! Run: `cargo bench --bench gemini_client`.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

use bytes::Bytes;
use secrecy::SecretString;
use videoprompt::{
    domain::styles::{CameraStyle, FilmEffect},
    gemini::{GeminiClient, GeminiConfig, GenerationRequest, StandIn, StandInConfig},
};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);
/// Whether a measured call is running.
static MEASURING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Set on the client's threads: the one running its runtime, and that runtime's blocking pool.
    static CLIENT_THREAD: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn count(size: usize) {
    // `try_with`: thread-locals may be gone while a thread shuts down.
    if MEASURING.load(Ordering::Relaxed) && CLIENT_THREAD.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(size as u64, Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Time and allocations of one measured call.
#[derive(Clone, Copy)]
struct Sample {
    time: Duration,
    allocations: u64,
    bytes: u64,
}

async fn measure<F: std::future::Future<Output = ()>>(call: F) -> Sample {
    let (a0, b0) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        ALLOCATED_BYTES.load(Ordering::Relaxed),
    );
    MEASURING.store(true, Ordering::Relaxed);
    let start = Instant::now();
    call.await;
    let time = start.elapsed();
    MEASURING.store(false, Ordering::Relaxed);
    Sample {
        time,
        allocations: ALLOCATIONS.load(Ordering::Relaxed) - a0,
        bytes: ALLOCATED_BYTES.load(Ordering::Relaxed) - b0,
    }
}

fn median(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by_key(|s| s.time);
    let time = samples[samples.len() / 2].time;
    samples.sort_by_key(|s| s.allocations);
    let mid = samples[samples.len() / 2];
    Sample { time, ..mid }
}

const ITERATIONS: usize = 40;

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The stand-in on its own thread and runtime, so its work is not counted as the client's.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async move {
            for file_active_delay in [Duration::ZERO, Duration::from_millis(100)] {
                let stand_in = StandIn::spawn(StandInConfig {
                    file_active_delay,
                    ..StandInConfig::default()
                })
                .await
                .expect("stand-in");
                tx.send(stand_in).expect("send");
            }
            std::future::pending::<()>().await;
        });
    });
    let stand_in = rx.recv().expect("the stand-in");
    let processing_stand_in = rx.recv().expect("the second stand-in");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_start(|| CLIENT_THREAD.with(|c| c.set(true)))
        .build()
        .expect("runtime");
    CLIENT_THREAD.with(|c| c.set(true));
    runtime.block_on(run(stand_in, processing_stand_in));
}

fn image_of(size: usize) -> Bytes {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/landscape.png");
    let mut bytes = std::fs::read(path).expect("fixture");
    // Padding after the PNG's end: the stand-in checks magic bytes, so it stays an image.
    bytes.resize(size, 0);
    Bytes::from(bytes)
}

fn request(image: Bytes) -> GenerationRequest {
    GenerationRequest {
        image,
        mime_type: "image/png".into(),
        camera_style: CameraStyle::Tracking,
        film_effect: FilmEffect::GoldenHour,
        notes: Some("Der Karren rollt langsam ins Bild".into()),
    }
}

async fn run(stand_in: StandIn, processing_stand_in: StandIn) {
    let base_url = stand_in.base_url();
    let key = SecretString::from("bench-key");
    let client = |base_url: &str, inline_limit| {
        GeminiClient::new(GeminiConfig {
            base_url: base_url.to_owned(),
            inline_limit,
            ..GeminiConfig::default()
        })
        .expect("client")
    };
    let inline = client(&base_url, usize::MAX);
    let files = client(&base_url, 0);
    let small = request(image_of(6292));
    let mib = request(image_of(1 << 20));

    // Requests per generation, as the stand-in recorded them.
    println!("requests per generation (as the stand-in recorded them):");
    for (what, client, stand_in) in [
        ("inline", &inline, &stand_in),
        ("Files API, file ACTIVE at finalize", &files, &stand_in),
        (
            "Files API, file PROCESSING for 100 ms",
            &client(&processing_stand_in.base_url(), 0),
            &processing_stand_in,
        ),
    ] {
        stand_in.clear_requests();
        client.generate(&key, &small).await.expect("generate");
        let calls: Vec<String> = stand_in
            .requests()
            .iter()
            .map(|r| {
                let query = if r.query_param("upload_id").is_some() {
                    "?upload_id=…"
                } else {
                    ""
                };
                format!("{} {}{query}", r.method, r.path)
            })
            .collect();
        println!("  {what}: {}\n    {}", calls.len(), calls.join("\n    "));
        stand_in.clear_requests();
    }

    let http = reqwest::Client::new();
    let url = format!("{base_url}/v1beta/models/gemini-3.8-flash:generateContent");
    for (name, req) in [("6 KiB", &small), ("1 MiB", &mib)] {
        // The exact body the client sends, for the raw baseline.
        let body = inline_body(&base_url, &key, req).await;
        let mut raw = Vec::new();
        let mut via_client = Vec::new();
        let mut via_files = Vec::new();
        for round in 0..ITERATIONS + 5 {
            let r = measure(async {
                let response = http
                    .post(&url)
                    .header("x-goog-api-key", "bench-key")
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("raw post");
                let _ = response.bytes().await.expect("raw body");
            })
            .await;
            let c = measure(async {
                inline.generate(&key, req).await.expect("generate");
            })
            .await;
            let f = measure(async {
                files.generate(&key, req).await.expect("files generate");
            })
            .await;
            stand_in.clear_requests();
            if round >= 5 {
                raw.push(r);
                via_client.push(c);
                via_files.push(f);
            }
        }
        let (raw, via_client, via_files) = (median(raw), median(via_client), median(via_files));
        println!("\n{name} image, median of {ITERATIONS}:");
        report("raw POST of the same body (baseline)", raw);
        report("client.generate, inline", via_client);
        report("client.generate, Files API", via_files);
        println!(
            "  client overhead (inline − baseline): {:>9.3} ms, {:>6} allocations, {:>10} bytes",
            (via_client.time.as_secs_f64() - raw.time.as_secs_f64()) * 1e3,
            via_client.allocations as i64 - raw.allocations as i64,
            via_client.bytes as i64 - raw.bytes as i64,
        );
    }
}

fn report(what: &str, sample: Sample) {
    println!(
        "  {what:<40} {:>9.3} ms, {:>6} allocations, {:>10} bytes",
        sample.time.as_secs_f64() * 1e3,
        sample.allocations,
        sample.bytes
    );
}

/// Serialises the body the client would send inline (same code path: the public pieces).
async fn inline_body(_base_url: &str, _key: &SecretString, req: &GenerationRequest) -> Bytes {
    use videoprompt::gemini::{prompt, wire};
    let body = wire::GenerateContentRequest {
        contents: vec![wire::Content {
            role: Some("user".into()),
            parts: vec![
                wire::Part {
                    inline_data: Some(wire::Blob {
                        mime_type: req.mime_type.clone(),
                        data: wire::Base64Bytes(req.image.clone()),
                    }),
                    ..wire::Part::default()
                },
                wire::Part::text(prompt::user_message(
                    req.camera_style,
                    req.film_effect,
                    req.notes.as_deref(),
                )),
            ],
        }],
        system_instruction: Some(wire::Content {
            role: None,
            parts: vec![wire::Part::text(prompt::system_instruction())],
        }),
        generation_config: Some(wire::GenerationConfig {
            response_mime_type: Some("application/json".into()),
            response_schema: Some(prompt::response_schema()),
            temperature: None,
        }),
    };
    Bytes::from(serde_json::to_vec(&body).expect("serialise"))
}
