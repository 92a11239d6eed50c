//! `videoPromptUpdated` over a real WebSocket (tokio-tungstenite as the client): sign-in
//! variants, the connection rules (4408, 4403, the cap, logout), isolation between users, and
//! what a subscriber sees of a generation (current state first, the prompt growing, the end).

use std::time::Duration;

use serde_json::{Value, json};
use testkit::{
    WsClient, error_code, eventually,
    scenario::{
        BY_ID, BY_IMAGE, bearer, generate, set_gemini_key, until_finished, user_with_image,
    },
};
use videoprompt::config::ServeArgs;

use crate::helpers::{Backend, TestApp, app_with_stand_in};

/// A test on SQLite and on PostgreSQL, with the stand-in as Gemini and `configure` applied.
macro_rules! with_stand_in {
    ($($name:ident($configure:expr) => $scenario:ident;)*) => {
        $(
            mod $name {
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let (app, _stand_in) = app_with_stand_in(Backend::Sqlite, $configure).await.unwrap();
                    $scenario(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some((app, _stand_in)) = app_with_stand_in(Backend::Postgres, $configure).await {
                        $scenario(app).await;
                    }
                }
            }
        )*
    };
}

fn defaults(_: &mut ServeArgs) {}

fn quick_pings(args: &mut ServeArgs) {
    args.ws.ws_ping_interval = Duration::from_millis(200);
}

fn small_bodies(args: &mut ServeArgs) {
    args.graphql.body_limit = 8 * 1024;
}

fn two_subscriptions(args: &mut ServeArgs) {
    args.ws.ws_max_subscriptions = 2;
}

with_stand_in! {
    sign_in_variants(defaults) => sign_in_variants;
    arguments_are_checked(defaults) => arguments_are_checked;
    by_id_streams_the_prompt_and_completes(defaults) => by_id_streams_the_prompt_and_completes;
    by_image_starts_with_unfinished_records(defaults) => by_image_starts_with_unfinished_records;
    other_users_events_never_arrive(defaults) => other_users_events_never_arrive;
    logout_ends_the_subscriptions(quick_pings) => logout_ends_the_subscriptions;
    subscriptions_per_connection_are_capped(two_subscriptions) => subscriptions_per_connection_are_capped;
    a_slow_reader_gets_the_latest_state(defaults) => a_slow_reader_gets_the_latest_state;
    a_resync_delivers_what_the_hub_missed(defaults) => a_resync_delivers_what_the_hub_missed;
    protocol_details(small_bodies) => protocol_details;
}

/// A finished record of a fresh user: (token, image id, record id).
async fn finished_record(app: &TestApp, email: &str) -> (String, String, String) {
    let (token, image_id) = user_with_image(app, email, "test-key-0001").await;
    let body = generate(
        app,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "STATIC", "filmEffect": "NONE" }),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        until_finished(app, &token, &id).await["status"],
        "COMPLETED"
    );
    (token, image_id, id)
}

async fn sign_in_variants(app: TestApp) {
    let (token, _, id) = finished_record(&app, "ws-auth@example.org").await;

    // The upgrade request's header; the init payload's key in either case.
    for (header, payload) in [
        (Some(token.as_str()), json!({})),
        (None, bearer(&token)),
        (None, json!({ "authorization": format!("Bearer {token}") })),
    ] {
        let mut ws = WsClient::connect(&app, "graphql-transport-ws", header).await;
        ws.init(payload).await;
        ws.subscribe("1", BY_ID, json!({ "id": id })).await;
        let events = ws.until_complete("1").await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(
            events[0]["data"]["videoPromptUpdated"]["status"],
            "COMPLETED"
        );
    }

    // The legacy protocol.
    let mut ws = WsClient::connect(&app, "graphql-ws", None).await;
    ws.init(bearer(&token)).await;
    ws.send(json!({ "type": "start", "id": "1",
                    "payload": { "query": BY_ID, "variables": { "id": id } } }))
        .await;
    let events = ws.until_complete("1").await;
    assert_eq!(events[0]["data"]["videoPromptUpdated"]["id"], id.as_str());

    // No token: acknowledged, and the subscription answers UNAUTHENTICATED.
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(json!({})).await;
    ws.subscribe("1", BY_ID, json!({ "id": id })).await;
    let events = ws.until_complete("1").await;
    assert_eq!(
        error_code(&events[0]),
        Some("UNAUTHENTICATED"),
        "{events:?}"
    );

    // A wrong token, in the payload or the header: closed with 4403.
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.send(json!({ "type": "connection_init", "payload": bearer("not-a-token") }))
        .await;
    assert_eq!(ws.closed().await, Some(4403));
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", Some("not-a-token")).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.closed().await, Some(4403));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_connection_init_in_time_closes_4408() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.ws.ws_init_timeout = Duration::from_millis(200);
    })
    .await
    .unwrap();
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    assert_eq!(ws.closed().await, Some(4408));
}

async fn arguments_are_checked(app: TestApp) {
    let (token, image_id, id) = finished_record(&app, "ws-args@example.org").await;
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(bearer(&token)).await;
    let both = "subscription($id: ID, $imageId: ID) {
        videoPromptUpdated(id: $id, imageId: $imageId) { id } }";
    ws.subscribe("none", both, json!({})).await;
    ws.subscribe("two", both, json!({ "id": id, "imageId": image_id }))
        .await;
    ws.subscribe("bad", BY_ID, json!({ "id": "not-an-id" }))
        .await;
    for op in ["none", "two", "bad"] {
        let events = ws.until_complete(op).await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(error_code(&events[0]), Some("BAD_USER_INPUT"), "{events:?}");
    }
    // A missing record: NOT_FOUND, then complete.
    ws.subscribe("missing", BY_ID, json!({ "id": uuid::Uuid::now_v7() }))
        .await;
    let events = ws.until_complete("missing").await;
    assert_eq!(error_code(&events[0]), Some("NOT_FOUND"), "{events:?}");
    // The same missing record reads the same over HTTP and over the socket.
    let missing = uuid::Uuid::now_v7();
    let over_http = app
        .gql(
            "query($id: ID!) { videoPrompt(id: $id) { id } } ",
            json!({ "id": missing }),
            Some(&token),
        )
        .await;
    assert!(over_http["data"]["videoPrompt"].is_null(), "{over_http}");
    let cancelled = app
        .gql(
            "mutation($id: ID!) { cancelVideoPrompt(id: $id) { id } }",
            json!({ "id": missing }),
            Some(&token),
        )
        .await;
    assert_eq!(
        cancelled["errors"][0]["message"], "Video prompt not found.",
        "{cancelled}"
    );
    assert_eq!(
        events[0]["errors"][0]["message"], "Video prompt not found.",
        "{events:?}"
    );
}

async fn by_id_streams_the_prompt_and_completes(app: TestApp) {
    // The stand-in spreads the streamed answer over 1.5 s, so several updates go out.
    let (token, image_id) = user_with_image(&app, "ws-stream@example.org", "fault:slow:1500").await;
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(bearer(&token)).await;
    // Watching the image before the request exists sees every one of its changes.
    ws.subscribe("image", BY_IMAGE, json!({ "imageId": image_id }))
        .await;
    let body = generate(
        &app,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "DRONE", "filmEffect": "NOIR" }),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"].as_str().unwrap();
    ws.subscribe("1", BY_ID, json!({ "id": id })).await;

    let mut by_image = Vec::new();
    loop {
        let payload = ws.next_of("image").await;
        assert_eq!(error_code(&payload), None, "{payload}");
        let event = payload["data"]["videoPromptUpdated"].clone();
        assert_eq!(event["id"], id);
        let done = event["status"] == "COMPLETED";
        by_image.push(event);
        if done {
            break;
        }
    }
    let stored = until_finished(&app, &token, id).await;
    let full = stored["prompt"].as_str().unwrap();
    assert_eq!(
        by_image.last().unwrap()["prompt"],
        full,
        "the whole prompt at the end"
    );
    let growing: Vec<&str> = by_image
        .iter()
        .filter(|e| e["status"] == "PROCESSING")
        .filter_map(|e| e["prompt"].as_str())
        .collect();
    assert!(
        growing.len() >= 2,
        "several updates while writing: {by_image:?}"
    );
    for pair in growing.windows(2) {
        assert!(pair[0].len() < pair[1].len(), "{growing:?}");
    }
    for part in &growing {
        assert!(full.starts_with(part), "{part}");
    }

    // By id: the last event is the finished state with everything, then `complete`.
    let events = ws.until_complete("1").await;
    let last = &events.last().unwrap()["data"]["videoPromptUpdated"];
    assert_eq!(last["status"], "COMPLETED", "{events:?}");
    assert_eq!(last["prompt"], full);
    assert!(last["details"]["scene"].is_string(), "{last}");
    assert_eq!(last["image"]["id"], image_id.as_str());

    // Nothing is kept per record once nobody watches it: the finished record's channel went
    // with its subscription, and the image's goes when the socket closes.
    let hub = &app.state.events;
    assert_eq!(hub.channels(), 1, "only the image is still watched");
    drop(ws);
    eventually("the hub holds no channel", async || {
        hub.channels() == 0 && hub.subscribers() == 0
    })
    .await;
}

async fn by_image_starts_with_unfinished_records(app: TestApp) {
    let (token, image_id, finished) = finished_record(&app, "ws-image@example.org").await;
    // A second record that stays unfinished until it is cancelled.
    set_gemini_key(&app, &token, "fault:slow:60000").await;
    let body = generate(
        &app,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "PAN", "filmEffect": "NONE" }),
    )
    .await;
    let running = body["data"]["generateVideoPrompt"]["id"].as_str().unwrap();

    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(bearer(&token)).await;
    ws.subscribe("1", BY_IMAGE, json!({ "imageId": image_id }))
        .await;
    // The first event is the unfinished record, not the finished one.
    let first = ws.next_of("1").await;
    let first = &first["data"]["videoPromptUpdated"];
    assert_eq!(first["id"], running, "{first}");
    assert!(first["status"] == "PENDING" || first["status"] == "PROCESSING");
    // Its changes follow, up to the end.
    app.gql(
        "mutation($id: ID!) { cancelVideoPrompt(id: $id) { status } }",
        json!({ "id": running }),
        Some(&token),
    )
    .await;
    loop {
        let event = ws.next_of("1").await;
        let event = &event["data"]["videoPromptUpdated"];
        assert_eq!(event["id"], running, "{event}");
        assert_ne!(event["id"], finished.as_str());
        if event["status"] == "CANCELLED" {
            break;
        }
    }
    // A new request for the image shows up too.
    let body = generate(
        &app,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "TILT", "filmEffect": "NONE" }),
    )
    .await;
    let newest = body["data"]["generateVideoPrompt"]["id"].as_str().unwrap();
    let event = ws.next_of("1").await;
    assert_eq!(event["data"]["videoPromptUpdated"]["id"], newest);
}

async fn other_users_events_never_arrive(app: TestApp) {
    let (alice, alice_image, alice_record) = finished_record(&app, "ws-alice@example.org").await;
    let (bob, bob_image) = user_with_image(&app, "ws-bob@example.org", "test-key-0002").await;

    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(bearer(&bob)).await;
    // Alice's record and image look missing to Bob.
    ws.subscribe("a", BY_ID, json!({ "id": alice_record }))
        .await;
    let events = ws.until_complete("a").await;
    assert_eq!(error_code(&events[0]), Some("NOT_FOUND"), "{events:?}");
    ws.subscribe("b", BY_IMAGE, json!({ "imageId": alice_image }))
        .await;
    let events = ws.until_complete("b").await;
    assert_eq!(error_code(&events[0]), Some("NOT_FOUND"), "{events:?}");

    // Bob watches his image while Alice generates on hers; then Bob generates. The hub keeps
    // order, so any of Alice's events would arrive before Bob's first one.
    ws.subscribe("mine", BY_IMAGE, json!({ "imageId": bob_image }))
        .await;
    let body = generate(
        &app,
        &alice,
        json!({ "imageId": alice_image, "cameraStyle": "PAN", "filmEffect": "NONE" }),
    )
    .await;
    let alice_second = body["data"]["generateVideoPrompt"]["id"].as_str().unwrap();
    until_finished(&app, &alice, alice_second).await;
    let body = generate(
        &app,
        &bob,
        json!({ "imageId": bob_image, "cameraStyle": "PAN", "filmEffect": "NONE" }),
    )
    .await;
    let bob_record = body["data"]["generateVideoPrompt"]["id"].as_str().unwrap();
    loop {
        let event = ws.next_of("mine").await;
        let event = &event["data"]["videoPromptUpdated"];
        assert_eq!(event["id"], bob_record, "only Bob's own record: {event}");
        if event["status"] == "COMPLETED" {
            break;
        }
    }
}

async fn logout_ends_the_subscriptions(app: TestApp) {
    let (token, image_id, _) = finished_record(&app, "ws-logout@example.org").await;
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(bearer(&token)).await;
    ws.subscribe("1", BY_IMAGE, json!({ "imageId": image_id }))
        .await;
    let out = app
        .gql("mutation { logout }", json!({}), Some(&token))
        .await;
    assert_eq!(out["data"]["logout"], true, "{out}");
    // The session ended: the socket closes at once (4403), nothing more runs as the user.
    assert_eq!(ws.closed().await, Some(4403));
}

async fn subscriptions_per_connection_are_capped(app: TestApp) {
    let (token, image_id, id) = finished_record(&app, "ws-cap@example.org").await;
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(bearer(&token)).await;
    ws.subscribe("1", BY_IMAGE, json!({ "imageId": image_id }))
        .await;
    ws.subscribe("2", BY_IMAGE, json!({ "imageId": image_id }))
        .await;
    ws.subscribe("3", BY_ID, json!({ "id": id })).await;
    let events = ws.until_complete("3").await;
    assert_eq!(error_code(&events[0]), Some("RATE_LIMITED"), "{events:?}");
    // Ending one makes room again.
    ws.send(json!({ "type": "complete", "id": "1" })).await;
    ws.subscribe("4", BY_ID, json!({ "id": id })).await;
    let events = ws.until_complete("4").await;
    assert_eq!(
        events[0]["data"]["videoPromptUpdated"]["status"], "COMPLETED",
        "{events:?}"
    );
}

async fn a_slow_reader_gets_the_latest_state(app: TestApp) {
    use entity::video_prompt;
    use sea_orm::EntityTrait;

    // A generation that takes its time, so it can be cancelled while the reader sleeps.
    let (token, image_id) = user_with_image(&app, "ws-slow@example.org", "fault:slow:60000").await;
    let body = generate(
        &app,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "PAN", "filmEffect": "NONE" }),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"].as_str().unwrap();
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(bearer(&token)).await;
    ws.subscribe("1", BY_ID, json!({ "id": id })).await;
    let first = ws.next_of("1").await;
    assert_eq!(first["data"]["videoPromptUpdated"]["id"], id);

    // The reader stops reading while far more progress than the hub keeps goes out (large
    // texts, so socket buffers cannot hold it all either), then the record is cancelled.
    let record = video_prompt::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    const FLOOD: usize = 3000;
    for n in 1..=FLOOD {
        let mut progress = record.clone();
        progress.status = entity::sea_orm_active_enums::VideoPromptStatus::Processing;
        progress.prompt = Some("x".repeat(16 * 1024 + n));
        app.state.events.publish(progress);
    }
    let cancelled = app
        .gql(
            "mutation($id: ID!) { cancelVideoPrompt(id: $id) { status } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(
        cancelled["data"]["cancelVideoPrompt"]["status"], "CANCELLED",
        "{cancelled}"
    );

    // Reading again: never an older state after a newer one, and the last is the current one.
    let events = ws.until_complete("1").await;
    let events: Vec<&Value> = events
        .iter()
        .map(|p| &p["data"]["videoPromptUpdated"])
        .collect();
    assert_eq!(events.last().unwrap()["status"], "CANCELLED");
    let lengths: Vec<usize> = events
        .iter()
        .filter(|e| e["status"] == "PROCESSING")
        .filter_map(|e| e["prompt"].as_str().map(str::len))
        .collect();
    assert!(lengths.windows(2).all(|w| w[0] < w[1]), "only ever newer");
    assert!(
        events.len() < FLOOD,
        "the missed progress was skipped, not queued: {} events",
        events.len()
    );
}

async fn a_resync_delivers_what_the_hub_missed(app: TestApp) {
    use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

    let (token, image_id) =
        user_with_image(&app, "ws-resync@example.org", "fault:slow:60000").await;
    let body = generate(
        &app,
        &token,
        json!({ "imageId": image_id, "cameraStyle": "PAN", "filmEffect": "NONE" }),
    )
    .await;
    let id = body["data"]["generateVideoPrompt"]["id"].as_str().unwrap();
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(bearer(&token)).await;
    ws.subscribe("by-id", BY_ID, json!({ "id": id })).await;
    ws.subscribe("by-image", BY_IMAGE, json!({ "imageId": image_id }))
        .await;
    for op in ["by-id", "by-image"] {
        assert_eq!(ws.next_of(op).await["data"]["videoPromptUpdated"]["id"], id);
    }

    // A change the hub never hears of (as when another instance's notice is lost), then the
    // hub is told that changes may have been missed.
    let record = video_prompt::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut record = record.into_active_model();
    record.status = Set(VideoPromptStatus::Failed);
    record.error_code = Set(Some("GEMINI_UNAVAILABLE".into()));
    record.updated_at = Set(chrono::Utc::now());
    record.update(&app.db).await.unwrap();
    app.state.events.resync_all();

    let events = ws.until_complete("by-id").await;
    let last = &events.last().expect("the missed state")["data"]["videoPromptUpdated"];
    assert_eq!(last["status"], "FAILED", "{events:?}");
    loop {
        let event = ws.next_of("by-image").await;
        if event["data"]["videoPromptUpdated"]["status"] == "FAILED" {
            break;
        }
    }
}

async fn protocol_details(app: TestApp) {
    let (token, _, id) = finished_record(&app, "ws-protocol@example.org").await;
    let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
    ws.init(bearer(&token)).await;

    // A client's ping is answered with a pong.
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.message().await, json!({ "type": "pong" }));

    // An id can be used again once its operation is complete, and a query runs over the
    // socket too: one result, then complete.
    for _ in 0..2 {
        ws.subscribe("same", BY_ID, json!({ "id": id })).await;
        let events = ws.until_complete("same").await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(
            events[0]["data"]["videoPromptUpdated"]["status"],
            "COMPLETED"
        );
    }
    ws.subscribe("query", "{ me { email } }", json!({})).await;
    let events = ws.until_complete("query").await;
    assert_eq!(
        events,
        vec![json!({ "data": { "me": { "email": "ws-protocol@example.org" } } })]
    );

    // A message larger than a request body may be closes the connection (1009), and the
    // server goes on serving others.
    let padding = "x".repeat(16 * 1024);
    ws.subscribe("big", &format!("{BY_ID} # {padding}"), json!({ "id": id }))
        .await;
    assert_eq!(ws.closed().await, Some(1009));
    let mut other = WsClient::connect(&app, "graphql-transport-ws", None).await;
    other.init(bearer(&token)).await;
    other.subscribe("1", BY_ID, json!({ "id": id })).await;
    assert_eq!(other.until_complete("1").await.len(), 1);
}
