//! The web app, served from the binary: `GET /` and every client-side route (`/sammlungen/…`,
//! `/bilder/…`, …) answer with its `index.html`, `GET /assets/{file}` with its scripts, styles
//! and icon.
//!
//! The files are what `npm run build --prefix web` wrote into `assets/app/` (committed, and
//! embedded at compile time by `build.rs`, so `cargo build` needs no Node). Their names carry
//! a hash of their content, so they are cached for a year as `immutable`; the page itself is
//! revalidated on every load (`no-cache` with an `ETag`), which is how a new build reaches the
//! browsers. Compression (zstd, brotli, gzip) is the router's, by `Accept-Encoding`.
//!
//! Client-side routes survive a reload: a `GET` of any other path that accepts HTML gets the
//! page (its router shows the screen, or its own "not found"). The API's paths (`/graphql`,
//! `/graphiql…`, `/images/…`, `/exports/…`, the probes) never do, and a missing file under
//! `/assets/` is a plain 404, so a stale script reference fails loudly instead of running HTML.
//!
//! The page gets a strict Content-Security-Policy (no inline script or style, nothing from
//! another origin). What the app needs to know of the server (demo mode, upload limits) is put
//! into the page's `<meta name="videoprompt-config">` when the router is built: a meta tag is
//! no script, so the policy stays strict, and the first render needs no extra request.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header},
    response::Response,
    routing::get,
};
use serde_json::json;

use super::embedded;

mod files {
    include!(concat!(env!("OUT_DIR"), "/web_app_files.rs"));
}

/// Fingerprinted files never change under their name.
const ASSET_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// The page names the current files: always revalidated (cheap, with its ETag).
const PAGE_CACHE_CONTROL: &str = "no-cache";
/// Where Vite puts the fingerprinted files.
const ASSET_PREFIX: &str = "/assets/";
/// The placeholder in `web/index.html` that the settings replace.
const CONFIG_PLACEHOLDER: &str = r#"name="videoprompt-config" content="{}""#;
/// Paths that belong to the API or to GraphiQL: never answered with the app.
const SERVER_PREFIXES: [&str; 6] = [
    "/graphql",
    "/graphiql",
    "/images/",
    "/exports/",
    "/healthz",
    "/readyz",
];

/// What the app is told about this server.
#[derive(Debug, Clone, Default)]
pub struct WebAppSettings {
    /// `--demo`: Gemini is the local stand-in; the app says so in a banner.
    pub demo: bool,
    /// Largest upload in bytes, so the app refuses a too-large file before sending it.
    pub upload_limit: usize,
    /// Width × height limit, for the app's message when an image is refused for it.
    pub max_image_pixels: u64,
    /// `--public-base-url`: `Image.url` points there, so the policy must allow its images.
    pub public_base_url: Option<String>,
}

struct File {
    body: Bytes,
    content_type: &'static str,
    etag: HeaderValue,
}

impl File {
    fn new(body: Bytes, content_type: &'static str) -> Self {
        let etag = embedded::etag_of(&body);
        Self {
            body,
            content_type,
            etag,
        }
    }
}

/// The embedded app, with the page's settings filled in.
#[derive(Clone)]
pub struct WebApp {
    inner: Arc<Inner>,
}

struct Inner {
    page: File,
    assets: HashMap<&'static str, File>,
    page_headers: Vec<(HeaderName, HeaderValue)>,
}

impl WebApp {
    pub fn new(settings: &WebAppSettings) -> Self {
        let mut page = None;
        let mut assets = HashMap::new();
        for &(path, body) in files::FILES {
            if path == "/index.html" {
                page = Some(body);
            } else if path.starts_with(ASSET_PREFIX) {
                assets.insert(
                    path,
                    File::new(Bytes::from_static(body), embedded::content_type(path)),
                );
            }
        }
        let page = page.expect("BUG: build.rs embeds assets/app/index.html");
        let page = File::new(page_with_settings(page, settings), embedded::HTML);
        Self {
            inner: Arc::new(Inner {
                page,
                assets,
                page_headers: page_headers(settings),
            }),
        }
    }

    /// `GET /` and the fallback for every path no other route has.
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        Router::new()
            .route("/", get(page))
            .fallback(fallback)
            .with_state(self)
    }
}

async fn page(State(app): State<WebApp>, headers: HeaderMap) -> Response {
    serve_page(&app, &headers)
}

fn serve_page(app: &WebApp, request: &HeaderMap) -> Response {
    let page = &app.inner.page;
    embedded::respond(
        page.body.clone(),
        page.content_type,
        &page.etag,
        PAGE_CACHE_CONTROL,
        &app.inner.page_headers,
        request,
    )
}

async fn fallback(
    State(app): State<WebApp>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return embedded::not_found();
    }
    let path = uri.path();
    if path.starts_with(ASSET_PREFIX) {
        return match app.inner.assets.get(path) {
            Some(file) => embedded::respond(
                file.body.clone(),
                file.content_type,
                &file.etag,
                ASSET_CACHE_CONTROL,
                &[],
                &headers,
            ),
            None => embedded::not_found(),
        };
    }
    if SERVER_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || !accepts_html(&headers)
    {
        return embedded::not_found();
    }
    serve_page(&app, &headers)
}

/// Whether the request is a browser's navigation (its `Accept` names HTML), not a script's
/// request for a missing file.
fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let media = item.split(';').next().unwrap_or("").trim();
            media.eq_ignore_ascii_case("text/html")
        })
}

/// The page with the settings in its `<meta name="videoprompt-config">`, as HTML-escaped JSON.
fn page_with_settings(page: &[u8], settings: &WebAppSettings) -> Bytes {
    let html = std::str::from_utf8(page).expect("BUG: assets/app/index.html is UTF-8");
    assert!(
        html.contains(CONFIG_PLACEHOLDER),
        "BUG: assets/app/index.html has no <meta {CONFIG_PLACEHOLDER}>"
    );
    let config = json!({
        "demo": settings.demo,
        "uploadLimit": settings.upload_limit,
        "maxImagePixels": settings.max_image_pixels,
    })
    .to_string()
    .replace('&', "&amp;")
    .replace('"', "&quot;")
    .replace('<', "&lt;")
    .replace('>', "&gt;");
    Bytes::from(html.replacen(
        CONFIG_PLACEHOLDER,
        &format!(r#"name="videoprompt-config" content="{config}""#),
        1,
    ))
}

/// The page's security headers.
///
/// - `script-src 'self'`, `style-src 'self'`: no inline script or style, no `eval`; the app is
///   one module script and one stylesheet from `/assets/`.
/// - `img-src 'self'`: thumbnails come from `/images/…` (`Image.url`), or from the
///   `--public-base-url` origin when one is set. No `data:` or `blob:`: the app needs neither.
/// - `connect-src 'self'`: `fetch` to `/graphql` and the WebSocket to the same host (CSP
///   level 3 lets `'self'` match `ws:`/`wss:` on the page's own host and port).
/// - `form-action 'none'`, `frame-ancestors 'none'`, `base-uri 'none'`, `object-src 'none'`.
fn page_headers(settings: &WebAppSettings) -> Vec<(HeaderName, HeaderValue)> {
    let images = settings
        .public_base_url
        .as_deref()
        .and_then(|url| url::Url::parse(url).ok())
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null")
        .map(|origin| format!("'self' {origin}"))
        .unwrap_or_else(|| "'self'".to_owned());
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; \
         font-src 'self'; connect-src 'self'; manifest-src 'self'; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    );
    vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::try_from(csp).expect("BUG: the policy is a valid header value"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{
        body::Body,
        http::{Request, StatusCode},
    };
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn settings() -> WebAppSettings {
        WebAppSettings {
            demo: true,
            upload_limit: 20 * 1024 * 1024,
            max_image_pixels: 100_000_000,
            public_base_url: None,
        }
    }

    async fn send(
        app: &WebApp,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = app
            .clone()
            .router::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    fn get<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    const HTML_ACCEPT: (&str, &str) = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");

    #[tokio::test]
    async fn the_page_has_a_strict_policy_no_cache_and_the_settings() {
        let app = WebApp::new(&settings());
        let (status, headers, body) = send(&app, Method::GET, "/", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(get(&headers, "content-type"), embedded::HTML);
        assert_eq!(get(&headers, "cache-control"), "no-cache");
        assert!(!get(&headers, "etag").is_empty());
        let csp = get(&headers, "content-security-policy");
        for part in [
            "default-src 'self'",
            "script-src 'self';",
            "style-src 'self';",
            "img-src 'self';",
            "connect-src 'self';",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{part} missing from {csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(get(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(get(&headers, "referrer-policy"), "no-referrer");
        assert!(body.contains(r#"<html lang="de">"#));
        assert!(
            body.contains(
                r#"name="videoprompt-config" content="{&quot;demo&quot;:true,&quot;uploadLimit&quot;:20971520,&quot;maxImagePixels&quot;:100000000}""#
            ),
            "{body}"
        );
        assert!(!body.contains("<script>"), "no inline script");
        assert!(!body.contains("style="), "no inline style");
    }

    #[tokio::test]
    async fn without_demo_the_page_says_so_and_a_public_base_url_may_serve_images() {
        let app = WebApp::new(&WebAppSettings {
            demo: false,
            public_base_url: Some("https://bilder.example.de/base".into()),
            ..settings()
        });
        let (_, headers, body) = send(&app, Method::GET, "/", &[]).await;
        assert!(body.contains("&quot;demo&quot;:false"), "{body}");
        assert!(
            get(&headers, "content-security-policy")
                .contains("img-src 'self' https://bilder.example.de;")
        );
    }

    #[tokio::test]
    async fn client_side_routes_answer_with_the_page() {
        let app = WebApp::new(&settings());
        let (_, _, page) = send(&app, Method::GET, "/", &[]).await;
        for uri in [
            "/sammlungen",
            "/sammlungen/0192f4c4-0000-7000-8000-000000000000",
            "/bilder/abc?x=1",
            "/prompts/abc",
            "/gibt-es-nicht",
        ] {
            let (status, headers, body) = send(&app, Method::GET, uri, &[HTML_ACCEPT]).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(get(&headers, "cache-control"), "no-cache", "{uri}");
            assert!(!get(&headers, "content-security-policy").is_empty());
            assert_eq!(body, page, "{uri}");
        }
    }

    #[tokio::test]
    async fn server_paths_missing_assets_and_non_html_requests_are_404() {
        let app = WebApp::new(&settings());
        for (uri, accept) in [
            ("/assets/index-nope.js", "*/*"),
            ("/assets/index-nope.js", "text/html"),
            ("/graphiql/a/b", "text/html"),
            ("/images/a/b", "text/html"),
            ("/exports/x", "text/html"),
            ("/graphql/x", "text/html"),
            ("/sammlungen", "application/json"),
            ("/favicon.ico", "image/avif,image/webp,*/*"),
        ] {
            let (status, headers, _) = send(&app, Method::GET, uri, &[("accept", accept)]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri} ({accept})");
            assert_eq!(get(&headers, "content-type"), embedded::TEXT);
        }
        let (status, _, _) = send(&app, Method::POST, "/sammlungen", &[HTML_ACCEPT]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn every_file_the_page_names_is_served_immutable_and_revalidates_with_its_etag() {
        let app = WebApp::new(&settings());
        let (_, page_headers, page) = send(&app, Method::GET, "/", &[]).await;
        let mut named = 0;
        for attr in ["src=\"", "href=\""] {
            for part in page.split(attr).skip(1) {
                let url = &part[..part.find('"').unwrap()];
                assert!(url.starts_with(ASSET_PREFIX), "{url} is not under /assets/");
                let (status, headers, body) = send(&app, Method::GET, url, &[]).await;
                assert_eq!(status, StatusCode::OK, "{url}");
                assert_eq!(get(&headers, "cache-control"), ASSET_CACHE_CONTROL);
                assert_eq!(get(&headers, "x-content-type-options"), "nosniff");
                assert!(!body.contains("sourceMappingURL"), "{url}");
                let etag = get(&headers, "etag").to_owned();
                let (status, _, body) =
                    send(&app, Method::GET, url, &[("if-none-match", &etag)]).await;
                assert_eq!(status, StatusCode::NOT_MODIFIED, "{url}");
                assert!(body.is_empty());
                named += 1;
            }
        }
        assert!(named >= 2, "the page names its script and stylesheet");
        let etag = get(&page_headers, "etag");
        let (status, _, _) = send(&app, Method::GET, "/", &[("if-none-match", etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
    }

    #[test]
    fn the_trusted_documents_manifest_is_not_served_but_lies_beside_the_app() {
        assert!(
            files::FILES
                .iter()
                .all(|(path, _)| !path.ends_with("persisted-documents.json"))
        );
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/app/persisted-documents.json");
        let text = std::fs::read_to_string(manifest).unwrap();
        let documents: HashMap<String, String> = serde_json::from_str(&text).unwrap();
        assert!(documents.len() >= 20);
        for (hash, document) in &documents {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(document.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(&hex, hash, "the key is the sha256 of the exact text");
        }
    }
}
