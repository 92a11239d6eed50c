//! The Files API, for images above the inline limit: a resumable upload (start, then
//! upload+finalize), `files.get` polled with bounded backoff until the file is ACTIVE, and its
//! deletion — on every path, including failures and a caller that stops listening to a stream
//! (`UploadedFile`).
//!
//! The image is sent as the `Bytes` it came in (no copy, nothing to serialise). The API key is
//! not sent to the upload URL: that URL comes from the server's answer and is itself the
//! credential (as the Python SDK does).

use std::fmt;

use secrecy::SecretString;
use serde_json::json;
use tokio::time::Instant;

use super::{
    GenerationRequest,
    error::GeminiError,
    transport::{API_KEY_HEADER, GeminiClient, key_header, send},
    wire::{File, FileEnvelope, file_state},
};
use crate::backoff::Backoff;

const UPLOAD_URL_HEADER: &str = "x-goog-upload-url";
const UPLOAD_STATUS_HEADER: &str = "x-goog-upload-status";

impl GeminiClient {
    /// Uploads the image and waits until it is ACTIVE. On failure the file is already deleted.
    pub(super) async fn upload(
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
        // A poll loop rather than `backoff::retry`: a processing file is not an error, and a
        // failed `files.get` ends the wait at once.
        let backoff = Backoff::new(policy.first_delay, policy.max_delay);
        let mut polls = 1;
        loop {
            let delay = backoff.delay(polls);
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
            polls += 1;
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

    /// `name` is `files/<id>`.
    fn file_url(&self, name: &str) -> String {
        format!("{}/{}/{name}", self.base(), self.config.api_version)
    }
}

fn file_error(reason: &str) -> GeminiError {
    GeminiError::FileProcessing {
        reason: reason.to_owned(),
    }
}

/// An uploaded file that must be deleted. `delete` is the normal way; if the owner is dropped
/// without it (a cancelled generation), `Drop` deletes it from a spawned task.
pub(super) struct UploadedFile {
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
    pub(super) async fn delete(mut self) {
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
