//! What an export reads: the title of its scope, and its records page by page, newest first,
//! each with its image's file name and its collection's name.

use chrono::{DateTime, Utc};
use entity::{collection, image, sea_orm_active_enums::VideoPromptStatus, user, video_prompt};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JsonValue, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, sea_query::JoinType,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ExportFormat, ExportScope};
use crate::{
    domain::styles::{CameraStyle, FilmEffect},
    error::AppResult,
    services::pagination::Cursor,
};

/// One record as an export writes it.
#[derive(Debug, FromQueryResult)]
pub struct ExportRow {
    pub id: Uuid,
    pub image_id: Uuid,
    pub file_name: String,
    pub collection_id: Uuid,
    pub collection_name: String,
    pub camera_style: String,
    pub film_effect: String,
    pub notes: Option<String>,
    pub status: VideoPromptStatus,
    pub prompt: Option<String>,
    pub details: Option<JsonValue>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub model: Option<String>,
    pub prompt_tokens: Option<i32>,
    pub output_tokens: Option<i32>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// The parts of the scene Gemini described besides the prompt.
#[derive(Debug, Deserialize, Serialize)]
pub struct Details {
    pub scene: String,
    pub camera: String,
    pub lighting: String,
    pub mood: String,
    pub effects: String,
}

impl ExportRow {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id,
        }
    }

    /// The details, when the record has them (a record that failed has none).
    pub fn details(&self) -> Option<Details> {
        self.details
            .as_ref()
            .and_then(|details| Details::deserialize(details).ok())
    }

    /// The camera style's value and German label (the stored value as both, should it ever be
    /// one this build does not know).
    pub fn camera_style(&self) -> (&str, &str) {
        CameraStyle::parse(&self.camera_style)
            .map_or((&self.camera_style, &self.camera_style), |style| {
                (style.as_str(), style.label())
            })
    }

    pub fn film_effect(&self) -> (&str, &str) {
        FilmEffect::parse(&self.film_effect)
            .map_or((&self.film_effect, &self.film_effect), |effect| {
                (effect.as_str(), effect.label())
            })
    }
}

/// The status as a person reads it.
pub fn status_label(status: VideoPromptStatus) -> &'static str {
    match status {
        VideoPromptStatus::Pending => "Wartet",
        VideoPromptStatus::Processing => "Läuft",
        VideoPromptStatus::Completed => "Fertig",
        VideoPromptStatus::Failed => "Fehlgeschlagen",
        VideoPromptStatus::Cancelled => "Abgebrochen",
    }
}

/// What an export is of, for its heading and file name.
#[derive(Debug, Clone)]
pub struct Title {
    pub scope: ExportScope,
    /// The image's file name, the collection's name, or the user's e-mail.
    pub name: String,
    pub exported_at: DateTime<Utc>,
}

impl Title {
    /// A heading for people: `Bild „strand.jpg“`, `Sammlung „Urlaub“`, `Alle Prompts von …`.
    pub fn heading(&self) -> String {
        match self.scope {
            ExportScope::Image(_) => format!("Bild „{}“", self.name),
            ExportScope::Collection(_) => format!("Sammlung „{}“", self.name),
            ExportScope::User(_) => format!("Alle Prompts von {}", self.name),
        }
    }

    /// The name the browser saves the file as.
    pub fn file_name(&self, format: ExportFormat) -> String {
        let what = match self.scope {
            ExportScope::Image(_) => self
                .name
                .rsplit_once('.')
                .map_or(self.name.as_str(), |(stem, _)| stem),
            ExportScope::Collection(_) => self.name.as_str(),
            ExportScope::User(_) => "alle",
        };
        format!(
            "Videoprompts {what} {}.{}",
            self.exported_at.format("%Y-%m-%d"),
            format.extension()
        )
    }
}

/// The title of `scope`, or `None` when it no longer exists.
pub async fn title(
    db: &impl ConnectionTrait,
    scope: ExportScope,
    now: DateTime<Utc>,
) -> AppResult<Option<Title>> {
    let name = match scope {
        ExportScope::Image(id) => {
            image::Entity::find_by_id(id)
                .select_only()
                .column(image::Column::FileName)
                .into_tuple::<String>()
                .one(db)
                .await?
        }
        ExportScope::Collection(id) => {
            collection::Entity::find_by_id(id)
                .select_only()
                .column(collection::Column::Name)
                .into_tuple::<String>()
                .one(db)
                .await?
        }
        ExportScope::User(id) => {
            user::Entity::find_by_id(id)
                .select_only()
                .column(user::Column::Email)
                .into_tuple::<String>()
                .one(db)
                .await?
        }
    };
    Ok(name.map(|name| Title {
        scope,
        name,
        exported_at: now,
    }))
}

/// Up to `limit` of the scope's records after `after`, newest first, in one statement.
pub async fn page(
    db: &impl ConnectionTrait,
    scope: ExportScope,
    after: Option<Cursor>,
    limit: u64,
) -> AppResult<Vec<ExportRow>> {
    use video_prompt::Column as C;
    let mut query = video_prompt::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::ImageId,
            C::CameraStyle,
            C::FilmEffect,
            C::Notes,
            C::Status,
            C::Prompt,
            C::Details,
            C::ErrorCode,
            C::ErrorMessage,
            C::Model,
            C::PromptTokens,
            C::OutputTokens,
            C::Attempts,
            C::CreatedAt,
            C::StartedAt,
            C::CompletedAt,
        ])
        .column_as(image::Column::FileName, "file_name")
        .column_as(collection::Column::Id, "collection_id")
        .column_as(collection::Column::Name, "collection_name")
        .join(JoinType::InnerJoin, video_prompt::Relation::Image.def())
        .join(JoinType::InnerJoin, image::Relation::Collection.def());
    query = match scope {
        ExportScope::Image(id) => query.filter(C::ImageId.eq(id)),
        ExportScope::Collection(id) => query.filter(image::Column::CollectionId.eq(id)),
        ExportScope::User(id) => query.filter(C::UserId.eq(id)),
    };
    if let Some(after) = after {
        // Qualified: the joined tables have columns of these names too.
        query = query.filter(after.older_than(
            (video_prompt::Entity, C::CreatedAt),
            (video_prompt::Entity, C::Id),
        ));
    }
    Ok(query
        .order_by_desc(C::CreatedAt)
        .order_by_desc(C::Id)
        .limit(limit)
        .into_model::<ExportRow>()
        .all(db)
        .await?)
}
