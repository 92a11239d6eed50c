//! generateVideoPrompt end to end: the real server, a real upload, the Gemini stand-in, and the
//! record followed through `videoPrompt(id)` and `image.videoPrompts` until it is finished.

use std::time::Duration;

use serde_json::{Value, json};
use videoprompt::gemini::{StandIn, StandInConfig};

use crate::{
    helpers::{Backend, TestApp, error_code},
    upload_client::{create_collection, upload_ok},
};

pub const GENERATE: &str = "mutation($input: GenerateVideoPromptInput!) {
    generateVideoPrompt(input: $input) { id status attempts image { id } }
}";

pub const FOLLOW: &str = "query($id: ID!) { videoPrompt(id: $id) {
    id status prompt errorCode errorMessage attempts model promptTokens outputTokens
    cameraStyle filmEffect notes startedAt completedAt
    details { scene camera lighting mood effects }
} }";

/// A server whose Gemini is a fresh stand-in; `configure` may change the server's settings.
pub async fn app_with_stand_in(
    backend: Backend,
    configure: impl FnOnce(&mut videoprompt::config::ServeArgs),
) -> Option<(TestApp, StandIn)> {
    let stand_in = StandIn::spawn(StandInConfig::default()).await.unwrap();
    let base_url = stand_in.base_url();
    let app = TestApp::spawn_with(backend, |args| {
        args.gemini.gemini_base_url = base_url;
        // Retries without long waits; the stand-in's own retry delay (1 s) still applies.
        args.jobs.retry_base_delay = Duration::from_millis(20);
        configure(args);
    })
    .await?;
    Some((app, stand_in))
}

/// A user with a Gemini key and one uploaded image: (token, image id).
pub async fn user_with_image(app: &TestApp, email: &str, gemini_key: &str) -> (String, String) {
    let (token, _) = app.register(email).await;
    let body = app
        .gql(
            "mutation($k: String!) { setGeminiApiKey(apiKey: $k) { hasGeminiApiKey } }",
            json!({ "k": gemini_key }),
            Some(&token),
        )
        .await;
    assert_eq!(
        body["data"]["setGeminiApiKey"]["hasGeminiApiKey"], true,
        "{body}"
    );
    let collection = create_collection(app, &token, "Urlaub").await;
    let image = upload_ok(app, &token, &collection, "landscape.jpg").await;
    (token, image["id"].as_str().unwrap().to_owned())
}

pub async fn generate(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(GENERATE, json!({ "input": input }), Some(token))
        .await
}

/// Polls `videoPrompt(id)` until the record is finished. The loop is bounded by the server's
/// own guarantees (every path ends), not by a timing assumption; the cap only turns a hang into
/// a readable failure.
pub async fn until_finished(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..1200 {
        let body = app.gql(FOLLOW, json!({ "id": id }), Some(token)).await;
        let record = &body["data"]["videoPrompt"];
        match record["status"].as_str() {
            Some("COMPLETED" | "FAILED" | "CANCELLED") => return record.clone(),
            Some(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            None => panic!("videoPrompt({id}) answered {body}"),
        }
    }
    panic!("videoPrompt({id}) did not finish within a minute");
}

/// Polls `videoPrompt(id)` until `done` holds for it (bounded like `until_finished`).
pub async fn until(app: &TestApp, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..1200 {
        let body = app.gql(FOLLOW, json!({ "id": id }), Some(token)).await;
        let record = &body["data"]["videoPrompt"];
        assert!(record.is_object(), "videoPrompt({id}) answered {body}");
        if done(record) {
            return record.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("videoPrompt({id}) did not reach the awaited state within half a minute");
}

/// Waits until the stand-in has received `n` generation calls in all: a call is then in flight.
pub async fn until_generation_calls(stand_in: &StandIn, n: usize) {
    for _ in 0..1500 {
        let calls = stand_in
            .requests()
            .iter()
            .filter(|r| {
                r.path.contains(":streamGenerateContent") || r.path.contains(":generateContent")
            })
            .count();
        if calls >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the stand-in did not get {n} generation calls within half a minute");
}

/// Waits until the stand-in holds no uploaded file (its deletion may trail the record's end).
pub async fn until_no_files_held(stand_in: &StandIn) {
    for _ in 0..500 {
        if stand_in.files_held() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the stand-in still holds {} files", stand_in.files_held());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generation_completes_on_sqlite() {
    completes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generation_completes_on_postgres() {
    completes(Backend::Postgres).await;
}

async fn completes(backend: Backend) {
    let Some((app, stand_in)) = app_with_stand_in(backend, |_| {}).await else {
        return;
    };
    let (token, image_id) = user_with_image(&app, "gen@example.org", "test-key-0001").await;
    let body = generate(
        &app,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "DRONE", "filmEffect": "NOIR",
                "notes": "Nebel über dem See" }),
    )
    .await;
    let started = &body["data"]["generateVideoPrompt"];
    assert_eq!(started["status"], "PENDING", "{body}");
    assert_eq!(started["image"]["id"], image_id.as_str());
    let id = started["id"].as_str().unwrap();

    let done = until_finished(&app, &token, id).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let prompt = done["prompt"].as_str().unwrap();
    // The stand-in names the labels it was asked for: the server sent the right request.
    assert!(prompt.contains("Drohnenflug"), "{prompt}");
    assert!(prompt.contains("Film noir"), "{prompt}");
    assert_eq!(done["attempts"], 1);
    assert_eq!(done["errorCode"], Value::Null);
    assert!(
        done["details"]["scene"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(done["model"].as_str().is_some());
    assert!(done["outputTokens"].as_i64().is_some_and(|n| n > 0));
    assert!(done["completedAt"].is_string() && done["startedAt"].is_string());

    let generated = stand_in
        .requests()
        .into_iter()
        .filter(|r| {
            r.path.contains(":streamGenerateContent") || r.path.contains(":generateContent")
        })
        .count();
    assert_eq!(generated, 1, "Gemini was asked exactly once");

    let listed = app
        .gql(
            "query($id: ID!) { image(id: $id) { videoPrompts(first: 5) { nodes { id status } } } }",
            json!({ "id": image_id }),
            Some(&token),
        )
        .await;
    assert_eq!(
        listed["data"]["image"]["videoPrompts"]["nodes"][0]["id"], id,
        "{listed}"
    );
    assert_eq!(error_code(&listed), None);
}

/// A HEIC whose major brand is `miaf` (HEIC among its compatible brands) is accepted at upload,
/// and the stand-in, which shares the upload path's sniffer, takes it too: the generation
/// completes instead of failing on a file the server had accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heic_with_another_major_brand_is_generated() {
    let (app, _stand_in) = app_with_stand_in(Backend::Sqlite, |_| {}).await.unwrap();
    let (token, _) = app.register("miaf@example.de").await;
    app.gql(
        "mutation { setGeminiApiKey(apiKey: \"test-key-miaf\") { id } }",
        json!({}),
        Some(&token),
    )
    .await;
    let collection = create_collection(&app, &token, "Marken").await;
    let mut bytes = crate::upload_client::fixture("landscape.heic");
    assert_eq!(&bytes[4..12], b"ftypheic");
    bytes[8..12].copy_from_slice(b"miaf");
    let (status, body) =
        crate::upload_client::upload(&app, &token, &collection, "miaf.heic", bytes, "image/heic")
            .await;
    assert_eq!(status, 200, "{body}");
    let image = &body["data"]["uploadImage"];
    assert_eq!(image["mimeType"], "image/heic", "{body}");
    let body = generate(
        &app,
        &token,
        json!({ "imageId": image["id"], "cameraStyle": "ORBIT", "filmEffect": "DREAMY" }),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"].as_str().unwrap();
    let record = until_finished(&app, &token, id).await;
    assert_eq!(record["status"], "COMPLETED", "{record}");
}
