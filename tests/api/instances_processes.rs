//! Two real `videoprompt` processes on one fresh PostgreSQL database, one object store and one
//! Gemini stand-in, as an operator runs them behind a load balancer (issue 7): a subscriber on
//! the instance started with `--workers 0` sees the record claimed, streamed and finished by
//! the other.

use std::{path::Path, process::Command};

use serde_json::json;
use testkit::{
    ServerProcess, TestDatabase, WsClient, eventually,
    scenario::{
        bearer, create_collection, fixture, generate, register, set_gemini_key, upload_accepted,
    },
};
use videoprompt::{
    crypto::MasterKey,
    gemini::{StandIn, StandInConfig},
};

use crate::helpers::{generation_calls, videoprompt};

/// The binary with the settings every instance shares.
fn instance(dir: &Path, shared: &[(&str, String)], workers: &str) -> Command {
    let mut command = videoprompt(dir);
    command.args(["serve", "--listen", "127.0.0.1:0", "--workers", workers]);
    for (name, value) in shared {
        command.env(name, value);
    }
    command
}

/// Waits until the process has logged `needle`.
async fn until_logged(server: &mut ServerProcess, needle: &str) {
    eventually(
        format_args!("the process has logged {needle:?}"),
        async || server.log_so_far().contains(needle),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_a_workerless_process_sees_the_other_process_do_the_work() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let stand_in = StandIn::spawn(StandInConfig::default()).await.unwrap();
    let store = tempfile::tempdir().unwrap();
    let shared = [
        ("DATABASE_URL", database.url().to_owned()),
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
    let (token, _) = register(&a, "two@example.org").await;
    // Five chunks over 1.5 s: the text arrives in steps.
    set_gemini_key(&a, &token, "fault:slow:1500").await;
    let collection = create_collection(&a, &token, "Zwei").await;
    let image_id = upload_accepted(
        &a,
        &token,
        &collection,
        "landscape.jpg",
        fixture("landscape.jpg"),
        "image/jpeg",
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut ws = WsClient::connect(&a, "graphql-transport-ws", None).await;
    ws.init(bearer(&token)).await;
    ws.subscribe(
        "1",
        "subscription($i: ID) { videoPromptUpdated(imageId: $i) { id status prompt } }",
        json!({ "i": image_id }),
    )
    .await;

    let body = generate(
        &a,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "CRANE", "filmEffect": "DREAMY" }),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let mut seen = Vec::new();
    loop {
        let record = ws.next_of("1").await["data"]["videoPromptUpdated"].clone();
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
    assert_eq!(generation_calls(&stand_in).len(), 1);
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
