//! What a user does, step by step, over the public API: sign up, store a Gemini key, make a
//! collection, upload an image, ask for a video prompt and follow it until it is finished. Each
//! step takes the server as `&impl AsRef<Api>` (an in-process app, a child process, a bare
//! [`Api`]) and asserts that it worked, so a scenario reads as the steps themselves.

use std::path::Path;

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};

use crate::{api::Api, eventually::eventually};

/// A password that satisfies the rules.
pub const PASSWORD: &str = "correct horse battery staple";

pub const UPLOAD: &str = "mutation($collectionId: ID!, $file: Upload!) {
  uploadImage(collectionId: $collectionId, file: $file) { id fileName mimeType byteSize width height url collection { id } }
}";

pub const GENERATE: &str = "mutation($input: GenerateVideoPromptInput!) {
    generateVideoPrompt(input: $input) { id status attempts image { id } }
}";

pub const FOLLOW: &str = "query($id: ID!) { videoPrompt(id: $id) {
    id status prompt errorCode errorMessage attempts model promptTokens outputTokens
    cameraStyle filmEffect notes startedAt completedAt
    details { scene camera lighting mood effects }
} }";

/// `videoPromptUpdated` for one record.
pub const BY_ID: &str = "subscription($id: ID) { videoPromptUpdated(id: $id) {
    id status prompt attempts details { scene } image { id } } }";

/// `videoPromptUpdated` for every record of an image.
pub const BY_IMAGE: &str = "subscription($imageId: ID) { videoPromptUpdated(imageId: $imageId) {
    id status prompt } }";

/// Registers a user with [`PASSWORD`]; returns (token, user id).
pub async fn register(server: &impl AsRef<Api>, email: &str) -> (String, String) {
    let body = server
        .as_ref()
        .gql(
            "mutation($input: CredentialsInput!) { register(input: $input) { token user { id } } }",
            json!({ "input": { "email": email, "password": PASSWORD } }),
            None,
        )
        .await;
    let payload = &body["data"]["register"];
    assert!(payload.is_object(), "register failed: {body}");
    (
        payload["token"].as_str().unwrap().to_owned(),
        payload["user"]["id"].as_str().unwrap().to_owned(),
    )
}

/// Stores `key` as the user's Gemini API key.
pub async fn set_gemini_key(server: &impl AsRef<Api>, token: &str, key: &str) {
    let body = server
        .as_ref()
        .gql(
            "mutation($k: String!) { setGeminiApiKey(apiKey: $k) { hasGeminiApiKey } }",
            json!({ "k": key }),
            Some(token),
        )
        .await;
    assert_eq!(
        body["data"]["setGeminiApiKey"]["hasGeminiApiKey"], true,
        "{body}"
    );
}

/// Creates a collection; returns its id.
pub async fn create_collection(server: &impl AsRef<Api>, token: &str, name: &str) -> String {
    let body = server
        .as_ref()
        .gql(
            "mutation($name: String!) { createCollection(name: $name) { id } }",
            json!({ "name": name }),
            Some(token),
        )
        .await;
    body["data"]["createCollection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createCollection failed: {body}"))
        .to_owned()
}

/// The bytes of a file in `tests/fixtures/images/`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/images")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The standard multipart form (GraphQL multipart request spec) for one `uploadImage`.
pub fn upload_form(
    collection_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
    claimed_type: &str,
) -> Form {
    let operations =
        json!({ "query": UPLOAD, "variables": { "collectionId": collection_id, "file": null } });
    Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part(
            "0",
            Part::bytes(bytes)
                .file_name(file_name.to_owned())
                .mime_str(claimed_type)
                .unwrap(),
        )
}

/// Uploads a file; returns status and body.
pub async fn upload(
    server: &impl AsRef<Api>,
    token: &str,
    collection_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
    claimed_type: &str,
) -> (StatusCode, Value) {
    server
        .as_ref()
        .post_form(
            upload_form(collection_id, file_name, bytes, claimed_type),
            Some(token),
        )
        .await
}

/// Uploads the fixture `name` (its type left to the server to sniff), which must be
/// accepted; returns the `Image`.
pub async fn upload_ok(
    server: &impl AsRef<Api>,
    token: &str,
    collection_id: &str,
    name: &str,
) -> Value {
    upload_accepted(
        server,
        token,
        collection_id,
        name,
        fixture(name),
        "application/octet-stream",
    )
    .await
}

/// Uploads `bytes` as `file_name`, claimed to be `claimed_type`, which must be accepted;
/// returns the `Image`.
pub async fn upload_accepted(
    server: &impl AsRef<Api>,
    token: &str,
    collection_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
    claimed_type: &str,
) -> Value {
    let (status, body) = upload(server, token, collection_id, file_name, bytes, claimed_type).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let image = body["data"]["uploadImage"].clone();
    assert!(image.is_object(), "upload of {file_name} failed: {body}");
    image
}

/// A user with a Gemini key and one uploaded image (`landscape.jpg` in a collection
/// "Urlaub"): (token, image id).
pub async fn user_with_image(
    server: &impl AsRef<Api>,
    email: &str,
    gemini_key: &str,
) -> (String, String) {
    let (token, _) = register(server, email).await;
    set_gemini_key(server, &token, gemini_key).await;
    let collection = create_collection(server, &token, "Urlaub").await;
    let image = upload_ok(server, &token, &collection, "landscape.jpg").await;
    (token, image["id"].as_str().unwrap().to_owned())
}

/// `generateVideoPrompt(input)`; the whole answer.
pub async fn generate(server: &impl AsRef<Api>, token: &str, input: Value) -> Value {
    server
        .as_ref()
        .gql(GENERATE, json!({ "input": input }), Some(token))
        .await
}

/// Follows `videoPrompt(id)` until the record is finished (COMPLETED, FAILED or CANCELLED);
/// returns it. Every path ends on the server's own guarantees; the deadline only turns a hang
/// into a readable failure.
pub async fn until_finished(server: &impl AsRef<Api>, token: &str, id: &str) -> Value {
    until(server, token, id, |record| {
        matches!(
            record["status"].as_str(),
            Some("COMPLETED" | "FAILED" | "CANCELLED")
        )
    })
    .await
}

/// Follows `videoPrompt(id)` until `done` holds for the record; returns it.
pub async fn until(
    server: &impl AsRef<Api>,
    token: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let api = server.as_ref();
    eventually(
        format_args!("videoPrompt({id}) reaches the awaited state"),
        async || {
            let body = api.gql(FOLLOW, json!({ "id": id }), Some(token)).await;
            let record = &body["data"]["videoPrompt"];
            assert!(record.is_object(), "videoPrompt({id}) answered {body}");
            done(record).then(|| record.clone())
        },
    )
    .await
}

/// The `connection_init` payload that signs a WebSocket in with `token`.
pub fn bearer(token: &str) -> Value {
    json!({ "Authorization": format!("Bearer {token}") })
}
