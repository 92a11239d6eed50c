//! The service API does whole operations, effects included, whoever calls it (here: the test
//! itself, no resolver in between): a new record is published once and run by the workers, a
//! cancel stops the running Gemini call, and an unchanged record (an idempotent replay, a
//! repeated cancel) is not published again.

use std::time::Duration;

use entity::sea_orm_active_enums::VideoPromptStatus;
use tokio::sync::broadcast::{Receiver, error::TryRecvError};
use uuid::Uuid;
use videoprompt::{
    domain::styles::{CameraStyle, FilmEffect},
    events::Event,
    services::video_prompts::NewVideoPrompt,
};

use testkit::{eventually_within, scenario::user_with_image};

use crate::{
    both_backends,
    helpers::{Backend, TestApp, app_with_stand_in, image_id, until_generation_calls},
};

fn ask(image_id: Uuid, key: Option<&str>) -> NewVideoPrompt {
    NewVideoPrompt {
        image_id,
        camera_style: CameraStyle::Static,
        film_effect: FilmEffect::None,
        notes: None,
        idempotency_key: key.map(str::to_owned),
    }
}

/// The one change published since the last look, which must be of `id` in `status`.
fn one_change(events: &mut Receiver<Event>, id: Uuid, status: VideoPromptStatus) {
    match events.try_recv() {
        Ok(Event::Changed(record)) => {
            assert_eq!((record.id, record.status), (id, status), "{record:?}");
        }
        other => panic!("expected the change of {id} to {status:?}, got {other:?}"),
    }
    nothing_more(events);
}

fn nothing_more(events: &mut Receiver<Event>) {
    match events.try_recv() {
        Err(TryRecvError::Empty) => {}
        other => panic!("nothing more was expected, got {other:?}"),
    }
}

both_backends! {
    configure: |args| args.jobs.workers = 0;
    async fn every_real_change_is_published_once_and_an_unchanged_record_not_again(app) {
        let (user, image) = image_id(&app).await;
        app.state.gemini_keys.set_key(user, "test-key-1234".to_owned().into()).await.unwrap();
        if let Some(cluster) = &app.cluster {
            // Its first connection tells every subscriber to resync: let that pass first.
            let mut state = cluster.listener_state();
            state.wait_for(|state| state.listening).await.unwrap();
        }
        let mut events = app.state.events.subscribe();
        let prompts = &app.state.video_prompts;

        let first = prompts.request(user, ask(image, Some("k-1"))).await.unwrap();
        one_change(&mut events, first.id, VideoPromptStatus::Pending);
        let replay = prompts.request(user, ask(image, Some("k-1"))).await.unwrap();
        assert_eq!(replay.id, first.id);
        nothing_more(&mut events);

        let cancelled = prompts.cancel(user, first.id).await.unwrap();
        one_change(&mut events, first.id, VideoPromptStatus::Cancelled);
        let again = prompts.cancel(user, first.id).await.unwrap();
        assert_eq!(again, cancelled);
        nothing_more(&mut events);

        let retried = prompts.retry(user, first.id).await.unwrap();
        one_change(&mut events, retried.id, VideoPromptStatus::Pending);
    }
}

async fn a_cancel_through_the_service_stops_the_running_call(backend: Backend) {
    // A long lease: the worker would notice the cancel at its next renewal only after 40 s, so
    // an abort within the wait below came from the cancel itself.
    let Some((app, stand_in)) = app_with_stand_in(backend, |args| {
        args.jobs.workers = 1;
        args.jobs.lease = Duration::from_secs(120);
    })
    .await
    else {
        return;
    };
    let (token, image) = user_with_image(&app, "dienst@example.de", "fault:slow:60000").await;
    let user = signed_in_user(&app, &token).await;
    let image = Uuid::parse_str(&image).unwrap();

    let record = app
        .state
        .video_prompts
        .request(user, ask(image, None))
        .await
        .unwrap();
    // No resolver woke the workers: the service did.
    until_generation_calls(&stand_in, 1).await;
    assert_eq!(app.jobs.running(), 1);

    let cancelled = app
        .state
        .video_prompts
        .cancel(user, record.id)
        .await
        .unwrap();
    assert_eq!(cancelled.status, VideoPromptStatus::Cancelled);
    // Well before the lease renewal at 40 s: only the cancel itself can have done it.
    eventually_within(
        Duration::from_secs(30),
        "the attempt is aborted and the stand-in saw the call dropped",
        async || app.jobs.running() == 0 && stand_in.abandoned_streams() == 1,
    )
    .await;
}

async fn signed_in_user(app: &TestApp, token: &str) -> Uuid {
    app.state
        .accounts
        .authenticate(token)
        .await
        .unwrap()
        .expect("a live session")
        .session
        .user_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_through_the_service_stops_the_running_call_on_sqlite() {
    a_cancel_through_the_service_stops_the_running_call(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_through_the_service_stops_the_running_call_on_postgres() {
    a_cancel_through_the_service_stops_the_running_call(Backend::Postgres).await;
}
