//! Every `fault:` scenario of the Gemini stand-in, through the real server, ends in the state a
//! user should see: the right status, `errorCode` and `attempts` (default: at most 4 tries).
//!
//! The scenarios run side by side in one server (one user per fault key: the stand-in counts
//! faults per key), so the suite takes as long as its slowest scenario, not their sum. The
//! inline limit is set low so every image goes through the Files API, and after every path the
//! stand-in must hold no uploaded file.

use std::time::Duration;

use serde_json::json;

use testkit::scenario::{generate, until, until_finished, user_with_image};

use crate::helpers::{Backend, app_with_stand_in, until_no_files_held};

/// (Gemini key, status, errorCode, attempts) a user sees at the end.
const SCENARIOS: &[(&str, &str, Option<&str>, i64)] = &[
    ("plain-key-0001", "COMPLETED", None, 1),
    // 429 twice (each asking for 1 s), then an answer: two retries.
    ("fault:rate-limit:2", "COMPLETED", None, 3),
    ("fault:rate-limit:9", "FAILED", Some("GEMINI_QUOTA"), 4),
    ("fault:unavailable", "COMPLETED", None, 2),
    (
        "fault:unavailable:9",
        "FAILED",
        Some("GEMINI_UNAVAILABLE"),
        4,
    ),
    ("fault:internal:9", "FAILED", Some("GEMINI_UNAVAILABLE"), 4),
    ("fault:timeout", "COMPLETED", None, 2),
    ("fault:timeout:9", "FAILED", Some("TIMEOUT"), 4),
    // Slower than the server's Gemini timeout: a client-side timeout, retried like a 504.
    ("fault:slow:8000", "FAILED", Some("TIMEOUT"), 4),
    // Slow but within the timeout: just slow.
    ("fault:slow:300", "COMPLETED", None, 1),
    // The answer breaks off every time: retried, then given up.
    ("fault:stream-drop", "FAILED", Some("GEMINI_UNAVAILABLE"), 4),
    // Final at once: retrying cannot help.
    ("fault:invalid-key", "FAILED", Some("GEMINI_AUTH"), 1),
    ("fault:blocked", "FAILED", Some("GEMINI_BLOCKED"), 1),
    ("fault:malformed", "FAILED", Some("GEMINI_BAD_OUTPUT"), 1),
    (
        "fault:file-failed",
        "FAILED",
        Some("GEMINI_FILE_PROCESSING"),
        1,
    ),
    (
        "fault:never-active",
        "FAILED",
        Some("GEMINI_FILE_PROCESSING"),
        1,
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_ends_right_on_sqlite() {
    every_fault_ends_right(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_ends_right_on_postgres() {
    every_fault_ends_right(Backend::Postgres).await;
}

async fn every_fault_ends_right(backend: Backend) {
    let Some((app, stand_in)) = app_with_stand_in(backend, |args| {
        // Every fixture is larger: all of them go through the Files API.
        args.gemini.gemini_inline_limit = 1024;
        args.gemini.gemini_timeout = Duration::from_millis(1500);
        args.gemini.gemini_file_wait = Duration::from_secs(1);
        // Every scenario in flight at once.
        args.jobs.workers = SCENARIOS.len();
    })
    .await
    else {
        return;
    };
    let app = &app;
    let runs = SCENARIOS
        .iter()
        .enumerate()
        .map(|(n, &(key, status, code, attempts))| async move {
            let (token, image_id) =
                user_with_image(app, &format!("fault{n}@example.org"), key).await;
            let body = generate(
                app,
                &token,
                json!({ "imageId": image_id, "cameraStyle": "PAN", "filmEffect": "CINEMATIC" }),
            )
            .await;
            let id = body["data"]["generateVideoPrompt"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{key}: {body}"))
                .to_owned();
            let done = until_finished(app, &token, &id).await;
            assert_eq!(done["status"], status, "{key}: {done}");
            assert_eq!(done["errorCode"].as_str(), code, "{key}: {done}");
            assert_eq!(done["attempts"], attempts, "{key}: {done}");
            if status == "COMPLETED" {
                assert!(
                    done["prompt"].as_str().is_some_and(|p| !p.is_empty()),
                    "{key}: {done}"
                );
                assert_eq!(
                    done["errorMessage"],
                    serde_json::Value::Null,
                    "{key}: {done}"
                );
            } else {
                // A readable reason, never the key itself.
                let message = done["errorMessage"].as_str().unwrap_or_default();
                assert!(!message.is_empty(), "{key}: {done}");
                assert!(
                    !message.contains(key),
                    "{key}: the message names the key: {message}"
                );
            }
        });
    futures_util::future::join_all(runs).await;

    // Every uploaded file was deleted again, whatever the path.
    until_no_files_held(&stand_in).await;
    let uploads = stand_in
        .requests()
        .iter()
        .filter(|r| r.path.contains("/upload/"))
        .count();
    assert!(
        uploads >= SCENARIOS.len(),
        "the Files API was not used: {uploads} uploads"
    );
}

/// The key is cleared while the record waits for its retry: the retry finds no key and ends
/// the record FAILED with GEMINI_API_KEY_MISSING (DESIGN), its two tries counted.
async fn a_key_removed_before_the_retry_fails_with_key_missing(backend: Backend) {
    let Some((app, _stand_in)) = app_with_stand_in(backend, |_| {}).await else {
        return;
    };
    let (token, image_id) =
        user_with_image(&app, "keyless@example.org", "fault:rate-limit:1").await;
    let body = generate(
        &app,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "TILT", "filmEffect": "DREAMY" }),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The 429 asks for 1 s: the record waits PENDING after its first try for that long.
    let waiting = until(&app, &token, &id, |r| {
        r["attempts"] == 1 && r["status"] == "PENDING"
    })
    .await;
    assert_eq!(waiting["errorCode"], "GEMINI_QUOTA", "{waiting}");
    let cleared = app
        .gql(
            "mutation { clearGeminiApiKey { hasGeminiApiKey } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        cleared["data"]["clearGeminiApiKey"]["hasGeminiApiKey"], false,
        "{cleared}"
    );

    let done = until_finished(&app, &token, &id).await;
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["errorCode"], "GEMINI_API_KEY_MISSING", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_removed_before_the_retry_fails_on_sqlite() {
    a_key_removed_before_the_retry_fails_with_key_missing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_removed_before_the_retry_fails_on_postgres() {
    a_key_removed_before_the_retry_fails_with_key_missing(Backend::Postgres).await;
}
