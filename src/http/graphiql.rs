//! GraphiQL, served from the binary: `GET /graphiql` is the page, `GET /graphiql/{file}` its
//! scripts and styles. (`/` is the web app, `http::web_app`.)
//!
//! Everything is embedded at compile time from `assets/graphiql/` (the vendored npm builds of
//! GraphiQL, React and ReactDOM; see `assets/graphiql/VERSIONS.md`), so the page loads nothing
//! from another origin and works without internet access. The page has no inline script and
//! is sent with [`CONTENT_SECURITY_POLICY`].
//!
//! Caching: the file names carry no content hash, so assets are cached for an hour
//! (`public, max-age=3600`) and the page is revalidated on every load (`no-cache`). Every file
//! has a strong `ETag` (a hash of its bytes, computed at first use); a request whose
//! `If-None-Match` names it gets `304 Not Modified`.
//!
//! The page talks to `POST /graphql` and, for subscriptions, opens a WebSocket to `/graphql`
//! (graphql-transport-ws). The headers typed into GraphiQL's "Headers" tab (e.g.
//! `{"Authorization": "Bearer …"}`) go with each HTTP request and, for a subscription, become
//! the `connection_init` payload.

use std::sync::OnceLock;

use axum::{
    Router,
    body::Bytes,
    extract::Path,
    http::{HeaderMap, HeaderValue, header},
    response::Response,
    routing::get,
};

/// The `Content-Security-Policy` of the GraphiQL page.
///
/// - `script-src 'self'`: no inline script and no `eval` (GraphiQL needs neither; the page is
///   booted by `/graphiql/boot.js`).
/// - `style-src 'self' 'unsafe-inline'`: GraphiQL's dialogs (settings, shortcuts) inject
///   `<style>` elements at run time (react-remove-scroll); without it they log CSP violations.
/// - `img-src`/`font-src … data:`: GraphiQL's stylesheet embeds its fonts and icons as
///   `data:` URLs.
/// - `connect-src 'self'`: `fetch` to `/graphql` and the WebSocket to the same host (CSP
///   level 3 lets `'self'` match `ws:`/`wss:` on the page's own host and port).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
     form-action 'none'";

const ASSET_CACHE_CONTROL: &str = "public, max-age=3600";
const PAGE_CACHE_CONTROL: &str = "no-cache";

use super::embedded::{self, CSS, HTML, JS, TEXT};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    etag: OnceLock<HeaderValue>,
}

impl Asset {
    /// A strong entity tag, computed at first use.
    fn etag(&self) -> &HeaderValue {
        self.etag.get_or_init(|| embedded::etag_of(self.body))
    }
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/graphiql/",
                $name
            )),
            etag: OnceLock::new(),
        }
    };
}

/// The page itself, at `/graphiql`.
static PAGE: Asset = asset!("index.html", HTML);

/// The files under `/graphiql/`.
static ASSETS: [Asset; 7] = [
    asset!("graphiql.min.js", JS),
    asset!("graphiql.min.css", CSS),
    asset!("react.production.min.js", JS),
    asset!("react-dom.production.min.js", JS),
    asset!("boot.js", JS),
    asset!("page.css", CSS),
    asset!("LICENSES.md", TEXT),
];

/// The GraphiQL routes: `GET /graphiql` and `GET /graphiql/{file}` (`HEAD` too). Stateless,
/// so it merges into a router of any state.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/graphiql", get(page))
        .route("/graphiql/{file}", get(asset))
}

async fn page(headers: HeaderMap) -> Response {
    serve(
        &PAGE,
        PAGE_CACHE_CONTROL,
        Some(CONTENT_SECURITY_POLICY),
        &headers,
    )
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(asset) => serve(asset, ASSET_CACHE_CONTROL, None, &headers),
        None => embedded::not_found(),
    }
}

fn serve(
    asset: &'static Asset,
    cache_control: &'static str,
    csp: Option<&'static str>,
    request: &HeaderMap,
) -> Response {
    let extra = match csp {
        Some(csp) => vec![
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        None => Vec::new(),
    };
    embedded::respond(
        Bytes::from_static(asset.body),
        asset.content_type,
        asset.etag(),
        cache_control,
        &extra,
        request,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{
        body::Body,
        http::{Method, Request, StatusCode},
    };
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn send(
        method: Method,
        uri: &str,
        if_none_match: Option<&str>,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(tag) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        let response = router::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }

    fn get(headers: &HeaderMap, name: header::HeaderName) -> &str {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn page_is_served_with_csp_and_no_cache() {
        let (status, headers, body) = send(Method::GET, "/graphiql", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(get(&headers, header::CONTENT_TYPE), HTML);
        assert_eq!(get(&headers, header::CACHE_CONTROL), "no-cache");
        assert_eq!(
            get(&headers, header::CONTENT_SECURITY_POLICY),
            CONTENT_SECURITY_POLICY
        );
        assert!(!get(&headers, header::ETAG).is_empty());
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("<title>videoprompt — GraphiQL</title>"));
        assert!(
            !html.contains("<script>"),
            "the page must not have an inline script"
        );
    }

    #[tokio::test]
    async fn every_asset_is_served_with_its_type() {
        for asset in &ASSETS {
            let (status, headers, body) =
                send(Method::GET, &format!("/graphiql/{}", asset.name), None).await;
            assert_eq!(status, StatusCode::OK, "{}", asset.name);
            assert_eq!(
                get(&headers, header::CONTENT_TYPE),
                asset.content_type,
                "{}",
                asset.name
            );
            assert_eq!(
                get(&headers, header::CACHE_CONTROL),
                ASSET_CACHE_CONTROL,
                "{}",
                asset.name
            );
            assert_eq!(get(&headers, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
            assert_eq!(headers.get(header::ETAG), Some(asset.etag()));
            assert_eq!(body, asset.body, "{}", asset.name);
            assert!(!body.is_empty(), "{}", asset.name);
        }
    }

    #[tokio::test]
    async fn a_matching_if_none_match_answers_304() {
        let etag = ASSETS[0].etag().to_str().unwrap().to_owned();
        let uri = format!("/graphiql/{}", ASSETS[0].name);
        for tag in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".to_owned(),
        ] {
            let (status, headers, body) = send(Method::GET, &uri, Some(&tag)).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{tag}");
            assert_eq!(get(&headers, header::ETAG), etag);
            assert_eq!(get(&headers, header::CACHE_CONTROL), ASSET_CACHE_CONTROL);
            assert!(body.is_empty());
        }
        let (status, _, _) = send(Method::GET, &uri, Some("\"something-else\"")).await;
        assert_eq!(status, StatusCode::OK);

        let page_tag = PAGE.etag().to_str().unwrap().to_owned();
        let (status, headers, _) = send(Method::GET, "/graphiql", Some(&page_tag)).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert_eq!(get(&headers, header::CACHE_CONTROL), "no-cache");
    }

    #[tokio::test]
    async fn etags_differ_between_files() {
        let mut tags: Vec<_> = ASSETS
            .iter()
            .chain([&PAGE])
            .map(|a| a.etag().clone())
            .collect();
        tags.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        tags.dedup();
        assert_eq!(tags.len(), ASSETS.len() + 1);
    }

    #[tokio::test]
    async fn unknown_files_are_404() {
        for uri in [
            "/graphiql/nope.js",
            "/graphiql/index.html",
            "/graphiql/",
            "/graphiql/..%2FCargo.toml",
            "/graphiql/a/b",
        ] {
            let (status, _, _) = send(Method::GET, uri, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        }
    }

    #[tokio::test]
    async fn head_has_headers_and_no_body() {
        let (status, headers, body) = send(Method::HEAD, "/graphiql/boot.js", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(get(&headers, header::CONTENT_TYPE), JS);
        assert!(body.is_empty());
    }

    /// Every `/graphiql/…` file the page names is embedded, and nothing points elsewhere.
    #[test]
    fn the_page_references_only_embedded_files() {
        let html = std::str::from_utf8(PAGE.body).unwrap();
        let mut referenced = 0;
        for attr in ["src=\"", "href=\""] {
            for part in html.split(attr).skip(1) {
                let url = &part[..part.find('"').unwrap()];
                if url.starts_with("data:") {
                    continue;
                }
                let name = url
                    .strip_prefix("/graphiql/")
                    .unwrap_or_else(|| panic!("{url} is not under /graphiql/"));
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "{url} is not embedded"
                );
                referenced += 1;
            }
        }
        assert!(referenced >= 4);
    }

    #[test]
    fn no_asset_names_a_source_map() {
        for asset in ASSETS.iter().chain([&PAGE]) {
            let text = String::from_utf8_lossy(asset.body);
            assert!(
                !text.contains("sourceMappingURL"),
                "{} names a source map",
                asset.name
            );
        }
    }
}
