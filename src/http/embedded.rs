//! Answers for files embedded in the binary (GraphiQL's and the web app's): a strong `ETag`,
//! `304 Not Modified` for a matching `If-None-Match`, the caching and security headers the
//! caller chooses. Compression is the router's (`http::compression`), by `Accept-Encoding`.

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

pub const HTML: &str = "text/html; charset=utf-8";
pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";
pub const TEXT: &str = "text/plain; charset=utf-8";
pub const SVG: &str = "image/svg+xml";
pub const JSON: &str = "application/json";

/// The type of an embedded file, from its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => HTML,
        Some("js" | "mjs") => JS,
        Some("css") => CSS,
        Some("svg") => SVG,
        Some("json") => JSON,
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("txt" | "md") => TEXT,
        _ => "application/octet-stream",
    }
}

/// A strong entity tag: the length and a 64-bit FNV-1a hash of the bytes. Not a security
/// measure, only a name for this version of the file.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in body {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    HeaderValue::try_from(format!("\"{:x}-{hash:016x}\"", body.len()))
        .expect("an ETag of hex digits is a valid header value")
}

/// The answer for one file: `304` when the request's `If-None-Match` names `etag`, else `200`
/// with the body; both carry the ETag, `cache_control`, `nosniff` and `extra` headers.
pub fn respond(
    body: Bytes,
    content_type: &'static str,
    etag: &HeaderValue,
    cache_control: &'static str,
    extra: &[(HeaderName, HeaderValue)],
    request: &HeaderMap,
) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag.clone());
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    for (name, value) in extra {
        headers.insert(name.clone(), value.clone());
    }
    if if_none_match_hits(request, etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    (StatusCode::OK, headers, Body::from(body)).into_response()
}

/// A plain-text 404.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(TEXT)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        "not found\n",
    )
        .into_response()
}

/// `If-None-Match` (RFC 9110 §13.1.2): `*`, or a comma-separated list of entity tags compared
/// weakly (a `W/` prefix is ignored), possibly over several header lines.
pub fn if_none_match_hits(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.as_bytes();
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == ours)
}
