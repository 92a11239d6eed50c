//! A server's GraphQL endpoint over real HTTP: the one way tests and benchmarks send an
//! operation, `gql(query, variables, token)`.

use std::sync::Once;

use reqwest::{StatusCode, multipart::Form};
use serde_json::{Value, json};

/// A reqwest client; reqwest is built without a TLS provider of its own, so ring's (the one the
/// server uses) is installed first.
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().expect("a reqwest client")
}

/// A reqwest client builder, for a client with other settings (a time-out); see
/// [`http_client`].
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
}

fn install_tls_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Where a server listens (`http://127.0.0.1:PORT`) and the client that talks to it. Whatever
/// runs a server (an in-process app, a child process) hands one out through `AsRef<Api>`, which
/// is what the [`scenario`](crate::scenario) helpers and [`WsClient`](crate::WsClient) take.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// The server at `base` (`http://127.0.0.1:PORT`), with a plain client.
    pub fn new(base: impl Into<String>) -> Self {
        Self::with_client(http_client(), base)
    }

    /// The server at `base`, through `http` (e.g. one with a time-out).
    pub fn with_client(http: reqwest::Client, base: impl Into<String>) -> Self {
        Self {
            http,
            base: base.into(),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// POSTs a GraphQL operation (with the token as bearer, if any) and returns the JSON
    /// answer, whatever its status.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the request failed");
        response.json().await.expect("the response is not JSON")
    }

    /// Like [`gql`](Self::gql), for an operation that must succeed: panics on `errors`.
    pub async fn gql_ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let body = self.gql(query, variables, token).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body
    }

    /// POSTs a multipart form (a GraphQL multipart request) with the token as bearer, if any;
    /// returns status and JSON body.
    pub async fn post_form(&self, form: Form, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.http.post(self.url("/graphql")).multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the upload request failed");
        let status = response.status();
        let body = response.json().await.expect("the response is not JSON");
        (status, body)
    }
}

impl AsRef<Api> for Api {
    fn as_ref(&self) -> &Api {
        self
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}
