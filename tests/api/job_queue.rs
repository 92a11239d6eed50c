//! The durable job queue on a real database: claiming (once, and only when due), leases that
//! run out and are taken over, and writes by a worker that lost its lease changing nothing;
//! and how often the runner claims.

use std::{collections::HashSet, sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::Utc;
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::EntityTrait;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use videoprompt::{
    domain::failure_code::FailureCode,
    events::EventHub,
    jobs::{
        Jobs,
        queue::{self, Outcome},
        retry::RetryPolicy,
        runner::{self, Attempt, Handler, RunnerConfig},
    },
};

use crate::{
    both_backends,
    helpers::{TestApp, image_id, pending},
};

const LEASE: Duration = Duration::from_secs(30);

/// Completes every attempt at once.
struct Completes;

#[async_trait]
impl Handler for Completes {
    async fn run(&self, _: &video_prompt::Model, _: CancellationToken) -> Attempt {
        Attempt::Completed {
            prompt: "Eine ruhige Kamerafahrt.".into(),
            details: json!({}),
            model: None,
            prompt_tokens: None,
            output_tokens: None,
        }
    }
}

/// Runs a runner of two workers that never polls on its own until `ids` are all finished,
/// and returns the claims it made (the statements that claim: `UPDATE … WHERE id IN
/// (SELECT …)`).
async fn claims_until_finished(app: &TestApp, ids: &[Uuid]) -> usize {
    app.statements.record();
    let shutdown = CancellationToken::new();
    let config = RunnerConfig {
        owner: "counted".into(),
        workers: 2,
        lease: LEASE,
        retry: RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
        },
        shutdown_grace: Duration::ZERO,
        // Only its start, a wake-up or a worker's free slot makes it claim.
        idle_poll: Duration::from_secs(3600),
    };
    let running = tokio::spawn(runner::run(
        app.db.clone(),
        config,
        Jobs::local(),
        Arc::new(Completes),
        EventHub::local(),
        shutdown.clone(),
    ));
    for &id in ids {
        testkit::eventually(format_args!("record {id} is finished"), async || {
            load(app, id).await.status == VideoPromptStatus::Completed
        })
        .await;
    }
    shutdown.cancel();
    running.await.unwrap();
    app.statements
        .take_recorded()
        .iter()
        .filter(|statement| {
            let sql = statement.sql.trim_start();
            sql.starts_with("UPDATE") && sql.contains(" IN (SELECT ")
        })
        .count()
}

async fn load(app: &TestApp, id: Uuid) -> video_prompt::Model {
    video_prompt::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

both_backends! {
    // These tests are the only claimers: the app's own workers would race them for records.
    configure: |args: &mut videoprompt::config::ServeArgs| args.jobs.workers = 0;

    async fn a_due_record_is_claimed_once_and_a_future_one_waits(app) {
        let owner = image_id(&app).await;
        let due = pending(&app, owner, -1).await;
        let later = pending(&app, owner, 3600).await;

        let claimed = queue::claim(&app.db, "worker-a", LEASE, 10).await.unwrap();
        assert_eq!(claimed.iter().map(|job| job.id).collect::<Vec<_>>(), vec![due]);
        let job = &claimed[0];
        assert_eq!(job.status, VideoPromptStatus::Processing);
        assert_eq!(job.attempts, 1);
        assert_eq!(job.lease_owner.as_deref(), Some("worker-a"));
        assert!(job.lease_expires_at.unwrap() > Utc::now());
        assert!(job.started_at.is_some());

        assert!(queue::claim(&app.db, "worker-b", LEASE, 10).await.unwrap().is_empty());
        assert_eq!(load(&app, later).await.status, VideoPromptStatus::Pending);
        let next = queue::next_due(&app.db).await.unwrap().unwrap();
        assert!(next > Utc::now(), "the next due time is the lease's or the later record's");
    }

    async fn a_claim_takes_the_oldest_due_records_in_one_statement(app) {
        let owner = image_id(&app).await;
        let newest = pending(&app, owner, -10).await;
        let oldest = pending(&app, owner, -30).await;
        let middle = pending(&app, owner, -20).await;

        let before = app.statements.get();
        let claimed = queue::claim(&app.db, "worker-a", LEASE, 2).await.unwrap();
        assert_eq!(app.statements.get() - before, 1, "statements for one claim");
        assert_eq!(claimed.iter().map(|job| job.id).collect::<Vec<_>>(), vec![oldest, middle]);
        assert_eq!(load(&app, newest).await.status, VideoPromptStatus::Pending);
    }

    async fn an_expired_lease_is_taken_over_and_the_old_worker_changes_nothing(app) {
        let owner = image_id(&app).await;
        let id = pending(&app, owner, -1).await;
        queue::claim(&app.db, "dead-worker", Duration::ZERO, 1).await.unwrap();

        let taken = queue::claim(&app.db, "live-worker", LEASE, 1).await.unwrap();
        assert_eq!(taken.len(), 1, "the expired lease was not taken over");
        assert_eq!(taken[0].attempts, 2, "every try counts");

        assert!(!queue::renew(&app.db, id, "dead-worker", LEASE).await.unwrap());
        let late = queue::finish(
            &app.db,
            id,
            "dead-worker",
            Outcome::Failed { code: FailureCode::Internal, message: "late".into() },
        )
        .await
        .unwrap();
        assert!(late.is_none(), "a worker without the lease wrote its outcome");
        assert_eq!(load(&app, id).await.status, VideoPromptStatus::Processing);

        assert!(queue::renew(&app.db, id, "live-worker", LEASE).await.unwrap());
        let done = queue::finish(
            &app.db,
            id,
            "live-worker",
            Outcome::Completed {
                prompt: "Ein Schwenk über den See.".into(),
                details: json!({ "scene": "See" }),
                model: Some("gemini-test".into()),
                prompt_tokens: Some(10),
                output_tokens: Some(20),
            },
        )
        .await
        .unwrap()
        .expect("the lease holder could not finish");
        assert_eq!(done.status, VideoPromptStatus::Completed);
        assert_eq!(done.prompt.as_deref(), Some("Ein Schwenk über den See."));
        assert_eq!(done.output_tokens, Some(20));
        assert!(done.completed_at.is_some() && done.lease_owner.is_none());
    }

    async fn retries_wait_for_their_time_and_a_hand_back_does_not_count(app) {
        let owner = image_id(&app).await;
        let id = pending(&app, owner, -1).await;
        queue::claim(&app.db, "w", LEASE, 1).await.unwrap();
        let later = Utc::now() + chrono::Duration::seconds(3600);
        let waiting = queue::finish(
            &app.db,
            id,
            "w",
            Outcome::RetryAt { at: later, code: FailureCode::GeminiQuota, message: "429".into() },
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(waiting.status, VideoPromptStatus::Pending);
        assert_eq!(waiting.error_code.as_deref(), Some("GEMINI_QUOTA"));
        assert!(queue::claim(&app.db, "w", LEASE, 1).await.unwrap().is_empty());

        let other = pending(&app, owner, -1).await;
        queue::claim(&app.db, "w", LEASE, 1).await.unwrap();
        let handed_back = queue::finish(&app.db, other, "w", Outcome::HandBack).await.unwrap().unwrap();
        assert_eq!(handed_back.status, VideoPromptStatus::Pending);
        assert_eq!(handed_back.attempts, 0);
        let again = queue::claim(&app.db, "w2", LEASE, 1).await.unwrap();
        assert_eq!(again[0].id, other);
        assert_eq!(again[0].attempts, 1);
    }

    async fn concurrent_claimers_never_take_the_same_record(app) {
        let owner = image_id(&app).await;
        let mut ids = HashSet::new();
        for _ in 0..40 {
            ids.insert(pending(&app, owner, -1).await);
        }
        let mut claimers = Vec::new();
        for worker in 0..4 {
            let db = app.db.clone();
            claimers.push(tokio::spawn(async move {
                let owner = format!("worker-{worker}");
                let mut mine = Vec::new();
                loop {
                    let batch = queue::claim(&db, &owner, LEASE, 3).await.unwrap();
                    if batch.is_empty() {
                        break mine;
                    }
                    mine.extend(batch.into_iter().map(|job| job.id));
                }
            }));
        }
        let mut seen = Vec::new();
        for claimer in claimers {
            seen.extend(claimer.await.unwrap());
        }
        let unique: HashSet<_> = seen.iter().copied().collect();
        assert_eq!(seen.len(), unique.len(), "a record was claimed twice");
        assert_eq!(unique, ids, "a due record was never claimed");
    }

    async fn the_runner_claims_again_only_when_more_may_be_due(app) {
        let owner = image_id(&app).await;
        // One record, two free workers: the claim that takes it took less than it asked for,
        // so nothing else was due; claiming again at once would take nothing.
        let one = pending(&app, owner, -1).await;
        assert_eq!(claims_until_finished(&app, &[one]).await, 1, "claims for one record");

        // Three records, two workers: the first claim fills both slots, the third record is
        // taken when a worker is free again, and nothing is left behind.
        let three = [
            pending(&app, owner, -3).await,
            pending(&app, owner, -2).await,
            pending(&app, owner, -1).await,
        ];
        let claims = claims_until_finished(&app, &three).await;
        assert!((2..=3).contains(&claims), "claims for three records: {claims}");
    }
}
