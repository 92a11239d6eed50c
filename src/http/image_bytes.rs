//! `GET /images/{id}?exp=…&sig=…`: the image bytes behind `Image.url`.
//!
//! The signature is the authorisation (an `<img>` tag sends no bearer token). A bad signature,
//! an expired URL and an unknown image all answer without detail, so the route tells nothing
//! about which images exist. The content type is the one found from the bytes at upload, and
//! `nosniff` keeps browsers from guessing another.

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{image_files::probe::ImageKind, services::images, state::AppState};

/// The expiry and signature of a signed link (an image, an export). Read as plain strings: a
/// malformed value must get the same bare 403 as a wrong one, not the query extractor's
/// descriptive 400.
#[derive(serde::Deserialize)]
pub struct SignedParams {
    exp: Option<String>,
    sig: Option<String>,
}

impl SignedParams {
    /// The expiry (Unix seconds) and the signature, when both are there and well-formed.
    pub fn parts(self) -> Option<(i64, String)> {
        Some((self.exp?.parse().ok()?, self.sig?))
    }
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<SignedParams>,
    headers: HeaderMap,
) -> Response {
    let (Ok(id), Some((expires, signature))) = (Uuid::parse_str(&id), params.parts()) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let now = chrono::Utc::now().timestamp();
    let Ok(remaining) = state.signer.verify(id, expires, &signature, now) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let image = match images::find_for_serving(&state.db, id).await {
        Ok(Some(image)) => image,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            let _ = async_graphql::Error::from(err); // logs the cause
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // Only types we accepted are ever served; anything else in the row is not trusted.
    let Some(kind) = ImageKind::from_mime_type(&image.mime_type) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", image.sha256);
    let mut common = HeaderMap::new();
    let cache = format!("private, max-age={remaining}");
    for (name, value) in [
        (header::CACHE_CONTROL, cache.as_str()),
        (header::ETAG, etag.as_str()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            common.insert(name, value);
        }
    }
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if not_modified {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let stream = match state.store.get(&image.storage_key).await {
        Ok(Some(stream)) => stream,
        Ok(None) => {
            tracing::error!(image_id = %id, key = image.storage_key, "an image's bytes are missing");
            return StatusCode::NOT_FOUND.into_response();
        }
        Err(err) => {
            tracing::error!(error = ?err, image_id = %id, "could not read an image's bytes");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    common.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(kind.mime_type()),
    );
    common.insert(header::CONTENT_LENGTH, HeaderValue::from(image.byte_size));
    (StatusCode::OK, common, Body::from_stream(stream)).into_response()
}
