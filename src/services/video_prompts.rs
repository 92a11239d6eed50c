//! Video prompt requests: asking for one (validated, owned, idempotent), reading them, cancelling
//! and retrying. The worker that runs them lives in `jobs`; this module only writes the records
//! a client asks for.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{collection, image, sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
    Set,
};
use uuid::Uuid;

use crate::{
    domain::styles::{CameraStyle, FilmEffect},
    error::{AppError, AppResult, Missing},
    services::{
        gemini_keys, now, on_unique_violation,
        pagination::{self, ChildOrder, Cursor, Page, PageRequest},
    },
    state::AppState,
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

/// The caller's image, or `None` when it does not exist or is someone else's.
pub async fn owned_image(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    image_id: Uuid,
) -> AppResult<Option<image::Model>> {
    Ok(image::Entity::find_by_id(image_id)
        .join(JoinType::InnerJoin, image::Relation::Collection.def())
        .filter(collection::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// The caller's record, or `None` when it does not exist or is someone else's.
pub async fn find(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> AppResult<Option<video_prompt::Model>> {
    Ok(video_prompt::Entity::find_by_id(id)
        .filter(video_prompt::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// One page of prompts for each of several images, newest first, in one statement.
pub async fn pages_by_image(
    db: &impl ConnectionTrait,
    image_ids: &[Uuid],
    page: PageRequest,
) -> AppResult<HashMap<Uuid, Page<video_prompt::Model>>> {
    const ORDER: ChildOrder<video_prompt::Entity> = ChildOrder {
        parent: video_prompt::Column::ImageId,
        created_at: video_prompt::Column::CreatedAt,
        id: video_prompt::Column::Id,
        parent_of: |prompt| prompt.image_id,
        cursor_of: |prompt| Cursor {
            created_at: prompt.created_at,
            id: prompt.id,
        },
    };
    pagination::pages_by_parent(db, &ORDER, image_ids, page).await
}

/// Whether an existing record was made from the same request.
fn same_request(existing: &video_prompt::Model, request: &NewVideoPrompt) -> bool {
    existing.image_id == request.image_id
        && existing.camera_style == request.camera_style.as_str()
        && existing.film_effect == request.film_effect.as_str()
        && existing.notes == request.notes
}

/// Records a request as `PENDING` and returns it; the same idempotency key returns the record
/// it made before. Checks in DESIGN's order: input, key, ownership.
pub async fn request(
    state: &AppState,
    user_id: Uuid,
    request: NewVideoPrompt,
) -> AppResult<video_prompt::Model> {
    let request = NewVideoPrompt {
        notes: clean_notes(request.notes)?,
        idempotency_key: clean_idempotency_key(request.idempotency_key)?,
        ..request
    };
    // The key itself is opened by the worker; here it only has to exist and be readable.
    gemini_keys::load_key(state, user_id).await?;
    if owned_image(&state.db, user_id, request.image_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound(Missing::Image));
    }
    if let Some(existing) = find_by_idempotency_key(state, user_id, &request).await? {
        return Ok(existing);
    }
    let now = now();
    let record = new_record(user_id, &request, now);
    let inserted = video_prompt::Entity::insert(record)
        .exec_with_returning(&state.db)
        .await;
    match inserted {
        Ok(model) => Ok(model),
        // Two requests with one key raced; the other one's record is the answer.
        Err(err) => {
            let err = on_unique_violation(err, || AppError::Conflict(String::new()));
            if matches!(err, AppError::Conflict(_))
                && let Some(existing) = find_by_idempotency_key(state, user_id, &request).await?
            {
                return Ok(existing);
            }
            Err(err)
        }
    }
}

/// The record an earlier request with this idempotency key made, if it matches this request;
/// CONFLICT when the key was used for a different one.
async fn find_by_idempotency_key(
    state: &AppState,
    user_id: Uuid,
    request: &NewVideoPrompt,
) -> AppResult<Option<video_prompt::Model>> {
    let Some(key) = &request.idempotency_key else {
        return Ok(None);
    };
    let existing = video_prompt::Entity::find()
        .filter(video_prompt::Column::UserId.eq(user_id))
        .filter(video_prompt::Column::IdempotencyKey.eq(key.as_str()))
        .one(&state.db)
        .await?;
    match existing {
        Some(existing) if same_request(&existing, request) => Ok(Some(existing)),
        Some(_) => Err(AppError::Conflict(
            "This idempotency key was already used for a different request.".into(),
        )),
        None => Ok(None),
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

/// Ends a `PENDING` or `PROCESSING` record as `CANCELLED` (a worker holding it notices on its
/// next write and stops). A `CANCELLED` record is returned unchanged; a finished one is a
/// CONFLICT.
pub async fn cancel(state: &AppState, user_id: Uuid, id: Uuid) -> AppResult<video_prompt::Model> {
    use video_prompt::Column;
    loop {
        let record = find(&state.db, user_id, id)
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
            // Text a worker wrote so far (PostgreSQL) is no prompt: a cancelled record has none.
            .col_expr(Column::Prompt, Option::<String>::None.into())
            .col_expr(Column::LeaseOwner, Option::<String>::None.into())
            .col_expr(Column::LeaseExpiresAt, Option::<DateTime<Utc>>::None.into())
            .col_expr(Column::CompletedAt, now.into())
            .col_expr(Column::UpdatedAt, now.into())
            .filter(Column::Id.eq(id))
            // Compare-and-set: a worker may finish the record between our read and this write.
            .filter(Column::Status.eq(record.status))
            .exec(&state.db)
            .await?;
        if result.rows_affected == 1 {
            return find(&state.db, user_id, id)
                .await?
                .ok_or(AppError::NotFound(Missing::VideoPrompt));
        }
    }
}

/// Before the images they belong to are deleted: aborts the attempts running here for the
/// unfinished prompts among the images' prompts, and returns those prompts so the deletion can
/// announce them `CANCELLED` once the rows are gone (DESIGN: generations in flight for a deleted
/// image end CANCELLED). Aborting first stops the Gemini calls at once (and deletes an uploaded
/// file) rather than letting them run on for a row that is about to vanish.
pub async fn stop_for_deletion(
    state: &AppState,
    images: sea_orm::Condition,
) -> AppResult<Vec<video_prompt::Model>> {
    use video_prompt::Column;
    let unfinished = video_prompt::Entity::find()
        .filter(images)
        .filter(Column::Status.is_in([VideoPromptStatus::Pending, VideoPromptStatus::Processing]))
        .all(&state.db)
        .await?;
    for record in &unfinished {
        state.jobs.abort(record.id);
    }
    Ok(unfinished)
}

/// Tells subscribers that the prompts `stop_for_deletion` found ended `CANCELLED`.
pub fn announce_cancelled(state: &AppState, records: Vec<video_prompt::Model>) {
    let now = now();
    for mut record in records {
        record.status = VideoPromptStatus::Cancelled;
        record.lease_owner = None;
        record.lease_expires_at = None;
        record.prompt = None;
        record.completed_at = Some(now);
        record.updated_at = now;
        state.events.publish_deleted(record);
    }
}

/// Makes a new `PENDING` record with the inputs of a `FAILED` or `CANCELLED` one.
pub async fn retry(state: &AppState, user_id: Uuid, id: Uuid) -> AppResult<video_prompt::Model> {
    let record = find(&state.db, user_id, id)
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
    gemini_keys::load_key(state, user_id).await?;
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
    Ok(
        video_prompt::Entity::insert(new_record(user_id, &request, now()))
            .exec_with_returning(&state.db)
            .await?,
    )
}

/// An image's records a live view must show: those not finished yet, and those changed since
/// `since` (a subscriber catching up after it fell behind). Oldest first.
pub async fn live_for_image(
    db: &impl ConnectionTrait,
    image_id: Uuid,
    since: DateTime<Utc>,
) -> AppResult<Vec<video_prompt::Model>> {
    use sea_orm::{Condition, QueryOrder};
    Ok(video_prompt::Entity::find()
        .filter(video_prompt::Column::ImageId.eq(image_id))
        .filter(
            Condition::any()
                .add(
                    video_prompt::Column::Status
                        .is_in([VideoPromptStatus::Pending, VideoPromptStatus::Processing]),
                )
                .add(video_prompt::Column::UpdatedAt.gte(since)),
        )
        .order_by_asc(video_prompt::Column::CreatedAt)
        .order_by_asc(video_prompt::Column::Id)
        .all(db)
        .await?)
}

/// The caller's records among `keys` (user id, record id), in one statement: what a burst of
/// subscriptions by id starts from. Absent keys are missing or someone else's.
pub async fn find_many(
    db: &impl ConnectionTrait,
    keys: &[(Uuid, Uuid)],
) -> AppResult<HashMap<(Uuid, Uuid), video_prompt::Model>> {
    let rows = video_prompt::Entity::find()
        .filter(video_prompt::Column::Id.is_in(keys.iter().map(|(_, id)| *id)))
        .all(db)
        .await?;
    let wanted: HashSet<_> = keys.iter().copied().collect();
    Ok(rows
        .into_iter()
        .map(|row| ((row.user_id, row.id), row))
        .filter(|(key, _)| wanted.contains(key))
        .collect())
}

/// For each of `keys` (user id, image id) whose image is that user's: its records that are not
/// finished yet, oldest first. Two statements for any number of keys: what a burst of
/// subscriptions by image starts from. Absent keys are missing or someone else's images.
pub async fn unfinished_for_owned_images(
    db: &impl ConnectionTrait,
    keys: &[(Uuid, Uuid)],
) -> AppResult<HashMap<(Uuid, Uuid), Vec<video_prompt::Model>>> {
    use sea_orm::QueryOrder;
    let owned: Vec<(Uuid, Uuid)> = image::Entity::find()
        .select_only()
        .column(collection::Column::UserId)
        .column(image::Column::Id)
        .join(JoinType::InnerJoin, image::Relation::Collection.def())
        .filter(image::Column::Id.is_in(keys.iter().map(|(_, image_id)| *image_id)))
        .into_tuple()
        .all(db)
        .await?;
    let wanted: HashSet<_> = keys.iter().copied().collect();
    let mut found: HashMap<(Uuid, Uuid), Vec<video_prompt::Model>> = owned
        .into_iter()
        .filter(|key| wanted.contains(key))
        .map(|key| (key, Vec::new()))
        .collect();
    if found.is_empty() {
        return Ok(found);
    }
    let records = video_prompt::Entity::find()
        .filter(video_prompt::Column::ImageId.is_in(found.keys().map(|(_, image_id)| *image_id)))
        .filter(
            video_prompt::Column::Status
                .is_in([VideoPromptStatus::Pending, VideoPromptStatus::Processing]),
        )
        .order_by_asc(video_prompt::Column::CreatedAt)
        .order_by_asc(video_prompt::Column::Id)
        .all(db)
        .await?;
    for record in records {
        if let Some(list) = found.get_mut(&(record.user_id, record.image_id)) {
            list.push(record);
        }
    }
    Ok(found)
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
