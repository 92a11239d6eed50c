//! Asking for, cancelling and retrying video prompts at the service layer, on a real database:
//! the checks and their order, idempotency, and the state rules DESIGN settles.

use entity::sea_orm_active_enums::VideoPromptStatus;
use uuid::Uuid;
use videoprompt::{
    domain::{
        failure_code::FailureCode,
        styles::{CameraStyle, FilmEffect},
    },
    jobs::queue::{self, Outcome},
    services::video_prompts as prompts,
};

use crate::{
    both_backends,
    helpers::{TestApp, image_id},
};

fn ask(image_id: Uuid, key: Option<&str>) -> prompts::NewVideoPrompt {
    prompts::NewVideoPrompt {
        image_id,
        camera_style: CameraStyle::Orbit,
        film_effect: FilmEffect::GoldenHour,
        notes: Some("  Möwen über dem Hafen ".into()),
        idempotency_key: key.map(str::to_owned),
    }
}

async fn with_key(app: &TestApp) -> (Uuid, Uuid) {
    let (user, image) = image_id(app).await;
    app.state
        .gemini_keys
        .set_key(user, "test-key-1234".to_owned().into())
        .await
        .unwrap();
    (user, image)
}

both_backends! {
    // No workers: a request wakes them, and the test claims records itself.
    configure: |args| args.jobs.workers = 0;
    async fn a_request_is_recorded_pending_with_clean_inputs(app) {
        let (user, image) = with_key(&app).await;
        let before = app.statements.get();
        let record = app.state.video_prompts.request(user, ask(image, None)).await.unwrap();
        // The key's presence, the image's owner and the insert: one `INSERT … SELECT`.
        assert_eq!(app.statements.get() - before, 1, "statements for one request");
        assert_eq!(record.status, VideoPromptStatus::Pending);
        assert_eq!(record.camera_style, "ORBIT");
        assert_eq!(record.film_effect, "GOLDEN_HOUR");
        assert_eq!(record.notes.as_deref(), Some("Möwen über dem Hafen"));
        assert_eq!(record.attempts, 0);
        assert_eq!(prompts::find(&app.db, user, record.id).await.unwrap(), Some(record));
    }

    async fn the_checks_come_in_order_input_key_ownership(app) {
        let (user, image) = image_id(&app).await;
        let mut long = ask(image, None);
        long.notes = Some("x".repeat(501));
        let err = app.state.video_prompts.request(user, long).await.unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");

        let err = app.state.video_prompts.request(user, ask(image, None)).await.unwrap_err();
        assert_eq!(err.code(), "GEMINI_API_KEY_MISSING");

        let (stranger, _) = with_key(&app).await;
        let err = app.state.video_prompts.request(stranger, ask(image, None)).await.unwrap_err();
        assert_eq!(err.code(), "NOT_FOUND", "another user's image must look missing");
        let err = app.state.video_prompts.request(stranger, ask(Uuid::now_v7(), None)).await.unwrap_err();
        assert_eq!(err.code(), "NOT_FOUND");
    }

    async fn an_idempotency_key_returns_the_same_record_or_a_conflict(app) {
        let (user, image) = with_key(&app).await;
        let first = app.state.video_prompts.request(user, ask(image, Some("k-1"))).await.unwrap();
        let again = app.state.video_prompts.request(user, ask(image, Some("k-1"))).await.unwrap();
        assert_eq!(first.id, again.id);

        let mut different = ask(image, Some("k-1"));
        different.film_effect = FilmEffect::Noir;
        let err = app.state.video_prompts.request(user, different).await.unwrap_err();
        assert_eq!(err.code(), "CONFLICT");

        // Keys belong to their user: another user's same key makes their own record.
        let (other, other_image) = with_key(&app).await;
        let theirs = app.state.video_prompts.request(other, ask(other_image, Some("k-1"))).await.unwrap();
        assert_ne!(theirs.id, first.id);
        assert!(prompts::find(&app.db, other, first.id).await.unwrap().is_none());
    }

    async fn cancel_and_retry_follow_the_settled_rules(app) {
        let (user, image) = with_key(&app).await;
        let pending = app.state.video_prompts.request(user, ask(image, None)).await.unwrap();
        let cancelled = app.state.video_prompts.cancel(user, pending.id).await.unwrap();
        assert_eq!(cancelled.status, VideoPromptStatus::Cancelled);
        assert!(cancelled.completed_at.is_some());
        let unchanged = app.state.video_prompts.cancel(user, pending.id).await.unwrap();
        assert_eq!(unchanged, cancelled, "cancelling twice changes nothing");

        let retried = app.state.video_prompts.retry(user, pending.id).await.unwrap();
        assert_ne!(retried.id, pending.id);
        assert_eq!(retried.status, VideoPromptStatus::Pending);
        assert_eq!(retried.notes, pending.notes);
        let err = app.state.video_prompts.retry(user, retried.id).await.unwrap_err();
        assert_eq!(err.code(), "CONFLICT", "a PENDING record cannot be retried");

        // A record a worker holds is cancelled too, and the worker's late result is dropped.
        let claimed = queue::claim(&app.db, "w", std::time::Duration::from_secs(30), 1).await.unwrap();
        assert_eq!(claimed[0].id, retried.id);
        app.state.video_prompts.cancel(user, retried.id).await.unwrap();
        let late = queue::finish(&app.db, retried.id, "w", Outcome::Failed {
            code: FailureCode::Internal,
            message: "late".into(),
        })
        .await
        .unwrap();
        assert!(late.is_none());

        let done = app.state.video_prompts.request(user, ask(image, None)).await.unwrap();
        queue::claim(&app.db, "w", std::time::Duration::from_secs(30), 1).await.unwrap();
        queue::finish(&app.db, done.id, "w", Outcome::Failed {
            code: FailureCode::GeminiAuth,
            message: "refused".into(),
        })
        .await
        .unwrap()
        .unwrap();
        let err = app.state.video_prompts.cancel(user, done.id).await.unwrap_err();
        assert_eq!(err.code(), "CONFLICT", "a FAILED record cannot be cancelled");
        assert!(app.state.video_prompts.retry(user, done.id).await.is_ok());

        let (stranger, _) = with_key(&app).await;
        assert_eq!(app.state.video_prompts.cancel(stranger, done.id).await.unwrap_err().code(), "NOT_FOUND");
        assert_eq!(app.state.video_prompts.retry(stranger, done.id).await.unwrap_err().code(), "NOT_FOUND");
    }
}
