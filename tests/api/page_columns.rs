//! Page reads that fetch only what the query asks for: the app's big read
//! (collections → images → video prompts) at a fixed number of statements, its prompt and image
//! statements naming only the columns the selection needs (`details` and the other large ones
//! unread unless asked for), and every field of `Image` and `VideoPrompt` read through a page
//! equal to the same field read alone.

use chrono::{Duration, SubsecRound, Utc};
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};
use testkit::scenario::{
    create_collection, generate, register, until_finished, upload_ok, user_with_image,
};

use crate::{
    both_backends,
    helpers::{Backend, TestApp, app_with_stand_in},
    on_both_backends,
};

/// The app's big read: 20 collections × 20 images × 5 prompts at most.
const BIG_READ: &str = "{ me { collections(first: 20) { nodes { id name images(first: 20) { nodes { id width height videoPrompts(first: 5) { nodes { id status prompt } } } } } } } }";

/// A prompt row with every column filled, so that a column a page read forgot would show.
async fn add_full_prompt(app: &TestApp, image_id: &str, user_id: &str, n: usize) -> uuid::Uuid {
    let now = Utc::now().trunc_subsecs(6);
    let id = uuid::Uuid::now_v7();
    video_prompt::ActiveModel {
        id: Set(id),
        image_id: Set(image_id.parse().unwrap()),
        user_id: Set(user_id.parse().unwrap()),
        camera_style: Set(["PAN", "DRONE", "HANDHELD"][n % 3].into()),
        film_effect: Set(["NOIR", "NONE"][n % 2].into()),
        notes: Set(Some(format!("Notiz {n}"))),
        status: Set(VideoPromptStatus::Failed),
        prompt: Set(Some(format!("Ein Prompt Nummer {n}"))),
        details: Set(Some(json!({
            "scene": format!("Szene {n}"), "camera": "Kamera", "lighting": "Licht",
            "mood": "Stimmung", "effects": "Effekte", "extra": [1, 2, 3]
        }))),
        error_code: Set(Some("GEMINI_QUOTA".into())),
        error_message: Set(Some(format!("Fehler {n}"))),
        model: Set(Some("gemini-test".into())),
        prompt_tokens: Set(Some(100 + n as i32)),
        output_tokens: Set(Some(200 + n as i32)),
        attempts: Set(2 + n as i32),
        idempotency_key: Set(Some(format!("key-{id}"))),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        next_attempt_at: Set(now),
        created_at: Set(now - Duration::seconds(n as i64)),
        started_at: Set(Some(now - Duration::milliseconds(1500))),
        completed_at: Set(Some(now - Duration::milliseconds(250))),
        updated_at: Set(now),
    }
    .insert(&app.db)
    .await
    .unwrap();
    id
}

/// `collections` collections of `images` images with `prompts` full prompts each; the images'
/// ids.
async fn fill(
    app: &TestApp,
    token: &str,
    user_id: &str,
    collections: usize,
    images: usize,
    prompts: usize,
) -> Vec<String> {
    let mut image_ids = Vec::new();
    for c in 0..collections {
        let collection =
            create_collection(app, token, &format!("C{c}-{}", uuid::Uuid::now_v7())).await;
        for _ in 0..images {
            let image = upload_ok(app, token, &collection, "tiny.png").await;
            let image_id = image["id"].as_str().unwrap().to_owned();
            for n in 0..prompts {
                add_full_prompt(app, &image_id, user_id, n).await;
            }
            image_ids.push(image_id);
        }
    }
    image_ids
}

fn no_errors(body: &Value) {
    assert!(body["errors"].is_null(), "{body}");
}

/// The statements a request ran, as SQL text.
async fn statements_of(
    app: &TestApp,
    query: &str,
    variables: Value,
    token: &str,
) -> (Value, Vec<String>) {
    app.statements.record();
    let body = app.gql(query, variables, Some(token)).await;
    let statements = app.statements.take_recorded();
    (
        body,
        statements
            .into_iter()
            .map(|statement| statement.sql)
            .collect(),
    )
}

/// The statement that pages `table` under its parents (the one with a `VALUES` list of them).
fn page_statement<'a>(statements: &'a [String], table: &str) -> &'a str {
    let quoted = format!("FROM \"{table}\"");
    let found: Vec<_> = statements
        .iter()
        .filter(|sql| sql.contains("VALUES") && sql.contains(&quoted))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one page statement for {table} among {statements:#?}"
    );
    found[0]
}

const PROMPT_COLUMNS_NOT_ASKED_FOR: [&str; 15] = [
    "details",
    "error_message",
    "error_code",
    "notes",
    "camera_style",
    "film_effect",
    "model",
    "prompt_tokens",
    "output_tokens",
    "attempts",
    "idempotency_key",
    "lease_owner",
    "lease_expires_at",
    "next_attempt_at",
    "updated_at",
];

// The big read fits the default limits (see `document_limits`), so these run with them; the
// session cache keeps the token for the whole test, so the counts hold whatever the pace.
both_backends! {
    configure: |args| args.accounts.session_cache_ttl = std::time::Duration::from_secs(3600);

    async fn the_big_read_costs_a_fixed_number_of_statements(app) {
        let (token, user_id) = register(&app, "big@example.de").await;
        for round in 1..=2 {
            fill(&app, &token, &user_id, 2, 2, 3).await;
            let before = app.statements.get();
            let body = app.gql(BIG_READ, json!({}), Some(&token)).await;
            let cost = app.statements.get() - before;
            no_errors(&body);
            let collections = body["data"]["me"]["collections"]["nodes"].as_array().unwrap();
            assert_eq!(collections.len(), 2 * round);
            for collection in collections {
                let images = collection["images"]["nodes"].as_array().unwrap();
                assert_eq!(images.len(), 2);
                for image in images {
                    let prompts = image["videoPrompts"]["nodes"].as_array().unwrap();
                    assert_eq!(prompts.len(), 3, "{image}");
                    assert!(prompts.iter().all(|p| p["status"] == "FAILED" && p["prompt"].is_string()), "{image}");
                }
            }
            // The collections, all their images, all the images' prompts (one page query
            // each): never one per collection or image. The session and its user come from
            // the session cache (the token was used by `fill`).
            assert_eq!(cost, 3, "the big read with {} collections", 2 * round);
        }
    }

    async fn the_big_read_leaves_the_columns_it_does_not_show_unread(app) {
        let (token, user_id) = register(&app, "lazy@example.de").await;
        fill(&app, &token, &user_id, 2, 2, 2).await;
        let (body, statements) = statements_of(&app, BIG_READ, json!({}), &token).await;
        no_errors(&body);
        let prompts = page_statement(&statements, "video_prompts");
        for column in PROMPT_COLUMNS_NOT_ASKED_FOR {
            assert!(!prompts.contains(&format!("\"{column}\"")), "{column} was read: {prompts}");
        }
        for column in ["id", "image_id", "created_at", "status", "prompt"] {
            assert!(prompts.contains(&format!("\"{column}\"")), "{column} was not read: {prompts}");
        }
        let images = page_statement(&statements, "images");
        for column in ["file_name", "mime_type", "byte_size", "sha256", "storage_key"] {
            assert!(!images.contains(&format!("\"{column}\"")), "{column} was read: {images}");
        }
        assert!(images.contains("\"width\"") && images.contains("\"height\""), "{images}");

        // Asking for `details` (through a fragment on `edges { node }`) reads it, and it is the
        // stored value.
        let with_details = "{ me { collections(first: 20) { nodes { images(first: 20) { nodes { id videoPrompts(first: 5) { edges { node { ...D } } } } } } } } }
            fragment D on VideoPrompt { id details { scene camera lighting mood effects } }";
        let (body, statements) = statements_of(&app, with_details, json!({}), &token).await;
        no_errors(&body);
        let prompts = page_statement(&statements, "video_prompts");
        assert!(prompts.contains("\"details\""), "{prompts}");
        assert!(!prompts.contains("\"error_message\""), "{prompts}");
        let stored = video_prompt::Entity::find().all(&app.db).await.unwrap();
        let mut seen = 0;
        for collection in body["data"]["me"]["collections"]["nodes"].as_array().unwrap() {
            for image in collection["images"]["nodes"].as_array().unwrap() {
                for edge in image["videoPrompts"]["edges"].as_array().unwrap() {
                    let node = &edge["node"];
                    let row = stored.iter().find(|r| r.id.to_string() == node["id"]).unwrap();
                    let mut expected = row.details.clone().unwrap();
                    expected.as_object_mut().unwrap().remove("extra");
                    assert_eq!(node["details"], expected);
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 8);
    }

    async fn every_field_reads_the_same_through_a_page_as_alone(app) {
        let (token, user_id) = register(&app, "fields@example.de").await;
        let image_ids = fill(&app, &token, &user_id, 1, 2, 3).await;
        let image_fields = ["id", "fileName", "mimeType", "byteSize", "width", "height", "url", "createdAt", "collection { id name }", "videoPrompts(first: 1) { nodes { id } }", "__typename"];
        let prompt_fields = ["id", "image { id fileName }", "cameraStyle", "filmEffect", "notes", "status", "prompt", "details { scene camera lighting mood effects }", "errorCode", "errorMessage", "model", "attempts", "promptTokens", "outputTokens", "createdAt", "startedAt", "completedAt", "__typename"];

        // One field at a time: a field whose column the page read leaves out fails here, even
        // when another field would have brought that column along.
        for field in image_fields {
            let page = app.gql(&format!("query($c: ID!) {{ image(id: $c) {{ collection {{ images {{ nodes {{ id {field} }} }} }} }} }}"), json!({ "c": image_ids[0] }), Some(&token)).await;
            no_errors(&page);
            for node in page["data"]["image"]["collection"]["images"]["nodes"].as_array().unwrap() {
                let alone = app.gql(&format!("query($id: ID!) {{ image(id: $id) {{ id {field} }} }}"), json!({ "id": node["id"] }), Some(&token)).await;
                no_errors(&alone);
                assert_same(node, &alone["data"]["image"], field);
            }
        }
        for field in prompt_fields {
            for image_id in &image_ids {
                let page = app.gql(&format!("query($id: ID!) {{ image(id: $id) {{ videoPrompts {{ nodes {{ id {field} }} }} }} }}"), json!({ "id": image_id }), Some(&token)).await;
                no_errors(&page);
                let nodes = page["data"]["image"]["videoPrompts"]["nodes"].as_array().unwrap();
                assert_eq!(nodes.len(), 3);
                for node in nodes {
                    let alone = app.gql(&format!("query($id: ID!) {{ videoPrompt(id: $id) {{ id {field} }} }}"), json!({ "id": node["id"] }), Some(&token)).await;
                    no_errors(&alone);
                    assert_same(node, &alone["data"]["videoPrompt"], field);
                }
            }
        }

        // The same through the listing across images.
        for field in prompt_fields {
            let page = app.gql(&format!("{{ me {{ videoPrompts(first: 100) {{ nodes {{ id {field} }} }} }} }}"), json!({}), Some(&token)).await;
            no_errors(&page);
            let nodes = page["data"]["me"]["videoPrompts"]["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), 6);
            for node in nodes {
                let alone = app.gql(&format!("query($id: ID!) {{ videoPrompt(id: $id) {{ id {field} }} }}"), json!({ "id": node["id"] }), Some(&token)).await;
                no_errors(&alone);
                assert_same(node, &alone["data"]["videoPrompt"], field);
            }
        }

        // Everything at once, through fragments, an inline fragment, aliases and both `nodes`
        // and `edges { cursor node }`.
        let everything = format!(
            "query($id: ID!) {{ image(id: $id) {{ collection {{ images {{
                nodes {{ ...I }}
                edges {{ cursor node {{ id ... on Image {{ theName: fileName }} videoPrompts {{ edges {{ cursor node {{ ...P }} }} nodes {{ p: prompt s: status }} }} }} }}
            }} }} }} }}
            fragment I on Image {{ {} }}
            fragment P on VideoPrompt {{ {} }}",
            image_fields.join(" "),
            prompt_fields.join(" ")
        );
        let page = app.gql(&everything, json!({ "id": image_ids[0] }), Some(&token)).await;
        no_errors(&page);
        let images = &page["data"]["image"]["collection"]["images"];
        let image_alone = format!("query($id: ID!) {{ image(id: $id) {{ {} }} }}", image_fields.join(" "));
        let prompt_alone = format!("query($id: ID!) {{ videoPrompt(id: $id) {{ {} }} }}", prompt_fields.join(" "));
        let mut prompts_seen = 0;
        for (node, edge) in images["nodes"].as_array().unwrap().iter().zip(images["edges"].as_array().unwrap()) {
            let alone = app.gql(&image_alone, json!({ "id": node["id"] }), Some(&token)).await;
            no_errors(&alone);
            assert_same(node, &alone["data"]["image"], "all image fields");
            assert_eq!(edge["node"]["theName"], alone["data"]["image"]["fileName"]);
            let prompts = &edge["node"]["videoPrompts"];
            for (edge, short) in prompts["edges"].as_array().unwrap().iter().zip(prompts["nodes"].as_array().unwrap()) {
                let alone = app.gql(&prompt_alone, json!({ "id": edge["node"]["id"] }), Some(&token)).await;
                no_errors(&alone);
                let alone = &alone["data"]["videoPrompt"];
                assert_same(&edge["node"], alone, "all prompt fields");
                assert!(alone["details"]["scene"].is_string() && alone["errorMessage"].is_string(), "{alone}");
                assert_eq!(short["p"], alone["prompt"]);
                assert_eq!(short["s"], alone["status"]);
                assert!(edge["cursor"].is_string());
                prompts_seen += 1;
            }
        }
        assert_eq!(prompts_seen, 6);
    }

    async fn an_image_and_a_page_of_its_prompts_cost_one_statement(app) {
        let (token, user_id) = register(&app, "one@example.de").await;
        let image_ids = fill(&app, &token, &user_id, 1, 1, 7).await;
        let bare = fill(&app, &token, &user_id, 1, 1, 0).await;
        let (stranger, stranger_id) = register(&app, "stranger@example.de").await;
        let strangers = fill(&app, &stranger, &stranger_id, 1, 1, 2).await;
        let _ = app.gql("{ me { id } }", json!({}), Some(&token)).await;
        let stored: Vec<String> = video_prompt::Entity::find()
            .filter(video_prompt::Column::ImageId.eq(image_ids[0].parse::<uuid::Uuid>().unwrap()))
            .order_by_desc(video_prompt::Column::CreatedAt)
            .order_by_desc(video_prompt::Column::Id)
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.id.to_string())
            .collect();
        assert_eq!(stored.len(), 7);

        let one_statement = |query: &'static str, variables: Value| {
            let (app, token) = (&app, &token);
            async move {
                let before = app.statements.get();
                let body = app.gql(query, variables, Some(token)).await;
                no_errors(&body);
                assert_eq!(app.statements.get() - before, 1, "{query}: {body}");
                body
            }
        };

        // Page by page, newest first, with the cursor: the image's row and each page together.
        let paged = "query($id: ID!, $after: String) { image(id: $id) { id fileName videoPrompts(first: 3, after: $after) { nodes { id prompt } pageInfo { hasNextPage endCursor } } } }";
        let (mut after, mut seen) = (Value::Null, Vec::new());
        for (size, more) in [(3, true), (3, true), (1, false)] {
            let body = one_statement(paged, json!({ "id": image_ids[0], "after": after })).await;
            let image = &body["data"]["image"];
            assert_eq!(image["id"], image_ids[0].as_str());
            assert_eq!(image["fileName"], "tiny.png");
            let prompts = &image["videoPrompts"];
            let nodes = prompts["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), size, "{body}");
            assert!(nodes.iter().all(|node| node["prompt"].as_str().unwrap().starts_with("Ein Prompt")));
            seen.extend(nodes.iter().map(|node| node["id"].as_str().unwrap().to_owned()));
            assert_eq!(prompts["pageInfo"]["hasNextPage"], more);
            after = prompts["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, stored);

        // An image without prompts is still the image; someone else's is null, like a missing one.
        let body = one_statement(paged, json!({ "id": bare[0] })).await;
        assert_eq!(body["data"]["image"]["id"], bare[0].as_str());
        assert_eq!(body["data"]["image"]["videoPrompts"]["nodes"], json!([]));
        assert_eq!(body["data"]["image"]["videoPrompts"]["pageInfo"]["hasNextPage"], false);
        let body = one_statement(paged, json!({ "id": strangers[0] })).await;
        assert_eq!(body["data"]["image"], Value::Null);

        // Two different pages under aliases: each as it would be alone.
        let both = "query($id: ID!) { image(id: $id) { a: videoPrompts(first: 2) { nodes { id } } b: videoPrompts(first: 5) { nodes { id status } } } }";
        let body = app.gql(both, json!({ "id": image_ids[0] }), Some(&token)).await;
        no_errors(&body);
        let ids = |page: &Value| -> Vec<String> {
            page["nodes"].as_array().unwrap().iter().map(|node| node["id"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(ids(&body["data"]["image"]["a"]), stored[..2]);
        assert_eq!(ids(&body["data"]["image"]["b"]), stored[..5]);
        assert!(body["data"]["image"]["b"]["nodes"].as_array().unwrap().iter().all(|node| node["status"] == "FAILED"));

        // A page the resolver refuses is refused the same way.
        let body = app.gql("query($id: ID!) { image(id: $id) { videoPrompts(first: -1) { nodes { id } } } }", json!({ "id": image_ids[0] }), Some(&token)).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    }
}

/// The keys of every JSON object in `text`, in the order the server wrote them (serde_json's
/// `Value` sorts them, so order is read off the text).
fn keys_in_order(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let end = after.find('"').unwrap();
        let (word, tail) = (&after[..end], &after[end + 1..]);
        if tail.starts_with(':') {
            keys.push(word.to_owned());
        }
        rest = tail;
    }
    keys
}

/// A page node answers in the order the client asked, also where fields that need their
/// resolver (a loader, a sub-selection, arguments) sit between the ones read off the row; a
/// key asked twice comes once, with the same answer.
async fn page_nodes_answer_in_the_order_asked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, user_id) = register(&app, "order@example.de").await;
    let image_ids = fill(&app, &token, &user_id, 1, 1, 2).await;
    let query = "query($id: ID!) { image(id: $id) { collection { images { nodes {
        videoPrompts(first: 2) { nodes { status image { id } prompt details { mood } t: __typename id } }
        width url id w2: width } } } } }";
    let response = app
        .api
        .http()
        .post(app.api.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": query, "variables": { "id": image_ids[0] } }))
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    no_errors(&body);
    let prompt = [
        "status", "image", "id", "prompt", "details", "mood", "t", "id",
    ];
    let mut expected = vec![
        "data",
        "image",
        "collection",
        "images",
        "nodes",
        "videoPrompts",
        "nodes",
    ];
    expected.extend(prompt);
    expected.extend(prompt);
    expected.extend(["width", "url", "id", "w2"]);
    assert_eq!(keys_in_order(&text), expected, "{text}");
    let node = &body["data"]["image"]["collection"]["images"]["nodes"][0];
    assert_eq!(node["id"], json!(image_ids[0]));
    assert_eq!(node["w2"], node["width"]);
    for prompt in node["videoPrompts"]["nodes"].as_array().unwrap() {
        assert_eq!(prompt["image"]["id"], json!(image_ids[0]));
        assert_eq!(prompt["t"], "VideoPrompt");
        assert_eq!(prompt["status"], "FAILED");
        assert_eq!(prompt["details"]["mood"], "Stimmung");
    }

    let twice = "query($id: ID!) { image(id: $id) { collection { images { nodes {
        id width id videoPrompts { nodes { status prompt status } } } } } } }";
    let once = "query($id: ID!) { image(id: $id) { collection { images { nodes {
        id width videoPrompts { nodes { status prompt } } } } } } }";
    let variables = json!({ "id": image_ids[0] });
    let twice = app.gql(twice, variables.clone(), Some(&token)).await;
    no_errors(&twice);
    assert_eq!(twice, app.gql(once, variables, Some(&token)).await);
}
on_both_backends!(page_nodes_answer_in_the_order_asked);

/// The page's node and the record read alone agree (a signed URL's query, which depends on the
/// clock, aside).
fn assert_same(page: &Value, alone: &Value, field: &str) {
    let strip = |value: &Value| {
        let mut value = value.clone();
        if let Some(url) = value.get("url").and_then(Value::as_str) {
            let path = url.split('?').next().unwrap().to_owned();
            value["url"] = json!(path);
        }
        value
    };
    assert!(!alone.is_null(), "{field}: nothing read alone");
    assert_eq!(strip(page), strip(alone), "{field}");
}

/// A generated prompt's details read through a page are what generation stored.
async fn generated_details_read_through_a_page(backend: Backend) {
    let Some((app, _stand_in)) = app_with_stand_in(backend, |_| {}).await else {
        return;
    };
    let (token, image_id) = user_with_image(&app, "details@example.org", "test-key-0001").await;
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
    let done = until_finished(&app, &token, &id).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");

    let page = app.gql("query($id: ID!) { image(id: $id) { videoPrompts { nodes { id details { scene camera lighting mood effects } } } } }", json!({ "id": image_id }), Some(&token)).await;
    no_errors(&page);
    let node = &page["data"]["image"]["videoPrompts"]["nodes"][0];
    assert_eq!(node["id"], id.as_str());
    let stored = video_prompt::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let stored = stored.details.expect("generation stored details");
    for part in ["scene", "camera", "lighting", "mood", "effects"] {
        assert!(
            stored[part].as_str().is_some_and(|s| !s.is_empty()),
            "{stored}"
        );
        assert_eq!(node["details"][part], stored[part], "{part}");
    }
}

on_both_backends!(generated_details_read_through_a_page);
