//! The inline path: one request carrying the image, and exactly the request DESIGN asks for.

use base64::Engine as _;
use serde_json::Value;
use videoprompt::{
    domain::styles::{CameraStyle, FilmEffect},
    gemini::prompt,
};

use crate::helpers::*;

/// An image under the inline limit is answered in one request, with German prompt and details.
#[tokio::test]
async fn an_inline_generation_returns_the_german_prompt_and_details() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});

    let generation = client
        .generate(&key(KEY), &landscape_request())
        .await
        .expect("the generation failed");

    assert!(
        generation.prompt.starts_with("Kreisfahrt um das Motiv"),
        "{}",
        generation.prompt
    );
    assert!(generation.prompt.contains("\"Film noir\""));
    assert!(generation.prompt.contains(NOTES));
    assert_eq!(
        generation.details.camera,
        "Kamera: Kreisfahrt um das Motiv."
    );
    assert_eq!(generation.details.effects, "Effekte: Film noir.");
    assert!(!generation.details.scene.is_empty());
    assert!(!generation.details.lighting.is_empty());
    assert!(!generation.details.mood.is_empty());
    assert_eq!(
        generation.model_version.as_deref(),
        Some("gemini-3.8-flash")
    );
    assert_eq!(generation.finish_reason.as_deref(), Some("STOP"));
    assert!(generation.prompt_tokens.is_some_and(|n| n >= 258));
    assert!(generation.output_tokens.is_some_and(|n| n > 0));
    assert_eq!(
        stand_in.requests().len(),
        1,
        "inline takes exactly one request"
    );
}

/// The request carries the key header, the system instruction, the image, the German labels,
/// the notes and the schema with `prompt` first.
#[tokio::test]
async fn the_request_is_exactly_what_the_design_asks_for() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});
    let request = landscape_request();

    client
        .generate(&key(KEY), &request)
        .await
        .expect("the generation failed");

    let requests = stand_in.requests();
    let [sent] = requests.as_slice() else {
        panic!("expected one request, got {requests:?}");
    };
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1beta/models/gemini-3.8-flash:generateContent");
    assert_eq!(
        sent.query, None,
        "the key travels in the header, never in the URL"
    );
    assert_eq!(sent.header("x-goog-api-key"), Some(KEY));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let body = sent.json.as_ref().expect("the body is JSON");

    assert_eq!(
        body["systemInstruction"]["parts"][0]["text"],
        prompt::system_instruction()
    );
    let system = prompt::system_instruction();
    assert!(system.contains("Deutsch") && system.contains("80 bis 150 Wörtern"));

    let contents = body["contents"].as_array().expect("contents");
    assert_eq!(contents.len(), 1);
    assert_eq!(contents[0]["role"], "user");
    let parts = contents[0]["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2, "the image, then the message");
    assert_eq!(parts[0]["inlineData"]["mimeType"], "image/png");
    let data = parts[0]["inlineData"]["data"]
        .as_str()
        .expect("base64 data");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("standard base64 with padding");
    assert_eq!(
        decoded,
        request.image.to_vec(),
        "the image bytes, unchanged"
    );

    let message = parts[1]["text"].as_str().expect("the message");
    assert_eq!(
        message,
        prompt::user_message(CameraStyle::Orbit, FilmEffect::Noir, Some(NOTES))
    );
    assert!(message.contains("Kamerastil: Kreisfahrt um das Motiv"));
    assert!(message.contains("Filmeffekt: Film noir"));
    assert!(message.contains(NOTES));

    let config = &body["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert_eq!(config["responseSchema"], prompt::response_schema());
    let order: Vec<&str> = config["responseSchema"]["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        order,
        prompt::OUTPUT_FIELDS,
        "prompt first, as sent on the wire"
    );
    assert_eq!(config["responseSchema"]["propertyOrdering"][0], "prompt");
    assert_eq!(
        config["responseSchema"]["required"]
            .as_array()
            .map(Vec::len),
        Some(6)
    );
}

/// Another camera style and effect, and no notes: the message and the answer follow.
#[tokio::test]
async fn the_labels_follow_the_choice_and_notes_are_optional() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});
    let mut request = landscape_request();
    request.camera_style = CameraStyle::DollyIn;
    request.film_effect = FilmEffect::BlackAndWhite;
    request.notes = None;
    request.image = fixture("landscape.jpg");
    request.mime_type = "image/jpeg".into();

    let generation = client
        .generate(&key(KEY), &request)
        .await
        .expect("generation");

    assert!(
        generation
            .prompt
            .starts_with("Dolly-Fahrt auf das Motiv zu")
    );
    assert!(generation.prompt.contains("\"Schwarz-Weiß\""));
    assert!(!generation.prompt.contains("Berücksichtigt"));
    let body: Value = stand_in.requests()[0].json.clone().expect("json");
    let message = body["contents"][0]["parts"][1]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(!message.contains(prompt::NOTES_LABEL));
    assert_eq!(
        body["contents"][0]["parts"][0]["inlineData"]["mimeType"],
        "image/jpeg"
    );
}

/// The API version and the model come from the configuration.
#[tokio::test]
async fn the_api_version_and_model_are_configurable() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |config| {
        config.api_version = "v1".into();
        config.model = "gemini-3.5-flash-lite".into();
    });

    let generation = client
        .generate(&key(KEY), &landscape_request())
        .await
        .expect("generation");

    assert_eq!(
        generation.model_version.as_deref(),
        Some("gemini-3.5-flash-lite")
    );
    assert_eq!(
        stand_in.requests()[0].path,
        "/v1/models/gemini-3.5-flash-lite:generateContent"
    );
}
