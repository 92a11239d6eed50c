//! Video prompt requests: asking for one (validated, owned, idempotent), cancelling and
//! retrying, each with its effects. The worker that runs them is `jobs` (with
//! `services::generation` as its handler).

use chrono::{DateTime, Utc};
use entity::{collection, profile, sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, Set,
};
use uuid::Uuid;

use super::queries;
use crate::{
    db::{Connections, now},
    domain::styles::{CameraStyle, FilmEffect},
    error::{AppError, AppResult, Missing},
    events::EventHub,
    jobs::Jobs,
    services::{gemini_keys::GeminiKeys, on_unique_violation, ownership},
};

/// Longest `notes` accepted, in characters.
pub const MAX_NOTES_CHARS: usize = 500;
/// Longest `idempotencyKey` accepted, in characters.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// What a client asks for.
#[derive(Debug, Clone)]
pub struct NewVideoPrompt {
    pub image_id: Uuid,
    pub camera_style: CameraStyle,
    pub film_effect: FilmEffect,
    pub notes: Option<String>,
    pub idempotency_key: Option<String>,
}

/// Empty or blank notes mean none; longer than the limit is refused.
fn clean_notes(notes: Option<String>) -> AppResult<Option<String>> {
    let Some(notes) = notes else { return Ok(None) };
    let notes = notes.trim();
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(AppError::invalid(
            "notes",
            format!("Notes may have at most {MAX_NOTES_CHARS} characters."),
        ));
    }
    Ok((!notes.is_empty()).then(|| notes.to_owned()))
}

fn clean_idempotency_key(key: Option<String>) -> AppResult<Option<String>> {
    let Some(key) = key else { return Ok(None) };
    let chars = key.chars().count();
    if chars == 0 || chars > MAX_IDEMPOTENCY_KEY_CHARS {
        return Err(AppError::invalid(
            "idempotencyKey",
            format!("The idempotency key must have 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters."),
        ));
    }
    Ok(Some(key))
}

/// Whether an existing record was made from the same request.
fn same_request(existing: &video_prompt::Model, request: &NewVideoPrompt) -> bool {
    existing.image_id == request.image_id
        && existing.camera_style == request.camera_style.as_str()
        && existing.film_effect == request.film_effect.as_str()
        && existing.notes == request.notes
}

/// Asking for, cancelling and retrying video prompts, with their effects: a new record is
/// published and wakes the workers; a cancel aborts the running call wherever it runs and is
/// published. An unchanged record (an idempotent replay, a repeated cancel) is not published
/// again.
#[derive(Clone)]
pub struct VideoPrompts {
    db: Connections,
    keys: GeminiKeys,
    jobs: Jobs,
    events: EventHub,
}

impl VideoPrompts {
    pub fn new(db: Connections, keys: GeminiKeys, jobs: Jobs, events: EventHub) -> Self {
        Self {
            db,
            keys,
            jobs,
            events,
        }
    }

    /// Records a request as `PENDING` and returns it; the same idempotency key returns the
    /// record it made before. Checks in DESIGN's order: input, key, ownership.
    pub async fn request(
        &self,
        user_id: Uuid,
        request: NewVideoPrompt,
    ) -> AppResult<video_prompt::Model> {
        let request = NewVideoPrompt {
            notes: clean_notes(request.notes)?,
            idempotency_key: clean_idempotency_key(request.idempotency_key)?,
            ..request
        };
        // Two tries: a refusal that the checks below cannot explain (the key or the image
        // appeared in between) is answered by trying once more.
        for _ in 0..2 {
            let inserted = insert_if_allowed(&self.db.writes, user_id, &request).await;
            match inserted {
                Ok(Some(record)) => return Ok(self.queued(record)),
                // The same key was used before: that request's record is the answer, or a
                // CONFLICT if it asked for something else. (A replay of someone else's image
                // or without a key is refused below, as a first request would be.)
                Err(err) => {
                    let err = on_unique_violation(err, || AppError::Conflict(String::new()));
                    if matches!(err, AppError::Conflict(_))
                        && let Some(existing) =
                            self.find_by_idempotency_key(user_id, &request).await?
                    {
                        return Ok(existing);
                    }
                    return Err(err);
                }
                // Refused: say why, in the order a client fixes things (the key first).
                Ok(None) => {
                    self.keys.load_key(user_id).await?;
                    if ownership::image(&self.db.reads, user_id, request.image_id)
                        .await?
                        .is_none()
                    {
                        return Err(AppError::NotFound(Missing::Image));
                    }
                }
            }
        }
        Err(AppError::NotFound(Missing::Image))
    }

    /// Ends a `PENDING` or `PROCESSING` record as `CANCELLED` and aborts its Gemini call on
    /// whichever instance runs it. A `CANCELLED` record is returned unchanged; a finished one
    /// is a CONFLICT.
    pub async fn cancel(&self, user_id: Uuid, id: Uuid) -> AppResult<video_prompt::Model> {
        use video_prompt::Column;
        loop {
            let record = queries::find(&self.db.reads, user_id, id)
                .await?
                .ok_or(AppError::NotFound(Missing::VideoPrompt))?;
            match record.status {
                VideoPromptStatus::Cancelled => return Ok(record),
                VideoPromptStatus::Completed | VideoPromptStatus::Failed => {
                    return Err(AppError::Conflict(format!(
                        "This video prompt is already {} and cannot be cancelled.",
                        record.status
                    )));
                }
                VideoPromptStatus::Pending | VideoPromptStatus::Processing => {}
            }
            let now = now();
            let result = video_prompt::Entity::update_many()
                .col_expr(Column::Status, VideoPromptStatus::Cancelled.into())
                // Text a worker wrote so far (PostgreSQL) is no prompt: a cancelled record has
                // none.
                .col_expr(Column::Prompt, Option::<String>::None.into())
                .col_expr(Column::LeaseOwner, Option::<String>::None.into())
                .col_expr(Column::LeaseExpiresAt, Option::<DateTime<Utc>>::None.into())
                .col_expr(Column::CompletedAt, now.into())
                .col_expr(Column::UpdatedAt, now.into())
                .filter(Column::Id.eq(id))
                // Compare-and-set: a worker may finish the record between our read and this
                // write.
                .filter(Column::Status.eq(record.status))
                .exec(&self.db.writes)
                .await?;
            if result.rows_affected == 1 {
                // A worker holding it would notice at its next write; this stops the call now.
                self.jobs.abort(id);
                let cancelled = queries::find(&self.db.reads, user_id, id)
                    .await?
                    .ok_or(AppError::NotFound(Missing::VideoPrompt))?;
                self.events.publish(cancelled.clone());
                return Ok(cancelled);
            }
        }
    }

    /// Makes a new `PENDING` record with the inputs of a `FAILED` or `CANCELLED` one.
    pub async fn retry(&self, user_id: Uuid, id: Uuid) -> AppResult<video_prompt::Model> {
        let record = queries::find(&self.db.reads, user_id, id)
            .await?
            .ok_or(AppError::NotFound(Missing::VideoPrompt))?;
        if !matches!(
            record.status,
            VideoPromptStatus::Failed | VideoPromptStatus::Cancelled
        ) {
            return Err(AppError::Conflict(format!(
                "Only a FAILED or CANCELLED video prompt can be retried; this one is {}.",
                record.status
            )));
        }
        self.keys.load_key(user_id).await?;
        let (Some(camera_style), Some(film_effect)) = (
            CameraStyle::parse(&record.camera_style),
            FilmEffect::parse(&record.film_effect),
        ) else {
            return Err(AppError::from(anyhow::anyhow!(
                "video prompt {id} holds an unknown style or effect"
            )));
        };
        let request = NewVideoPrompt {
            image_id: record.image_id,
            camera_style,
            film_effect,
            notes: record.notes,
            idempotency_key: None,
        };
        let record = video_prompt::Entity::insert(new_record(user_id, &request, now()))
            .exec_with_returning(&self.db.writes)
            .await?;
        Ok(self.queued(record))
    }

    /// A new `PENDING` record: its subscribers hear of it and a worker looks at the queue now.
    fn queued(&self, record: video_prompt::Model) -> video_prompt::Model {
        self.events.publish(record.clone());
        self.jobs.wake();
        record
    }

    /// The record an earlier request with this idempotency key made, if it matches this
    /// request; CONFLICT when the key was used for a different one.
    async fn find_by_idempotency_key(
        &self,
        user_id: Uuid,
        request: &NewVideoPrompt,
    ) -> AppResult<Option<video_prompt::Model>> {
        let Some(key) = &request.idempotency_key else {
            return Ok(None);
        };
        let existing = video_prompt::Entity::find()
            .filter(video_prompt::Column::UserId.eq(user_id))
            .filter(video_prompt::Column::IdempotencyKey.eq(key.as_str()))
            .one(&self.db.reads)
            .await?;
        match existing {
            Some(existing) if same_request(&existing, request) => Ok(Some(existing)),
            Some(_) => Err(AppError::Conflict(
                "This idempotency key was already used for a different request.".into(),
            )),
            None => Ok(None),
        }
    }
}

/// Inserts the record of `request` in one statement if its image is the user's (the select of
/// `ownership::owned_image`) and the user has a Gemini key (`INSERT … SELECT … FROM images JOIN
/// collections JOIN profiles WHERE … RETURNING *`); `None` when not. One statement instead of
/// three reads and a write: on SQLite every write waits its turn for the one writing
/// connection. Whether the stored key can be opened is the worker's to find out (it fails the
/// record, with a code, if not); the master key itself is checked at startup.
async fn insert_if_allowed(
    db: &DatabaseConnection,
    user_id: Uuid,
    request: &NewVideoPrompt,
) -> Result<Option<video_prompt::Model>, DbErr> {
    use sea_orm::{
        ActiveModelTrait, ActiveValue, Iterable, QuerySelect, QueryTrait,
        sea_query::{Expr, ExprTrait, Query},
    };
    let mut record = new_record(user_id, request, now());
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for column in video_prompt::Column::iter() {
        if let ActiveValue::Set(value) = record.take(column) {
            columns.push(column);
            values.push(column.save_as(Expr::val(value)));
        }
    }
    let mut allowed = ownership::owned_image(user_id, request.image_id)
        .select_only()
        .into_query();
    allowed
        .exprs(values)
        .inner_join(
            profile::Entity,
            Expr::col((profile::Entity, profile::Column::UserId))
                .equals((collection::Entity, collection::Column::UserId)),
        )
        .and_where(Expr::col((profile::Entity, profile::Column::GeminiApiKey)).is_not_null());
    let backend = db.get_database_backend();
    let mut insert = Query::insert();
    insert
        .into_table(video_prompt::Entity)
        .columns(columns)
        .select_from(allowed)
        .map_err(|err| DbErr::Custom(err.to_string()))?
        .returning(Query::returning().exprs(
            video_prompt::Column::iter().map(|c| c.select_as(c.into_returning_expr(backend))),
        ));
    video_prompt::Model::find_by_statement(backend.build(&insert))
        .one(db)
        .await
}

fn new_record(
    user_id: Uuid,
    request: &NewVideoPrompt,
    now: DateTime<Utc>,
) -> video_prompt::ActiveModel {
    video_prompt::ActiveModel {
        id: Set(Uuid::now_v7()),
        image_id: Set(request.image_id),
        user_id: Set(user_id),
        camera_style: Set(request.camera_style.as_str().to_owned()),
        film_effect: Set(request.film_effect.as_str().to_owned()),
        notes: Set(request.notes.clone()),
        status: Set(VideoPromptStatus::Pending),
        prompt: Set(None),
        details: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        model: Set(None),
        prompt_tokens: Set(None),
        output_tokens: Set(None),
        attempts: Set(0),
        idempotency_key: Set(request.idempotency_key.clone()),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        next_attempt_at: Set(now),
        created_at: Set(now),
        started_at: Set(None),
        completed_at: Set(None),
        updated_at: Set(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_blank_means_none_and_the_limit_counts_characters() {
        assert_eq!(clean_notes(None).unwrap(), None);
        assert_eq!(clean_notes(Some("   ".into())).unwrap(), None);
        assert_eq!(
            clean_notes(Some(" Möwen im Wind ".into()))
                .unwrap()
                .as_deref(),
            Some("Möwen im Wind")
        );
        assert!(clean_notes(Some("ä".repeat(MAX_NOTES_CHARS))).is_ok());
        let err = clean_notes(Some("ä".repeat(MAX_NOTES_CHARS + 1))).unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }

    #[test]
    fn idempotency_keys_must_not_be_empty_or_huge() {
        assert!(clean_idempotency_key(Some(String::new())).is_err());
        assert!(clean_idempotency_key(Some("k".repeat(256))).is_err());
        assert_eq!(
            clean_idempotency_key(Some("abc".into()))
                .unwrap()
                .as_deref(),
            Some("abc")
        );
    }
}
