//! Relay's global object identification through the real server: `node(id)` finds each of the
//! caller's objects by the id it was given (user, collection, image, video prompt) with its
//! type; someone else's id, a missing one and any id without a sign-in answer null alike;
//! `nodes(ids)` keeps the order asked, costs the same statements for 4 ids as for 60, and
//! refuses more than 100.

use chrono::{SubsecRound, Utc};
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use testkit::{
    error_code,
    scenario::{create_collection, register, upload_ok},
};
use uuid::Uuid;

use crate::{
    both_backends,
    helpers::{TestApp, prompt_row},
};

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id
    ... on User { email } ... on Collection { name } ... on Image { fileName }
    ... on VideoPrompt { status image { id } } } }";

const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }";

/// A user with a collection, an image and a video prompt: token and the four ids.
async fn owner(app: &TestApp, email: &str) -> (String, [String; 4]) {
    let (token, user_id) = register(app, email).await;
    let collection = create_collection(app, &token, &format!("Sammlung von {email}")).await;
    let image = upload_ok(app, &token, &collection, "tiny.png").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let prompt = prompt_row(
        (user_id.parse().unwrap(), image.parse().unwrap()),
        VideoPromptStatus::Completed,
        Utc::now().trunc_subsecs(6),
    );
    let prompt: video_prompt::Model = video_prompt::ActiveModel {
        prompt: Set(Some("Ein Prompt".into())),
        ..prompt
    }
    .insert(&app.db)
    .await
    .unwrap();
    (token, [user_id, collection, image, prompt.id.to_string()])
}

fn types(nodes: &Value) -> Vec<Value> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["__typename"].clone())
        .collect()
}

both_backends! {
    configure: |args| args.accounts.session_cache_ttl = std::time::Duration::from_secs(3600);

    async fn every_object_is_found_again_by_its_id_and_only_by_its_owner(app) {
        let (token, [user, collection, image, prompt]) = owner(&app, "anna@example.de").await;
        let (stranger, stranger_ids) = owner(&app, "bert@example.de").await;

        let expected = [
            (&user, "User", "email", json!("anna@example.de")),
            (&collection, "Collection", "name", json!("Sammlung von anna@example.de")),
            (&image, "Image", "fileName", json!("tiny.png")),
            (&prompt, "VideoPrompt", "status", json!("COMPLETED")),
        ];
        for (id, typename, field, value) in &expected {
            let body = app.gql(NODE, json!({ "id": id }), Some(&token)).await;
            assert!(body["errors"].is_null(), "{body}");
            let node = &body["data"]["node"];
            assert_eq!(node["__typename"], *typename, "{body}");
            assert_eq!(node["id"], id.as_str());
            assert_eq!(node[*field], *value, "{body}");
        }
        let body = app.gql(NODE, json!({ "id": prompt }), Some(&token)).await;
        assert_eq!(body["data"]["node"]["image"]["id"], image.as_str());

        // Someone else's objects, a missing id and no sign-in: null, the same for all.
        for id in stranger_ids.iter().chain([&Uuid::now_v7().to_string()]) {
            let body = app.gql(NODE, json!({ "id": id }), Some(&token)).await;
            assert_eq!(body, json!({ "data": { "node": null } }), "{id}");
        }
        for id in [&user, &collection, &image, &prompt] {
            let body = app.gql(NODE, json!({ "id": id }), None).await;
            assert_eq!(body, json!({ "data": { "node": null } }));
            let body = app.gql(NODE, json!({ "id": id }), Some(&stranger)).await;
            assert_eq!(body, json!({ "data": { "node": null } }));
        }
        let body = app.gql(NODE, json!({ "id": "not-an-id" }), Some(&token)).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    }

    async fn nodes_keep_the_order_asked_at_a_fixed_cost(app) {
        let (token, [user, collection, image, prompt]) = owner(&app, "carla@example.de").await;
        let (_, [other_user, other_collection, ..]) = owner(&app, "dora@example.de").await;
        let missing = Uuid::now_v7().to_string();

        let ids = json!([prompt, other_collection, image, missing, user, collection, image, other_user]);
        let _ = app.gql("{ me { id } }", json!({}), Some(&token)).await;
        let before = app.statements.get();
        let body = app.gql(NODES, json!({ "ids": ids }), Some(&token)).await;
        let few = app.statements.get() - before;
        assert!(body["errors"].is_null(), "{body}");
        let nodes = &body["data"]["nodes"];
        assert_eq!(
            types(nodes),
            [json!("VideoPrompt"), Value::Null, json!("Image"), Value::Null, json!("User"), json!("Collection"), json!("Image"), Value::Null]
        );
        assert_eq!(nodes[0]["id"], prompt.as_str());
        assert_eq!(nodes[6]["id"], image.as_str());

        // Sixty ids cost what eight did: one statement per table, never one per id.
        let mut many = Vec::new();
        for _ in 0..15 {
            many.extend([prompt.clone(), image.clone(), collection.clone(), Uuid::now_v7().to_string()]);
        }
        let before = app.statements.get();
        let body = app.gql(NODES, json!({ "ids": many }), Some(&token)).await;
        assert_eq!(app.statements.get() - before, few, "{body}");
        assert_eq!(body["data"]["nodes"].as_array().unwrap().len(), 60);
        assert!(few <= 3, "{few} statements");

        let too_many: Vec<String> = (0..101).map(|_| Uuid::now_v7().to_string()).collect();
        let body = app.gql(NODES, json!({ "ids": too_many }), Some(&token)).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        let body = app.gql(NODES, json!({ "ids": [] }), Some(&token)).await;
        assert_eq!(body, json!({ "data": { "nodes": [] } }));
    }
}
