//! Content negotiation by the GraphQL-over-HTTP spec.
//!
//! `application/graphql-response+json` lets status codes carry meaning (400 for a request
//! error); `application/json` is the legacy media type, always 200 for a well-formed request.
//! No `Accept` header means `application/json`, as the spec says for older clients.

use axum::http::{HeaderMap, header};

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub const JSON: &str = "application/json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    GraphqlResponseJson,
    Json,
}

impl ResponseType {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// The media type to answer with, or `None` when the client accepts neither (406).
pub fn response_type(headers: &HeaderMap) -> Option<ResponseType> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Some(ResponseType::Json);
    };
    let accept = accept.to_str().ok()?;
    if accept.trim().is_empty() {
        return Some(ResponseType::Json);
    }
    let mut best: Option<(f32, u8, ResponseType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if quality <= 0.0 {
            continue;
        }
        // On equal quality the more specific match wins; among exact matches the modern type.
        let candidate = match media.as_str() {
            GRAPHQL_RESPONSE_JSON => (quality, 3, ResponseType::GraphqlResponseJson),
            JSON => (quality, 2, ResponseType::Json),
            "application/*" | "*/*" => (quality, 1, ResponseType::Json),
            _ => continue,
        };
        if best.is_none_or(|(q, rank, _)| (candidate.0, candidate.1) > (q, rank)) {
            best = Some(candidate);
        }
    }
    best.map(|(_, _, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn negotiate(accept: Option<&str>) -> Option<ResponseType> {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        }
        response_type(&headers)
    }

    #[test]
    fn accept_headers_pick_the_spec_media_type() {
        use ResponseType::*;
        assert_eq!(negotiate(None), Some(Json));
        assert_eq!(negotiate(Some("*/*")), Some(Json));
        assert_eq!(negotiate(Some("application/json")), Some(Json));
        assert_eq!(
            negotiate(Some(GRAPHQL_RESPONSE_JSON)),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Json)
        );
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }
}
