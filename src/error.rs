//! `AppError`, the one error type services return, and how it reaches a GraphQL client.
//!
//! Its message is always safe to show: internal variants say only "internal server error" and
//! their cause is logged (inside the request's span, so the log line carries the request id).
//! Every variant maps to a stable `extensions.code` from DESIGN.md.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql converts every `Display`
//! type into an error *without* a code, so a stray `?` would silently drop the code. Without
//! `Display`, the only conversion is ours, and `?` in a resolver always keeps the code.

use async_graphql::ServerError;

/// The error codes a client can see in `extensions.code`.
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const CONFLICT: &str = "CONFLICT";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    pub const GEMINI_API_KEY_MISSING: &str = "GEMINI_API_KEY_MISSING";
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const INTERNAL: &str = "INTERNAL";
    /// The connection cap is reached (HTTP 503 with `Retry-After`).
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
    /// A persisted document's id the server does not know (APQ: send the text with it).
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// A document outside the trusted documents, which are all this server runs.
    pub const PERSISTED_QUERY_NOT_IN_LIST: &str = "PERSISTED_QUERY_NOT_IN_LIST";
}

/// What a `NOT_FOUND` is about. Each kind has one message, wherever it is raised (another
/// user's object reads exactly like a missing one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Collection,
    Image,
    VideoPrompt,
}

impl Missing {
    pub fn message(self) -> &'static str {
        match self {
            Self::Collection => "Collection not found.",
            Self::Image => "Image not found.",
            Self::VideoPrompt => "Video prompt not found.",
        }
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, Clone)]
pub enum AppError {
    Unauthenticated,
    /// Wrong e-mail or wrong password: one message for both, so neither leaks which it was.
    InvalidCredentials,
    NotFound(Missing),
    BadUserInput {
        /// The input field at fault, when there is one.
        field: Option<&'static str>,
        message: String,
    },
    /// An uploaded file that is not an image the server takes: BAD_USER_INPUT on the field
    /// `file`, with `extensions.reason` naming why in a word an app can translate
    /// (`UNSUPPORTED_TYPE`, `INCOMPLETE`, `DAMAGED`, `TOO_MANY_PIXELS`).
    RefusedFile {
        reason: &'static str,
        message: String,
    },
    Conflict(String),
    /// Too many sign-in attempts from this client: `RATE_LIMITED` with `extensions.retryAfter`.
    RateLimited(crate::auth::throttle::RetryAfter),
    PayloadTooLarge(String),
    GeminiApiKeyMissing,
    /// A bug or an infrastructure failure. The cause is logged, never shown.
    Internal(std::sync::Arc<anyhow::Error>),
}

impl AppError {
    /// A `BAD_USER_INPUT` error about one input field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: Some(field),
            message: message.into(),
        }
    }

    /// The text a client sees.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "You are not signed in, or your session has expired.".into(),
            Self::InvalidCredentials => "E-mail or password is wrong.".into(),
            Self::NotFound(what) => what.message().into(),
            Self::BadUserInput { message, .. }
            | Self::RefusedFile { message, .. }
            | Self::Conflict(message) => message.clone(),
            Self::PayloadTooLarge(message) => message.clone(),
            Self::RateLimited(wait) => format!(
                "Too many attempts from your address; try again in {} seconds.",
                wait.seconds()
            ),
            Self::GeminiApiKeyMissing => {
                "No Gemini API key is stored for your account; set one with setGeminiApiKey.".into()
            }
            Self::Internal(_) => "Internal server error.".into(),
        }
    }

    /// The `extensions.code` this error carries.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => code::UNAUTHENTICATED,
            Self::NotFound(_) => code::NOT_FOUND,
            Self::BadUserInput { .. } | Self::RefusedFile { .. } => code::BAD_USER_INPUT,
            Self::Conflict(_) => code::CONFLICT,
            Self::RateLimited(_) => code::RATE_LIMITED,
            Self::PayloadTooLarge(_) => code::PAYLOAD_TOO_LARGE,
            Self::GeminiApiKeyMissing => code::GEMINI_API_KEY_MISSING,
            Self::Internal(_) => code::INTERNAL,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        anyhow::Error::new(err).context("database error").into()
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(std::sync::Arc::new(err))
    }
}

/// Resolvers return `async_graphql::Result`; this lets them use `?` on service calls.
impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            // Logged here, once, inside the request's span (which carries the request id).
            tracing::error!(error = ?cause, "internal error while serving a request");
        }
        let mut error = async_graphql::Error::new(err.message());
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", err.code());
        if let AppError::BadUserInput {
            field: Some(field), ..
        } = &err
        {
            extensions.set("field", *field);
        }
        if let AppError::RefusedFile { reason, .. } = &err {
            extensions.set("field", "file");
            extensions.set("reason", *reason);
        }
        if let AppError::RateLimited(wait) = &err {
            extensions.set("retryAfter", wait.seconds());
        }
        error
    }
}

/// Sets `extensions.code` on an error that async-graphql produced itself (parse, validation).
pub fn set_code(err: &mut ServerError, code: &'static str) {
    let extensions = err.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
}

/// Short form for `Err(AppError::...)`.
pub type AppResult<T> = Result<T, AppError>;
