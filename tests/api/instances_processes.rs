//! Two real `videoprompt` processes on one fresh PostgreSQL database, one object store and one
//! Gemini stand-in, as an operator runs them behind a load balancer (issue 7): a subscriber on
//! the instance started with `--workers 0` sees the record claimed, streamed and finished by
//! the other.

use std::{path::Path, process::Command, time::Duration};

use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};
use videoprompt::{
    crypto::MasterKey,
    gemini::{StandIn, StandInConfig},
};

use crate::{
    helpers::{PASSWORD, create_postgres_database, http_client, postgres_admin_url},
    process::{ServerProcess, videoprompt},
    upload_client::{fixture, upload_form},
};

/// Drops the test database when the test ends, however it ends.
struct DropDatabase(String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let name = self.0.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                }
            });
        })
        .join();
    }
}

/// The binary with the settings every instance shares.
fn instance(dir: &Path, shared: &[(&str, String)], workers: &str) -> Command {
    let mut command = videoprompt(dir);
    command.args(["serve", "--listen", "127.0.0.1:0", "--workers", workers]);
    for (name, value) in shared {
        command.env(name, value);
    }
    command
}

/// Waits until the process has logged `needle` (a guard against a hang, not a measurement).
async fn until_logged(server: &mut ServerProcess, needle: &str) {
    for _ in 0..600 {
        if server.log_so_far().contains(needle) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never logged {needle:?}:\n{}", server.log_so_far());
}

async fn gql(server: &ServerProcess, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = http_client()
        .post(server.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_a_workerless_process_sees_the_other_process_do_the_work() {
    let Some((name, url)) = create_postgres_database().await else {
        return;
    };
    let _database = DropDatabase(name);
    let stand_in = StandIn::spawn(StandInConfig::default()).await.unwrap();
    let store = tempfile::tempdir().unwrap();
    let shared = [
        ("DATABASE_URL", url),
        ("VIDEOPROMPT_MASTER_KEY", MasterKey::generate().to_base64()),
        (
            "VIDEOPROMPT_OBJECT_STORE_URL",
            url::Url::from_directory_path(store.path())
                .unwrap()
                .to_string(),
        ),
        ("VIDEOPROMPT_GEMINI_BASE_URL", stand_in.base_url()),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // One after the other: the first start migrates the fresh database.
    let mut a = ServerProcess::start(instance(dir_a.path(), &shared, "0"))
        .unwrap_or_else(|(status, log)| panic!("a did not start ({status}):\n{log}"));
    let mut b = ServerProcess::start(instance(dir_b.path(), &shared, "2"))
        .unwrap_or_else(|(status, log)| panic!("b did not start ({status}):\n{log}"));
    until_logged(&mut a, "listening for other instances' changes").await;
    until_logged(&mut b, "listening for other instances' changes").await;

    // Everything through `a`: sign up, key, collection, upload, subscription, request.
    let data = gql(
        &a,
        None,
        "mutation($input: CredentialsInput!) { register(input: $input) { token } }",
        json!({ "input": { "email": "two@example.org", "password": PASSWORD } }),
    )
    .await;
    let token = data["register"]["token"].as_str().unwrap().to_owned();
    // Five chunks over 1.5 s: the text arrives in steps.
    gql(
        &a,
        Some(&token),
        "mutation { setGeminiApiKey(apiKey: \"fault:slow:1500\") { hasGeminiApiKey } }",
        json!({}),
    )
    .await;
    let data = gql(
        &a,
        Some(&token),
        "mutation { createCollection(name: \"Zwei\") { id } }",
        json!({}),
    )
    .await;
    let collection = data["createCollection"]["id"].as_str().unwrap();
    let form = upload_form(
        collection,
        "landscape.jpg",
        fixture("landscape.jpg"),
        "image/jpeg",
    );
    let uploaded: Value = http_client()
        .post(a.url("/graphql"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let image_id = uploaded["data"]["uploadImage"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{uploaded}"))
        .to_owned();

    let mut request = a
        .url("/graphql")
        .replace("http://", "ws://")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |message: Value| Message::Text(message.to_string().into());
    ws.send(send(json!({ "type": "connection_init",
                         "payload": { "Authorization": format!("Bearer {token}") } })))
        .await
        .unwrap();
    ws.send(send(json!({ "type": "subscribe", "id": "1", "payload": {
            "query": "subscription($i: ID) { videoPromptUpdated(imageId: $i) { id status prompt } }",
            "variables": { "i": image_id } } })))
        .await
        .unwrap();
    let mut next = async || loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("no event within half a minute")
            .expect("the WebSocket closed")
            .unwrap();
        let Message::Text(text) = frame else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        match message["type"].as_str() {
            Some("next") => return message["payload"]["data"]["videoPromptUpdated"].clone(),
            Some("ping") => {}
            Some("connection_ack" | "pong") => {}
            _ => panic!("unexpected {message}"),
        }
    };

    let data = gql(
        &a,
        Some(&token),
        "mutation($i: ID!) { generateVideoPrompt(input: { imageId: $i, cameraStyle: CRANE,
            filmEffect: DREAMY }) { id } }",
        json!({ "i": image_id }),
    )
    .await;
    let id = data["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut seen = Vec::new();
    loop {
        let record = next().await;
        assert_eq!(record["id"], id.as_str(), "{record}");
        let finished = record["status"] != "PENDING" && record["status"] != "PROCESSING";
        seen.push(record);
        if finished {
            break;
        }
    }
    let statuses: Vec<&str> = seen.iter().map(|r| r["status"].as_str().unwrap()).collect();
    // The subscription may start after the record was claimed: PENDING is not always seen.
    assert!(statuses.contains(&"PROCESSING"), "{seen:?}");
    assert_eq!(statuses.last(), Some(&"COMPLETED"), "{seen:?}");
    let prompt = seen.last().unwrap()["prompt"].as_str().unwrap();
    assert!(prompt.contains("Kranfahrt"), "{prompt}");
    assert!(
        seen.iter().any(|r| r["status"] == "PROCESSING"
            && r["prompt"]
                .as_str()
                .is_some_and(|t| !t.is_empty() && t.len() < prompt.len())),
        "no streamed text: {seen:?}"
    );
    let calls = stand_in
        .requests()
        .iter()
        .filter(|r| r.path.contains("GenerateContent") || r.path.contains("generateContent"))
        .count();
    assert_eq!(calls, 1);
    // `a` has no workers; `b` said it claimed work.
    assert!(a.log_so_far().contains("no workers"), "{}", a.log_so_far());
    drop(ws);
    a.signal("TERM");
    b.signal("TERM");
    let (status_a, log_a) = a.wait();
    let (status_b, log_b) = b.wait();
    assert!(status_a.success(), "{log_a}");
    assert!(status_b.success(), "{log_b}");
}
