//! The Files API path (inline limit set low): upload, poll until ACTIVE, generate, delete —
//! and the file deleted on every path, failures and abandoned streams included.

use std::time::Duration;

use futures_util::StreamExt;
use testkit::eventually;
use videoprompt::{
    domain::failure_code::FailureCode,
    gemini::{GeminiError, StreamEvent},
};

use crate::helpers::*;

/// The whole sequence, in order, with the headers the resumable protocol needs.
#[tokio::test]
async fn a_large_image_is_uploaded_polled_used_and_deleted() {
    let stand_in = stand_in().await;
    let client = files_client(&stand_in);
    let request = landscape_request();

    let generation = client
        .generate(&key(KEY), &request)
        .await
        .expect("generation");

    assert!(generation.prompt.starts_with("Kreisfahrt um das Motiv"));
    assert_eq!(stand_in.files_held(), 0, "the uploaded file is deleted");
    let requests = stand_in.requests();
    let calls: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();

    // start, upload+finalize, at least one files.get, generate, delete.
    let start = &requests[0];
    assert_eq!(calls[0], "POST /upload/v1beta/files");
    assert_eq!(start.header("x-goog-api-key"), Some(KEY));
    assert_eq!(start.header("x-goog-upload-protocol"), Some("resumable"));
    assert_eq!(start.header("x-goog-upload-command"), Some("start"));
    let length = request.image.len().to_string();
    assert_eq!(
        start.header("x-goog-upload-header-content-length"),
        Some(length.as_str())
    );
    assert_eq!(
        start.header("x-goog-upload-header-content-type"),
        Some("image/png")
    );

    let upload = &requests[1];
    assert_eq!(calls[1], "POST /upload/v1beta/files");
    assert!(upload.query_param("upload_id").is_some());
    assert_eq!(
        upload.header("x-goog-upload-command"),
        Some("upload, finalize")
    );
    assert_eq!(upload.header("x-goog-upload-offset"), Some("0"));
    assert_eq!(
        upload.header("x-goog-api-key"),
        None,
        "the upload URL is the credential"
    );
    assert_eq!(upload.body, request.image, "the image bytes, unchanged");

    let generate_at = calls
        .iter()
        .position(|call| call.ends_with(":generateContent"))
        .expect("a generate call");
    assert!(generate_at >= 3, "polled before generating: {calls:?}");
    assert!(
        calls[2..generate_at]
            .iter()
            .all(|c| c.starts_with("GET /v1beta/files/"))
    );
    let body = requests[generate_at].json.as_ref().expect("json");
    let file_data = &body["contents"][0]["parts"][0]["fileData"];
    let id = calls[2].trim_start_matches("GET /v1beta/files/").to_owned();
    assert_eq!(file_data["mimeType"], "image/png");
    assert_eq!(
        file_data["fileUri"],
        format!("{}/v1beta/files/{id}", stand_in.base_url())
    );
    assert!(body["contents"][0]["parts"][0].get("inlineData").is_none());
    assert_eq!(
        calls.last().map(String::as_str),
        Some(format!("DELETE /v1beta/files/{id}").as_str())
    );
    assert_eq!(calls.len(), generate_at + 2);
}

/// A file that ends FAILED: GEMINI_FILE_PROCESSING, and the file is deleted.
#[tokio::test]
async fn a_file_that_fails_processing_is_reported_and_deleted() {
    let stand_in = stand_in().await;
    let client = files_client(&stand_in);

    let err = client
        .generate(&key("fault:file-failed"), &landscape_request())
        .await
        .expect_err("the file fails");

    assert!(matches!(err, GeminiError::FileProcessing { .. }), "{err:?}");
    assert_eq!(err.failure_code(), FailureCode::GeminiFileProcessing);
    assert!(!err.is_retryable());
    assert_eq!(stand_in.files_held(), 0);
    assert!(requests_to(&stand_in, ":generateContent").is_empty());
}

/// A file that stays PROCESSING: polling gives up after the bounded wait, the file is deleted.
#[tokio::test]
async fn a_file_that_never_turns_active_is_given_up_and_deleted() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |config| {
        config.inline_limit = 1024;
        config.file_poll.max_wait = Duration::from_millis(300);
    });

    let err = client
        .generate(&key("fault:never-active"), &landscape_request())
        .await
        .expect_err("the file never turns active");

    assert_eq!(err.failure_code(), FailureCode::GeminiFileProcessing);
    assert_eq!(stand_in.files_held(), 0);
    let polls = stand_in
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/v1beta/files/"))
        .count();
    assert!(polls >= 2, "polled with backoff, {polls} times");
    assert!(polls < 20, "the backoff grows, {polls} polls");
}

/// The generation itself fails (500): the file is deleted all the same.
#[tokio::test]
async fn a_failed_generation_still_deletes_the_file() {
    let stand_in = stand_in().await;
    let client = files_client(&stand_in);

    let err = client
        .generate(&key("fault:internal"), &landscape_request())
        .await
        .expect_err("500");

    assert_eq!(err.failure_code(), FailureCode::GeminiUnavailable);
    assert_eq!(stand_in.files_held(), 0);
    assert_eq!(requests_to(&stand_in, ":generateContent").len(), 1);
}

/// Streaming works on the Files API path too, and deletes the file.
#[tokio::test]
async fn a_streamed_generation_through_the_files_api_deletes_the_file() {
    let stand_in = stand_in().await;
    let client = files_client(&stand_in);

    let (prompts, result) = collect_stream(&client, KEY, landscape_request()).await;

    let generation = result.expect("generation");
    assert_eq!(prompts.last(), Some(&generation.prompt));
    assert_eq!(stand_in.files_held(), 0);
    assert_eq!(requests_to(&stand_in, ":streamGenerateContent").len(), 1);
}

/// A caller that stops listening midway: the file is still deleted.
#[tokio::test]
async fn a_stream_abandoned_by_its_caller_still_deletes_the_file() {
    let stand_in = stand_in().await;
    let client = files_client(&stand_in);

    let mut stream = Box::pin(client.generate_stream(key("fault:slow:400"), landscape_request()));
    let first = stream.next().await.expect("an event").expect("no error");
    assert!(matches!(first, StreamEvent::Prompt(_)));
    assert_eq!(stand_in.files_held(), 1);
    drop(stream);

    // Deletion after a dropped stream happens on a spawned task.
    eventually("the file is deleted", async || stand_in.files_held() == 0).await;
}
