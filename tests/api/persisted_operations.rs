//! Persisted operations through the real server: Apollo's automatic persisted queries over
//! POST, GET, batches and WebSocket (an unknown hash answers `PersistedQueryNotFound`, a text
//! is learned only under its own SHA-256, GET keeps refusing mutations named by hash), and the
//! trusted-documents mode (`--trusted-documents`), where only the manifest's documents run,
//! named by `documentId`, by hash or by their exact text, unless `--allow-free-documents`.

use std::path::PathBuf;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use testkit::{WsClient, error_code, scenario::register};

use crate::helpers::{Backend, TestApp, videoprompt};

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `body` as it is (with the token, if any); status and JSON answer.
async fn post(app: &TestApp, body: Value, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.client.post(app.url("/graphql")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// GETs `/graphql` with these query-string parameters; status and JSON answer.
async fn get(app: &TestApp, params: &[(&str, String)], token: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.client.get(app.url("/graphql")).query(params);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

const ME: &str = "query Me { me { email } cameraStyles { value } }";

async fn apq_over_http_and_websocket(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, _) = register(&app, "apq@example.de").await;
    let hash = sha256_hex(ME);

    // Hash only, unknown: the answer Apollo's and urql's links wait for, nothing run.
    let (status, body) = post(&app, json!({ "extensions": apq(&hash) }), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["errors"][0]["message"], "PersistedQueryNotFound",
        "{body}"
    );
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));
    assert!(body.get("data").is_none(), "{body}");
    let (status, _) = get(
        &app,
        &[("extensions", apq(&hash).to_string())],
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Another text under that hash is refused and not learned.
    let (_, body) = post(
        &app,
        json!({ "query": "{ me { id } }", "extensions": apq(&hash) }),
        Some(&token),
    )
    .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let (_, body) = post(&app, json!({ "extensions": apq(&hash) }), Some(&token)).await;
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));

    // Text and hash: run and learned; then the hash alone runs it, by POST and by GET.
    let (_, full) = post(
        &app,
        json!({ "query": ME, "extensions": apq(&hash) }),
        Some(&token),
    )
    .await;
    assert_eq!(full["data"]["me"]["email"], "apq@example.de", "{full}");
    let (_, by_hash) = post(
        &app,
        json!({ "extensions": apq(&hash), "operationName": "Me" }),
        Some(&token),
    )
    .await;
    assert_eq!(by_hash, full);
    let (status, by_get) = get(
        &app,
        &[
            ("extensions", apq(&hash).to_string()),
            ("operationName", "Me".into()),
        ],
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_get, full);
    // The same document by `documentId`, which names it by the same hash.
    let (_, by_id) = post(
        &app,
        json!({ "documentId": format!("sha256:{hash}") }),
        Some(&token),
    )
    .await;
    assert_eq!(by_id, full);

    // A mutation named by hash is still no GET's business.
    let create = "mutation { createCollection(name: \"Über GET\") { id } }";
    let create_hash = sha256_hex(create);
    let (_, body) = post(
        &app,
        json!({ "query": create, "extensions": apq(&create_hash) }),
        Some(&token),
    )
    .await;
    assert!(body["data"]["createCollection"]["id"].is_string(), "{body}");
    let (status, body) = get(
        &app,
        &[("extensions", apq(&create_hash).to_string())],
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let collections = app
        .gql(
            "{ me { collections { nodes { name } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        collections["data"]["me"]["collections"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{collections}"
    );

    // A batch: each operation found (or not) on its own.
    let unknown = sha256_hex("{ filmEffects { value } }");
    let (_, body) = post(
        &app,
        json!([{ "extensions": apq(&hash) }, { "extensions": apq(&unknown) }]),
        Some(&token),
    )
    .await;
    assert_eq!(body[0], full, "{body}");
    assert_eq!(error_code(&body[1]), Some("PERSISTED_QUERY_NOT_FOUND"));

    // Over WebSocket: the payload's extensions, and a `documentId`.
    let mut ws = WsClient::connect(&app.api, "graphql-transport-ws", None).await;
    ws.init(json!({ "Authorization": format!("Bearer {token}") }))
        .await;
    for (id, payload) in [
        ("a", json!({ "extensions": apq(&hash) })),
        ("b", json!({ "documentId": hash })),
        ("c", json!({ "extensions": apq(&unknown) })),
    ] {
        ws.send(json!({ "type": "subscribe", "id": id, "payload": payload }))
            .await;
        let events = ws.until_complete(id).await;
        assert_eq!(events.len(), 1, "{events:?}");
        if id == "c" {
            assert_eq!(error_code(&events[0]), Some("PERSISTED_QUERY_NOT_FOUND"));
        } else {
            assert_eq!(events[0]["data"], full["data"], "{events:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apq_sqlite() {
    apq_over_http_and_websocket(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apq_postgres() {
    apq_over_http_and_websocket(Backend::Postgres).await;
}

const STYLES: &str = "query Styles { cameraStyles { value label } }";
const REGISTER: &str = "mutation Register($input: CredentialsInput!) { register(input: $input) { token user { email } } }";
const EMAIL: &str = "query Email { me { email } }";
const FREE: &str = "{ filmEffects { value } }";

/// A graphql-codegen-style manifest (hash → text) with one Relay-style id (not a hash).
fn manifest(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("persisted-documents.json");
    let manifest = json!({
        sha256_hex(STYLES): STYLES,
        sha256_hex(REGISTER): REGISTER,
        "relay-7f3a": EMAIL,
    });
    std::fs::write(&path, manifest.to_string()).unwrap();
    path
}

async fn trusted_documents_only(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(dir.path());
    let Some(app) = TestApp::spawn_with(backend, |args| {
        args.graphql.trusted_documents = Some(path);
    })
    .await
    else {
        return;
    };
    let styles_hash = sha256_hex(STYLES);

    // The app's documents run, however they are named.
    let (_, by_id) = post(&app, json!({ "documentId": styles_hash }), None).await;
    assert_eq!(
        by_id["data"]["cameraStyles"][0]["value"], "STATIC",
        "{by_id}"
    );
    for body in [
        json!({ "documentId": format!("sha256:{styles_hash}") }),
        json!({ "extensions": apq(&styles_hash) }),
        json!({ "query": STYLES }),
        json!({ "query": STYLES, "extensions": apq(&styles_hash) }),
    ] {
        assert_eq!(post(&app, body.clone(), None).await.1, by_id, "{body}");
    }
    let (status, body) = get(&app, &[("documentId", styles_hash.clone())], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, by_id);

    let (_, body) = post(
        &app,
        json!({ "documentId": sha256_hex(REGISTER),
                "variables": { "input": { "email": "trusted@example.de", "password": "correct horse battery" } } }),
        None,
    )
    .await;
    let token = body["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = post(&app, json!({ "documentId": "relay-7f3a" }), Some(&token)).await;
    assert_eq!(body["data"]["me"]["email"], "trusted@example.de", "{body}");

    // Anything else is refused before it runs, whatever the Accept, and never learned.
    let (status, body) = post(&app, json!({ "query": FREE }), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        error_code(&body),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    let response = app
        .client
        .post(app.url("/graphql"))
        .header(header::ACCEPT, "application/graphql-response+json")
        .json(&json!({ "query": FREE }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let free_hash = sha256_hex(FREE);
    let (_, body) = post(
        &app,
        json!({ "query": FREE, "extensions": apq(&free_hash) }),
        None,
    )
    .await;
    assert_eq!(
        error_code(&body),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "{body}"
    );
    let (_, body) = post(&app, json!({ "extensions": apq(&free_hash) }), None).await;
    assert_eq!(
        error_code(&body),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{body}"
    );
    let (_, body) = post(&app, json!({ "documentId": "nope" }), None).await;
    assert_eq!(
        error_code(&body),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{body}"
    );
    let (status, body) = get(&app, &[("query", FREE.into())], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        error_code(&body),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "{body}"
    );
    // The text of a trusted document with a little change is another document.
    let (_, body) = post(&app, json!({ "query": format!("{STYLES} ") }), None).await;
    assert_eq!(
        error_code(&body),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "{body}"
    );

    // Over WebSocket the same rule.
    let mut ws = WsClient::connect(&app.api, "graphql-transport-ws", None).await;
    ws.init(json!({})).await;
    ws.send(json!({ "type": "subscribe", "id": "ok", "payload": { "documentId": styles_hash } }))
        .await;
    assert_eq!(ws.until_complete("ok").await, vec![by_id.clone()]);
    ws.subscribe("free", FREE, json!({})).await;
    let events = ws.until_complete("free").await;
    assert_eq!(
        error_code(&events[0]),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_documents_sqlite() {
    trusted_documents_only(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_documents_postgres() {
    trusted_documents_only(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_documents_run_beside_the_manifest_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(dir.path());
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.graphql.trusted_documents = Some(path);
        args.graphql.allow_free_documents = true;
    })
    .await
    .unwrap();
    let (_, body) = post(&app, json!({ "query": FREE }), None).await;
    assert_eq!(body["data"]["filmEffects"][0]["value"], "NONE", "{body}");
    let (_, body) = post(&app, json!({ "documentId": sha256_hex(STYLES) }), None).await;
    assert_eq!(body["data"]["cameraStyles"][0]["value"], "STATIC", "{body}");
    // APQ works for free documents again.
    let hash = sha256_hex(FREE);
    post(
        &app,
        json!({ "query": FREE, "extensions": apq(&hash) }),
        None,
    )
    .await;
    let (_, body) = post(&app, json!({ "extensions": apq(&hash) }), None).await;
    assert_eq!(body["data"]["filmEffects"][0]["value"], "NONE", "{body}");
}

#[tokio::test]
async fn a_manifest_that_cannot_be_used_stops_the_start() {
    for (content, expected) in [
        (None, "could not read --trusted-documents"),
        (Some("{\"a\": \"{ not graphql\"}"), "not valid GraphQL"),
        (Some("[1, 2]"), "expected a JSON object"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        if let Some(content) = content {
            std::fs::write(&path, content).unwrap();
        }
        let mut command = videoprompt(dir.path());
        command.args(["serve", "--listen", "127.0.0.1:0", "--trusted-documents"]);
        command.arg(&path);
        let Err((status, log)) = testkit::ServerProcess::start(command) else {
            panic!("the server started with the manifest {content:?}");
        };
        assert!(!status.success());
        assert!(log.contains(expected), "{log}");
        assert!(log.contains("--trusted-documents"), "{log}");
        assert!(
            !dir.path().join("data").exists(),
            "the start went on past the manifest"
        );
    }
}
