//! Collections: create, rename, delete (with images, bytes and prompts), Relay pagination newest
//! first, DataLoader batching, and isolation between users.

use chrono::Utc;
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::{Value, json};

use testkit::{
    error_code,
    scenario::{create_collection, register, upload_ok},
};

use crate::{
    both_backends,
    helpers::{TestApp, assert_nothing_stored, image_rows, stored_files},
};

const PAGE: &str = "query($first: Int, $after: String) {
  me { collections(first: $first, after: $after) {
    edges { cursor node { id name } } nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
}";

fn names(body: &Value) -> Vec<String> {
    body["data"]["me"]["collections"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no page: {body}"))
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Adds a prompt row for an image (the generation itself is issue 4's).
async fn add_prompt(app: &TestApp, image_id: &str, user_id: &str) -> uuid::Uuid {
    let now = Utc::now();
    let id = uuid::Uuid::now_v7();
    video_prompt::ActiveModel {
        id: Set(id),
        image_id: Set(image_id.parse().unwrap()),
        user_id: Set(user_id.parse().unwrap()),
        camera_style: Set("STATIC".into()),
        film_effect: Set("NONE".into()),
        notes: Set(None),
        status: Set(VideoPromptStatus::Pending),
        prompt: Set(None),
        details: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        model: Set(None),
        prompt_tokens: Set(None),
        output_tokens: Set(None),
        attempts: Set(0),
        idempotency_key: Set(None),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        next_attempt_at: Set(now),
        created_at: Set(now),
        started_at: Set(None),
        completed_at: Set(None),
        updated_at: Set(now),
    }
    .insert(&app.db)
    .await
    .unwrap();
    id
}

both_backends! {
    async fn collections_are_created_renamed_and_validated(app) {
        let (token, _) = register(&app, "coll@example.de").await;
        let body = app.gql("mutation { createCollection(name: \"  Urlaub 2026  \") { id name createdAt images { nodes { id } pageInfo { hasNextPage } } } }", json!({}), Some(&token)).await;
        let created = &body["data"]["createCollection"];
        assert_eq!(created["name"], "Urlaub 2026", "{body}");
        assert_eq!(created["images"], json!({ "nodes": [], "pageInfo": { "hasNextPage": false } }));
        let id = created["id"].as_str().unwrap();

        let renamed = app.gql("mutation($id: ID!) { renameCollection(id: $id, name: \"Sommer\") { id name } }", json!({ "id": id }), Some(&token)).await;
        assert_eq!(renamed["data"]["renameCollection"], json!({ "id": id, "name": "Sommer" }));
        let read = app.gql("query($id: ID!) { collection(id: $id) { name } }", json!({ "id": id }), Some(&token)).await;
        assert_eq!(read["data"]["collection"]["name"], "Sommer");

        for bad in ["", "   ", &"x".repeat(101), "a\u{0007}b"] {
            let body = app.gql("mutation($n: String!) { createCollection(name: $n) { id } }", json!({ "n": bad }), Some(&token)).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{bad:?}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], "name");
            let body = app.gql("mutation($id: ID!, $n: String!) { renameCollection(id: $id, name: $n) { id } }", json!({ "id": id, "n": bad }), Some(&token)).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{bad:?}: {body}");
        }
        let hundred = "ü".repeat(100);
        let body = app.gql("mutation($n: String!) { createCollection(name: $n) { name } }", json!({ "n": hundred }), Some(&token)).await;
        assert_eq!(body["data"]["createCollection"]["name"], hundred.as_str());
    }

    async fn without_a_token_queries_are_null_and_mutations_unauthenticated(app) {
        let (token, _) = register(&app, "anon@example.de").await;
        let id = create_collection(&app, &token, "Da").await;
        let body = app.gql("query($id: ID!) { collection(id: $id) { id } image(id: $id) { id } }", json!({ "id": id }), None).await;
        assert_eq!(body, json!({ "data": { "collection": null, "image": null } }));
        for mutation in [
            "mutation { createCollection(name: \"x\") { id } }",
            "mutation($id: ID!) { renameCollection(id: $id, name: \"x\") { id } }",
            "mutation($id: ID!) { deleteCollection(id: $id) }",
            "mutation($id: ID!) { deleteImage(id: $id) }",
        ] {
            let body = app.gql(mutation, json!({ "id": id }), None).await;
            assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{mutation}: {body}");
        }
        let body = app.gql("query { collection(id: \"nope\") { id } }", json!({}), Some(&token)).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
    }

    async fn collections_page_newest_first_with_opaque_cursors(app) {
        let (token, _) = register(&app, "pages@example.de").await;
        for i in 1..=5 {
            create_collection(&app, &token, &format!("C{i}")).await;
        }
        let first = app.gql(PAGE, json!({ "first": 2 }), Some(&token)).await;
        assert_eq!(names(&first), ["C5", "C4"]);
        let info = &first["data"]["me"]["collections"]["pageInfo"];
        assert_eq!(info["hasNextPage"], true);
        assert_eq!(info["hasPreviousPage"], false);
        let edges = first["data"]["me"]["collections"]["edges"].as_array().unwrap();
        assert_eq!(info["endCursor"], edges[1]["cursor"]);
        assert_eq!(edges[0]["node"]["name"], "C5");

        let second = app.gql(PAGE, json!({ "first": 2, "after": info["endCursor"] }), Some(&token)).await;
        assert_eq!(names(&second), ["C3", "C2"]);
        let after = &second["data"]["me"]["collections"]["pageInfo"]["endCursor"];
        let last = app.gql(PAGE, json!({ "first": 2, "after": after }), Some(&token)).await;
        assert_eq!(names(&last), ["C1"]);
        assert_eq!(last["data"]["me"]["collections"]["pageInfo"]["hasNextPage"], false);
        assert_eq!(last["data"]["me"]["collections"]["pageInfo"]["hasPreviousPage"], true);

        let all = app.gql(PAGE, json!({}), Some(&token)).await;
        assert_eq!(names(&all), ["C5", "C4", "C3", "C2", "C1"]);
        let none = app.gql(PAGE, json!({ "first": 0 }), Some(&token)).await;
        assert_eq!(names(&none), Vec::<String>::new());
        assert_eq!(none["data"]["me"]["collections"]["pageInfo"]["hasNextPage"], true);

        let negative = app.gql(PAGE, json!({ "first": -1 }), Some(&token)).await;
        assert_eq!(error_code(&negative), Some("BAD_USER_INPUT"), "{negative}");
        let forged = app.gql(PAGE, json!({ "after": "not-a-cursor" }), Some(&token)).await;
        assert_eq!(error_code(&forged), Some("BAD_USER_INPUT"), "{forged}");
    }

    async fn images_page_newest_first_inside_each_collection(app) {
        let (token, _) = register(&app, "imgpages@example.de").await;
        let a = create_collection(&app, &token, "A").await;
        let b = create_collection(&app, &token, "B").await;
        let mut in_a = Vec::new();
        for _ in 0..3 {
            in_a.push(upload_ok(&app, &token, &a, "tiny.png").await["id"].as_str().unwrap().to_owned());
        }
        let in_b = upload_ok(&app, &token, &b, "landscape.webp").await["id"].as_str().unwrap().to_owned();
        let query = "query($first: Int, $after: String) { me { collections { nodes { name images(first: $first, after: $after) {
            nodes { id } edges { cursor } pageInfo { hasNextPage endCursor } } } } } }";
        let body = app.gql(query, json!({ "first": 2 }), Some(&token)).await;
        let collections = &body["data"]["me"]["collections"]["nodes"];
        assert_eq!(collections[0]["name"], "B", "{body}");
        assert_eq!(collections[0]["images"]["nodes"], json!([{ "id": in_b }]));
        assert_eq!(collections[0]["images"]["pageInfo"]["hasNextPage"], false);
        assert_eq!(collections[1]["images"]["nodes"], json!([{ "id": in_a[2] }, { "id": in_a[1] }]));
        assert_eq!(collections[1]["images"]["pageInfo"]["hasNextPage"], true);

        let after = collections[1]["images"]["pageInfo"]["endCursor"].clone();
        let page2 = app.gql("query($id: ID!, $after: String) { collection(id: $id) { images(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage } } } }",
            json!({ "id": a, "after": after }), Some(&token)).await;
        assert_eq!(page2["data"]["collection"]["images"], json!({ "nodes": [{ "id": in_a[0] }], "pageInfo": { "hasNextPage": false } }), "{page2}");

        let image = app.gql("query($id: ID!) { image(id: $id) { id collection { name images(first: 1) { nodes { id } } } } }", json!({ "id": in_a[0] }), Some(&token)).await;
        assert_eq!(image["data"]["image"]["collection"]["name"], "A", "{image}");
        assert_eq!(image["data"]["image"]["collection"]["images"]["nodes"][0]["id"], in_a[2].as_str());
    }

}

both_backends! {
    // No session cache: the token is looked up by each request, so the count is the same
    // however long the test takes.
    configure: |args| args.accounts.session_cache_ttl = std::time::Duration::ZERO;

    async fn a_page_of_collections_with_images_costs_a_fixed_number_of_statements(app) {
        let (token, _) = register(&app, "loader@example.de").await;
        // The benchmark's query, and one that also goes back from each image to its collection.
        let bench = "{ me { collections(first: 20) { nodes { images(first: 20) { nodes { id width height } } } } } }";
        let round_trip = "{ me { collections(first: 20) { nodes { id images(first: 20) { nodes { id collection { id } } } } } } }";
        for round in 1..=2 {
            for i in 0..3 {
                let id = create_collection(&app, &token, &format!("R{round}-{i}")).await;
                upload_ok(&app, &token, &id, "tiny.png").await;
                upload_ok(&app, &token, &id, "tiny.png").await;
            }
            for (query, expected) in [(bench, 3), (round_trip, 4)] {
                let before = app.statements.get();
                let body = app.gql(query, json!({}), Some(&token)).await;
                let cost = app.statements.get() - before;
                assert!(body["errors"].is_null(), "{body}");
                let collections = body["data"]["me"]["collections"]["nodes"].as_array().unwrap();
                assert_eq!(collections.len(), 3 * round);
                assert!(collections.iter().all(|c| c["images"]["nodes"].as_array().unwrap().len() == 2));
                // Session with its user, the collections, all their images (one window query), and for
                // the round trip all the images' collections: never one query per collection.
                assert_eq!(cost, expected, "{query} with {} collections", 3 * round);
            }
        }
    }

}

both_backends! {
    async fn another_users_things_behave_exactly_like_missing_ones(app) {
        let (alice, _) = register(&app, "alice@example.de").await;
        let (bob, _) = register(&app, "bob@example.de").await;
        let collection = create_collection(&app, &alice, "Alices").await;
        let image = upload_ok(&app, &alice, &collection, "tiny.png").await["id"].as_str().unwrap().to_owned();
        let missing = uuid::Uuid::now_v7().to_string();

        for id in [&collection, &image, &missing] {
            let body = app.gql("query($id: ID!) { collection(id: $id) { id } image(id: $id) { id } }", json!({ "id": id }), Some(&bob)).await;
            assert_eq!(body, json!({ "data": { "collection": null, "image": null } }));
        }
        let mutations = [
            "mutation($id: ID!) { renameCollection(id: $id, name: \"Bobs\") { id } }",
            "mutation($id: ID!) { deleteCollection(id: $id) }",
            "mutation($id: ID!) { deleteImage(id: $id) }",
        ];
        for mutation in mutations {
            let foreign_id = if mutation.contains("deleteImage") { &image } else { &collection };
            let foreign = app.gql(mutation, json!({ "id": foreign_id }), Some(&bob)).await;
            let absent = app.gql(mutation, json!({ "id": missing }), Some(&bob)).await;
            assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{mutation}: {foreign}");
            assert_eq!(foreign, absent, "{mutation}: a foreign object answered differently from a missing one");
        }
        // Bob's own listing does not show it, and Alice still has everything.
        let bobs = app.gql(PAGE, json!({}), Some(&bob)).await;
        assert_eq!(names(&bobs), Vec::<String>::new());
        let alices = app.gql("query($id: ID!) { image(id: $id) { collection { name } } }", json!({ "id": image }), Some(&alice)).await;
        assert_eq!(alices["data"]["image"]["collection"]["name"], "Alices");
        assert_eq!(image_rows(&app).await, 1);
    }

    async fn deleting_a_collection_removes_its_images_bytes_and_prompts(app) {
        let (token, user_id) = register(&app, "del@example.de").await;
        let doomed = create_collection(&app, &token, "Weg").await;
        let kept = create_collection(&app, &token, "Bleibt").await;
        let a = upload_ok(&app, &token, &doomed, "landscape.png").await;
        upload_ok(&app, &token, &doomed, "landscape.jpg").await;
        let k = upload_ok(&app, &token, &kept, "landscape.webp").await;
        add_prompt(&app, a["id"].as_str().unwrap(), &user_id).await;
        let kept_prompt = add_prompt(&app, k["id"].as_str().unwrap(), &user_id).await;
        assert_eq!(stored_files(&app).len(), 3);

        let body = app.gql("mutation($id: ID!) { deleteCollection(id: $id) }", json!({ "id": doomed }), Some(&token)).await;
        assert_eq!(body, json!({ "data": { "deleteCollection": true } }));
        assert_eq!(image_rows(&app).await, 1);
        assert_eq!(stored_files(&app).len(), 1);
        let prompts = video_prompt::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(prompts.iter().map(|p| p.id).collect::<Vec<_>>(), [kept_prompt]);
        let gone = app.gql("query($id: ID!) { collection(id: $id) { id } image(id: $id) { id } }", json!({ "id": doomed }), Some(&token)).await;
        assert_eq!(gone["data"]["collection"], Value::Null);
        let again = app.gql("mutation($id: ID!) { deleteCollection(id: $id) }", json!({ "id": doomed }), Some(&token)).await;
        assert_eq!(error_code(&again), Some("NOT_FOUND"));
    }

    async fn deleting_an_image_removes_its_row_bytes_and_prompts(app) {
        let (token, user_id) = register(&app, "delimg@example.de").await;
        let collection = create_collection(&app, &token, "Bilder").await;
        let image = upload_ok(&app, &token, &collection, "landscape.heic").await;
        let id = image["id"].as_str().unwrap();
        add_prompt(&app, id, &user_id).await;
        let body = app.gql("mutation($id: ID!) { deleteImage(id: $id) }", json!({ "id": id }), Some(&token)).await;
        assert_eq!(body, json!({ "data": { "deleteImage": true } }));
        assert_nothing_stored(&app).await;
        assert_eq!(video_prompt::Entity::find().count(&app.db).await.unwrap(), 0);
        let again = app.gql("mutation($id: ID!) { deleteImage(id: $id) }", json!({ "id": id }), Some(&token)).await;
        assert_eq!(error_code(&again), Some("NOT_FOUND"));
    }
}
