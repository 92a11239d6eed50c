//! The HTTP surface: routes (`/graphql`, the signed `/images/{id}` and `/exports/…`, the web app
//! at `/`, GraphiQL at `/graphiql`, probes), and the layers every request passes (request id,
//! tracing, compression, CORS for the allowed origins).

pub mod caller;
pub mod client_addr;
mod embedded;
pub mod exports;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod image_bytes;
pub mod multipart;
pub mod negotiate;
mod request_body;
pub mod server;
pub mod web_app;
pub mod ws;

use std::time::Duration;

use axum::{
    Router,
    http::{HeaderName, HeaderValue, Method, Request, header},
    routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    CompressionLevel,
    compression::{
        CompressionLayer,
        predicate::{NotForContentType, Predicate, SizeAbove},
    },
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::state::AppState;
pub use graphql::GraphqlEndpoint;

/// The header that carries a request's id, in and out. An INTERNAL error's log line has it.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Every route of the server. `cors_origins`: the origins (checked by
/// `config::parse_origin`) whose pages may call it from a browser; `web_app`: the embedded app,
/// which also answers every path no other route has (client-side routes).
pub fn router(
    state: AppState,
    endpoint: GraphqlEndpoint,
    cors_origins: &[String],
    web_app: web_app::WebApp,
) -> Router {
    let graphql = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .with_state(endpoint);
    let probes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/images/{id}", get(image_bytes::get))
        .route("/exports/{kind}/{file}", get(exports::get))
        .with_state(state);
    let router = Router::new()
        .merge(graphql)
        .merge(probes)
        .merge(graphiql::router())
        .merge(web_app.router())
        .layer(compression())
        .layer(
            ServiceBuilder::new()
                .map_request(drop_unsafe_request_id)
                .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, NewRequestId))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                        let request_id = request
                            .headers()
                            .get(REQUEST_ID_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default();
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id = %request_id,
                        )
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER)),
        );
    match cross_origin(cors_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// Answers above 1 KiB travel compressed when the client accepts it (zstd, brotli or gzip, by
/// its `Accept-Encoding`): the app's big read, 1.4 MB of JSON, becomes a few tens of KB.
/// Images are already compressed and go as they are. Level 4 of each: brotli's default (11) is
/// meant for files compressed once, and takes far longer than the request itself.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(SizeAbove::new(1024).and(NotForContentType::IMAGES))
}

/// The headers a browser app may send across origins: the GraphQL clients' own (Apollo's
/// client name and version, the upload clients' preflight headers) and ours.
const CROSS_ORIGIN_HEADERS: [HeaderName; 8] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ACCEPT,
    HeaderName::from_static("apollo-require-preflight"),
    HeaderName::from_static("graphql-require-preflight"),
    HeaderName::from_static("apollographql-client-name"),
    HeaderName::from_static("apollographql-client-version"),
    REQUEST_ID_HEADER,
];

/// CORS for the allowed origins only: none means same origin only (no CORS headers at all, so
/// a browser keeps other sites' pages from reading any answer). Tokens travel in
/// `Authorization`, never in cookies, so credentials are not allowed and no answer ever says
/// `*`; a preflight is remembered for ten minutes.
fn cross_origin(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(CROSS_ORIGIN_HEADERS)
            .expose_headers([REQUEST_ID_HEADER, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// Longest request id taken from a client or proxy (a UUID is 36 characters).
const MAX_CLIENT_REQUEST_ID: usize = 64;

/// A client's request id goes into log lines: only a short, plain one is kept, so a value with
/// braces, spaces or line breaks cannot forge a log line. Any other is dropped (several, too),
/// and `NewRequestId` makes a fresh one.
fn drop_unsafe_request_id<B>(mut request: Request<B>) -> Request<B> {
    let mut values = request.headers().get_all(REQUEST_ID_HEADER).iter();
    let safe = match (values.next(), values.next()) {
        (Some(value), None) => is_plain_request_id(value.as_bytes()),
        (None, _) => true,
        (Some(_), Some(_)) => false,
    };
    if !safe {
        request.headers_mut().remove(REQUEST_ID_HEADER);
    }
    request
}

fn is_plain_request_id(id: &[u8]) -> bool {
    (1..=MAX_CLIENT_REQUEST_ID).contains(&id.len())
        && id
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Request ids are UUIDs (v7, so they sort by time), unless the client or a proxy sent a plain
/// one.
#[derive(Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        uuid::Uuid::now_v7()
            .to_string()
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::is_plain_request_id;

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(is_plain_request_id(b"0190b3f2-7c1e-7d4a-9a6b-3f0c2b1a4e5d"));
        assert!(is_plain_request_id(b"lb:req.42_a-b"));
        assert!(!is_plain_request_id(b""));
        assert!(!is_plain_request_id(b"abc} FAKE ERROR x{y=1}"));
        assert!(!is_plain_request_id(b"a\nb"));
        assert!(!is_plain_request_id(&[b'a'; 65]));
        assert!(is_plain_request_id(&[b'a'; 64]));
    }
}
