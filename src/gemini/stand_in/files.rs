//! The Files API: resumable uploads (start, then upload / finalize / query / cancel on the
//! session URL), `files.get`, `files.list` and `files.delete`, and the File states.
//!
//! Files belong to the key that uploaded them, as they belong to a Cloud project at Google:
//! another key gets the same 403 as for a file that does not exist.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use axum::{body::Body, http::StatusCode, response::Response};
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    App, Incoming, errors::ApiError, faults::Fault, json_ok, request::camel_case_keys, require_key,
    sniff,
};
use crate::gemini::wire::{self, FileEnvelope, Status, file_state};

/// The fields a client may set on a new file.
const FILE_FIELDS: &[&str] = &[
    "name",
    "displayName",
    "mimeType",
    "sizeBytes",
    "createTime",
    "updateTime",
    "expirationTime",
    "sha256Hash",
    "uri",
    "downloadUri",
    "state",
    "source",
    "error",
    "videoMetadata",
];

/// What the service advertises as its chunk size for resumable uploads.
const CHUNK_GRANULARITY: &str = "8388608";

#[derive(Debug, Default)]
pub(crate) struct FileStore {
    files: HashMap<String, StoredFile>,
    sessions: HashMap<String, Session>,
}

impl FileStore {
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn count_owned_by(&self, key: &str) -> usize {
        self.files.values().filter(|file| file.owner == key).count()
    }

    /// The file `id` if `key` owns it.
    pub fn owned(&self, key: &str, id: &str) -> Option<&StoredFile> {
        self.files.get(id).filter(|file| file.owner == key)
    }
}

/// An upload in progress.
#[derive(Debug)]
struct Session {
    owner: String,
    name: String,
    display_name: Option<String>,
    mime_type: Option<String>,
    declared_size: Option<usize>,
    received: Vec<u8>,
    /// `http://host/v1beta`, for the file's `uri`.
    api_root: String,
}

#[derive(Debug)]
pub(crate) struct StoredFile {
    id: String,
    owner: String,
    display_name: Option<String>,
    mime_type: String,
    size: usize,
    sha256: String,
    created: Instant,
    created_at: DateTime<Utc>,
    /// The owner's fault (`file-failed`, `never-active`), fixed at upload.
    fault: Fault,
    /// An `image/*` file whose bytes are not an image fails processing.
    content_ok: bool,
    api_root: String,
}

impl StoredFile {
    pub fn mime_type(&self) -> &str {
        &self.mime_type
    }

    pub fn state(&self, active_delay: Duration) -> &'static str {
        if self.created.elapsed() < active_delay || self.fault == Fault::NeverActive {
            file_state::PROCESSING
        } else if self.fault == Fault::FileFailed || !self.content_ok {
            file_state::FAILED
        } else {
            file_state::ACTIVE
        }
    }

    fn to_wire(&self, active_delay: Duration) -> wire::File {
        let state = self.state(active_delay);
        let timestamp = |time: DateTime<Utc>| time.to_rfc3339_opts(SecondsFormat::Micros, true);
        wire::File {
            name: format!("files/{}", self.id),
            display_name: self.display_name.clone(),
            mime_type: Some(self.mime_type.clone()),
            size_bytes: Some(Value::String(self.size.to_string())),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.created_at)),
            expiration_time: Some(timestamp(self.created_at + chrono::Duration::hours(48))),
            sha256_hash: Some(self.sha256.clone()),
            uri: format!("{}/files/{}", self.api_root, self.id),
            state: state.to_owned(),
            source: Some("UPLOADED".into()),
            error: (state == file_state::FAILED).then(|| Status {
                code: 3,
                message: "The file could not be processed.".into(),
                ..Status::default()
            }),
        }
    }
}

/// `POST /upload/{v}/files`: starts a session, or (with `upload_id`) carries its bytes.
pub(crate) fn upload(app: &App, incoming: &Incoming, version: &str) -> Response {
    let result = match incoming.query_param("upload_id") {
        Some(upload_id) => upload_bytes(app, incoming, upload_id),
        None => start(app, incoming, version),
    };
    result.unwrap_or_else(|err| err.on_upload_route().into_response())
}

fn start(app: &App, incoming: &Incoming, version: &str) -> Result<Response, ApiError> {
    let key = require_key(incoming)?;
    let protocol = incoming
        .header("x-goog-upload-protocol")
        .unwrap_or_default();
    if !protocol.eq_ignore_ascii_case("resumable") {
        return Err(ApiError::invalid_argument(
            "The stand-in supports only resumable uploads (X-Goog-Upload-Protocol: resumable).",
        ));
    }
    let command = incoming.header("x-goog-upload-command").unwrap_or_default();
    if !command.eq_ignore_ascii_case("start") {
        return Err(ApiError::invalid_argument(
            "A resumable upload starts with X-Goog-Upload-Command: start.",
        ));
    }
    let metadata = file_metadata(incoming)?;
    let declared_size = match incoming.header("x-goog-upload-header-content-length") {
        Some(text) => Some(text.trim().parse::<usize>().map_err(|_| {
            ApiError::invalid_argument("X-Goog-Upload-Header-Content-Length is not a number.")
        })?),
        None => None,
    };
    let mime_type = incoming
        .header("x-goog-upload-header-content-type")
        .map(str::to_owned)
        .or_else(|| string_field(&metadata, "mimeType"));
    let host = incoming
        .header("host")
        .map(str::to_owned)
        .unwrap_or_else(|| app.local_addr.to_string());

    let mut store = app.files();
    let name = match string_field(&metadata, "name") {
        Some(name) => {
            let id = name.strip_prefix("files/").unwrap_or(&name).to_owned();
            if !valid_file_id(&id) {
                return Err(ApiError::invalid_argument(format!(
                    "Invalid file name \"{name}\": an id has at most 40 lowercase letters, digits or dashes."
                )));
            }
            if store.files.contains_key(&id) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("File files/{id} already exists."),
                ));
            }
            id
        }
        None => random_id(12),
    };
    let upload_id = random_id(32);
    store.sessions.insert(
        upload_id.clone(),
        Session {
            owner: key,
            name,
            display_name: string_field(&metadata, "displayName"),
            mime_type,
            declared_size,
            received: Vec::new(),
            api_root: format!("http://{host}/{version}"),
        },
    );
    let upload_url = format!(
        "http://{host}/upload/{version}/files?upload_id={upload_id}&upload_protocol=resumable"
    );
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("x-goog-upload-url", upload_url)
        .header("x-goog-upload-status", "active")
        .header("x-goog-upload-chunk-granularity", CHUNK_GRANULARITY)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Body::empty())
        .unwrap_or_default())
}

/// The optional `{"file": {...}}` body of a start request, camelCased.
fn file_metadata(incoming: &Incoming) -> Result<serde_json::Map<String, Value>, ApiError> {
    if incoming.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Default::default());
    }
    let Some(body) = incoming.json.clone().map(camel_case_keys) else {
        return Err(ApiError::invalid_argument(
            "Invalid JSON payload received. Unexpected token.",
        ));
    };
    let Some(root) = body.as_object() else {
        return Err(ApiError::invalid_argument(
            "Invalid JSON payload received. Expected an object.",
        ));
    };
    if let Some(unknown) = root.keys().find(|key| key.as_str() != "file") {
        return Err(ApiError::invalid_argument(format!(
            "Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field."
        )));
    }
    let file = root
        .get("file")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(unknown) = file.keys().find(|key| !FILE_FIELDS.contains(&key.as_str())) {
        return Err(ApiError::invalid_argument(format!(
            "Invalid JSON payload received. Unknown name \"{unknown}\" at 'file': Cannot find field."
        )));
    }
    Ok(file)
}

fn upload_bytes(app: &App, incoming: &Incoming, upload_id: &str) -> Result<Response, ApiError> {
    // No key needed: the upload URL is the credential (the Python SDK sends none here).
    let command = incoming
        .header("x-goog-upload-command")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let commands: Vec<&str> = command.split(',').map(str::trim).collect();
    let mut store = app.files();
    let Some(session) = store.sessions.get_mut(upload_id) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "The upload session does not exist or has ended.",
        ));
    };
    if commands.contains(&"cancel") {
        store.sessions.remove(upload_id);
        return Ok(upload_status("cancelled", 0));
    }
    if commands.contains(&"query") {
        let received = session.received.len();
        return Ok(upload_status("active", received));
    }
    if commands.contains(&"upload") {
        let offset = incoming
            .header("x-goog-upload-offset")
            .and_then(|offset| offset.trim().parse::<usize>().ok());
        if offset != Some(session.received.len()) {
            return Err(ApiError::invalid_argument(format!(
                "X-Goog-Upload-Offset must be {} (the bytes received so far).",
                session.received.len()
            )));
        }
        session.received.extend_from_slice(&incoming.body);
    }
    if !commands.contains(&"finalize") {
        if !commands.contains(&"upload") {
            return Err(ApiError::invalid_argument(
                "X-Goog-Upload-Command must be upload, finalize, query or cancel.",
            ));
        }
        let received = session.received.len();
        return Ok(upload_status("active", received));
    }
    if let Some(declared) = session.declared_size
        && declared != session.received.len()
    {
        return Err(ApiError::invalid_argument(format!(
            "The upload has {} bytes but X-Goog-Upload-Header-Content-Length said {declared}.",
            session.received.len()
        )));
    }
    let Some(session) = store.sessions.remove(upload_id) else {
        return Err(ApiError::internal());
    };
    let sniffed = sniff::image_mime(&session.received);
    let mime_type = session
        .mime_type
        .clone()
        .or_else(|| sniffed.map(str::to_owned))
        .unwrap_or_else(|| "application/octet-stream".into());
    let content_ok = !mime_type.starts_with("image/") || sniffed.is_some();
    let file = StoredFile {
        id: session.name.clone(),
        owner: session.owner.clone(),
        display_name: session.display_name,
        mime_type,
        size: session.received.len(),
        sha256: base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&session.received)),
        created: Instant::now(),
        created_at: Utc::now(),
        fault: Fault::from_key(&session.owner),
        content_ok,
        api_root: session.api_root,
    };
    let body = FileEnvelope {
        file: file.to_wire(app.config.file_active_delay),
    };
    store.files.insert(file.id.clone(), file);
    let mut response = json_ok(&body);
    response.headers_mut().insert(
        "x-goog-upload-status",
        "final".parse().expect("BUG: static header"),
    );
    Ok(response)
}

fn upload_status(status: &'static str, received: usize) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header("x-goog-upload-status", status)
        .header("x-goog-upload-size-received", received.to_string())
        .body(Body::empty())
        .unwrap_or_default()
}

/// `GET /{v}/files/{id}`.
pub(crate) fn get(app: &App, incoming: &Incoming, _version: &str, id: &str) -> Response {
    let result = require_key(incoming).and_then(|key| {
        let store = app.files();
        store
            .owned(&key, id)
            .map(|file| json_ok(&file.to_wire(app.config.file_active_delay)))
            .ok_or_else(|| ApiError::file_denied(id))
    });
    result.unwrap_or_else(ApiError::into_response)
}

/// `GET /{v}/files?pageSize=N&pageToken=T`: the key's files, oldest first.
pub(crate) fn list(app: &App, incoming: &Incoming) -> Response {
    let key = match require_key(incoming) {
        Ok(key) => key,
        Err(err) => return err.into_response(),
    };
    let page_size = incoming
        .query_param("pageSize")
        .and_then(|size| size.parse::<usize>().ok())
        .filter(|size| *size > 0)
        .unwrap_or(10)
        .min(100);
    let start = incoming
        .query_param("pageToken")
        .and_then(|token| token.parse::<usize>().ok())
        .unwrap_or(0);
    let store = app.files();
    let mut files: Vec<&StoredFile> = store.files.values().filter(|f| f.owner == key).collect();
    files.sort_by_key(|file| file.created);
    let page: Vec<wire::File> = files
        .iter()
        .skip(start)
        .take(page_size)
        .map(|file| file.to_wire(app.config.file_active_delay))
        .collect();
    let mut body = serde_json::Map::new();
    if !page.is_empty() {
        body.insert("files".into(), json!(page));
    }
    if start + page_size < files.len() {
        body.insert(
            "nextPageToken".into(),
            json!((start + page_size).to_string()),
        );
    }
    json_ok(&body)
}

/// `DELETE /{v}/files/{id}`: 200 with `{}`.
pub(crate) fn delete(app: &App, incoming: &Incoming, id: &str) -> Response {
    let result = require_key(incoming).and_then(|key| {
        let mut store = app.files();
        if store.owned(&key, id).is_none() {
            return Err(ApiError::file_denied(id));
        }
        store.files.remove(id);
        Ok(json_ok(&json!({})))
    });
    result.unwrap_or_else(ApiError::into_response)
}

fn string_field(object: &serde_json::Map<String, Value>, name: &str) -> Option<String> {
    object.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// Lowercase letters and digits (SDK-py extracts ids with `[a-z0-9]+`), dashes inside.
fn valid_file_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

/// A random id of lowercase letters and digits.
pub(crate) fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    // The OS generator failing is not worth a panic here: fall back to the clock.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = (nanos >> (index % 8 * 8)) as u8 ^ index as u8;
        }
    }
    bytes
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}
