//! The inline request body — megabytes of base64 JSON — is built off the runtime's threads, and
//! the image is not copied on the way to the socket.
//!
//! Timing cannot show where work ran, so a counting allocator does: while the client generates,
//! every allocation at least as large as the image is counted by the kind of thread it happens
//! on (the runtime's own thread, or one of that runtime's blocking-pool threads). Building the
//! body needs one such buffer (the base64 is 4/3 of the image); it must come from the blocking
//! pool, and it must be the only one (a base64 `String` first, or a buffer grown by doubling,
//! would be more).

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    sync::atomic::{AtomicUsize, Ordering},
};

use videoprompt::{
    domain::styles::{CameraStyle, FilmEffect},
    gemini::GenerationRequest,
};

use crate::helpers::*;

struct Watching;

/// What a thread is to the measurement.
const UNWATCHED: u8 = 0;
const RUNTIME_THREAD: u8 = 1;
const BLOCKING_POOL: u8 = 2;

thread_local! {
    static ROLE: Cell<u8> = const { Cell::new(UNWATCHED) };
}

/// Allocations of at least this many bytes are counted (`usize::MAX`: none).
static THRESHOLD: AtomicUsize = AtomicUsize::new(usize::MAX);
static LARGE_ON_RUNTIME: AtomicUsize = AtomicUsize::new(0);
static LARGE_ON_BLOCKING_POOL: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Watching = Watching;

fn note(size: usize) {
    if size < THRESHOLD.load(Ordering::Relaxed) {
        return;
    }
    // `try_with`: thread-locals may be gone while a thread shuts down.
    match ROLE.try_with(Cell::get).unwrap_or(UNWATCHED) {
        RUNTIME_THREAD => LARGE_ON_RUNTIME.fetch_add(1, Ordering::Relaxed),
        BLOCKING_POOL => LARGE_ON_BLOCKING_POOL.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
}

/// An 8 MiB image sent inline (~11 MB of body) is serialised on the blocking pool, into one
/// buffer, and that buffer is sent as it is.
#[test]
fn a_large_inline_body_is_built_off_the_runtime_in_one_buffer() {
    // The stand-in on a runtime of its own, whose threads are not watched: its reading of the
    // body is not the client's work.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("the stand-in's runtime");
    let stand_in = server.block_on(stand_in());
    let client = client(&stand_in, |_| {});
    let mut image = fixture("landscape.png").to_vec();
    // Padding after the PNG's end: the stand-in checks the magic bytes, so it stays an image.
    image.resize(8 << 20, 0);
    let request = GenerationRequest {
        image: image.into(),
        mime_type: "image/png".into(),
        camera_style: CameraStyle::Orbit,
        film_effect: FilmEffect::Noir,
        notes: None,
    };
    assert!(request.image.len() <= client.config().inline_limit);

    // The client on a current-thread runtime: this thread is its only worker.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_start(|| ROLE.with(|role| role.set(BLOCKING_POOL)))
        .build()
        .expect("the client's runtime");
    THRESHOLD.store(request.image.len(), Ordering::Relaxed);
    ROLE.with(|role| role.set(RUNTIME_THREAD));
    let outcome = runtime.block_on(client.generate(&key(KEY), &request));
    ROLE.with(|role| role.set(UNWATCHED));
    THRESHOLD.store(usize::MAX, Ordering::Relaxed);
    let on_runtime = LARGE_ON_RUNTIME.load(Ordering::Relaxed);
    let on_blocking_pool = LARGE_ON_BLOCKING_POOL.load(Ordering::Relaxed);

    let generation = outcome.expect("the generation failed");
    assert!(generation.prompt.starts_with("Kreisfahrt um das Motiv"));
    let sent = requests_to(&stand_in, ":generateContent");
    assert_eq!(sent.len(), 1, "one inline request");
    assert!(sent[0].body.len() > request.image.len() * 4 / 3);
    assert_eq!(
        on_runtime, 0,
        "an image-sized buffer was allocated on the runtime's thread: the body was built there"
    );
    assert_eq!(
        on_blocking_pool, 1,
        "the body is one buffer built on the blocking pool, and the image is not copied besides"
    );
    drop(runtime);
    drop(stand_in);
    server.shutdown_background();
}
