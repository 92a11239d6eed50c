//! Video prompts in the schema: the `VideoPrompt` type, `videoPrompt(id)`, and the mutations
//! `generateVideoPrompt`, `cancelVideoPrompt` and `retryVideoPrompt`.

use std::sync::LazyLock;

use async_graphql::{
    Context, Enum, EnumType, ID, InputObject, Name, Object, Result, ScalarType, SimpleObject,
    resolver_utils::enum_value,
};
use chrono::{DateTime, Utc};
use entity::{sea_orm_active_enums, video_prompt};
use serde::Deserialize as _;
use uuid::Uuid;

use super::{
    connection::{self, PageConnection},
    context::ContextExt,
    ids::{parse_id, to_id},
    images::Image,
    loaders::ImageLoader,
    plain_fields::{Plain, PlainFields, PlainValue},
};
use crate::{
    domain::styles::{CameraStyle, FilmEffect},
    error::{AppError, Missing},
    services::{
        columns::{ColumnSet, Loaded},
        pagination::{Cursor, Page, PageRequest},
        video_prompts::{self as service, NewVideoPrompt},
    },
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
///
/// Through a page (`Image.videoPrompts`) it holds only the columns the client's selection
/// needs (`details`, the largest, only when asked for); every field reads through a checked
/// accessor, so one whose column was not read is an internal error rather than a blank value.
#[derive(Clone)]
pub struct VideoPrompt(pub Loaded<video_prompt::Model>);

impl VideoPrompt {
    /// A whole record (mutations, `videoPrompt(id)`, subscriptions).
    pub fn full(record: video_prompt::Model) -> Self {
        Self(Loaded::full(record))
    }
}

/// A page of prompts as a connection of page nodes (`Image.videoPrompts`, `User.videoPrompts`);
/// `None` is an empty page.
pub fn prompt_connection(
    page: Option<&Page<Loaded<video_prompt::Model>>>,
    request: PageRequest,
) -> Result<PageConnection<Plain<VideoPrompt>>> {
    Ok(connection::shared_connection(
        page,
        request,
        |prompt| {
            Ok(Cursor {
                created_at: *prompt.created_at()?,
                id: *prompt.id()?,
            })
        },
        |row| Plain(VideoPrompt(row)),
    )?)
}

/// The columns the selected `VideoPrompt` fields read. `id`, `image_id` and `created_at` are
/// always read by a page; a field this does not know reads everything (a superset is safe, a
/// subset is not).
pub fn prompt_columns<'a>(
    fields: impl IntoIterator<Item = &'a str>,
) -> ColumnSet<video_prompt::Model> {
    use video_prompt::Column as C;
    let mut set = ColumnSet::empty();
    for field in fields {
        set = match field {
            "__typename" | "id" | "image" | "createdAt" => set,
            "cameraStyle" => set.with(C::CameraStyle),
            "filmEffect" => set.with(C::FilmEffect),
            "notes" => set.with(C::Notes),
            "status" => set.with(C::Status),
            "prompt" => set.with(C::Prompt),
            "details" => set.with(C::Details),
            "errorCode" => set.with(C::ErrorCode),
            "errorMessage" => set.with(C::ErrorMessage),
            "model" => set.with(C::Model),
            "attempts" => set.with(C::Attempts),
            "promptTokens" => set.with(C::PromptTokens),
            "outputTokens" => set.with(C::OutputTokens),
            "startedAt" => set.with(C::StartedAt),
            "completedAt" => set.with(C::CompletedAt),
            _ => return ColumnSet::all(),
        };
    }
    set
}

#[Object]
impl VideoPrompt {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(to_id(*self.0.id()?))
    }

    /// The image the prompt is for.
    async fn image(&self, ctx: &Context<'_>) -> Result<Image> {
        let found = ctx
            .loader::<ImageLoader>()
            .load_one(*self.0.image_id()?)
            .await?
            .ok_or(AppError::NotFound(Missing::Image))?;
        Ok(Image::full(found))
    }

    async fn camera_style(&self) -> Result<CameraStyle> {
        CameraStyle::parse(self.0.camera_style()?).ok_or_else(|| self.corrupt("camera style"))
    }

    async fn film_effect(&self) -> Result<FilmEffect> {
        FilmEffect::parse(self.0.film_effect()?).ok_or_else(|| self.corrupt("film effect"))
    }

    /// The user's guidance for Gemini.
    async fn notes(&self) -> Result<Option<&str>> {
        Ok(self.0.notes()?.as_deref())
    }

    async fn status(&self) -> Result<VideoPromptStatus> {
        Ok((*self.0.status()?).into())
    }

    /// The German prompt: the whole of it once COMPLETED; while PROCESSING, live updates carry
    /// the text written so far.
    async fn prompt(&self) -> Result<Option<&str>> {
        Ok(self.0.prompt()?.as_deref())
    }

    async fn details(&self) -> Result<Option<VideoPromptDetails>> {
        // Deserialised from the borrowed value: no copy of the JSON tree.
        Ok(self
            .0
            .details()?
            .as_ref()
            .and_then(|details| VideoPromptDetails::deserialize(details).ok()))
    }

    /// Why it failed, or why it is waiting to retry (`GEMINI_QUOTA`, `TIMEOUT` …).
    async fn error_code(&self) -> Result<Option<&str>> {
        Ok(self.0.error_code()?.as_deref())
    }

    async fn error_message(&self) -> Result<Option<&str>> {
        Ok(self.0.error_message()?.as_deref())
    }

    /// The Gemini model version that wrote the prompt.
    async fn model(&self) -> Result<Option<&str>> {
        Ok(self.0.model()?.as_deref())
    }

    /// Tries so far, the first included.
    async fn attempts(&self) -> Result<i32> {
        Ok(*self.0.attempts()?)
    }

    /// Input tokens Gemini counted (for cost).
    async fn prompt_tokens(&self) -> Result<Option<i32>> {
        Ok(*self.0.prompt_tokens()?)
    }

    /// Output tokens Gemini counted (for cost).
    async fn output_tokens(&self) -> Result<Option<i32>> {
        Ok(*self.0.output_tokens()?)
    }

    async fn created_at(&self) -> Result<DateTime<Utc>> {
        Ok(*self.0.created_at()?)
    }

    async fn started_at(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(*self.0.started_at()?)
    }

    async fn completed_at(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(*self.0.completed_at()?)
    }
}

/// What a page node answers without its resolver: the row's own columns (`image` and `details`
/// need theirs; a camera style or film effect the domain does not know is the resolver's error).
impl PlainFields for VideoPrompt {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        let row = &self.0;
        let date = |date: &Option<DateTime<Utc>>| {
            date.as_ref()
                .map_or(PlainValue::Null, |date| PlainValue::Value(date.to_value()))
        };
        Some(match name {
            "id" => PlainValue::Id(*row.id().ok()?),
            "status" => PlainValue::Enum(status_name((*row.status().ok()?).into())),
            "prompt" => text(row.prompt().ok()?),
            "notes" => text(row.notes().ok()?),
            "errorCode" => text(row.error_code().ok()?),
            "errorMessage" => text(row.error_message().ok()?),
            "model" => text(row.model().ok()?),
            "cameraStyle" => {
                PlainValue::Value(enum_value(CameraStyle::parse(row.camera_style().ok()?)?))
            }
            "filmEffect" => {
                PlainValue::Value(enum_value(FilmEffect::parse(row.film_effect().ok()?)?))
            }
            "attempts" => PlainValue::Int(*row.attempts().ok()?),
            "promptTokens" => row
                .prompt_tokens()
                .ok()?
                .map_or(PlainValue::Null, PlainValue::Int),
            "outputTokens" => row
                .output_tokens()
                .ok()?
                .map_or(PlainValue::Null, PlainValue::Int),
            "createdAt" => PlainValue::Value(row.created_at().ok()?.to_value()),
            "startedAt" => date(row.started_at().ok()?),
            "completedAt" => date(row.completed_at().ok()?),
            _ => return None,
        })
    }
}

/// A status as async-graphql writes it (its enum name), the name shared: a page of prompts
/// would otherwise allocate one name per record.
fn status_name(status: VideoPromptStatus) -> &'static Name {
    static NAMES: LazyLock<Vec<(VideoPromptStatus, Name)>> = LazyLock::new(|| {
        VideoPromptStatus::items()
            .iter()
            .map(|item| (item.value, Name::new(item.name)))
            .collect()
    });
    NAMES
        .iter()
        .find(|(value, _)| *value == status)
        .map(|(_, name)| name)
        .expect("every status has its item")
}

fn text(text: &Option<String>) -> PlainValue<'_> {
    text.as_deref().map_or(PlainValue::Null, PlainValue::Text)
}

impl VideoPrompt {
    fn corrupt(&self, what: &str) -> async_graphql::Error {
        let id = self.0.id().map_or_else(|_| "?".to_owned(), Uuid::to_string);
        AppError::from(anyhow::anyhow!("video prompt {id} holds an unknown {what}")).into()
    }
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
            .map(VideoPrompt::full))
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
        Ok(VideoPrompt::full(record))
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
        Ok(VideoPrompt::full(record))
    }

    /// A new request with the inputs of a FAILED or CANCELLED one.
    async fn retry_video_prompt(&self, ctx: &Context<'_>, id: ID) -> Result<VideoPrompt> {
        let id = parse_id(&id, "id")?;
        let session = ctx.session()?;
        let record = ctx.state().video_prompts.retry(session.user_id, id).await?;
        Ok(VideoPrompt::full(record))
    }
}
