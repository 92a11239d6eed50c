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

use std::{process::Command, time::Duration};

use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{ConnectionTrait, Database, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;
use videoprompt::gemini::{StandIn, StandInConfig};

use crate::{
    generation::{FOLLOW, GENERATE, until_generation_calls},
    helpers::{Backend, PASSWORD, create_postgres_database, postgres_admin_url},
    process::{ServerProcess, videoprompt},
};

/// Where one test's data lives across restarts.
struct Store {
    dir: tempfile::TempDir,
    /// `(name, url)` of the PostgreSQL database; SQLite (the data dir's file) when `None`.
    postgres: Option<(String, String)>,
    master_key: String,
}

impl Store {
    async fn new(backend: Backend) -> Option<Self> {
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(create_postgres_database().await?),
        };
        Some(Self {
            dir: tempfile::tempdir().unwrap(),
            postgres,
            master_key: videoprompt::crypto::MasterKey::generate().to_base64(),
        })
    }

    fn database_url(&self) -> String {
        match &self.postgres {
            Some((_, url)) => url.clone(),
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
        if let Some((_, url)) = &self.postgres {
            command.env("DATABASE_URL", url);
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

    async fn drop_database(self) {
        if let Some((name, _)) = self.postgres {
            let admin = Database::connect(postgres_admin_url()).await.unwrap();
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            let _ = admin.close().await;
        }
    }
}

/// Registers a user with a slow Gemini key, uploads an image and starts a generation; returns
/// (token, record id) once Gemini is writing.
async fn start_generation(
    server: &ServerProcess,
    stand_in: &StandIn,
    calls: usize,
) -> (String, String) {
    let body = server
        .gql(
            "mutation($input: CredentialsInput!) { register(input: $input) { token } }",
            json!({ "input": { "email": format!("d{calls}@example.org"), "password": PASSWORD } }),
            None,
        )
        .await;
    let token = body["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .gql(
            "mutation { setGeminiApiKey(apiKey: \"fault:slow:4000\") { id } }",
            json!({}),
            Some(&token),
        )
        .await;
    let body = server
        .gql(
            "mutation { createCollection(name: \"Berge\") { id } }",
            json!({}),
            Some(&token),
        )
        .await;
    let collection = body["data"]["createCollection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let image = server
        .upload(&token, &collection, "landscape.jpg", "image/jpeg")
        .await;
    let body = server.gql(GENERATE,
        json!({ "input": { "imageId": image, "cameraStyle": "DOLLY_IN", "filmEffect": "FILM_GRAIN" } }),
        Some(&token),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    until_generation_calls(stand_in, calls).await;
    (token, id)
}

/// Polls `videoPrompt(id)` until it is finished (bounded: every path ends).
async fn until_finished(server: &ServerProcess, token: &str, id: &str) -> Value {
    for _ in 0..1500 {
        let body = server.gql(FOLLOW, json!({ "id": id }), Some(token)).await;
        let record = &body["data"]["videoPrompt"];
        match record["status"].as_str() {
            Some("COMPLETED" | "FAILED" | "CANCELLED") => return record.clone(),
            Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            None => panic!("videoPrompt({id}) answered {body}"),
        }
    }
    panic!("videoPrompt({id}) did not finish within half a minute");
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
    store.drop_database().await;
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
    store.drop_database().await;
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
    store.drop_database().await;
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(crate::helpers::Backend::Postgres).await;
                }
            }
        )*
    };
}

on_both_backends!(
    a_killed_server_finishes_the_generation_after_a_restart,
    sigterm_lets_a_generation_in_flight_finish,
    sigterm_without_grace_hands_the_generation_back,
);
