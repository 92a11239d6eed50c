//! The GraphQL multipart request spec (`operations`, `map`, then the files) with real limits.
//!
//! async-graphql-axum's extractor reads multipart bodies without limits, and its
//! `max_num_files` does not count files. This reader enforces, while the body streams in:
//! the size of each file, the size of the request as a whole, the size of `operations` and
//! `map`, and the number of files (the entries of `map`, known before any file arrives). A
//! file is spooled to an anonymous temporary file as it arrives, so memory holds one chunk at a
//! time, and nothing beyond a limit is ever read.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use async_graphql::{BatchRequest, UploadValue};
use axum::body::{Body, BodyDataStream};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

/// The limits of one multipart request.
#[derive(Debug, Clone, Copy)]
pub struct MultipartLimits {
    /// Largest single file, in bytes.
    pub max_file_size: usize,
    /// Most files (entries of `map`).
    pub max_files: usize,
    /// Largest request body as a whole, in bytes.
    pub max_request_size: usize,
    /// Largest `operations` (and `map`) field, in bytes.
    pub max_operations_size: usize,
    /// Most operations in a batch (checked before any file is read).
    pub max_batch: usize,
}

/// Why a multipart request was refused.
#[derive(Debug)]
pub enum MultipartError {
    /// A limit was exceeded (413).
    TooLarge(String),
    /// The request does not follow the spec (400).
    Invalid(String),
    /// Spooling to a temporary file failed (500).
    Internal(anyhow::Error),
}

impl From<multer::Error> for MultipartError {
    fn from(err: multer::Error) -> Self {
        match err {
            multer::Error::FieldSizeExceeded { limit, field_name } => match field_name.as_deref() {
                Some(name @ ("operations" | "map")) => Self::TooLarge(format!(
                    "The multipart field `{name}` is larger than the limit of {}.",
                    bytes_text(limit)
                )),
                _ => Self::TooLarge(format!(
                    "The file is larger than the limit of {}.",
                    bytes_text(limit)
                )),
            },
            multer::Error::StreamSizeExceeded { limit } => Self::TooLarge(format!(
                "The request body is larger than the limit of {}.",
                bytes_text(limit)
            )),
            other => Self::Invalid(format!("The multipart body could not be read: {other}.")),
        }
    }
}

/// `20971520 bytes (20 MiB)`: exact for machines, readable for people.
fn bytes_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{bytes} bytes ({} MiB)", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{bytes} bytes ({} KiB)", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads a multipart body into a batch whose `Upload` variables hold the spooled files.
///
/// On a refusal the rest of the body is read and thrown away (see [`discard`]) so that the
/// client, still sending, receives the answer instead of a reset connection.
pub async fn read_batch(
    body: Body,
    content_type: &str,
    content_length: Option<u64>,
    limits: MultipartLimits,
) -> Result<BatchRequest, MultipartError> {
    let body = SharedBody::new(body);
    let result = read(body.clone(), content_type, content_length, limits).await;
    if result.is_err() {
        discard(body, limits).await;
    }
    result
}

/// Reads and drops what is left of a refused body, within bounds (as much again as a whole
/// request may hold, and a few seconds). Nothing is kept. Without this the server would close
/// the connection on unread data, the kernel would reset it, and a client still sending (curl,
/// a browser) would report a broken pipe instead of the 413 and its message. Past the bounds
/// the connection is given up.
pub async fn discard(body: impl Into<SharedBody>, limits: MultipartLimits) {
    let mut body = body.into();
    let budget = limits.max_request_size as u64;
    let _ = tokio::time::timeout(DISCARD_TIME, async {
        let mut seen = 0u64;
        while let Some(Ok(chunk)) = body.next().await {
            seen += chunk.len() as u64;
            if seen > budget {
                break;
            }
        }
    })
    .await;
}

const DISCARD_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// The request body, readable by the multipart parser and, after a refusal, by [`discard`].
#[derive(Clone)]
pub struct SharedBody(Arc<Mutex<BodyDataStream>>);

impl SharedBody {
    fn new(body: Body) -> Self {
        Self(Arc::new(Mutex::new(body.into_data_stream())))
    }
}

impl From<Body> for SharedBody {
    fn from(body: Body) -> Self {
        Self::new(body)
    }
}

impl Stream for SharedBody {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Never contended: the parser and `discard` take turns, one after the other.
        let mut stream = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        stream.poll_next_unpin(cx)
    }
}

async fn read(
    body: SharedBody,
    content_type: &str,
    content_length: Option<u64>,
    limits: MultipartLimits,
) -> Result<BatchRequest, MultipartError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        MultipartError::Invalid("The multipart Content-Type has no boundary.".into())
    })?;
    if content_length.is_some_and(|length| length > limits.max_request_size as u64) {
        // Refused before reading a byte.
        return Err(MultipartError::TooLarge(format!(
            "The request body is larger than the limit of {}.",
            bytes_text(limits.max_request_size as u64)
        )));
    }
    let size_limit = multer::SizeLimit::new()
        .whole_stream(limits.max_request_size as u64)
        .per_field(limits.max_file_size as u64)
        .for_field("operations", limits.max_operations_size as u64)
        .for_field("map", limits.max_operations_size as u64);
    let mut multipart = multer::Multipart::with_constraints(
        body,
        boundary,
        multer::Constraints::new().size_limit(size_limit),
    );

    // The spec's order: `operations`, then `map`, then the files.
    let invalid = |message: &str| MultipartError::Invalid(message.to_owned());
    let operations = multipart
        .next_field()
        .await?
        .filter(|field| field.name() == Some("operations"))
        .ok_or_else(|| invalid("The first multipart field must be `operations`."))?
        .bytes()
        .await?;
    let mut batch = super::request_body::parse(&operations)
        .map_err(|err| MultipartError::Invalid(format!("In `operations`: {err}")))?;
    if let BatchRequest::Batch(requests) = &batch
        && (requests.is_empty() || requests.len() > limits.max_batch)
    {
        return Err(MultipartError::Invalid(format!(
            "A batch must hold 1 to {} operations.",
            limits.max_batch
        )));
    }
    let map = multipart
        .next_field()
        .await?
        .filter(|field| field.name() == Some("map"))
        .ok_or_else(|| invalid("The second multipart field must be `map`."))?
        .bytes()
        .await?;
    let mut map: HashMap<String, Vec<String>> = serde_json::from_slice(&map).map_err(|err| {
        MultipartError::Invalid(format!(
            "`map` is not a JSON object of field names to lists of variable paths: {err}"
        ))
    })?;
    let paths: usize = map.values().map(Vec::len).sum();
    if map.len() > limits.max_files || paths > limits.max_files {
        return Err(MultipartError::TooLarge(format!(
            "A request may carry at most {} files.",
            limits.max_files
        )));
    }

    while let Some(mut field) = multipart.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        let Some(paths) = map.remove(&name) else {
            return Err(MultipartError::Invalid(format!(
                "The multipart field `{name}` is not named in `map` (or comes twice)."
            )));
        };
        let filename = field.file_name().unwrap_or_default().to_owned();
        // Like every other text input (`graphql::nul_text`): refused, not stored or cleaned.
        if filename.contains('\0') {
            return Err(MultipartError::Invalid(
                "The file name contains a NUL character (U+0000), which no text may hold.".into(),
            ));
        }
        let content_type = field.content_type().map(ToString::to_string);
        let spool = tokio::task::spawn_blocking(tempfile::tempfile)
            .await
            .map_err(|err| MultipartError::Internal(err.into()))?
            .map_err(|err| MultipartError::Internal(err.into()))?;
        // Buffered: each write to a tokio file is a trip to the blocking pool, and multipart
        // chunks are small.
        let mut spool =
            tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(spool));
        while let Some(chunk) = field.chunk().await? {
            spool
                .write_all(&chunk)
                .await
                .map_err(|err| MultipartError::Internal(err.into()))?;
        }
        spool
            .flush()
            .await
            .map_err(|err| MultipartError::Internal(err.into()))?;
        let mut file = spool.into_inner().into_std().await;
        std::io::Seek::rewind(&mut file).map_err(|err| MultipartError::Internal(err.into()))?;
        let upload = UploadValue {
            filename,
            content_type,
            content: file,
        };
        for path in paths {
            let upload = upload
                .try_clone()
                .map_err(|err| MultipartError::Internal(err.into()))?;
            attach(&mut batch, &path, upload)?;
        }
    }
    if let Some(missing) = map.keys().next() {
        return Err(MultipartError::Invalid(format!(
            "`map` names the file field `{missing}`, but the request has no such field."
        )));
    }
    Ok(batch)
}

/// Puts an upload where `path` points: `variables.file` in a single request, `0.variables.file`
/// in a batch.
fn attach(batch: &mut BatchRequest, path: &str, upload: UploadValue) -> Result<(), MultipartError> {
    let bad_path = || {
        MultipartError::Invalid(format!(
            "`map` names the path `{path}`, which is not a variable."
        ))
    };
    let (request, path) = match batch {
        BatchRequest::Single(request) => (request, path),
        BatchRequest::Batch(requests) => {
            let (index, rest) = path.split_once('.').ok_or_else(bad_path)?;
            let index: usize = index.parse().map_err(|_| bad_path())?;
            (requests.get_mut(index).ok_or_else(bad_path)?, rest)
        }
    };
    if !path.starts_with("variables.") {
        return Err(bad_path());
    }
    request.set_upload(path, upload);
    Ok(())
}
