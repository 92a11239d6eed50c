//! `GeminiError`: every way a call to Gemini can fail, typed from the error body Google sends,
//! with what the job runner needs to decide: the failure code (DESIGN.md "Errors"), whether a
//! retry may help, and how long the service asked us to wait (`google.rpc.RetryInfo`).
//!
//! No variant ever holds the API key: messages come from Google's error bodies or are written
//! here, and transport errors are reduced to their kind (reqwest's text can carry URLs).

use std::time::Duration;

use super::wire::{ErrorEnvelope, Status, detail_type};
use crate::domain::failure_code::FailureCode;

#[derive(Debug, Clone, thiserror::Error)]
pub enum GeminiError {
    /// The key was refused (`API_KEY_INVALID`, 401, 403).
    #[error("Gemini refused the API key: {message}")]
    Auth { message: String },
    /// 429: rate limit or quota.
    #[error("Gemini quota or rate limit exceeded: {message}")]
    Quota {
        message: String,
        retry_after: Option<Duration>,
    },
    /// 500, 502, 503, or the connection failed or broke off.
    #[error("Gemini is unavailable ({status}): {message}")]
    Unavailable {
        /// The HTTP status, or 0 when no response arrived.
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// 504 from Gemini, or our own request timeout.
    #[error("Gemini did not answer in time: {message}")]
    Timeout { message: String },
    /// The prompt or the answer was blocked (`promptFeedback.blockReason`, `finishReason`).
    #[error("Gemini blocked the request: {reason}")]
    Blocked { reason: String },
    /// The answer was not the JSON asked for.
    #[error("Gemini's answer was not the expected JSON: {reason}")]
    BadOutput { reason: String },
    /// An uploaded file failed processing or did not become ACTIVE in time.
    #[error("Gemini could not process the uploaded image: {reason}")]
    FileProcessing { reason: String },
    /// Any other refusal (400 INVALID_ARGUMENT, 404, …): a bug on our side, not worth retrying.
    #[error("Gemini rejected the request ({status} {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
}

impl GeminiError {
    /// The failure code a generation records when this error ends it.
    pub fn failure_code(&self) -> FailureCode {
        match self {
            Self::Auth { .. } => FailureCode::GeminiAuth,
            Self::Quota { .. } => FailureCode::GeminiQuota,
            Self::Unavailable { .. } => FailureCode::GeminiUnavailable,
            Self::Timeout { .. } => FailureCode::Timeout,
            Self::Blocked { .. } => FailureCode::GeminiBlocked,
            Self::BadOutput { .. } => FailureCode::GeminiBadOutput,
            Self::FileProcessing { .. } => FailureCode::GeminiFileProcessing,
            Self::Rejected { .. } => FailureCode::Internal,
        }
    }

    /// Whether trying again later may succeed (DESIGN: 429, 500, 503, 504, timeouts, drops).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Quota { .. } | Self::Unavailable { .. } | Self::Timeout { .. }
        )
    }

    /// The delay the service asked for (RetryInfo), if it named one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Quota { retry_after, .. } | Self::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Types a non-200 answer from its status and body.
    pub fn from_response(http_status: u16, body: &[u8]) -> Self {
        let status = serde_json::from_slice::<ErrorEnvelope>(body)
            .map(|envelope| envelope.error)
            .unwrap_or_else(|_| Status {
                code: i64::from(http_status),
                message: String::from_utf8_lossy(body).chars().take(300).collect(),
                ..Status::default()
            });
        Self::from_status(http_status, &status)
    }

    /// Types a `google.rpc.Status`; `http_status` is the response's (or the status's own code
    /// for an error that arrived inside a stream).
    pub fn from_status(http_status: u16, status: &Status) -> Self {
        let message = if status.message.is_empty() {
            format!("HTTP {http_status}")
        } else {
            status.message.clone()
        };
        let retry_after = retry_delay(status);
        if error_reason(status) == Some("API_KEY_INVALID") {
            return Self::Auth { message };
        }
        match http_status {
            401 | 403 => Self::Auth { message },
            429 => Self::Quota {
                message,
                retry_after,
            },
            500 | 502 | 503 => Self::Unavailable {
                status: http_status,
                message,
                retry_after,
            },
            504 => Self::Timeout { message },
            _ => Self::Rejected {
                status: http_status,
                code: status.status.clone(),
                message,
            },
        }
    }

    /// Types a transport failure. Only the kind is kept: reqwest's text names the URL.
    pub fn from_transport(err: &reqwest::Error) -> Self {
        if err.is_timeout() {
            return Self::Timeout {
                message: "the request timed out".into(),
            };
        }
        let what = if err.is_connect() {
            "could not connect"
        } else if err.is_body() || err.is_decode() {
            "the connection broke off during the answer"
        } else {
            "the request failed"
        };
        Self::Unavailable {
            status: 0,
            message: what.into(),
            retry_after: None,
        }
    }
}

/// `google.rpc.ErrorInfo.reason`, when the body has one.
fn error_reason(status: &Status) -> Option<&str> {
    status
        .details
        .iter()
        .find(|detail| detail["@type"] == detail_type::ERROR_INFO)
        .and_then(|detail| detail["reason"].as_str())
}

/// `google.rpc.RetryInfo.retryDelay`: a protobuf Duration (`"26s"`, `"55.5s"`).
fn retry_delay(status: &Status) -> Option<Duration> {
    status
        .details
        .iter()
        .find(|detail| detail["@type"] == detail_type::RETRY_INFO)
        .and_then(|detail| detail["retryDelay"].as_str())
        .and_then(parse_proto_duration)
}

/// Parses a protobuf JSON Duration: decimal seconds followed by `s`.
pub fn parse_proto_duration(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().strip_suffix('s')?.parse().ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_429_carries_its_retry_delay() {
        let body = json!({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": detail_type::RETRY_INFO, "retryDelay": "26.5s"}]}});
        let err = GeminiError::from_response(429, body.to_string().as_bytes());
        assert_eq!(err.failure_code(), FailureCode::GeminiQuota);
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_millis(26_500)));
    }

    #[test]
    fn an_invalid_key_is_an_auth_error_and_not_retried() {
        let body = json!({"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": detail_type::ERROR_INFO, "reason": "API_KEY_INVALID"}]}});
        let err = GeminiError::from_response(400, body.to_string().as_bytes());
        assert_eq!(err.failure_code(), FailureCode::GeminiAuth);
        assert!(!err.is_retryable());
    }

    #[test]
    fn statuses_map_to_failure_codes() {
        let code = |status| GeminiError::from_response(status, b"not json").failure_code();
        assert_eq!(code(500), FailureCode::GeminiUnavailable);
        assert_eq!(code(503), FailureCode::GeminiUnavailable);
        assert_eq!(code(504), FailureCode::Timeout);
        assert_eq!(code(404), FailureCode::Internal);
        assert_eq!(parse_proto_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_proto_duration("soon"), None);
    }
}
