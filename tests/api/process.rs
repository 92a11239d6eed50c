//! The real binary as an operator runs it: a fresh folder, no settings, signals, start-up refusals
//! and the log. These tests start `videoprompt` as a child process and read its stderr.

use std::process::Command;

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use testkit::{ServerProcess, http_client, scenario::PASSWORD};

use crate::helpers::{BINARY, videoprompt};

async fn post(server: &ServerProcess, query: &str, variables: Value) -> reqwest::Response {
    http_client()
        .post(server.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the request failed")
}

const REGISTER: &str =
    "mutation($input: CredentialsInput!) { register(input: $input) { user { email } } }";
const LOGIN: &str = "mutation($input: CredentialsInput!) { login(input: $input) { token } }";

#[tokio::test]
async fn serve_in_an_empty_folder_keeps_everything_under_data_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    // No command and no flags: only the port is moved off 8000, through its variable.
    let mut command = videoprompt(dir.path());
    command.env("VIDEOPROMPT_LISTEN", "127.0.0.1:0");
    let mut server = ServerProcess::start(command).expect("the server did not start");

    let data = dir.path().join("data");
    let key_file = data.join("master.key");
    let mode = std::fs::metadata(&key_file)
        .expect("no master key file")
        .permissions();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        mode.mode() & 0o777,
        0o600,
        "the master key file is not 0600"
    );

    let health = http_client()
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let app = http_client().get(server.url("/")).send().await.unwrap();
    assert_eq!(app.status(), 200);
    assert!(app.text().await.unwrap().contains("videoprompt-config"));
    let page = http_client()
        .get(server.url("/graphiql"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("GraphiQL"));

    let body: Value = post(
        &server,
        REGISTER,
        json!({ "input": { "email": "Ada@Example.org", "password": PASSWORD } }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["data"]["register"]["user"]["email"], "ada@example.org");

    // The database is the data dir's SQLite file, in WAL mode.
    let db_file = data.join("videoprompt.db");
    assert!(db_file.exists(), "no SQLite file in ./data");
    let conn = Database::connect(format!("sqlite://{}", db_file.display()))
        .await
        .unwrap();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    let mode: String = row.try_get_by_index(0).unwrap();
    assert_eq!(mode, "wal");
    conn.close().await.unwrap();

    let log = server.log_so_far();
    assert!(log.contains("GraphiQL at http://127.0.0.1:"), "{log}");

    server.signal("TERM");
    let (status, log) = server.wait();
    assert!(status.success(), "exit {status:?} after SIGTERM:\n{log}");
    assert!(log.contains("shut down cleanly"), "{log}");
}

#[tokio::test]
async fn ctrl_c_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = videoprompt(dir.path());
    command.args(["serve", "--listen", "127.0.0.1:0"]);
    let server = ServerProcess::start(command).expect("the server did not start");
    server.signal("INT");
    let (status, log) = server.wait();
    assert!(status.success(), "exit {status:?} after SIGINT:\n{log}");
    assert!(log.contains("shut down cleanly"), "{log}");
}

#[tokio::test]
async fn a_wrong_master_key_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = videoprompt(dir.path());
    first.args(["serve", "--listen", "127.0.0.1:0"]);
    let server = ServerProcess::start(first).expect("the first start failed");
    server.signal("TERM");
    assert!(server.wait().0.success());

    let wrong_key = videoprompt::crypto::MasterKey::generate().to_base64();
    let mut second = videoprompt(dir.path());
    second
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("VIDEOPROMPT_MASTER_KEY", &wrong_key);
    let Err((status, log)) = ServerProcess::start(second) else {
        panic!("the server started with a wrong master key");
    };
    assert!(!status.success());
    assert!(log.contains("master key does not match"), "{log}");
    assert!(!log.contains(&wrong_key), "the key was logged");
}

#[tokio::test]
async fn postgres_without_an_explicit_master_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = videoprompt(dir.path());
    command.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        "postgres://postgres@127.0.0.1:5432/postgres",
    ]);
    let Err((status, log)) = ServerProcess::start(command) else {
        panic!("the server started on PostgreSQL without a master key");
    };
    assert!(!status.success());
    assert!(log.contains("VIDEOPROMPT_MASTER_KEY"), "{log}");
    assert!(
        !dir.path().join("data/master.key").exists(),
        "a key file was made for PostgreSQL"
    );
}

#[test]
fn help_names_the_environment_variable_of_every_flag() {
    let output = Command::new(BINARY)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for variable in [
        "VIDEOPROMPT_LISTEN",
        "VIDEOPROMPT_DATA_DIR",
        "DATABASE_URL",
        "VIDEOPROMPT_MASTER_KEY",
        "VIDEOPROMPT_GEMINI_BASE_URL",
        "VIDEOPROMPT_GEMINI_MODEL",
        "VIDEOPROMPT_WORKERS",
    ] {
        assert!(help.contains(variable), "--help does not name {variable}");
    }
    assert!(help.contains("[default: 127.0.0.1:8000]"), "{help}");
}

#[tokio::test]
async fn an_internal_error_answers_generically_and_logs_the_detail_under_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = videoprompt(dir.path());
    command.args(["--listen", "127.0.0.1:0", "--log-format", "json"]);
    let server = ServerProcess::start(command).expect("the server did not start");
    let credentials = json!({ "input": { "email": "bob@example.org", "password": PASSWORD } });
    post(&server, REGISTER, credentials.clone()).await;

    // Damage the stored hash behind the server's back: verifying it must fail unexpectedly.
    let db_file = dir.path().join("data/videoprompt.db");
    let conn = Database::connect(format!("sqlite://{}", db_file.display()))
        .await
        .unwrap();
    conn.execute_unprepared("UPDATE users SET password_hash = 'not-a-phc-string'")
        .await
        .unwrap();
    conn.close().await.unwrap();

    let response = post(&server, LOGIN, credentials).await;
    let request_id = response
        .headers()
        .get("x-request-id")
        .expect("no x-request-id header")
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INTERNAL",
        "{body}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("phc") && !message.contains("hash"),
        "{message}"
    );

    server.signal("TERM");
    let (_, log) = server.wait();
    let line = log
        .lines()
        .find(|line| line.contains("internal error") && line.contains(&request_id))
        .unwrap_or_else(|| panic!("no internal error logged under {request_id}:\n{log}"));
    assert!(line.contains("stored password hash is malformed"), "{line}");
    assert!(!log.contains(PASSWORD), "a password reached the log");
}
