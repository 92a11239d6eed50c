//! Nothing is lost when the process dies: the real binary, killed or stopped mid-generation,
//! and started again on the same data (SQLite file, or the same PostgreSQL database).
//!
//! The stand-in runs in the test process and answers every generation call slowly
//! (`fault:slow:4000`), so there is always a call in flight to interrupt:
//! - SIGKILL: the dead worker's lease runs out (`--lease 2s`) and the restarted server takes the
//!   record up again: COMPLETED, with 2 tries counted;
//! - SIGTERM with a long grace: the call finishes before the process exits: COMPLETED, 1 try;
//! - SIGTERM with no grace: the call is aborted and the record handed back PENDING (the
//!   interrupted try not counted); the next start completes it.

use std::process::Command;

use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{Database, EntityTrait};
use serde_json::json;
use testkit::{
    ServerProcess, TestDatabase,
    scenario::{
        FOLLOW, create_collection, fixture, generate, register, set_gemini_key, until_finished,
        upload_accepted,
    },
};
use uuid::Uuid;
use videoprompt::gemini::{StandIn, StandInConfig};

use crate::{
    helpers::{Backend, until_generation_calls, videoprompt},
    on_both_backends,
};

/// Where one test's data lives across restarts.
struct Store {
    dir: tempfile::TempDir,
    /// The PostgreSQL database (dropped with the store); SQLite (the data dir's file) when
    /// `None`.
    postgres: Option<TestDatabase>,
    master_key: String,
}

impl Store {
    async fn new(backend: Backend) -> Option<Self> {
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TestDatabase::create().await?),
        };
        Some(Self {
            dir: tempfile::tempdir().unwrap(),
            postgres,
            master_key: videoprompt::crypto::MasterKey::generate().to_base64(),
        })
    }

    fn database_url(&self) -> String {
        match &self.postgres {
            Some(database) => database.url().to_owned(),
            None => format!(
                "sqlite://{}",
                self.dir.path().join("data/videoprompt.db").display()
            ),
        }
    }

    /// Starts the server on this store, with `extra` flags.
    fn start(&self, stand_in: &StandIn, extra: &[&str]) -> ServerProcess {
        let mut command: Command = videoprompt(self.dir.path());
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--lease", "2s"])
            .args(["--retry-base-delay", "20ms", "--gemini-base-url"])
            .arg(stand_in.base_url())
            .args(extra)
            .env("VIDEOPROMPT_MASTER_KEY", &self.master_key);
        if let Some(database) = &self.postgres {
            command.env("DATABASE_URL", database.url());
        }
        ServerProcess::start(command)
            .unwrap_or_else(|(status, log)| panic!("the server did not start ({status}):\n{log}"))
    }

    /// The record as the database holds it (read behind the server's back, while it is down).
    async fn record(&self, id: &str) -> video_prompt::Model {
        let db = Database::connect(self.database_url()).await.unwrap();
        let id: Uuid = id.parse().unwrap();
        let record = video_prompt::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        db.close().await.unwrap();
        record
    }
}

/// Registers a user with a slow Gemini key, uploads an image and starts a generation; returns
/// (token, record id) once Gemini is writing.
async fn start_generation(
    server: &ServerProcess,
    stand_in: &StandIn,
    calls: usize,
) -> (String, String) {
    let (token, _) = register(server, &format!("d{calls}@example.org")).await;
    set_gemini_key(server, &token, "fault:slow:4000").await;
    let collection = create_collection(server, &token, "Berge").await;
    let image = upload_accepted(
        server,
        &token,
        &collection,
        "landscape.jpg",
        fixture("landscape.jpg"),
        "image/jpeg",
    )
    .await;
    let body = generate(
        server,
        &token,
        json!({ "imageId": image["id"], "cameraStyle": "DOLLY_IN", "filmEffect": "FILM_GRAIN" }),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    until_generation_calls(stand_in, calls).await;
    (token, id)
}

async fn a_killed_server_finishes_the_generation_after_a_restart(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    let stand_in = StandIn::spawn(StandInConfig::default()).await.unwrap();
    let server = store.start(&stand_in, &[]);
    let (token, id) = start_generation(&server, &stand_in, 1).await;
    let body = server.gql(FOLLOW, json!({ "id": id }), Some(&token)).await;
    assert_eq!(
        body["data"]["videoPrompt"]["status"], "PROCESSING",
        "{body}"
    );

    server.signal("KILL");
    let (status, _) = server.wait();
    assert!(!status.success());
    let held = store.record(&id).await;
    assert_eq!(
        held.status,
        VideoPromptStatus::Processing,
        "the dead worker still holds it"
    );

    // The next start waits out the dead worker's lease and takes the record up again.
    let server = store.start(&stand_in, &[]);
    let done = until_finished(&server, &token, &id).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    server.signal("TERM");
    assert!(server.wait().0.success());
}

async fn sigterm_lets_a_generation_in_flight_finish(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    let stand_in = StandIn::spawn(StandInConfig::default()).await.unwrap();
    let server = store.start(&stand_in, &["--shutdown-grace", "30s"]);
    let (_, id) = start_generation(&server, &stand_in, 1).await;

    server.signal("TERM");
    let (status, log) = server.wait();
    assert!(status.success(), "exit {status:?}:\n{log}");
    assert!(log.contains("shut down cleanly"), "{log}");
    let record = store.record(&id).await;
    assert_eq!(record.status, VideoPromptStatus::Completed, "{record:?}");
    assert_eq!(record.attempts, 1);
    assert!(record.prompt.is_some_and(|p| !p.is_empty()));
}

async fn sigterm_without_grace_hands_the_generation_back(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    let stand_in = StandIn::spawn(StandInConfig::default()).await.unwrap();
    let server = store.start(&stand_in, &["--shutdown-grace", "0s"]);
    let (token, id) = start_generation(&server, &stand_in, 1).await;

    server.signal("TERM");
    let (status, log) = server.wait();
    assert!(status.success(), "exit {status:?}:\n{log}");
    let record = store.record(&id).await;
    assert_eq!(record.status, VideoPromptStatus::Pending, "{record:?}");
    assert_eq!(record.attempts, 0, "the interrupted try is not counted");
    assert_eq!(record.lease_owner, None);
    assert_eq!(stand_in.files_held(), 0);

    // The next start takes it up at once.
    let server = store.start(&stand_in, &[]);
    let done = until_finished(&server, &token, &id).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["attempts"], 1, "{done}");
    server.signal("TERM");
    assert!(server.wait().0.success());
}

on_both_backends!(
    a_killed_server_finishes_the_generation_after_a_restart,
    sigterm_lets_a_generation_in_flight_finish,
    sigterm_without_grace_hands_the_generation_back,
);
