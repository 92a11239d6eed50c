//! The Gemini stand-in: a small axum app that speaks Gemini's REST wire format
//! (`docs/gemini-api.md`) on loopback, for tests, the offline demo and front-end developers.
//! It is not Google's service and never pretends to be smarter than it is: its answers are
//! German JSON built from the request, so a test can tell a right request from a wrong one.
//!
//! - `files`: resumable uploads, `files.get` / `list` / `delete`, the File states.
//! - `generate`: `generateContent` and `streamGenerateContent?alt=sse`.
//! - `request`: validating a request body the way the service does (camelCase or snake_case).
//! - `answer`: the German answer that follows the requested schema.
//! - `faults`: faults chosen by the API key (`fault:rate-limit:2`, …), counted per key.
//! - `errors`: the service's error bodies.
//! - `sniff`: is it really an image (magic bytes)?
//!
//! Every request is recorded (method, path, headers, body) so tests can assert what a client
//! sent. `StandIn::spawn` runs it in-process on a random port; `serve` backs the
//! `videoprompt gemini-stand-in` command.

mod answer;
mod errors;
mod faults;
mod files;
mod generate;
mod request;
mod sniff;

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode},
    response::Response,
    serve::ListenerExt,
};
use bytes::Bytes;
use serde_json::Value;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use self::{
    errors::ApiError,
    faults::{Fault, Faults},
    files::FileStore,
};

/// The API versions the stand-in answers under, as the service does.
pub const API_VERSIONS: [&str; 3] = ["v1beta", "v1", "v1alpha"];

/// Largest request body accepted (the service's inline limit is 100 MB).
const MAX_BODY: usize = 110 << 20;

/// How the stand-in behaves.
#[derive(Debug, Clone)]
pub struct StandInConfig {
    /// Added before every answer.
    pub latency: Duration,
    /// How long an uploaded file stays PROCESSING before it is ACTIVE.
    pub file_active_delay: Duration,
    /// How long a streamed answer takes from its first chunk to its last, cut into more
    /// chunks so that a watcher sees the prompt grow (`serve --demo`); zero: all at once.
    pub stream_duration: Duration,
}

impl Default for StandInConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            file_active_delay: Duration::from_millis(300),
            stream_duration: Duration::ZERO,
        }
    }
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// The path without the query (`/v1beta/models/gemini-3.8-flash:generateContent`).
    pub path: String,
    pub query: Option<String>,
    /// Every header, names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
}

impl RecordedRequest {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// A query parameter's value.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        query_param(self.query.as_deref(), name)
    }

    /// `POST /v1beta/models/m:generateContent` → `generateContent`; `files.get` → `get` etc.
    pub fn method_name(&self) -> Option<&str> {
        self.path.rsplit_once(':').map(|(_, method)| method)
    }
}

/// Shared state of one running stand-in.
pub(crate) struct App {
    config: StandInConfig,
    local_addr: SocketAddr,
    requests: Mutex<Vec<RecordedRequest>>,
    files: Mutex<FileStore>,
    faults: Mutex<Faults>,
    /// Streamed answers whose client went away before the end (a cancelled call).
    abandoned_streams: std::sync::atomic::AtomicUsize,
}

impl App {
    fn files(&self) -> MutexGuard<'_, FileStore> {
        // A poisoned lock only means a handler panicked; the data is still usable.
        self.files
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn requests(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.requests
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// A stand-in running in this process (tests). Dropping it stops it.
pub struct StandIn {
    app: Arc<App>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn").field("addr", &self.addr).finish()
    }
}

impl StandIn {
    /// Starts a stand-in on `127.0.0.1` and a free port.
    pub async fn spawn(config: StandInConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = new_app(config, addr);
        let (stop, stopped) = oneshot::channel();
        let router = router(app.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener.tap_io(no_delay), router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            app,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`: what a client takes as its base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.app.requests().clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.app.requests().clear();
    }

    /// How many answers were still being sent when their client went away (a call aborted
    /// midway, e.g. by a cancel).
    pub fn abandoned_streams(&self) -> usize {
        self.app
            .abandoned_streams
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many uploaded files exist (not yet deleted), for every key.
    pub fn files_held(&self) -> usize {
        self.app.files().len()
    }

    /// How many uploaded files the given key holds.
    pub fn files_held_by(&self, key: &str) -> usize {
        self.app.files().count_owned_by(key)
    }

    /// Stops serving and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves the stand-in on `listener` until `shutdown` completes (the CLI command).
pub async fn serve(
    listener: TcpListener,
    config: StandInConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let app = new_app(config, addr);
    axum::serve(listener.tap_io(no_delay), router(app))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A streamed answer is written frame by frame: with Nagle's algorithm on, every frame after
/// the first waits for the client's delayed ACK (40 ms on Linux), which made each streamed
/// answer ~45 ms slower than the stand-in's configured latency.
fn no_delay(stream: &mut tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
}

fn new_app(config: StandInConfig, local_addr: SocketAddr) -> Arc<App> {
    Arc::new(App {
        config,
        local_addr,
        requests: Mutex::default(),
        files: Mutex::default(),
        faults: Mutex::default(),
        abandoned_streams: Default::default(),
    })
}

/// One handler for everything: the paths (`models/m:generateContent`, `?upload_id=`) do not
/// fit a router's patterns well, and one place records every request the same way.
fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

/// What a route needs to know about the request.
pub(crate) struct Incoming {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub json: Option<Value>,
}

impl Incoming {
    /// The API key, from the header or the `key` query parameter.
    pub fn api_key(&self) -> Option<String> {
        self.headers
            .get("x-goog-api-key")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .or_else(|| query_param(self.query.as_deref(), "key").map(str::to_owned))
            .filter(|key| !key.is_empty())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        query_param(self.query.as_deref(), name)
    }
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return ApiError::invalid_argument("Request payload size exceeds the limit.")
                .into_response();
        }
    };
    let json = serde_json::from_slice::<Value>(&body).ok();
    let incoming = Incoming {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
        json,
    };
    app.requests().push(RecordedRequest {
        method: incoming.method.to_string(),
        path: incoming.path.clone(),
        query: incoming.query.clone(),
        headers: incoming
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: incoming.body.clone(),
        json: incoming.json.clone(),
    });
    if !app.config.latency.is_zero() {
        tokio::time::sleep(app.config.latency).await;
    }
    route(&app, incoming).await
}

async fn route(app: &Arc<App>, incoming: Incoming) -> Response {
    let path = incoming.path.trim_start_matches('/').to_owned();
    let segments: Vec<&str> = path.split('/').collect();
    let method = incoming.method.clone();
    match (method, segments.as_slice()) {
        (Method::POST, ["upload", version, "files"]) if is_version(version) => {
            files::upload(app, &incoming, version)
        }
        (Method::GET, [version, "files"]) if is_version(version) => files::list(app, &incoming),
        (Method::GET, [version, "files", id]) if is_version(version) => {
            files::get(app, &incoming, version, id)
        }
        (Method::DELETE, [version, "files", id]) if is_version(version) => {
            files::delete(app, &incoming, id)
        }
        (Method::POST, [version, "models", model_method]) if is_version(version) => {
            match model_method.rsplit_once(':') {
                Some((model, "generateContent")) => {
                    generate::generate(app, &incoming, model, false).await
                }
                Some((model, "streamGenerateContent")) => {
                    generate::generate(app, &incoming, model, true).await
                }
                _ => not_found(&incoming.path),
            }
        }
        _ => not_found(&incoming.path),
    }
}

fn not_found(path: &str) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("The requested URL {path} was not found on this server."),
    )
    .into_response()
}

fn is_version(segment: &str) -> bool {
    API_VERSIONS.contains(&segment)
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A successful JSON answer: always 200 (the Python SDK treats anything else as an error).
pub(crate) fn json_ok(value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec_pretty(value).unwrap_or_else(|_| b"{}".to_vec());
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json; charset=UTF-8")
        .body(Body::from(body))
        .unwrap_or_default()
}

/// The caller's key, for routes that need one: missing → 403, `fault:invalid-key` → 400.
pub(crate) fn require_key(incoming: &Incoming) -> Result<String, ApiError> {
    let key = incoming.api_key().ok_or_else(ApiError::missing_key)?;
    if Fault::from_key(&key) == Fault::InvalidKey {
        return Err(ApiError::invalid_key());
    }
    Ok(key)
}
