//! Video prompt requests: asking for one (validated, owned, idempotent), cancelling and
//! retrying, each with its effects. The worker that runs them is `jobs` (with
//! `services::generation` as its handler).

use chrono::{DateTime, Utc};
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::queries;
use crate::{
    db::now,
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
    db: DatabaseConnection,
    keys: GeminiKeys,
    jobs: Jobs,
    events: EventHub,
}

impl VideoPrompts {
    pub fn new(db: DatabaseConnection, keys: GeminiKeys, jobs: Jobs, events: EventHub) -> Self {
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
        // The key itself is opened by the worker; here it only has to exist and be readable.
        self.keys.load_key(user_id).await?;
        if ownership::image(&self.db, user_id, request.image_id)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound(Missing::Image));
        }
        if let Some(existing) = self.find_by_idempotency_key(user_id, &request).await? {
            return Ok(existing);
        }
        let inserted = video_prompt::Entity::insert(new_record(user_id, &request, now()))
            .exec_with_returning(&self.db)
            .await;
        match inserted {
            Ok(record) => Ok(self.queued(record)),
            // Two requests with one key raced; the other one's record is the answer.
            Err(err) => {
                let err = on_unique_violation(err, || AppError::Conflict(String::new()));
                if matches!(err, AppError::Conflict(_))
                    && let Some(existing) = self.find_by_idempotency_key(user_id, &request).await?
                {
                    return Ok(existing);
                }
                Err(err)
            }
        }
    }

    /// Ends a `PENDING` or `PROCESSING` record as `CANCELLED` and aborts its Gemini call on
    /// whichever instance runs it. A `CANCELLED` record is returned unchanged; a finished one
    /// is a CONFLICT.
    pub async fn cancel(&self, user_id: Uuid, id: Uuid) -> AppResult<video_prompt::Model> {
        use video_prompt::Column;
        loop {
            let record = queries::find(&self.db, user_id, id)
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
                .exec(&self.db)
                .await?;
            if result.rows_affected == 1 {
                // A worker holding it would notice at its next write; this stops the call now.
                self.jobs.abort(id);
                let cancelled = queries::find(&self.db, user_id, id)
                    .await?
                    .ok_or(AppError::NotFound(Missing::VideoPrompt))?;
                self.events.publish(cancelled.clone());
                return Ok(cancelled);
            }
        }
    }

    /// Makes a new `PENDING` record with the inputs of a `FAILED` or `CANCELLED` one.
    pub async fn retry(&self, user_id: Uuid, id: Uuid) -> AppResult<video_prompt::Model> {
        let record = queries::find(&self.db, user_id, id)
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
            .exec_with_returning(&self.db)
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
            .one(&self.db)
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
