//! The runner leaves no record PENDING or PROCESSING for good, even when the attempt itself
//! misbehaves: a handler that panics, and a record whose workers keep dying (its lease running
//! out again and again). The server's own runner is off (`--workers 0`); the test drives one
//! with a handler of its own on the same database.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::EntityTrait;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use videoprompt::{
    events::EventHub,
    jobs::{
        Jobs, queue,
        retry::RetryPolicy,
        runner::{self, Attempt, Handler, RunnerConfig},
    },
};

use testkit::eventually;

use crate::{
    helpers::{Backend, TestApp, image_id, pending},
    on_both_backends,
};

/// Panics on every attempt, counting them.
struct Panics(Arc<AtomicUsize>);

#[async_trait]
impl Handler for Panics {
    async fn run(&self, _: &video_prompt::Model, _: CancellationToken) -> Attempt {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("a bug in the handler");
    }
}

fn config() -> RunnerConfig {
    RunnerConfig {
        owner: format!("test-{}", Uuid::now_v7().simple()),
        workers: 2,
        lease: Duration::from_secs(30),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        shutdown_grace: Duration::ZERO,
        idle_poll: Duration::from_millis(50),
    }
}

/// Runs a runner with `handler` until `id` is finished; returns the record.
async fn run_until_finished(
    app: &TestApp,
    id: Uuid,
    handler: Arc<dyn Handler>,
) -> video_prompt::Model {
    let shutdown = CancellationToken::new();
    let runner = tokio::spawn(runner::run(
        app.db.clone(),
        config(),
        Jobs::local(),
        handler,
        EventHub::local(),
        shutdown.clone(),
    ));
    // Every path ends; the deadline turns a strand into a readable failure.
    let record = eventually(format_args!("record {id} is finished"), async || {
        let now = video_prompt::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        (!matches!(
            now.status,
            VideoPromptStatus::Pending | VideoPromptStatus::Processing
        ))
        .then_some(now)
    })
    .await;
    shutdown.cancel();
    runner.await.unwrap();
    record
}

async fn a_panicking_handler_ends_the_record_failed(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |args| args.jobs.workers = 0).await else {
        return;
    };
    let id = pending(&app, image_id(&app).await, -1).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let record = run_until_finished(&app, id, Arc::new(Panics(calls.clone()))).await;
    assert_eq!(record.status, VideoPromptStatus::Failed, "{record:?}");
    assert_eq!(record.error_code.as_deref(), Some("INTERNAL"));
    assert_eq!(record.attempts, 2, "a panic counts as a try and is retried");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(record.lease_owner, None);
}

async fn a_record_whose_workers_keep_dying_ends_failed(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |args| args.jobs.workers = 0).await else {
        return;
    };
    let id = pending(&app, image_id(&app).await, -1).await;
    // Workers that claimed it and died: each lease ran out at once, each try counted.
    for _ in 0..2 {
        let claimed = queue::claim(&app.db, "dead", Duration::ZERO, 1)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let record = run_until_finished(&app, id, Arc::new(Panics(calls.clone()))).await;
    assert_eq!(record.status, VideoPromptStatus::Failed, "{record:?}");
    assert_eq!(record.error_code.as_deref(), Some("INTERNAL"));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "the limit was reached before this try"
    );
}

on_both_backends!(
    a_panicking_handler_ends_the_record_failed,
    a_record_whose_workers_keep_dying_ends_failed,
);
