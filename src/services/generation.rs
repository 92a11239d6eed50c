//! The attempt itself, the runner's `Handler`: one record's image and choices sent to Gemini,
//! its answer turned into an `Attempt` for the runner. Uses the streaming call, so the prompt can be shown as it grows.
//!
//! Failures are sorted here: a missing key or a refused request is final; an error reading
//! the database or the image store is worth another try (the runner counts it against the
//! attempts, so a lasting fault still ends `FAILED`).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use entity::{image, video_prompt};
use futures_util::StreamExt;
use sea_orm::{DatabaseConnection, EntityTrait};
use tokio_util::sync::CancellationToken;

use super::gemini_keys::GeminiKeys;
use crate::{
    domain::{
        failure_code::FailureCode,
        styles::{CameraStyle, FilmEffect},
    },
    error::AppError,
    gemini::{GeminiClient, GenerationRequest, StreamEvent},
    image_files::ImageStore,
    jobs::{
        Progress,
        runner::{Attempt, Handler},
    },
};

/// Shortest time between two progress updates of one record.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Runs attempts through Gemini.
pub struct GeminiHandler {
    pub db: DatabaseConnection,
    pub keys: GeminiKeys,
    pub client: GeminiClient,
    pub store: ImageStore,
    /// Where the prompt goes while it grows (at most every `PROGRESS_INTERVAL`).
    pub progress: Progress,
}

impl GeminiHandler {
    async fn image_bytes(&self, image: &image::Model) -> anyhow::Result<Bytes> {
        self.store
            .read(&image.storage_key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the bytes of image {} are missing", image.id))
    }
}

fn failed(code: FailureCode, message: impl Into<String>) -> Attempt {
    Attempt::Failed {
        code,
        message: message.into(),
    }
}

fn retryable_internal(message: impl Into<String>) -> Attempt {
    Attempt::Retryable {
        code: FailureCode::Internal,
        message: message.into(),
        retry_after: None,
    }
}

#[async_trait]
impl Handler for GeminiHandler {
    async fn run(&self, job: &video_prompt::Model, cancel: CancellationToken) -> Attempt {
        let key = match self.keys.load_key(job.user_id).await {
            Ok(key) => key,
            Err(AppError::GeminiApiKeyMissing) => {
                return failed(
                    FailureCode::GeminiApiKeyMissing,
                    "No Gemini API key is stored for this account; set one with setGeminiApiKey.",
                );
            }
            Err(err) => {
                tracing::error!(id = %job.id, error = ?err, "loading the Gemini key failed");
                return retryable_internal("The Gemini key could not be read.");
            }
        };
        let (Some(camera_style), Some(film_effect)) = (
            CameraStyle::parse(&job.camera_style),
            FilmEffect::parse(&job.film_effect),
        ) else {
            return failed(
                FailureCode::Internal,
                "The record holds an unknown style or effect.",
            );
        };
        let image = match image::Entity::find_by_id(job.image_id).one(&self.db).await {
            Ok(Some(image)) => image,
            Ok(None) => return failed(FailureCode::Internal, "The image no longer exists."),
            Err(err) => {
                tracing::error!(id = %job.id, error = %err, "loading the image row failed");
                return retryable_internal("The image could not be read.");
            }
        };
        let bytes = match self.image_bytes(&image).await {
            Ok(bytes) => bytes,
            Err(err) => {
                tracing::error!(id = %job.id, error = ?err, "loading the image bytes failed");
                return retryable_internal("The image could not be read.");
            }
        };
        let request = GenerationRequest {
            image: bytes,
            mime_type: image.mime_type.clone(),
            camera_style,
            film_effect,
            notes: job.notes.clone(),
        };

        // Dropping the stream (on cancel) stops the call and deletes an uploaded file.
        let mut stream = Box::pin(self.client.generate_stream(key, request));
        let mut last_progress: Option<Instant> = None;
        loop {
            let event = tokio::select! {
                () = cancel.cancelled() => return Attempt::Aborted,
                event = stream.next() => event,
            };
            match event {
                Some(Ok(StreamEvent::Prompt(text))) => {
                    // At most ten updates a second per record: each goes to every subscriber,
                    // and the COMPLETED event brings the whole text anyway.
                    if last_progress.is_none_or(|at| at.elapsed() >= PROGRESS_INTERVAL) {
                        last_progress = Some(Instant::now());
                        self.progress.prompt_so_far(job, &text).await;
                    }
                }
                Some(Ok(StreamEvent::Done(generation))) => {
                    return Attempt::Completed {
                        prompt: generation.prompt,
                        details: serde_json::to_value(&generation.details)
                            .unwrap_or(serde_json::Value::Null),
                        model: generation.model_version,
                        prompt_tokens: generation.prompt_tokens.and_then(|n| i32::try_from(n).ok()),
                        output_tokens: generation.output_tokens.and_then(|n| i32::try_from(n).ok()),
                    };
                }
                Some(Err(err)) if err.is_retryable() => {
                    return Attempt::Retryable {
                        code: err.failure_code(),
                        message: err.to_string(),
                        retry_after: err.retry_after(),
                    };
                }
                Some(Err(err)) => return failed(err.failure_code(), err.to_string()),
                None => {
                    return Attempt::Retryable {
                        code: FailureCode::GeminiUnavailable,
                        message: "The answer from Gemini broke off.".into(),
                        retry_after: None,
                    };
                }
            }
        }
    }
}
