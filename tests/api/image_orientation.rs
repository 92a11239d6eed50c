//! A picture stored turned (EXIF Orientation in a JPEG, an `irot` property in a HEIC) reports
//! the width and height it is shown at, in the upload's answer and when read back; a half turn
//! keeps the size. The turned files still go to Gemini (the stand-in) like any other.
//!
//! The fixtures are `landscape.jpg` / `landscape.heic` (640 × 428) with orientation metadata
//! added and the picture data untouched: `tests/fixtures/images/make_oriented.py` made them.

use serde_json::json;
use testkit::scenario::{create_collection, generate, register, until_finished, upload_ok};

use crate::{
    both_backends,
    helpers::{Backend, app_with_stand_in},
};

/// (fixture, MIME type, width and height as shown).
const ORIENTED: [(&str, &str, i64, i64); 4] = [
    // The unturned original, for comparison.
    ("landscape.jpg", "image/jpeg", 640, 428),
    // Orientation 6: turn 90° clockwise to show.
    ("landscape-exif6.jpg", "image/jpeg", 428, 640),
    // Orientation 3: upside down, the same size.
    ("landscape-exif3.jpg", "image/jpeg", 640, 428),
    // irot angle 1: 90° anticlockwise.
    ("landscape-irot90.heic", "image/heic", 428, 640),
];

both_backends! {
    async fn turned_pictures_report_the_size_they_are_shown_at(app) {
        let (token, _) = register(&app, "turned@example.de").await;
        let collection = create_collection(&app, &token, "Hochkant").await;
        for (name, mime, width, height) in ORIENTED {
            let uploaded = upload_ok(&app, &token, &collection, name).await;
            assert_eq!(uploaded["mimeType"], mime, "{name}: {uploaded}");
            assert_eq!(
                (uploaded["width"].as_i64(), uploaded["height"].as_i64()),
                (Some(width), Some(height)),
                "{name}: the upload's answer"
            );
            let body = app
                .gql(
                    "query($id: ID!) { image(id: $id) { width height } }",
                    json!({ "id": uploaded["id"] }),
                    Some(&token),
                )
                .await;
            assert_eq!(
                body["data"]["image"],
                json!({ "width": width, "height": height }),
                "{name}: read back: {body}"
            );
        }
    }
}

/// The turned files are ones the stand-in's sniffer takes: each generation completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turned_pictures_are_generated() {
    let (app, _stand_in) = app_with_stand_in(Backend::Sqlite, |_| {}).await.unwrap();
    let (token, _) = register(&app, "turned-gen@example.de").await;
    let body = app
        .gql(
            "mutation { setGeminiApiKey(apiKey: \"test-key-turned\") { hasGeminiApiKey } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        body["data"]["setGeminiApiKey"]["hasGeminiApiKey"], true,
        "{body}"
    );
    let collection = create_collection(&app, &token, "Hochkant").await;
    for name in ["landscape-exif6.jpg", "landscape-irot90.heic"] {
        let image = upload_ok(&app, &token, &collection, name).await;
        let body = generate(
            &app,
            &token,
            json!({ "imageId": image["id"], "cameraStyle": "ORBIT", "filmEffect": "DREAMY" }),
        )
        .await;
        let id = body["data"]["generateVideoPrompt"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {body}"));
        let record = until_finished(&app, &token, id).await;
        assert_eq!(record["status"], "COMPLETED", "{name}: {record}");
    }
}
