//! NUL characters (U+0000) in any text input (issue 11, point 6): PostgreSQL cannot store them
//! (this answered INTERNAL) and SQLite stored them; now both answer BAD_USER_INPUT, whether the
//! text comes inline, in variables, over GET, over the WebSocket or as an upload's file name.

use reqwest::{StatusCode, multipart::Part};
use serde_json::{Value, json};

use testkit::{
    WsClient, error_code,
    scenario::{PASSWORD, create_collection, fixture, user_with_image},
};

use crate::{both_backends, helpers::TestApp};

#[track_caller]
fn assert_refused(what: &str, body: &Value) {
    assert_eq!(error_code(body), Some("BAD_USER_INPUT"), "{what}: {body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("NUL character"),
        "{what}: {body}"
    );
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "{what}: {body}"
    );
}

const GENERATE: &str = "mutation($input: GenerateVideoPromptInput!) {
    generateVideoPrompt(input: $input) { id } }";

async fn collection_names(app: &TestApp, token: &str) -> Vec<String> {
    let body = app
        .gql(
            "{ me { collections(first: 50) { nodes { name } } } }",
            json!({}),
            Some(token),
        )
        .await;
    body["data"]["me"]["collections"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|node| node["name"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn every_text_input_refuses_nul(app) {
        // Sign-up and sign-in: e-mail and password, in variables.
        let register = "mutation($input: CredentialsInput!) { register(input: $input) { token } }";
        let login = "mutation($input: CredentialsInput!) { login(input: $input) { token } }";
        for (what, input) in [
            ("e-mail", json!({ "email": "nul\u{0}@example.org", "password": PASSWORD })),
            ("password", json!({ "email": "nul@example.org", "password": "correct horse\u{0}battery" })),
        ] {
            let body = app.gql(register, json!({ "input": input }), None).await;
            assert_refused(&format!("register {what}"), &body);
            let body = app.gql(login, json!({ "input": input }), None).await;
            assert_refused(&format!("login {what}"), &body);
        }

        let (token, image_id) = user_with_image(&app, "nul@example.org", "key-without-nul").await;
        let before = collection_names(&app, &token).await;

        // Inline literals with the `\u0000` escape, and variables.
        let body = app
            .gql(r#"mutation { createCollection(name: "Ur\u0000laub") { id } }"#, json!({}), Some(&token))
            .await;
        assert_refused("inline collection name", &body);
        let body = app
            .gql(
                "mutation($name: String!) { createCollection(name: $name) { id } }",
                json!({ "name": "Ur\u{0}laub" }),
                Some(&token),
            )
            .await;
        assert_refused("collection name variable", &body);
        let body = app
            .gql(
                "mutation($k: String!) { setGeminiApiKey(apiKey: $k) { hasGeminiApiKey } }",
                json!({ "k": "AIza\u{0}key" }),
                Some(&token),
            )
            .await;
        assert_refused("Gemini API key", &body);
        for field in ["notes", "idempotencyKey"] {
            let mut input = json!({ "imageId": image_id, "cameraStyle": "STATIC", "filmEffect": "NONE" });
            input[field] = json!("a\u{0}b");
            let body = app.gql(GENERATE, json!({ "input": input }), Some(&token)).await;
            assert_refused(field, &body);
        }

        // GET: a query's text argument.
        let response = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", r#"{ me { collections(first: 5, after: "x\u0000") { nodes { id } } } }"#)])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_refused("GET", &response.json().await.unwrap());

        // A mutation sent over the WebSocket.
        let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
        ws.init(json!({ "Authorization": format!("Bearer {token}") })).await;
        ws.subscribe(
            "nul",
            "mutation($name: String!) { createCollection(name: $name) { id } }",
            json!({ "name": "a\u{0}" }),
        )
        .await;
        let events = ws.until_complete("nul").await;
        assert_refused("WebSocket", &events[0]);

        // Nothing was stored on the way.
        assert_eq!(collection_names(&app, &token).await, before);

        // An upload's file name. The multipart header parser already refuses the raw byte (so
        // this part held before too); `multipart.rs` refuses a NUL in the name it hands over,
        // should a parser ever decode one.
        let collection = create_collection(&app, &token, "Dateien").await;
        let operations = json!({
            "query": "mutation($collectionId: ID!, $file: Upload!) { uploadImage(collectionId: $collectionId, file: $file) { id } }",
            "variables": { "collectionId": collection, "file": null },
        });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                Part::bytes(fixture("landscape.png"))
                    .file_name("Bild\u{0}.png")
                    .mime_str("image/png")
                    .unwrap(),
            );
        let (status, body) = app.api.post_form(form, Some(&token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    }
}
