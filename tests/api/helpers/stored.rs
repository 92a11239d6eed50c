//! Helpers for the image tests: uploads by the GraphQL multipart request spec over real HTTP,
//! the fixtures, and looks at what the server stored (rows and files).

use std::path::{Path, PathBuf};

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::TestApp;

pub const UPLOAD: &str = "mutation($collectionId: ID!, $file: Upload!) {
  uploadImage(collectionId: $collectionId, file: $file) { id fileName mimeType byteSize width height url collection { id } }
}";

/// The bytes of a file in `tests/fixtures/images/`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/images")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The standard multipart form for one `uploadImage`.
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

/// POSTs a multipart form (with the token as bearer, if any); returns status and JSON body.
pub async fn post_form(app: &TestApp, form: Form, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.client.post(app.url("/graphql")).multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the upload request failed");
    let status = response.status();
    let body = response.json().await.expect("the response is not JSON");
    (status, body)
}

/// Uploads a file; returns status and body.
pub async fn upload(
    app: &TestApp,
    token: &str,
    collection_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
    claimed_type: &str,
) -> (StatusCode, Value) {
    post_form(
        app,
        upload_form(collection_id, file_name, bytes, claimed_type),
        Some(token),
    )
    .await
}

/// Uploads a fixture that must be accepted; returns the `Image`.
pub async fn upload_ok(app: &TestApp, token: &str, collection_id: &str, name: &str) -> Value {
    let (status, body) = upload(
        app,
        token,
        collection_id,
        name,
        fixture(name),
        "application/octet-stream",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let image = body["data"]["uploadImage"].clone();
    assert!(image.is_object(), "upload of {name} failed: {body}");
    image
}

/// Creates a collection; returns its id.
pub async fn create_collection(app: &TestApp, token: &str, name: &str) -> String {
    let body = app
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

/// Rows in the `images` table.
pub async fn image_rows(app: &TestApp) -> u64 {
    entity::image::Entity::find().count(&app.db).await.unwrap()
}

/// Files under the default image folder of the data dir.
pub fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&app.args.database.data_dir.join("images"), &mut found);
    found
}

/// Nothing of a refused upload was kept: no row, no file.
pub async fn assert_nothing_stored(app: &TestApp) {
    assert_eq!(image_rows(app).await, 0, "an image row was stored");
    assert_eq!(
        stored_files(app),
        Vec::<PathBuf>::new(),
        "image bytes were stored"
    );
}
