//! `GET /exports/{kind}/{id}.{extension}?exp=…&sig=…`: the download behind `exportUrl`.
//!
//! The signature is the authorisation (a download link carries no bearer token). A bad
//! signature, an expired link and a malformed one all answer a bare 403, and a scope deleted
//! since the link was made a 404, so the route tells nothing about what exists. While the most
//! exports are being written at once for too long, 503 with `Retry-After`. The body is
//! streamed as the records are read (`services::exports`); `Content-Disposition` makes the
//! browser save it under a readable name.

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::TryStreamExt;
use uuid::Uuid;

use super::image_bytes::SignedParams;
use crate::{
    services::exports::{ExportFormat, ExportScope, OpenError},
    state::AppState,
};

pub async fn get(
    State(state): State<AppState>,
    Path((kind, file)): Path<(String, String)>,
    Query(params): Query<SignedParams>,
) -> Response {
    let Some((scope, format, expires, signature)) = parse(&kind, &file, params) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let now = chrono::Utc::now();
    let links = state.exports.links();
    if !links.verify(scope, format, expires, &signature, now.timestamp()) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let export = match state.exports.open(scope, format, now).await {
        Ok(export) => export,
        Err(OpenError::Gone) => return StatusCode::NOT_FOUND.into_response(),
        Err(OpenError::Busy) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, HeaderValue::from_static("10"))],
            )
                .into_response();
        }
        Err(OpenError::Failed(err)) => {
            let _ = async_graphql::Error::from(err); // logs the cause
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(export.format.content_type()),
    );
    if let Ok(disposition) = HeaderValue::from_str(&content_disposition(&export.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    // Someone's prompts: no cache keeps a copy.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let body = export.body.map_err(|err| {
        // The headers are out: the client sees the download break off, the log says why.
        let _ = async_graphql::Error::from(err);
        std::io::Error::other("the export could not be read to its end")
    });
    (StatusCode::OK, headers, Body::from_stream(body)).into_response()
}

fn parse(
    kind: &str,
    file: &str,
    params: SignedParams,
) -> Option<(ExportScope, ExportFormat, i64, String)> {
    let (id, extension) = file.split_once('.')?;
    let scope = ExportScope::parse(kind, Uuid::parse_str(id).ok()?)?;
    let format = ExportFormat::from_extension(extension)?;
    let (expires, signature) = params.parts()?;
    Some((scope, format, expires, signature))
}

/// `attachment` with the name in plain ASCII (`filename`, for old clients) and in UTF-8
/// (`filename*`, RFC 6266/8187, which browsers prefer), so `Über den Wolken.csv` keeps its
/// umlaut.
fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in file_name.bytes() {
        // RFC 8187's attr-char may stand as it is; everything else is percent-encoded.
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_their_umlauts_for_browsers_and_are_safe_for_the_rest() {
        assert_eq!(
            content_disposition("Videoprompts Über \"uns\" 2026-12-06.csv"),
            "attachment; filename=\"Videoprompts _ber _uns_ 2026-12-06.csv\"; \
             filename*=UTF-8''Videoprompts%20%C3%9Cber%20%22uns%22%202026-12-06.csv"
        );
    }
}
