//! The error bodies the service sends (`docs/gemini-api.md` §5): a `google.rpc.Status` in an
//! `{"error": …}` envelope, pretty-printed, `application/json; charset=UTF-8`, with the real
//! messages and details (RetryInfo, ErrorInfo) where a client reads them.

use axum::{body::Body, http::StatusCode, response::Response};
use serde_json::{Value, json};

use crate::gemini::wire::{ErrorEnvelope, Status, detail_type};

/// An error answer, built up and then turned into a response.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    http: StatusCode,
    message: String,
    details: Vec<Value>,
    /// The `google.rpc.Code` name when it is not the usual one for the HTTP status.
    status_name: Option<&'static str>,
    /// Upload routes add `X-Goog-Upload-Status` even to errors: without it the SDKs re-send the
    /// chunk three times, sleeping 7 s in total.
    upload_status: bool,
}

impl ApiError {
    pub fn new(http: StatusCode, message: impl Into<String>) -> Self {
        Self {
            http,
            message: message.into(),
            details: Vec::new(),
            status_name: None,
            upload_status: false,
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The answer to a request without a key.
    pub fn missing_key() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Method doesn't allow unregistered callers (callers without established identity). \
             Please use API Key or other form of API consumer identity to call this API.",
        )
    }

    pub fn invalid_key() -> Self {
        let message = "API key not valid. Please pass a valid API key.";
        let mut error = Self::invalid_argument(message);
        error.details = vec![
            json!({
                "@type": detail_type::ERROR_INFO,
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": { "service": "generativelanguage.googleapis.com" }
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": message
            }),
        ];
        error
    }

    /// A file that does not exist, was deleted, or belongs to another key.
    pub fn file_denied(id: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!("You do not have permission to access the File {id} or it may not exist."),
        )
    }

    pub fn rate_limited(model: &str) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "You exceeded your current quota, please check your plan and billing details. For \
             more information on this error, head to: \
             https://ai.google.dev/gemini-api/docs/rate-limits. Please retry in 1s.",
        );
        error.details = vec![
            json!({
                "@type": detail_type::QUOTA_FAILURE,
                "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    "quotaDimensions": { "location": "global", "model": model },
                    "quotaValue": "10"
                }]
            }),
            json!({
                "@type": detail_type::HELP,
                "links": [{
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"
                }]
            }),
            json!({ "@type": detail_type::RETRY_INFO, "retryDelay": "1s" }),
        ];
        error
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An internal error has occurred. Please retry or report in \
             https://developers.generativeai.google/guide/troubleshooting",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The model is overloaded. Please try again later.",
        )
    }

    pub fn deadline_exceeded() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "Deadline expired before operation could complete.",
        )
    }

    /// The service answers FAILED_PRECONDITION (still 400) for a file not yet ACTIVE.
    pub fn file_not_active(id: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            format!("The File {id} is not in an ACTIVE state and usage is not allowed."),
        )
        .with_status_name("FAILED_PRECONDITION")
    }

    /// Marks an error of an upload route (see `upload_status`).
    pub fn on_upload_route(mut self) -> Self {
        self.upload_status = true;
        self
    }

    fn with_status_name(mut self, name: &'static str) -> Self {
        self.status_name = Some(name);
        self
    }

    /// The `google.rpc.Code` name for an HTTP status, as the service pairs them.
    fn status_name(&self) -> String {
        if let Some(name) = self.status_name {
            return name.to_owned();
        }
        match self.http.as_u16() {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            429 => "RESOURCE_EXHAUSTED",
            500 => "INTERNAL",
            503 => "UNAVAILABLE",
            504 => "DEADLINE_EXCEEDED",
            _ => "UNKNOWN",
        }
        .to_owned()
    }

    /// The `google.rpc.Status` this error carries (also sent inside streams).
    pub fn status(&self) -> Status {
        Status {
            code: i64::from(self.http.as_u16()),
            message: self.message.clone(),
            status: self.status_name(),
            details: self.details.clone(),
        }
    }

    pub fn into_response(self) -> Response {
        let envelope = ErrorEnvelope {
            error: self.status(),
        };
        let body = serde_json::to_vec_pretty(&envelope).unwrap_or_default();
        let mut builder = Response::builder()
            .status(self.http)
            .header("content-type", "application/json; charset=UTF-8");
        if self.upload_status {
            builder = builder.header("x-goog-upload-status", "final");
        }
        builder.body(Body::from(body)).unwrap_or_default()
    }
}
