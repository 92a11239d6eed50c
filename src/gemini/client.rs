//! `GeminiClient`: turns one image and the user's choices into a German video prompt.
//!
//! Small images travel inline (one request). Larger ones go through the Files API: a resumable
//! upload (start, then upload+finalize), `files.get` polled with bounded backoff until ACTIVE,
//! the generation, and the file's deletion — on every path, including failures and a caller
//! that stops listening to a stream (see `UploadedFile`).
//!
//! The API key is passed per call (each user has their own) and only ever travels in the
//! `x-goog-api-key` header, marked sensitive. It is not sent to the upload URL: that URL comes
//! from the server's answer and is itself the credential (as the Python SDK does).

use std::{fmt, sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::Stream;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::{sync::mpsc, time::Instant};
use tokio_stream::wrappers::ReceiverStream;

use super::{
    error::GeminiError,
    prompt,
    stream::{PromptExtractor, SseDecoder},
    wire::{
        Base64Bytes, Blob, Content, File, FileData, FileEnvelope, GenerateContentRequest,
        GenerateContentResponse, GenerationConfig, Part, file_state,
    },
};
use crate::domain::styles::{CameraStyle, FilmEffect};

const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-goog-api-key");
const UPLOAD_URL_HEADER: &str = "x-goog-upload-url";
const UPLOAD_STATUS_HEADER: &str = "x-goog-upload-status";

/// Finish reasons that mean the answer was withheld for safety or policy reasons.
const BLOCKING_FINISH_REASONS: [&str; 9] = [
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "LANGUAGE",
];

/// Where Gemini is and how the client talks to it.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// `https://generativelanguage.googleapis.com`, or a stand-in's address.
    pub base_url: String,
    /// `v1beta` (DESIGN's default), `v1` or `v1alpha`.
    pub api_version: String,
    /// The bare model id (`gemini-3.8-flash`).
    pub model: String,
    /// Longest wait for one request, its whole answer included (streamed or not).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Images up to this many bytes go inline; larger ones through the Files API.
    pub inline_limit: usize,
    pub file_poll: FilePollPolicy,
}

/// How `files.get` is polled until an uploaded file is ACTIVE.
#[derive(Debug, Clone, Copy)]
pub struct FilePollPolicy {
    /// The first wait; each next one doubles, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Give up (GEMINI_FILE_PROCESSING) after waiting this long in total.
    pub max_wait: Duration,
}

impl Default for GeminiConfig {
    fn default() -> Self {
        Self {
            base_url: "https://generativelanguage.googleapis.com".into(),
            api_version: "v1beta".into(),
            model: "gemini-3.8-flash".into(),
            request_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            // The server's upload limit: every accepted image fits inline by default (the
            // service takes requests up to 100 MB; base64 grows the bytes by 4/3).
            inline_limit: 20 << 20,
            file_poll: FilePollPolicy::default(),
        }
    }
}

impl GeminiConfig {
    /// The client settings from the server's command line.
    pub fn from_serve_args(args: &crate::config::ServeArgs) -> Self {
        Self {
            base_url: args.gemini_base_url.clone(),
            api_version: args.gemini_api_version.clone(),
            model: args.gemini_model.clone(),
            request_timeout: args.gemini_timeout,
            inline_limit: args.gemini_inline_limit,
            file_poll: FilePollPolicy {
                max_wait: args.gemini_file_wait,
                ..FilePollPolicy::default()
            },
            ..Self::default()
        }
    }
}

impl Default for FilePollPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// One image and what the user chose for it.
#[derive(Debug, Clone)]
pub struct GenerationRequest {
    /// The image bytes (`Bytes`, so the upload and retries share them without copying).
    pub image: Bytes,
    /// The image's sniffed MIME type (`image/png`, `image/jpeg`, `image/webp`, `image/heic`).
    pub mime_type: String,
    pub camera_style: CameraStyle,
    pub film_effect: FilmEffect,
    pub notes: Option<String>,
}

/// A finished generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub prompt: String,
    pub details: PromptDetails,
    /// `modelVersion`: the model that actually answered.
    pub model_version: Option<String>,
    pub prompt_tokens: Option<u32>,
    pub output_tokens: Option<u32>,
    pub finish_reason: Option<String>,
}

/// The answer's fields besides the prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptDetails {
    pub scene: String,
    pub camera: String,
    pub lighting: String,
    pub mood: String,
    pub effects: String,
}

/// What a streamed generation yields.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// The prompt text so far; each event is longer than the one before.
    Prompt(String),
    /// The whole answer; the last event.
    Done(Generation),
}

/// The JSON answer the schema asks for.
#[derive(Deserialize)]
struct Output {
    prompt: String,
    #[serde(flatten)]
    details: PromptDetails,
}

#[derive(Clone)]
pub struct GeminiClient {
    http: reqwest::Client,
    config: Arc<GeminiConfig>,
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

    /// Generates the prompt in one request and waits for the whole answer.
    #[tracing::instrument(skip_all, fields(model = %self.config.model, bytes = request.image.len()))]
    pub async fn generate(
        &self,
        key: &SecretString,
        request: &GenerationRequest,
    ) -> Result<Generation, GeminiError> {
        let (image, file) = self.image_part(key, request).await?;
        let body = self.request_body(request, image);
        let result = self.generate_content(key, &body).await;
        if let Some(file) = file {
            file.delete().await;
        }
        result
    }

    /// Generates the prompt as a stream: the growing prompt text, then the whole answer.
    ///
    /// The work runs on its own task; dropping the stream stops it (and still deletes an
    /// uploaded file).
    pub fn generate_stream(
        &self,
        key: SecretString,
        request: GenerationRequest,
    ) -> impl Stream<Item = Result<StreamEvent, GeminiError>> + Send + 'static {
        let (tx, rx) = mpsc::channel(16);
        let client = self.clone();
        tokio::spawn(async move {
            let outcome = client.run_stream(&key, &request, &tx).await;
            let last = match outcome {
                Ok(Some(generation)) => Ok(StreamEvent::Done(generation)),
                Ok(None) => return, // nobody is listening any more
                Err(err) => Err(err),
            };
            let _ = tx.send(last).await;
        });
        ReceiverStream::new(rx)
    }

    async fn run_stream(
        &self,
        key: &SecretString,
        request: &GenerationRequest,
        tx: &mpsc::Sender<Result<StreamEvent, GeminiError>>,
    ) -> Result<Option<Generation>, GeminiError> {
        let (image, file) = self.image_part(key, request).await?;
        let body = self.request_body(request, image);
        let result = self.stream_content(key, &body, tx).await;
        if let Some(file) = file {
            file.delete().await;
        }
        result
    }

    fn request_body(&self, request: &GenerationRequest, image: Part) -> GenerateContentRequest {
        let message = prompt::user_message(
            request.camera_style,
            request.film_effect,
            request.notes.as_deref(),
        );
        GenerateContentRequest {
            // Image first, then the text: Google's advice for single-image prompts.
            contents: vec![Content {
                role: Some("user".into()),
                parts: vec![image, Part::text(message)],
            }],
            system_instruction: Some(Content {
                role: None,
                parts: vec![Part::text(prompt::system_instruction())],
            }),
            generation_config: Some(GenerationConfig {
                response_mime_type: Some("application/json".into()),
                response_schema: Some(prompt::response_schema()),
                temperature: None,
            }),
        }
    }

    /// The image as a part: inline, or uploaded (then the file comes back to be deleted).
    async fn image_part(
        &self,
        key: &SecretString,
        request: &GenerationRequest,
    ) -> Result<(Part, Option<UploadedFile>), GeminiError> {
        if request.image.len() <= self.config.inline_limit {
            let part = Part {
                inline_data: Some(Blob {
                    mime_type: request.mime_type.clone(),
                    data: Base64Bytes(request.image.clone()),
                }),
                ..Part::default()
            };
            return Ok((part, None));
        }
        let (file, uploaded) = self.upload(key, request).await?;
        let part = Part {
            file_data: Some(FileData {
                mime_type: Some(file.mime_type.unwrap_or_else(|| request.mime_type.clone())),
                file_uri: file.uri,
            }),
            ..Part::default()
        };
        Ok((part, Some(uploaded)))
    }

    /// Uploads the image and waits until it is ACTIVE. On failure the file is already deleted.
    async fn upload(
        &self,
        key: &SecretString,
        request: &GenerationRequest,
    ) -> Result<(File, UploadedFile), GeminiError> {
        let start = self
            .http
            .post(format!(
                "{}/upload/{}/files",
                self.base(),
                self.config.api_version
            ))
            .header(API_KEY_HEADER, key_header(key)?)
            .header("x-goog-upload-protocol", "resumable")
            .header("x-goog-upload-command", "start")
            .header(
                "x-goog-upload-header-content-length",
                request.image.len().to_string(),
            )
            .header("x-goog-upload-header-content-type", &request.mime_type)
            .json(&json!({ "file": { "displayName": "videoprompt image" } }));
        let started = send(start).await?;
        let session_url = started
            .headers()
            .get(UPLOAD_URL_HEADER)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| file_error("the upload was not started: no upload URL came back"))?
            .to_owned();

        let finalize = self
            .http
            .post(session_url)
            .header("x-goog-upload-command", "upload, finalize")
            .header("x-goog-upload-offset", "0")
            .body(request.image.clone());
        let finalized = send(finalize).await?;
        let status = finalized
            .headers()
            .get(UPLOAD_STATUS_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if !status.eq_ignore_ascii_case("final") {
            return Err(file_error("the upload was not finalized"));
        }
        let body = finalized
            .bytes()
            .await
            .map_err(|err| GeminiError::from_transport(&err))?;
        let file = serde_json::from_slice::<FileEnvelope>(&body)
            .map_err(|_| file_error("the upload's answer did not describe the file"))?
            .file;
        let uploaded = UploadedFile {
            client: self.clone(),
            key: key.clone(),
            name: file.name.clone(),
            deleted: false,
        };
        match self.wait_until_active(key, file).await {
            Ok(file) => Ok((file, uploaded)),
            Err(err) => {
                uploaded.delete().await;
                Err(err)
            }
        }
    }

    /// Polls `files.get` with doubling delays until ACTIVE, FAILED, or the wait runs out.
    async fn wait_until_active(
        &self,
        key: &SecretString,
        mut file: File,
    ) -> Result<File, GeminiError> {
        let policy = self.config.file_poll;
        let deadline = Instant::now() + policy.max_wait;
        let mut delay = policy.first_delay;
        loop {
            match file.state.as_str() {
                file_state::ACTIVE => return Ok(file),
                file_state::FAILED => {
                    let reason = file
                        .error
                        .map(|status| status.message)
                        .unwrap_or_else(|| "the file's processing failed".into());
                    return Err(file_error(&reason));
                }
                _ => {}
            }
            if Instant::now() + delay > deadline {
                return Err(file_error(&format!(
                    "the file was not ACTIVE after {:?}",
                    policy.max_wait
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(policy.max_delay);
            file = self.get_file(key, &file.name).await?;
        }
    }

    async fn get_file(&self, key: &SecretString, name: &str) -> Result<File, GeminiError> {
        let request = self
            .http
            .get(self.file_url(name))
            .header(API_KEY_HEADER, key_header(key)?);
        let body = send(request)
            .await?
            .bytes()
            .await
            .map_err(|err| GeminiError::from_transport(&err))?;
        serde_json::from_slice(&body).map_err(|_| file_error("files.get answered something else"))
    }

    async fn delete_file(&self, key: &SecretString, name: &str) -> Result<(), GeminiError> {
        let request = self
            .http
            .delete(self.file_url(name))
            .header(API_KEY_HEADER, key_header(key)?);
        send(request).await.map(drop)
    }

    async fn generate_content(
        &self,
        key: &SecretString,
        body: &GenerateContentRequest,
    ) -> Result<Generation, GeminiError> {
        let request = self
            .http
            .post(self.model_url("generateContent"))
            .header(API_KEY_HEADER, key_header(key)?)
            .header(CONTENT_TYPE, "application/json")
            .body(json_body(body)?);
        let bytes = send(request)
            .await?
            .bytes()
            .await
            .map_err(|err| GeminiError::from_transport(&err))?;
        let response: GenerateContentResponse =
            serde_json::from_slice(&bytes).map_err(|err| GeminiError::BadOutput {
                reason: format!("the response was not a GenerateContentResponse: {err}"),
            })?;
        interpret(&response.text(), &response, response.finish_reason())
    }

    /// Reads an SSE answer, sending the growing prompt; `None` when the receiver went away.
    async fn stream_content(
        &self,
        key: &SecretString,
        body: &GenerateContentRequest,
        tx: &mpsc::Sender<Result<StreamEvent, GeminiError>>,
    ) -> Result<Option<Generation>, GeminiError> {
        let request = self
            .http
            .post(format!(
                "{}?alt=sse",
                self.model_url("streamGenerateContent")
            ))
            .header(API_KEY_HEADER, key_header(key)?)
            .header(CONTENT_TYPE, "application/json")
            .body(json_body(body)?);
        let mut response = send(request).await?;
        let mut decoder = SseDecoder::new();
        let mut state = StreamState::default();
        loop {
            // Stop at once when the caller drops the stream, not only at the next event.
            let chunk = tokio::select! {
                chunk = response.chunk() => chunk.map_err(|err| GeminiError::from_transport(&err))?,
                () = tx.closed() => return Ok(None),
            };
            let events = match &chunk {
                Some(bytes) => decoder.push(bytes),
                None => decoder.finish().into_iter().collect(),
            };
            for data in events {
                if let Some(prompt) = state.apply(&data)?
                    && tx.send(Ok(StreamEvent::Prompt(prompt))).await.is_err()
                {
                    return Ok(None);
                }
            }
            if chunk.is_none() {
                break;
            }
        }
        state.finish().map(Some)
    }

    fn base(&self) -> &str {
        self.config.base_url.trim_end_matches('/')
    }

    fn model_url(&self, method: &str) -> String {
        format!(
            "{}/{}/models/{}:{method}",
            self.base(),
            self.config.api_version,
            self.config.model
        )
    }

    /// `name` is `files/<id>`.
    fn file_url(&self, name: &str) -> String {
        format!("{}/{}/{name}", self.base(), self.config.api_version)
    }
}

/// What a stream has delivered so far.
#[derive(Default)]
struct StreamState {
    text: String,
    extractor: PromptExtractor,
    last: GenerateContentResponse,
    finish_reason: Option<String>,
}

impl StreamState {
    /// Applies one event; returns the prompt so far when it grew.
    fn apply(&mut self, data: &str) -> Result<Option<String>, GeminiError> {
        let event: GenerateContentResponse =
            serde_json::from_str(data).map_err(|err| GeminiError::BadOutput {
                reason: format!("a stream event was not a GenerateContentResponse: {err}"),
            })?;
        if let Some(status) = &event.error {
            let code = u16::try_from(status.code).unwrap_or(500);
            return Err(GeminiError::from_status(code, status));
        }
        if let Some(reason) = event
            .prompt_feedback
            .as_ref()
            .and_then(|feedback| feedback.block_reason.as_deref())
        {
            return Err(GeminiError::Blocked {
                reason: format!("blockReason {reason}"),
            });
        }
        let piece = event.text();
        if let Some(reason) = event.finish_reason() {
            self.finish_reason = Some(reason.to_owned());
        }
        // Usage is cumulative and the model version repeated: the last event's count.
        self.last.usage_metadata = event.usage_metadata.or(self.last.usage_metadata);
        self.last.model_version = event.model_version.or(self.last.model_version.take());
        if !event.candidates.is_empty() {
            self.last.candidates = event.candidates;
        }
        self.text.push_str(&piece);
        Ok(self
            .extractor
            .push(&piece)
            .then(|| self.extractor.prompt().to_owned()))
    }

    fn finish(self) -> Result<Generation, GeminiError> {
        let Some(reason) = self.finish_reason.clone() else {
            return Err(GeminiError::Unavailable {
                status: 0,
                message: "the stream ended before the answer was complete".into(),
                retry_after: None,
            });
        };
        interpret(&self.text, &self.last, Some(&reason))
    }
}

/// Turns a complete answer into a `Generation`, or the reason it is not one.
fn interpret(
    text: &str,
    response: &GenerateContentResponse,
    finish_reason: Option<&str>,
) -> Result<Generation, GeminiError> {
    if let Some(reason) = response
        .prompt_feedback
        .as_ref()
        .and_then(|feedback| feedback.block_reason.as_deref())
    {
        return Err(GeminiError::Blocked {
            reason: format!("blockReason {reason}"),
        });
    }
    if response.candidates.is_empty() {
        return Err(GeminiError::BadOutput {
            reason: "the answer had no candidates".into(),
        });
    }
    if let Some(reason) = finish_reason.filter(|r| BLOCKING_FINISH_REASONS.contains(r)) {
        return Err(GeminiError::Blocked {
            reason: format!("finishReason {reason}"),
        });
    }
    let output: Output = serde_json::from_str(text).map_err(|err| GeminiError::BadOutput {
        reason: format!(
            "{err} (finishReason {})",
            finish_reason.unwrap_or("missing")
        ),
    })?;
    if output.prompt.trim().is_empty() {
        return Err(GeminiError::BadOutput {
            reason: "the prompt was empty".into(),
        });
    }
    let usage = response.usage_metadata.unwrap_or_default();
    Ok(Generation {
        prompt: output.prompt,
        details: output.details,
        model_version: response.model_version.clone(),
        prompt_tokens: usage.prompt_token_count,
        output_tokens: usage.candidates_token_count,
        finish_reason: finish_reason.map(str::to_owned),
    })
}

/// Serialises a request body in one buffer sized up front: with an inline image the body is
/// megabytes, and letting the buffer grow by doubling would copy it several times.
fn json_body(body: &GenerateContentRequest) -> Result<Vec<u8>, GeminiError> {
    let inline_bytes: usize = body
        .contents
        .iter()
        .flat_map(|content| &content.parts)
        .filter_map(|part| part.inline_data.as_ref())
        .map(|blob| blob.data.0.len().div_ceil(3) * 4)
        .sum();
    let mut buffer = Vec::with_capacity(inline_bytes + 16 * 1024);
    serde_json::to_writer(&mut buffer, body).map_err(|err| GeminiError::Rejected {
        status: 0,
        code: "SERIALIZE".into(),
        message: err.to_string(),
    })?;
    Ok(buffer)
}

/// Sends a request; anything but a success status becomes a typed error from its body.
async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, GeminiError> {
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
fn key_header(key: &SecretString) -> Result<HeaderValue, GeminiError> {
    let mut value = HeaderValue::from_str(key.expose_secret()).map_err(|_| GeminiError::Auth {
        message: "the stored API key has characters an HTTP header cannot carry".into(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

fn file_error(reason: &str) -> GeminiError {
    GeminiError::FileProcessing {
        reason: reason.to_owned(),
    }
}

/// An uploaded file that must be deleted. `delete` is the normal way; if the owner is dropped
/// without it (a cancelled generation), `Drop` deletes it from a spawned task.
struct UploadedFile {
    client: GeminiClient,
    key: SecretString,
    name: String,
    deleted: bool,
}

impl fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadedFile")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl UploadedFile {
    /// Deletes the file; a failure is logged, not returned: the generation's outcome stands,
    /// and Google removes files after 48 hours anyway.
    async fn delete(mut self) {
        self.deleted = true;
        if let Err(err) = self.client.delete_file(&self.key, &self.name).await {
            tracing::warn!(file = %self.name, error = %err, "could not delete an uploaded file");
        }
    }
}

impl Drop for UploadedFile {
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let file = UploadedFile {
            client: self.client.clone(),
            key: self.key.clone(),
            name: std::mem::take(&mut self.name),
            deleted: false,
        };
        self.deleted = true;
        runtime.spawn(file.delete());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str, finish: Option<&str>) -> String {
        serde_json::json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": finish, "index": 0}],
            "usageMetadata": {"promptTokenCount": 300, "candidatesTokenCount": 7, "totalTokenCount": 307},
            "modelVersion": "gemini-3.8-flash"
        })
        .to_string()
    }

    #[test]
    fn stream_events_build_the_answer_and_the_growing_prompt() {
        let mut state = StreamState::default();
        assert_eq!(
            state.apply(&event("{\"prompt\": \"Ein ", None)).ok(),
            Some(Some("Ein ".into()))
        );
        assert_eq!(
            state
                .apply(&event("Karren\", \"scene\": \"s\", ", None))
                .ok(),
            Some(Some("Ein Karren".into()))
        );
        let rest = "\"camera\": \"c\", \"lighting\": \"l\", \"mood\": \"m\", \"effects\": \"e\"}";
        assert_eq!(state.apply(&event(rest, Some("STOP"))).ok(), Some(None));
        let generation = state.finish().expect("complete");
        assert_eq!(generation.prompt, "Ein Karren");
        assert_eq!(generation.details.effects, "e");
        assert_eq!(generation.prompt_tokens, Some(300));
        assert_eq!(generation.output_tokens, Some(7));
    }

    #[test]
    fn an_error_inside_a_stream_is_typed() {
        let mut state = StreamState::default();
        let error = r#"{"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}"#;
        let err = state.apply(error).expect_err("an error event");
        assert!(
            matches!(err, GeminiError::Unavailable { status: 503, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_stream_without_a_finish_reason_broke_off() {
        let mut state = StreamState::default();
        let _ = state.apply(&event("{\"prompt\": \"Ein", None));
        let err = state.finish().expect_err("incomplete");
        assert!(err.is_retryable());
    }

    #[test]
    fn a_finish_reason_of_safety_is_blocked() {
        let mut state = StreamState::default();
        let _ = state.apply(&event("", Some("SAFETY")));
        let err = state.finish().expect_err("blocked");
        assert_eq!(
            err.failure_code(),
            crate::domain::failure_code::FailureCode::GeminiBlocked
        );
    }
}
