//! `Image.url`: signed, expiring URLs served with the stored type and caching headers; tampered,
//! expired or stale URLs refused without detail.

use reqwest::{StatusCode, header};
use serde_json::json;
use videoprompt::startup::Application;

use testkit::scenario::{create_collection, fixture, register, upload_ok};

use crate::{
    both_backends,
    helpers::{Backend, TestApp, stored_files},
};

/// Replaces one query parameter of a URL.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let (path, query) = url.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key == name => format!("{key}={value}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

fn param<'a>(url: &'a str, name: &str) -> &'a str {
    url.split_once('?')
        .unwrap()
        .1
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap()
}

both_backends! {
    async fn an_image_url_serves_the_bytes_with_type_and_caching_headers(app) {
        let (token, _) = register(&app, "url@example.de").await;
        let collection = create_collection(&app, &token, "URLs").await;
        for (name, mime) in [("landscape.png", "image/png"), ("landscape.heic", "image/heic")] {
            let image = upload_ok(&app, &token, &collection, name).await;
            let url = image["url"].as_str().unwrap();
            assert!(url.starts_with(&format!("/images/{}?exp=", image["id"].as_str().unwrap())), "{url}");

            let response = app.client.get(app.url(url)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let headers = response.headers().clone();
            assert_eq!(headers[header::CONTENT_TYPE], mime);
            assert_eq!(headers["x-content-type-options"], "nosniff");
            let cache = headers[header::CACHE_CONTROL].to_str().unwrap().to_owned();
            let max_age: u64 = cache.strip_prefix("private, max-age=").unwrap().parse().unwrap();
            assert!((3000..=3600 + 300).contains(&max_age), "{cache}");
            let etag = headers[header::ETAG].to_str().unwrap().to_owned();
            assert_eq!(etag.len(), 66, "{etag}");
            assert_eq!(response.bytes().await.unwrap().as_ref(), fixture(name).as_slice());

            let cached = app.client.get(app.url(url)).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
            assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
        }
    }

    async fn tampered_expired_and_deleted_urls_are_refused_without_detail(app) {
        let (token, _) = register(&app, "tamper@example.de").await;
        let collection = create_collection(&app, &token, "Fälschung").await;
        let first = upload_ok(&app, &token, &collection, "tiny.png").await;
        let second = upload_ok(&app, &token, &collection, "landscape.jpg").await;
        let url = first["url"].as_str().unwrap().to_owned();
        let other_id = second["id"].as_str().unwrap();
        let sig = param(&url, "sig").to_owned();
        let exp: i64 = param(&url, "exp").parse().unwrap();

        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let tampered = [
            with_param(&url, "sig", std::str::from_utf8(&flipped).unwrap()),
            with_param(&url, "exp", &(exp + 3600).to_string()),
            url.replace(first["id"].as_str().unwrap(), other_id),
            url.split('?').next().unwrap().to_owned(),
            with_param(&url, "sig", "%%%"),
            with_param(&url, "exp", "soon"),
            format!("/images/not-a-uuid?exp={exp}&sig={sig}"),
        ];
        for bad in tampered {
            let response = app.client.get(app.url(&bad)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{bad}");
            assert!(response.bytes().await.unwrap().is_empty(), "a refusal told details");
        }

        // A URL signed by this server that has run out.
        let id: uuid::Uuid = first["id"].as_str().unwrap().parse().unwrap();
        let long_ago = chrono::Utc::now().timestamp() - 86_400;
        let expired = app.state.signer.url(id, long_ago);
        let response = app.client.get(app.url(&expired)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);

        // A valid URL for an image that has been deleted.
        app.gql("mutation($id: ID!) { deleteImage(id: $id) }", json!({ "id": id.to_string() }), Some(&token)).await;
        let response = app.client.get(app.url(&url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_base_url_makes_image_urls_absolute() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.uploads.public_base_url = Some("https://videoprompt.example/".into());
    })
    .await
    .unwrap();
    let (token, _) = register(&app, "abs@example.de").await;
    let collection = create_collection(&app, &token, "Absolut").await;
    let image = upload_ok(&app, &token, &collection, "tiny.png").await;
    let url = image["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://videoprompt.example/images/"),
        "{url}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_signing_key_survives_a_restart() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (token, _) = register(&app, "restart@example.de").await;
    let collection = create_collection(&app, &token, "Neustart").await;
    let image = upload_ok(&app, &token, &collection, "tiny.png").await;
    let url = image["url"].as_str().unwrap().to_owned();
    let id: uuid::Uuid = image["id"].as_str().unwrap().parse().unwrap();
    let args = app.args.clone();
    let _data_dir = app.stop().await;

    // Another instance on the same database checks the old URL with the stored key.
    let again = Application::build(args).await.unwrap();
    let exp: i64 = param(&url, "exp").parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(
        again
            .state()
            .signer
            .verify(id, exp, param(&url, "sig"), now)
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_signing_key_is_used_and_bytes_can_live_elsewhere() {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.keys.url_signing_key = Some(key.clone().into());
        args.uploads.object_store_url = Some("memory://".into());
    })
    .await
    .unwrap();
    let (token, _) = register(&app, "conf@example.de").await;
    let collection = create_collection(&app, &token, "Speicher").await;
    let image = upload_ok(&app, &token, &collection, "landscape.png").await;
    // Nothing in the data dir: the bytes are in the configured store.
    assert!(stored_files(&app).is_empty());
    let response = app
        .client
        .get(app.url(image["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        fixture("landscape.png").as_slice()
    );
    // No key was generated into the database.
    let stored =
        <entity::app_setting::Entity as sea_orm::EntityTrait>::find_by_id("url_signing_key")
            .one(&app.db)
            .await
            .unwrap();
    assert!(stored.is_none());
}
