//! generateVideoPrompt end to end: the real server, a real upload, the Gemini stand-in, and the
//! record followed through `videoPrompt(id)` and `image.videoPrompts` until it is finished.

use serde_json::{Value, json};
use testkit::{
    error_code,
    scenario::{
        create_collection, fixture, generate, register, set_gemini_key, until_finished, upload,
        user_with_image,
    },
};

use crate::helpers::{Backend, app_with_stand_in, generation_calls};

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

    assert_eq!(
        generation_calls(&stand_in).len(),
        1,
        "Gemini was asked exactly once"
    );

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
    let (token, _) = register(&app, "miaf@example.de").await;
    set_gemini_key(&app, &token, "test-key-miaf").await;
    let collection = create_collection(&app, &token, "Marken").await;
    let mut bytes = fixture("landscape.heic");
    assert_eq!(&bytes[4..12], b"ftypheic");
    bytes[8..12].copy_from_slice(b"miaf");
    let (status, body) = upload(&app, &token, &collection, "miaf.heic", bytes, "image/heic").await;
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
