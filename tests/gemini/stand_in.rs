//! The stand-in's wire fidelity from raw HTTP: what other clients (the SDKs, curl) send must
//! work, and what the service refuses must be refused the same way.

use std::time::Duration;

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use videoprompt::gemini::{StandIn, StandInConfig};

use crate::helpers::*;

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A snake_case body the way SDK-py sends it, image in URL-safe base64.
fn snake_case_body(image: &[u8]) -> Value {
    json!({
        "contents": [{"role": "user", "parts": [
            {"inline_data": {"mime_type": "image/png",
                             "data": base64::engine::general_purpose::URL_SAFE.encode(image)}},
            {"text": "Kamerastil: Kranfahrt\nFilmeffekt: Zeitraffer"}
        ]}],
        "system_instruction": {"role": "user", "parts": [{"text": "Antworte auf Deutsch."}]},
        "generation_config": {
            "response_mime_type": "application/json",
            "response_schema": {"type": "OBJECT", "properties": {"short_label": {"type": "STRING"}},
                                "property_ordering": ["short_label"], "required": ["short_label"]},
            "thinking_config": {"thinking_budget": 0}
        }
    })
}

async fn post(url: String, key: Option<&str>, body: &Value) -> (StatusCode, String, Value) {
    let mut request = http().post(url).json(body);
    if let Some(key) = key {
        request = request.header("x-goog-api-key", key);
    }
    let response = request.send().await.expect("the stand-in answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        content_type,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// snake_case, URL-safe base64, `?key=`, and every API version: all answered with 200.
#[tokio::test]
async fn snake_case_url_safe_base64_and_every_version_are_accepted() {
    let stand_in = stand_in().await;
    let body = snake_case_body(&fixture("landscape.png"));
    for version in ["v1beta", "v1", "v1alpha"] {
        let url = format!(
            "{}/{version}/models/gemini-3.8-flash:generateContent?key={KEY}",
            stand_in.base_url()
        );
        let (status, content_type, answer) = post(url, None, &body).await;
        assert_eq!(status, StatusCode::OK, "{version}: {answer}");
        assert!(content_type.starts_with("application/json"));
        let text = answer["candidates"][0]["content"]["parts"][0]["text"]
            .as_str()
            .expect("answer text");
        let output: Value = serde_json::from_str(text).expect("JSON per the schema");
        let label = output["short_label"]
            .as_str()
            .expect("the schema's field, name kept");
        assert!(
            label.contains("Kranfahrt") && label.contains("Zeitraffer"),
            "{label}"
        );
        assert_eq!(answer["candidates"][0]["finishReason"], "STOP");
        assert_eq!(answer["modelVersion"], "gemini-3.8-flash");
        assert!(
            answer["usageMetadata"]["totalTokenCount"]
                .as_u64()
                .is_some()
        );
    }
}

/// No key: 403 PERMISSION_DENIED with the service's message.
#[tokio::test]
async fn a_missing_key_is_refused() {
    let stand_in = stand_in().await;
    let url = format!("{}/v1beta/models/m:generateContent", stand_in.base_url());
    let (status, content_type, answer) = post(url, None, &snake_case_body(b"x")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(content_type, "application/json; charset=UTF-8");
    assert_eq!(answer["error"]["status"], "PERMISSION_DENIED");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("unregistered callers")
    );
}

/// A text file sent as image/png is not an image: 400 INVALID_ARGUMENT.
#[tokio::test]
async fn a_text_file_sent_as_an_image_is_refused() {
    let stand_in = stand_in().await;
    let url = format!("{}/v1beta/models/m:generateContent", stand_in.base_url());
    let body = snake_case_body(&fixture("not-an-image.png"));
    let (status, _, answer) = post(url, Some(KEY), &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], 400);
    assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
}

/// Unknown fields, a missing `contents`, a part with two data members: all refused.
#[tokio::test]
async fn malformed_requests_are_refused_like_the_service() {
    let stand_in = stand_in().await;
    let url = format!("{}/v1beta/models/m:generateContent", stand_in.base_url());
    let image = fixture("landscape.png");
    let mut unknown = snake_case_body(&image);
    unknown["generation_config"]["foo"] = json!(1);
    let two_members =
        json!({"contents": [{"parts": [{"text": "a", "file_data": {"file_uri": "files/x"}}]}]});
    for body in [unknown, json!({"contents": []}), json!([1, 2]), two_members] {
        let (status, _, answer) = post(url.clone(), Some(KEY), &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
    }
    let mut unknown = snake_case_body(&image);
    unknown["generation_config"]["foo"] = json!(1);
    let (_, _, answer) = post(url, Some(KEY), &unknown).await;
    assert_eq!(
        answer["error"]["message"],
        "Invalid JSON payload received. Unknown name \"foo\" at 'generation_config': Cannot find field."
    );
}

/// Upload (SDK-py style: snake_case metadata, no key on the bytes), get, list, use, delete;
/// another key and a deleted file get 403.
#[tokio::test]
async fn the_files_api_speaks_the_resumable_protocol() {
    let stand_in = stand_in_with(StandInConfig {
        file_active_delay: Duration::ZERO,
        ..StandInConfig::default()
    })
    .await;
    let base = stand_in.base_url();
    let image = fixture("landscape.webp");

    let started = http()
        .post(format!("{base}/upload/v1/files"))
        .header("x-goog-api-key", KEY)
        .header("x-goog-upload-protocol", "resumable")
        .header("x-goog-upload-command", "start")
        .header("x-goog-upload-header-content-length", image.len().to_string())
        .header("x-goog-upload-header-content-type", "image/webp")
        .json(&json!({"file": {"display_name": "bild", "mime_type": "image/webp", "size_bytes": image.len()}}))
        .send()
        .await
        .expect("start");
    assert_eq!(started.status(), StatusCode::OK);
    assert_eq!(started.headers()["x-goog-upload-status"], "active");
    let upload_url = started.headers()["x-goog-upload-url"]
        .to_str()
        .expect("url")
        .to_owned();
    assert!(
        upload_url.starts_with(&format!("{base}/upload/v1/files?upload_id=")),
        "{upload_url}"
    );

    let finalized = http()
        .post(&upload_url)
        .header("content-type", "application/json")
        .header("x-goog-upload-command", "upload, finalize")
        .header("x-goog-upload-offset", "0")
        .body(image.clone())
        .send()
        .await
        .expect("finalize");
    assert_eq!(finalized.status(), StatusCode::OK);
    assert_eq!(finalized.headers()["x-goog-upload-status"], "final");
    let file: Value = finalized.json().await.expect("json");
    let file = &file["file"];
    let name = file["name"].as_str().expect("name").to_owned();
    assert!(name.starts_with("files/"));
    assert_eq!(file["displayName"], "bild");
    assert_eq!(file["mimeType"], "image/webp");
    assert_eq!(
        file["sizeBytes"],
        image.len().to_string(),
        "int64 as a string"
    );
    assert_eq!(file["state"], "ACTIVE");
    assert_eq!(stand_in.files_held_by(KEY), 1);

    let get = |key: &'static str| {
        http()
            .get(format!("{base}/v1/{name}"))
            .header("x-goog-api-key", key)
            .send()
    };
    let got = get(KEY).await.expect("get");
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(
        got.json::<Value>().await.expect("json")["uri"],
        format!("{base}/v1/{name}")
    );
    assert_eq!(
        get("someone-else").await.expect("get").status(),
        StatusCode::FORBIDDEN
    );

    let listed: Value = http()
        .get(format!("{base}/v1/files?pageSize=5"))
        .header("x-goog-api-key", KEY)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["files"].as_array().map(Vec::len), Some(1));

    let uri = file["uri"].as_str().expect("uri");
    let body = json!({"contents": [{"parts": [{"file_data": {"file_uri": uri, "mime_type": "image/webp"}},
                                             {"text": "Kamerastil: Drohnenflug"}]}]});
    let (status, _, answer) = post(
        format!("{base}/v1/models/m:generateContent"),
        Some(KEY),
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, _, _) = post(
        format!("{base}/v1/models/m:generateContent"),
        Some("someone-else"),
        &body,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a file is private to its key"
    );

    let deleted = http()
        .delete(format!("{base}/v1/{name}"))
        .header("x-goog-api-key", KEY)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(deleted.json::<Value>().await.expect("json"), json!({}));
    assert_eq!(stand_in.files_held(), 0);
    let gone = get(KEY).await.expect("get");
    assert_eq!(gone.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        gone.json::<Value>().await.expect("json")["error"]["status"],
        "PERMISSION_DENIED"
    );
}

/// A file still PROCESSING cannot be used yet: 400.
#[tokio::test]
async fn a_file_is_refused_until_it_is_active() {
    let stand_in = StandIn::spawn(StandInConfig {
        file_active_delay: Duration::from_secs(3600),
        ..StandInConfig::default()
    })
    .await
    .expect("stand-in");
    let base = stand_in.base_url();
    let started = http()
        .post(format!("{base}/upload/v1beta/files"))
        .header("x-goog-api-key", KEY)
        .header("x-goog-upload-protocol", "resumable")
        .header("x-goog-upload-command", "start")
        .send()
        .await
        .expect("start");
    let upload_url = started.headers()["x-goog-upload-url"]
        .to_str()
        .expect("url")
        .to_owned();
    let file: Value = http()
        .post(&upload_url)
        .header("x-goog-upload-command", "upload, finalize")
        .header("x-goog-upload-offset", "0")
        .body(fixture("landscape.png"))
        .send()
        .await
        .expect("finalize")
        .json()
        .await
        .expect("json");
    assert_eq!(file["file"]["state"], "PROCESSING");
    assert_eq!(
        file["file"]["mimeType"], "image/png",
        "sniffed when not declared"
    );

    let body = json!({"contents": [{"parts": [{"fileData": {"fileUri": file["file"]["uri"]}}]}]});
    let (status, _, answer) = post(
        format!("{base}/v1beta/models/m:generateContent"),
        Some(KEY),
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["status"], "FAILED_PRECONDITION");
}

/// Without `alt=sse` a stream is one JSON array of responses.
#[tokio::test]
async fn a_stream_without_sse_is_a_json_array() {
    let stand_in = stand_in().await;
    let url = format!(
        "{}/v1beta/models/m:streamGenerateContent",
        stand_in.base_url()
    );
    let (status, _, answer) =
        post(url, Some(KEY), &snake_case_body(&fixture("landscape.png"))).await;
    assert_eq!(status, StatusCode::OK);
    let events = answer.as_array().expect("an array");
    assert!(events.len() >= 2);
    assert_eq!(
        events.last().map(|e| &e["candidates"][0]["finishReason"]),
        Some(&json!("STOP"))
    );
}

/// `--latency-ms` delays answers without changing them.
#[tokio::test]
async fn latency_delays_but_does_not_change_answers() {
    let stand_in = stand_in_with(StandInConfig {
        latency: Duration::from_millis(50),
        file_active_delay: Duration::ZERO,
        ..StandInConfig::default()
    })
    .await;
    let client = client(&stand_in, |_| {});
    client
        .generate(&key(KEY), &landscape_request())
        .await
        .expect("generation");
}

/// Upload-route errors carry `X-Goog-Upload-Status` too: without it the SDKs re-send the
/// chunk three times, sleeping 7 s.
#[tokio::test]
async fn upload_route_errors_carry_the_upload_status() {
    let stand_in = stand_in().await;
    let response = http()
        .post(format!(
            "{}/upload/v1beta/files?upload_id=nosuchsession&upload_protocol=resumable",
            stand_in.base_url()
        ))
        .header("x-goog-upload-command", "upload, finalize")
        .header("x-goog-upload-offset", "0")
        .body("bytes")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-goog-upload-status"], "final");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["status"], "NOT_FOUND");
}
