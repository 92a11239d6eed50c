//! What a browser app on another origin and a client on a slow line see: CORS answers only for
//! the allowed origins (preflights for a JSON POST and for the multipart upload, the headers
//! exposed, never `*`, no credentials), none at all by default; answers above a small size
//! compressed by the client's `Accept-Encoding` (gzip, brotli, zstd), decoding to the same
//! bytes, while small answers, images and clients that ask for nothing travel as they are.

use std::io::Read;

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use testkit::scenario::{create_collection, register, upload_ok};

use crate::{
    both_backends,
    helpers::{Backend, TestApp},
    on_both_backends,
};

const APP: &str = "https://app.example.de";

fn header_of<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

fn listed(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|item| item.trim().to_ascii_lowercase())
        .filter(|item| !item.is_empty())
        .collect()
}

async fn preflight(app: &TestApp, origin: &str, headers: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url("/graphql"))
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, headers)
        .send()
        .await
        .unwrap()
}

async fn post_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .header(header::ORIGIN, origin)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap()
}

both_backends! {
    configure: |args| args.graphql.cors_origins = vec![APP.into(), "http://localhost:5173".into()];

    async fn allowed_origins_get_cors_answers_and_others_none(app) {
        // The preflight of a JSON POST with a token, and of the multipart upload.
        for headers in ["authorization, content-type", "authorization, apollo-require-preflight", "content-type, graphql-require-preflight, x-request-id"] {
            let response = preflight(&app, APP, headers).await;
            assert!(response.status().is_success(), "{headers}: {}", response.status());
            assert_eq!(header_of(&response, "access-control-allow-origin"), Some(APP));
            assert!(listed(header_of(&response, "access-control-allow-methods")).contains(&"post".to_owned()));
            let allowed = listed(header_of(&response, "access-control-allow-headers"));
            for asked in headers.split(',') {
                assert!(allowed.contains(&asked.trim().to_owned()), "{asked} not allowed: {allowed:?}");
            }
            assert_eq!(header_of(&response, "access-control-allow-credentials"), None);
            assert_eq!(header_of(&response, "access-control-max-age"), Some("600"));
            assert!(listed(header_of(&response, "vary")).contains(&"origin".to_owned()));
        }
        let response = preflight(&app, "http://localhost:5173", "content-type").await;
        assert_eq!(header_of(&response, "access-control-allow-origin"), Some("http://localhost:5173"));

        // The request itself: its origin echoed, the request id readable by the app.
        let response = post_from(&app, APP).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header_of(&response, "access-control-allow-origin"), Some(APP));
        assert!(listed(header_of(&response, "access-control-expose-headers")).contains(&"x-request-id".to_owned()));
        assert_eq!(response.json::<Value>().await.unwrap()["data"]["__typename"], "Query");

        // Any other origin (a look-alike, another scheme or port, `null`) gets no CORS header,
        // so its page cannot read the answer.
        for origin in ["https://evil.example", "http://app.example.de", "https://app.example.de.evil.example", "http://localhost:5174", "null"] {
            let response = preflight(&app, origin, "authorization, content-type").await;
            assert_eq!(header_of(&response, "access-control-allow-origin"), None, "{origin}");
            let response = post_from(&app, origin).await;
            assert_eq!(header_of(&response, "access-control-allow-origin"), None, "{origin}");
        }
    }
}

/// Without `--cors-origin` no answer carries a CORS header: same origin only.
async fn no_cors_headers_by_default(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let response = preflight(&app, APP, "authorization, content-type").await;
    assert_eq!(header_of(&response, "access-control-allow-origin"), None);
    assert_eq!(header_of(&response, "access-control-allow-methods"), None);
    let response = post_from(&app, APP).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, "access-control-allow-origin"), None);
}

/// Decodes a body sent with `encoding`.
fn decode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut plain)
            .unwrap(),
        "br" => brotli::Decompressor::new(bytes, 4096)
            .read_to_end(&mut plain)
            .unwrap(),
        "zstd" => zstd::stream::read::Decoder::new(bytes)
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    plain
}

async fn post_with_encoding(
    app: &TestApp,
    token: &str,
    query: &str,
    accept_encoding: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }));
    if let Some(accept_encoding) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, accept_encoding);
    }
    request.send().await.unwrap()
}

async fn answers_travel_compressed_as_the_client_accepts(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let (token, _) = register(&app, "compress@example.de").await;
    let collection = create_collection(&app, &token, "Komprimiert").await;
    for _ in 0..30 {
        upload_ok(&app, &token, &collection, "tiny.png").await;
    }
    let big = "{ me { collections { nodes { id name images(first: 30) { nodes { id fileName mimeType byteSize width height url createdAt } } } } } }";

    let plain = post_with_encoding(&app, &token, big, None).await;
    assert_eq!(header_of(&plain, "content-encoding"), None);
    let plain = plain.bytes().await.unwrap().to_vec();
    assert!(plain.len() > 4096, "{} bytes", plain.len());
    let answer: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(
        answer["data"]["me"]["collections"]["nodes"][0]["images"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        30
    );

    for (accept, expected) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, deflate, br, zstd", "zstd"),
        ("br;q=1.0, gzip;q=0.5", "br"),
        ("gzip;q=1, br;q=0.1", "gzip"),
    ] {
        let response = post_with_encoding(&app, &token, big, Some(accept)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header_of(&response, "content-encoding"),
            Some(expected),
            "Accept-Encoding: {accept}"
        );
        assert!(listed(header_of(&response, "vary")).contains(&"accept-encoding".to_owned()));
        let compressed = response.bytes().await.unwrap();
        assert!(
            compressed.len() * 3 < plain.len(),
            "{accept}: {} of {} bytes",
            compressed.len(),
            plain.len()
        );
        let decoded: Value = serde_json::from_slice(&decode(expected, &compressed)).unwrap();
        // The signed URLs carry their expiry second: compare what does not move.
        assert_eq!(
            without_urls(decoded),
            without_urls(answer.clone()),
            "{accept}"
        );
    }

    // Small answers, `identity` and images go as they are.
    let small = post_with_encoding(&app, &token, "{ __typename }", Some("gzip, br, zstd")).await;
    assert_eq!(header_of(&small, "content-encoding"), None);
    let identity = post_with_encoding(&app, &token, big, Some("identity")).await;
    assert_eq!(header_of(&identity, "content-encoding"), None);
    let url = answer["data"]["me"]["collections"]["nodes"][0]["images"]["nodes"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let image = app
        .client
        .get(app.url(&url))
        .header(header::ACCEPT_ENCODING, "gzip, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(header_of(&image, "content-encoding"), None);
    assert_eq!(header_of(&image, "content-type"), Some("image/png"));

    // Static assets (GraphiQL's script) are compressed too, and decode to the file itself.
    let script = app
        .client
        .get(app.url("/graphiql/graphiql.min.js"))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(header_of(&script, "content-encoding"), Some("br"));
    let file = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/graphiql/graphiql.min.js"
    ))
    .unwrap();
    let compressed = script.bytes().await.unwrap();
    assert!(
        compressed.len() * 3 < file.len(),
        "{} of {} bytes",
        compressed.len(),
        file.len()
    );
    assert!(
        decode("br", &compressed) == file,
        "the script decodes to the file"
    );
}

fn without_urls(mut answer: Value) -> Value {
    for collection in answer["data"]["me"]["collections"]["nodes"]
        .as_array_mut()
        .unwrap()
    {
        for image in collection["images"]["nodes"].as_array_mut().unwrap() {
            image.as_object_mut().unwrap().remove("url");
        }
    }
    answer
}

on_both_backends!(
    no_cors_headers_by_default,
    answers_travel_compressed_as_the_client_accepts
);
