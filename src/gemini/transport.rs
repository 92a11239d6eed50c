//! `GeminiClient` itself and how it sends a request: the HTTP client with its timeouts, the
//! base URL, the API key header, and turning a non-success answer into a typed error. The
//! calls are in `client` (generation) and `files` (the Files API), both built on this.
//!
//! The API key is passed per call (each user has their own) and only ever travels in the
//! `x-goog-api-key` header, marked sensitive.

use std::{fmt, sync::Arc};

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::{config::GeminiConfig, error::GeminiError};

pub(super) const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-goog-api-key");

#[derive(Clone)]
pub struct GeminiClient {
    pub(super) http: reqwest::Client,
    pub(super) config: Arc<GeminiConfig>,
}

impl fmt::Debug for GeminiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeminiClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl GeminiClient {
    pub fn new(config: GeminiConfig) -> anyhow::Result<Self> {
        // reqwest is built without a default crypto provider; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("videoprompt/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &GeminiConfig {
        &self.config
    }

    pub(super) fn base(&self) -> &str {
        self.config.base_url.trim_end_matches('/')
    }
}

/// Sends a request; anything but a success status becomes a typed error from its body.
pub(super) async fn send(
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, GeminiError> {
    let response = request
        .send()
        .await
        .map_err(|err| GeminiError::from_transport(&err))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.bytes().await.unwrap_or_default();
    Err(GeminiError::from_response(status.as_u16(), &body))
}

/// The key as a header value, marked sensitive so no debug output or log shows it.
pub(super) fn key_header(key: &SecretString) -> Result<HeaderValue, GeminiError> {
    let mut value = HeaderValue::from_str(key.expose_secret()).map_err(|_| GeminiError::Auth {
        message: "the stored API key has characters an HTTP header cannot carry".into(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}
