//! Real clients over the real server's WebSocket: the npm `graphql-ws` client under Node (what
//! single-page apps use), and GraphiQL in headless Chromium. Both scripts live in
//! `tests/browser`; without Node, its packages or Chromium the tests announce a skip, unless
//! VIDEOPROMPT_REQUIRE_ALL_SUITES=1 makes that a failure.

use serde_json::{Value, json};

use testkit::{
    announce_skip, require_all_suites,
    scenario::{generate, user_with_image},
};

use crate::helpers::{Backend, app_with_stand_in, node_script, run_node};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_npm_graphql_ws_client_follows_a_generation() {
    let script = match node_script("graphql-ws.mjs", &["graphql-ws", "ws"], false) {
        Ok(script) => script,
        Err(reason) if !require_all_suites() => return announce_skip("graphql-ws (Node)", &reason),
        Err(reason) => panic!("the graphql-ws suite is required but cannot run: {reason}"),
    };
    let (app, _stand_in) = app_with_stand_in(Backend::Sqlite, |_| {}).await.unwrap();
    let (token, image_id) = user_with_image(&app, "node@example.org", "fault:slow:1000").await;
    let body = generate(
        &app,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "DRONE", "filmEffect": "NOIR" }),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, stdout, stderr) = run_node(
        &script,
        &[format!("ws://{}/graphql", app.addr), token, id.clone()],
    )
    .await;
    assert!(ok, "the graphql-ws client failed:\n{stdout}\n{stderr}");
    let events: Vec<Value> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("event "))
        .map(|json| serde_json::from_str(json).unwrap())
        .collect();
    let last = &events.last().expect("no event")["data"]["videoPromptUpdated"];
    assert_eq!(last["id"], id.as_str());
    assert_eq!(last["status"], "COMPLETED", "{stdout}");
    assert!(last["prompt"].as_str().is_some_and(|p| !p.is_empty()));
    assert!(stdout.lines().any(|line| line == "complete"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_shows_a_subscription_in_headless_chromium() {
    let script = match node_script("graphiql-subscription.mjs", &["playwright-core"], true) {
        Ok(script) => script,
        Err(reason) if !require_all_suites() => {
            return announce_skip("browser (GraphiQL subscription)", &reason);
        }
        Err(reason) => panic!("the browser suite is required but cannot run: {reason}"),
    };
    let (app, _stand_in) = app_with_stand_in(Backend::Sqlite, |_| {}).await.unwrap();
    let (token, image_id) = user_with_image(&app, "graphiql@example.org", "fault:slow:500").await;
    let (ok, stdout, stderr) =
        run_node(&script, &[format!("http://{}", app.addr), token, image_id]).await;
    assert!(
        ok,
        "the GraphiQL subscription check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("graphiql-subscription: OK"), "{stdout}");
}
