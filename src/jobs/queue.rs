//! The durable job queue. The jobs are the `video_prompts` rows themselves: a record is
//! claimable when it is `PENDING` and due, or `PROCESSING` under a lease that has run out (its
//! worker died). Claiming sets `PROCESSING`, a lease owner and expiry, and counts the attempt.
//!
//! Every later write names the lease owner and requires `PROCESSING`: a worker whose lease was
//! taken over, or whose record was cancelled meanwhile, changes nothing and learns so from the
//! `false`/`None` it gets back.
//!
//! On PostgreSQL the prompt written so far is kept in the row while `PROCESSING`
//! ([`write_progress`]) so that other instances can show it. An attempt that does not complete
//! therefore clears `prompt` (claiming clears it too): a retry starts from no text, and a failed
//! record shows none, as on SQLite.
//!
//! Claiming is one `UPDATE … RETURNING` on both backends; [`claim`] says why it is safe on each
//! (DESIGN's pitfalls: SeaQuery's SQLite backend drops `FOR UPDATE`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
    sea_query::{Expr, ExprTrait, Func, LockBehavior, LockType},
};
use uuid::Uuid;

use crate::{db::now, domain::failure_code::FailureCode};

type Model = video_prompt::Model;

/// How a worker's attempt ended, as far as the queue is concerned.
#[derive(Debug, Clone)]
pub enum Outcome {
    Completed {
        prompt: String,
        details: serde_json::Value,
        model: Option<String>,
        prompt_tokens: Option<i32>,
        output_tokens: Option<i32>,
    },
    Failed {
        code: FailureCode,
        message: String,
    },
    /// A retryable failure: back to `PENDING`, due again at `at`. The code and message stay on
    /// the record so a client can see why it is waiting.
    RetryAt {
        at: DateTime<Utc>,
        code: FailureCode,
        message: String,
    },
    /// The worker is shutting down: back to `PENDING` at once, and the interrupted try does not
    /// count against the attempt limit.
    HandBack,
}

fn lease_expiry(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30))
}

/// A record that a worker may take now.
fn claimable(now: DateTime<Utc>) -> Condition {
    use video_prompt::Column;
    Condition::any()
        .add(
            Condition::all()
                .add(Column::Status.eq(VideoPromptStatus::Pending))
                .add(Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(Column::Status.eq(VideoPromptStatus::Processing))
                .add(Column::LeaseExpiresAt.lt(now)),
        )
}

/// Claims up to `limit` due records for `owner`, oldest due first.
///
/// One statement on either backend: `UPDATE … WHERE id IN (the oldest due ids) RETURNING *`.
/// On PostgreSQL the inner select locks its rows `FOR UPDATE SKIP LOCKED`, so instances
/// claiming at once take different records and never wait on each other. SQLite has no row
/// locks (SeaQuery leaves the clause out there) and needs none: the statement holds the
/// database's one write lock from its first read to its last write, so no other claim or
/// cancel comes between.
pub async fn claim(
    db: &impl ConnectionTrait,
    owner: &str,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    use video_prompt::Column;
    if limit == 0 {
        return Ok(Vec::new());
    }
    let now = now();
    let due = video_prompt::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(claimable(now))
        .order_by_asc(Column::NextAttemptAt)
        .order_by_asc(Column::Id)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_query();
    let mut claimed = video_prompt::Entity::update_many()
        .col_expr(Column::Status, Expr::value(VideoPromptStatus::Processing))
        .col_expr(Column::LeaseOwner, Expr::value(owner))
        .col_expr(
            Column::LeaseExpiresAt,
            Expr::value(lease_expiry(now, lease)),
        )
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::Prompt, Expr::value(Option::<String>::None))
        .col_expr(
            Column::StartedAt,
            Func::coalesce([Expr::col(Column::StartedAt), Expr::value(now)]).into(),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?;
    // RETURNING gives no order.
    claimed.sort_by_key(|job| (job.next_attempt_at, job.id));
    Ok(claimed)
}

/// The condition every write by a lease holder carries.
fn held_by(id: Uuid, owner: &str) -> Condition {
    use video_prompt::Column;
    Condition::all()
        .add(Column::Id.eq(id))
        .add(Column::Status.eq(VideoPromptStatus::Processing))
        .add(Column::LeaseOwner.eq(owner))
}

/// Extends the lease; `false` when the record is no longer this worker's (cancelled, or taken
/// over after the lease ran out) — the worker should then abandon it.
pub async fn renew(
    db: &impl ConnectionTrait,
    id: Uuid,
    owner: &str,
    lease: Duration,
) -> Result<bool, DbErr> {
    use video_prompt::Column;
    let now = now();
    let result = video_prompt::Entity::update_many()
        .col_expr(
            Column::LeaseExpiresAt,
            Expr::value(lease_expiry(now, lease)),
        )
        .filter(held_by(id, owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Stores the prompt written so far in a record this worker holds, leaving its status alone
/// (`updated_at` too: subscribers order a record's states by it, then by the text's length).
/// `false` when the record is no longer this worker's; nothing was written then.
pub async fn write_progress(
    db: &impl ConnectionTrait,
    id: Uuid,
    owner: &str,
    text: &str,
) -> Result<bool, DbErr> {
    use video_prompt::Column;
    let result = video_prompt::Entity::update_many()
        .col_expr(Column::Prompt, Expr::value(text))
        .filter(held_by(id, owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records how the attempt ended; `None` when the record is no longer this worker's, in which
/// case nothing was written.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    owner: &str,
    outcome: Outcome,
) -> Result<Option<Model>, DbErr> {
    use video_prompt::Column;
    let now = now();
    let mut update = video_prompt::Entity::update_many()
        .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(
            Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now));
    update = match outcome {
        Outcome::Completed {
            prompt,
            details,
            model,
            prompt_tokens,
            output_tokens,
        } => update
            .col_expr(Column::Status, Expr::value(VideoPromptStatus::Completed))
            .col_expr(Column::Prompt, Expr::value(prompt))
            .col_expr(Column::Details, Expr::value(details))
            .col_expr(Column::Model, Expr::value(model))
            .col_expr(Column::PromptTokens, Expr::value(prompt_tokens))
            .col_expr(Column::OutputTokens, Expr::value(output_tokens))
            .col_expr(Column::ErrorCode, Expr::value(Option::<String>::None))
            .col_expr(Column::ErrorMessage, Expr::value(Option::<String>::None))
            .col_expr(Column::CompletedAt, Expr::value(now)),
        Outcome::Failed { code, message } => update
            .col_expr(Column::Status, Expr::value(VideoPromptStatus::Failed))
            .col_expr(Column::Prompt, Expr::value(Option::<String>::None))
            .col_expr(Column::ErrorCode, Expr::value(code.as_str()))
            .col_expr(Column::ErrorMessage, Expr::value(message))
            .col_expr(Column::CompletedAt, Expr::value(now)),
        Outcome::RetryAt { at, code, message } => update
            .col_expr(Column::Status, Expr::value(VideoPromptStatus::Pending))
            .col_expr(Column::Prompt, Expr::value(Option::<String>::None))
            .col_expr(Column::NextAttemptAt, Expr::value(at))
            .col_expr(Column::ErrorCode, Expr::value(code.as_str()))
            .col_expr(Column::ErrorMessage, Expr::value(message)),
        Outcome::HandBack => update
            .col_expr(Column::Status, Expr::value(VideoPromptStatus::Pending))
            .col_expr(Column::Prompt, Expr::value(Option::<String>::None))
            .col_expr(Column::NextAttemptAt, Expr::value(now))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).sub(1)),
    };
    let result = update.filter(held_by(id, owner)).exec(db).await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    video_prompt::Entity::find_by_id(id).one(db).await
}

/// When the next record becomes claimable (a due `PENDING` record, or the earliest lease to
/// run out), so an idle runner sleeps exactly until then.
pub async fn next_due(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    use video_prompt::Column;
    let pending: Option<DateTime<Utc>> = video_prompt::Entity::find()
        .select_only()
        .column_as(Column::NextAttemptAt.min(), "due")
        .filter(Column::Status.eq(VideoPromptStatus::Pending))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten();
    let lease: Option<DateTime<Utc>> = video_prompt::Entity::find()
        .select_only()
        .column_as(Column::LeaseExpiresAt.min(), "due")
        .filter(Column::Status.eq(VideoPromptStatus::Processing))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten();
    Ok(match (pending, lease) {
        (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
        (a, b) => a.or(b),
    })
}
