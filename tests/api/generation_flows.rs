//! What a user does around a generation, through GraphQL: cancelling a call in flight, retrying,
//! deleting the image or its collection while Gemini is still writing, idempotency keys, and
//! the walls between users (another user's things look missing).

use std::time::Duration;

use serde_json::{Value, json};
use videoprompt::{events::Event, gemini::StandIn};

use testkit::{
    error_code,
    scenario::{
        GENERATE, create_collection, generate, set_gemini_key, until_finished, upload_ok,
        user_with_image,
    },
};

use crate::{
    helpers::{Backend, TestApp, app_with_stand_in, until_generation_calls, until_no_files_held},
    on_both_backends,
};

on_both_backends!(
    cancelling_a_call_in_flight_aborts_it_and_retry_makes_a_new_record,
    deleting_an_image_or_collection_in_flight_cancels_its_generations,
    idempotency_and_input_checks_through_graphql,
    another_users_prompts_and_images_look_missing,
    a_page_of_images_with_their_prompts_costs_a_fixed_number_of_statements,
);

const CANCEL: &str =
    "mutation($id: ID!) { cancelVideoPrompt(id: $id) { id status completedAt attempts } }";
const RETRY: &str = "mutation($id: ID!) { retryVideoPrompt(id: $id) { id status attempts cameraStyle filmEffect notes } }";

async fn start(app: &TestApp, token: &str, image_id: &str) -> String {
    let body = generate(
        app,
        token,
        json!({ "imageId": image_id, "cameraStyle": "ORBIT", "filmEffect": "VINTAGE",
                "notes": "Herbstlaub" }),
    )
    .await;
    body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("generateVideoPrompt answered {body}"))
        .to_owned()
}

/// A server whose images all go through the Files API (so an aborted call shows as a file the
/// stand-in still holds or not).
async fn files_api_app(backend: Backend) -> Option<(TestApp, StandIn)> {
    app_with_stand_in(backend, |args| args.gemini.gemini_inline_limit = 1024).await
}

async fn cancelling_a_call_in_flight_aborts_it_and_retry_makes_a_new_record(backend: Backend) {
    let Some((app, stand_in)) = files_api_app(backend).await else {
        return;
    };
    let (token, image_id) = user_with_image(&app, "cancel@example.org", "fault:slow:20000").await;
    let id = start(&app, &token, &image_id).await;
    // Gemini is writing: the file is uploaded and the generation call is open.
    until_generation_calls(&stand_in, 1).await;
    assert_eq!(stand_in.files_held(), 1);

    let body = app.gql(CANCEL, json!({ "id": id }), Some(&token)).await;
    let cancelled = body["data"]["cancelVideoPrompt"].clone();
    assert_eq!(cancelled["status"], "CANCELLED", "{body}");
    assert!(cancelled["completedAt"].is_string(), "{body}");
    // The call was aborted: its file is deleted long before the 20 s answer would have come.
    until_no_files_held(&stand_in).await;
    let record = until_finished(&app, &token, &id).await;
    assert_eq!(
        record["status"], "CANCELLED",
        "the worker overwrote the cancel: {record}"
    );
    assert_eq!(record["prompt"], Value::Null);

    // Cancelling again answers the record unchanged.
    let again = app.gql(CANCEL, json!({ "id": id }), Some(&token)).await;
    assert_eq!(again["data"]["cancelVideoPrompt"], cancelled, "{again}");

    // Retry: a new PENDING record with the same inputs, which completes with a working key.
    set_gemini_key(&app, &token, "plain-key-0002").await;
    let body = app.gql(RETRY, json!({ "id": id }), Some(&token)).await;
    let retried = &body["data"]["retryVideoPrompt"];
    assert_eq!(retried["status"], "PENDING", "{body}");
    assert_ne!(retried["id"], id.as_str());
    assert_eq!(retried["attempts"], 0);
    assert_eq!(retried["cameraStyle"], "ORBIT");
    assert_eq!(retried["filmEffect"], "VINTAGE");
    assert_eq!(retried["notes"], "Herbstlaub");
    let retried_id = retried["id"].as_str().unwrap().to_owned();
    // While it is not FAILED or CANCELLED, it cannot be retried (it may be PENDING or
    // PROCESSING or already COMPLETED by now: all are CONFLICT).
    let early = app
        .gql(RETRY, json!({ "id": retried_id }), Some(&token))
        .await;
    assert_eq!(error_code(&early), Some("CONFLICT"), "{early}");
    let done = until_finished(&app, &token, &retried_id).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["attempts"], 1);

    // A COMPLETED record can be neither cancelled nor retried.
    let body = app
        .gql(CANCEL, json!({ "id": retried_id }), Some(&token))
        .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");
    let body = app
        .gql(RETRY, json!({ "id": retried_id }), Some(&token))
        .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");

    // A FAILED one cannot be cancelled, but it can be retried.
    set_gemini_key(&app, &token, "fault:blocked").await;
    let failed_id = start(&app, &token, &image_id).await;
    let failed = until_finished(&app, &token, &failed_id).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    let body = app
        .gql(CANCEL, json!({ "id": failed_id }), Some(&token))
        .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");
    set_gemini_key(&app, &token, "plain-key-0003").await;
    let body = app
        .gql(RETRY, json!({ "id": failed_id }), Some(&token))
        .await;
    let again_id = body["data"]["retryVideoPrompt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        until_finished(&app, &token, &again_id).await["status"],
        "COMPLETED"
    );

    until_no_files_held(&stand_in).await;
}

async fn deleting_an_image_or_collection_in_flight_cancels_its_generations(backend: Backend) {
    let Some((app, stand_in)) = files_api_app(backend).await else {
        return;
    };
    let (token, image_id) = user_with_image(&app, "delete@example.org", "fault:slow:20000").await;
    let mut events = app.state.events.subscribe();

    // deleteImage while Gemini is writing.
    let id = start(&app, &token, &image_id).await;
    until_generation_calls(&stand_in, 1).await;
    let body = app
        .gql(
            "mutation($id: ID!) { deleteImage(id: $id) }",
            json!({ "id": image_id }),
            Some(&token),
        )
        .await;
    assert_eq!(body["data"]["deleteImage"], true, "{body}");
    until_no_files_held(&stand_in).await;
    let gone = app
        .gql(
            "query($id: ID!) { videoPrompt(id: $id) { id } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(gone["data"]["videoPrompt"], Value::Null, "{gone}");
    cancelled_event(&mut events, &id).await;

    // deleteCollection while Gemini is writing for one of its images.
    let collection = create_collection(&app, &token, "Wald").await;
    let image = upload_ok(&app, &token, &collection, "landscape.png").await;
    let id = start(&app, &token, image["id"].as_str().unwrap()).await;
    until_generation_calls(&stand_in, 2).await;
    let body = app
        .gql(
            "mutation($id: ID!) { deleteCollection(id: $id) }",
            json!({ "id": collection }),
            Some(&token),
        )
        .await;
    assert_eq!(body["data"]["deleteCollection"], true, "{body}");
    until_no_files_held(&stand_in).await;
    let gone = app
        .gql(
            "query($id: ID!) { videoPrompt(id: $id) { id } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(gone["data"]["videoPrompt"], Value::Null, "{gone}");
    cancelled_event(&mut events, &id).await;

    // The server goes on generating for other images.
    set_gemini_key(&app, &token, "plain-key-0004").await;
    let collection = create_collection(&app, &token, "Meer").await;
    let image = upload_ok(&app, &token, &collection, "landscape.webp").await;
    let id = start(&app, &token, image["id"].as_str().unwrap()).await;
    assert_eq!(
        until_finished(&app, &token, &id).await["status"],
        "COMPLETED"
    );
}

/// Waits for the hub to announce `id` CANCELLED (what issue 6's subscribers will see).
async fn cancelled_event(
    events: &mut tokio::sync::broadcast::Receiver<videoprompt::events::Event>,
    id: &str,
) {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(Event::Changed(record))
                    if record.id.to_string() == id
                        && record.status
                            == entity::sea_orm_active_enums::VideoPromptStatus::Cancelled =>
                {
                    return;
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(err) => panic!("the event hub closed: {err}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("no CANCELLED event for {id}"));
}

async fn idempotency_and_input_checks_through_graphql(backend: Backend) {
    let Some((app, _stand_in)) = app_with_stand_in(backend, |_| {}).await else {
        return;
    };
    let (token, image_id) = user_with_image(&app, "idem@example.org", "plain-key-0005").await;
    let input = json!({ "imageId": image_id, "cameraStyle": "CRANE", "filmEffect": "NONE",
                        "idempotencyKey": "abc-1" });
    let first = generate(&app, &token, input.clone()).await;
    let again = generate(&app, &token, input.clone()).await;
    let first_id = &first["data"]["generateVideoPrompt"]["id"];
    assert!(first_id.is_string(), "{first}");
    assert_eq!(
        &again["data"]["generateVideoPrompt"]["id"], first_id,
        "{again}"
    );
    // Also once it has finished.
    until_finished(&app, &token, first_id.as_str().unwrap()).await;
    let later = generate(&app, &token, input.clone()).await;
    assert_eq!(
        &later["data"]["generateVideoPrompt"]["id"], first_id,
        "{later}"
    );

    let mut different = input.clone();
    different["filmEffect"] = json!("NOIR");
    let body = generate(&app, &token, different).await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");

    let mut long = input.clone();
    long["idempotencyKey"] = json!("abc-2");
    long["notes"] = json!("ö".repeat(501));
    let body = generate(&app, &token, long).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");

    let mut bad_enum = input.clone();
    bad_enum["cameraStyle"] = json!("SIDEWAYS");
    let body = generate(&app, &token, bad_enum).await;
    // Refused before any resolver runs, as bad input (not a malformed operation).
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");

    let mut bad_id = input.clone();
    bad_id["imageId"] = json!("not-a-uuid");
    let body = generate(&app, &token, bad_id).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");

    for query in [
        CANCEL,
        RETRY,
        "query($id: ID!) { videoPrompt(id: $id) { id } }",
    ] {
        let body = app.gql(query, json!({ "id": "nope" }), Some(&token)).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{query}: {body}");
    }

    // No token: UNAUTHENTICATED for the mutations, null for the query.
    let body = app.gql(GENERATE, json!({ "input": input }), None).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    for query in [CANCEL, RETRY] {
        let body = app.gql(query, json!({ "id": first_id }), None).await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    let body = app
        .gql(
            "query($id: ID!) { videoPrompt(id: $id) { id } }",
            json!({ "id": first_id }),
            None,
        )
        .await;
    assert_eq!(body["data"]["videoPrompt"], Value::Null, "{body}");

    // No key: GEMINI_API_KEY_MISSING, and nothing is recorded.
    let cleared = app
        .gql(
            "mutation { clearGeminiApiKey { hasGeminiApiKey } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        cleared["data"]["clearGeminiApiKey"]["hasGeminiApiKey"],
        false
    );
    let mut fresh = input.clone();
    fresh["idempotencyKey"] = json!("abc-3");
    let body = generate(&app, &token, fresh).await;
    assert_eq!(error_code(&body), Some("GEMINI_API_KEY_MISSING"), "{body}");
    let listed = app
        .gql(
            "query($id: ID!) { image(id: $id) { videoPrompts(first: 10) { nodes { id } } } }",
            json!({ "id": image_id }),
            Some(&token),
        )
        .await;
    assert_eq!(
        listed["data"]["image"]["videoPrompts"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{listed}"
    );
}

async fn another_users_prompts_and_images_look_missing(backend: Backend) {
    let Some((app, _stand_in)) = app_with_stand_in(backend, |_| {}).await else {
        return;
    };
    let (alice, alice_image) = user_with_image(&app, "alice@example.org", "plain-key-0006").await;
    let (bob, _) = user_with_image(&app, "bob@example.org", "plain-key-0007").await;
    let id = start(&app, &alice, &alice_image).await;
    until_finished(&app, &alice, &id).await;

    let body = app
        .gql(
            "query($id: ID!) { videoPrompt(id: $id) { id } }",
            json!({ "id": id }),
            Some(&bob),
        )
        .await;
    assert_eq!(body["data"]["videoPrompt"], Value::Null, "{body}");
    assert_eq!(error_code(&body), None, "{body}");

    let body = start_raw(&app, &bob, &alice_image).await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let unknown = uuid::Uuid::now_v7().to_string();
    let body = start_raw(&app, &bob, &unknown).await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");

    // Alice's COMPLETED record would be a CONFLICT for her; for Bob it does not exist.
    for query in [CANCEL, RETRY] {
        let body = app.gql(query, json!({ "id": id }), Some(&bob)).await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{query}: {body}");
    }
    let body = app.gql(CANCEL, json!({ "id": id }), Some(&alice)).await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");

    // Her image's prompts are not reachable through Bob either.
    let body = app
        .gql(
            "query($id: ID!) { image(id: $id) { videoPrompts { nodes { id } } } }",
            json!({ "id": alice_image }),
            Some(&bob),
        )
        .await;
    assert_eq!(body["data"]["image"], Value::Null, "{body}");
}

async fn start_raw(app: &TestApp, token: &str, image_id: &str) -> Value {
    generate(
        app,
        token,
        json!({ "imageId": image_id, "cameraStyle": "STATIC", "filmEffect": "NONE" }),
    )
    .await
}

/// `Image.videoPrompts` goes through a DataLoader: every image on a page shares one query for
/// their prompts, however many images there are.
async fn a_page_of_images_with_their_prompts_costs_a_fixed_number_of_statements(backend: Backend) {
    // No workers: nothing else touches the database while statements are counted. No session
    // cache: each request looks its token up, however long the test takes.
    let Some((app, _stand_in)) = app_with_stand_in(backend, |args| {
        args.jobs.workers = 0;
        args.accounts.session_cache_ttl = std::time::Duration::ZERO;
    })
    .await
    else {
        return;
    };
    let (token, first_image) = user_with_image(&app, "pages@example.org", "test-key-0001").await;
    let collection = app
        .gql(
            "query($id: ID!) { image(id: $id) { collection { id } } }",
            json!({ "id": first_image }),
            Some(&token),
        )
        .await["data"]["image"]["collection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = "{ me { collections(first: 5) { nodes { images(first: 20) { nodes {
        id videoPrompts(first: 5) { nodes { id status } } } } } } } }";
    let mut images = vec![first_image];
    for round in 1..=2 {
        while images.len() < 3 * round {
            let image = upload_ok(&app, &token, &collection, "tiny.png").await;
            images.push(image["id"].as_str().unwrap().to_owned());
        }
        for image in &images {
            let body = start_raw(&app, &token, image).await;
            assert!(body["errors"].is_null(), "{body}");
        }
        let before = app.statements.get();
        let body = app.gql(query, json!({}), Some(&token)).await;
        let cost = app.statements.get() - before;
        assert!(body["errors"].is_null(), "{body}");
        let nodes = body["data"]["me"]["collections"]["nodes"][0]["images"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(nodes.len(), 3 * round);
        let prompts: usize = nodes
            .iter()
            .map(|image| image["videoPrompts"]["nodes"].as_array().unwrap().len())
            .sum();
        // Round 1: three images, one prompt each; round 2: those get a second, three new get one.
        assert_eq!(prompts, if round == 1 { 3 } else { 9 });
        // Session with its user, collections, their images, and all the images' prompts.
        assert_eq!(cost, 4, "with {} images", 3 * round);
    }
}
