//! Video prompts in the schema: the `VideoPrompt` type, `videoPrompt(id)`, and the mutations
//! `generateVideoPrompt`, `cancelVideoPrompt` and `retryVideoPrompt`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{sea_orm_active_enums, video_prompt};

use super::{
    context::ContextExt,
    ids::{parse_id, to_id},
    images::Image,
    loaders::ImageLoader,
};
use crate::{
    domain::styles::{CameraStyle, FilmEffect},
    error::{AppError, Missing},
    services::video_prompts::{self as service, NewVideoPrompt},
};

/// Where a request is: `PENDING → PROCESSING → COMPLETED | FAILED | CANCELLED`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "sea_orm_active_enums::VideoPromptStatus")]
pub enum VideoPromptStatus {
    /// Waiting for a worker (new, or waiting to retry after a temporary failure).
    Pending,
    /// Gemini is writing the prompt.
    Processing,
    /// The prompt is ready.
    Completed,
    /// It failed; `errorCode` and `errorMessage` say why.
    Failed,
    /// Cancelled by the user.
    Cancelled,
}

/// The parts of the scene Gemini described besides the prompt, all in German.
#[derive(SimpleObject, serde::Deserialize)]
pub struct VideoPromptDetails {
    pub scene: String,
    pub camera: String,
    pub lighting: String,
    pub mood: String,
    pub effects: String,
}

/// One request for a German video prompt for an image, and its result.
pub struct VideoPrompt(pub video_prompt::Model);

#[Object]
impl VideoPrompt {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The image the prompt is for.
    async fn image(&self, ctx: &Context<'_>) -> Result<Image> {
        let found = ctx
            .loader::<ImageLoader>()
            .load_one(self.0.image_id)
            .await?
            .ok_or(AppError::NotFound(Missing::Image))?;
        Ok(Image(found))
    }

    async fn camera_style(&self) -> Result<CameraStyle> {
        CameraStyle::parse(&self.0.camera_style).ok_or_else(|| corrupt(&self.0, "camera style"))
    }

    async fn film_effect(&self) -> Result<FilmEffect> {
        FilmEffect::parse(&self.0.film_effect).ok_or_else(|| corrupt(&self.0, "film effect"))
    }

    /// The user's guidance for Gemini.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    async fn status(&self) -> VideoPromptStatus {
        self.0.status.into()
    }

    /// The German prompt: the whole of it once COMPLETED; while PROCESSING, live updates carry
    /// the text written so far.
    async fn prompt(&self) -> Option<&str> {
        self.0.prompt.as_deref()
    }

    async fn details(&self) -> Option<VideoPromptDetails> {
        let details = self.0.details.clone()?;
        serde_json::from_value(details).ok()
    }

    /// Why it failed, or why it is waiting to retry (`GEMINI_QUOTA`, `TIMEOUT` …).
    async fn error_code(&self) -> Option<&str> {
        self.0.error_code.as_deref()
    }

    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }

    /// The Gemini model version that wrote the prompt.
    async fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }

    /// Tries so far, the first included.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// Input tokens Gemini counted (for cost).
    async fn prompt_tokens(&self) -> Option<i32> {
        self.0.prompt_tokens
    }

    /// Output tokens Gemini counted (for cost).
    async fn output_tokens(&self) -> Option<i32> {
        self.0.output_tokens
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }

    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
}

fn corrupt(record: &video_prompt::Model, what: &str) -> async_graphql::Error {
    AppError::from(anyhow::anyhow!(
        "video prompt {} holds an unknown {what}",
        record.id
    ))
    .into()
}

/// What to generate a prompt for.
#[derive(InputObject)]
pub struct GenerateVideoPromptInput {
    pub image_id: ID,
    pub camera_style: CameraStyle,
    pub film_effect: FilmEffect,
    /// Optional guidance for Gemini, at most 500 characters.
    pub notes: Option<String>,
    /// The same user sending the same key gets the same record back instead of a new one.
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct VideoPromptQuery;

#[Object]
impl VideoPromptQuery {
    /// One of the caller's video prompts; null when signed out, missing or someone else's.
    async fn video_prompt(&self, ctx: &Context<'_>, id: ID) -> Result<Option<VideoPrompt>> {
        let id = parse_id(&id, "id")?;
        let Some(session) = ctx.caller() else {
            return Ok(None);
        };
        Ok(service::find(&ctx.state().db, session.user_id, id)
            .await?
            .map(VideoPrompt))
    }
}

#[derive(Default)]
pub struct VideoPromptMutation;

#[Object]
impl VideoPromptMutation {
    /// Asks Gemini for a German video prompt for one of the caller's images. Returns at once
    /// with a PENDING record; follow it with `videoPrompt(id)` or `videoPromptUpdated`.
    async fn generate_video_prompt(
        &self,
        ctx: &Context<'_>,
        input: GenerateVideoPromptInput,
    ) -> Result<VideoPrompt> {
        let image_id = parse_id(&input.image_id, "imageId")?;
        let session = ctx.session()?;
        let record = ctx
            .state()
            .video_prompts
            .request(
                session.user_id,
                NewVideoPrompt {
                    image_id,
                    camera_style: input.camera_style,
                    film_effect: input.film_effect,
                    notes: input.notes,
                    idempotency_key: input.idempotency_key,
                },
            )
            .await?;
        Ok(VideoPrompt(record))
    }

    /// Stops a PENDING or PROCESSING request (a Gemini call in flight is aborted).
    async fn cancel_video_prompt(&self, ctx: &Context<'_>, id: ID) -> Result<VideoPrompt> {
        let id = parse_id(&id, "id")?;
        let session = ctx.session()?;
        let record = ctx
            .state()
            .video_prompts
            .cancel(session.user_id, id)
            .await?;
        Ok(VideoPrompt(record))
    }

    /// A new request with the inputs of a FAILED or CANCELLED one.
    async fn retry_video_prompt(&self, ctx: &Context<'_>, id: ID) -> Result<VideoPrompt> {
        let id = parse_id(&id, "id")?;
        let session = ctx.session()?;
        let record = ctx.state().video_prompts.retry(session.user_id, id).await?;
        Ok(VideoPrompt(record))
    }
}
