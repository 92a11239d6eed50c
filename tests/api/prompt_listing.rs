//! `me.videoPrompts`: the caller's records across all their images, newest first, as a Relay
//! connection, filtered by status, paged by cursor to the end, never another user's, at a
//! fixed number of statements (one for the page, one for the images it shows) and without
//! reading the columns it does not show.

use chrono::{Duration, SubsecRound, Utc};
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use testkit::scenario::{create_collection, register, upload_ok};
use uuid::Uuid;

use crate::{
    both_backends,
    helpers::{TestApp, prompt_row},
};

const LIST: &str = "query($first: Int, $after: String, $status: [VideoPromptStatus!]) {
  me { videoPrompts(first: $first, after: $after, status: $status) {
    nodes { id status image { id } } pageInfo { hasNextPage endCursor } } } }";

/// A user with two images and `statuses.len()` records spread over them, one a minute apart
/// (two share a time, so the order among equal times counts too); the records newest first as
/// (id, status name).
async fn user_with_records(
    app: &TestApp,
    email: &str,
    statuses: &[VideoPromptStatus],
) -> (String, Vec<(String, String)>) {
    let (token, user_id) = register(app, email).await;
    let collection = create_collection(app, &token, "Liste").await;
    let mut images = Vec::new();
    for _ in 0..2 {
        images.push(
            upload_ok(app, &token, &collection, "tiny.png").await["id"]
                .as_str()
                .unwrap()
                .parse::<Uuid>()
                .unwrap(),
        );
    }
    let start = Utc::now().trunc_subsecs(6) - Duration::hours(1);
    let mut records = Vec::new();
    for (i, status) in statuses.iter().enumerate() {
        let at = start + Duration::minutes((i / 2) as i64);
        let row: video_prompt::Model = video_prompt::ActiveModel {
            prompt: Set(Some(format!("Prompt {i}"))),
            ..prompt_row((user_id.parse().unwrap(), images[i % 2]), *status, at)
        }
        .insert(&app.db)
        .await
        .unwrap();
        records.push((row.created_at, row.id, status_name(status)));
    }
    records.sort_by_key(|record| std::cmp::Reverse((record.0, record.1)));
    (
        token,
        records
            .into_iter()
            .map(|(_, id, status)| (id.to_string(), status))
            .collect(),
    )
}

fn status_name(status: &VideoPromptStatus) -> String {
    match status {
        VideoPromptStatus::Pending => "PENDING",
        VideoPromptStatus::Processing => "PROCESSING",
        VideoPromptStatus::Completed => "COMPLETED",
        VideoPromptStatus::Failed => "FAILED",
        VideoPromptStatus::Cancelled => "CANCELLED",
    }
    .to_owned()
}

/// Every page of the listing with `first` and `status`, followed to the end: (id, status) in
/// order, and the statements each page cost.
async fn walk(
    app: &TestApp,
    token: &str,
    first: i32,
    status: Value,
) -> (Vec<(String, String)>, Vec<u64>) {
    let (mut after, mut seen, mut costs) = (Value::Null, Vec::new(), Vec::new());
    loop {
        let before = app.statements.get();
        let body = app
            .gql(
                LIST,
                json!({ "first": first, "after": after, "status": status }),
                Some(token),
            )
            .await;
        costs.push(app.statements.get() - before);
        assert!(body["errors"].is_null(), "{body}");
        let page = &body["data"]["me"]["videoPrompts"];
        let nodes = page["nodes"].as_array().unwrap();
        assert!(nodes.len() <= first as usize);
        for node in nodes {
            assert!(node["image"]["id"].is_string(), "{node}");
            seen.push((
                node["id"].as_str().unwrap().to_owned(),
                node["status"].as_str().unwrap().to_owned(),
            ));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return (seen, costs);
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

both_backends! {
    configure: |args| args.accounts.session_cache_ttl = std::time::Duration::from_secs(3600);

    async fn the_callers_records_newest_first_filtered_and_paged(app) {
        use VideoPromptStatus::*;
        let statuses = [Completed, Failed, Pending, Completed, Cancelled, Processing, Completed, Failed, Completed];
        let (token, records) = user_with_records(&app, "liste@example.de", &statuses).await;
        let (_, strangers) = user_with_records(&app, "fremd@example.de", &[Completed, Failed]).await;
        let _ = app.gql("{ me { id } }", json!({}), Some(&token)).await;

        // All of them, three at a time: newest first across both images, none of the stranger's.
        let (seen, costs) = walk(&app, &token, 3, Value::Null).await;
        assert_eq!(seen, records);
        assert!(seen.iter().all(|(id, _)| strangers.iter().all(|(other, _)| other != id)));
        // The page and the images it shows: the same two statements for every page.
        assert!(costs.iter().all(|cost| *cost == 2), "{costs:?}");

        // Only finished ones that worked or failed, two at a time.
        let wanted: Vec<_> = records.iter().filter(|(_, s)| s == "COMPLETED" || s == "FAILED").cloned().collect();
        let (seen, _) = walk(&app, &token, 2, json!(["COMPLETED", "FAILED"])).await;
        assert_eq!(seen, wanted);
        let (seen, _) = walk(&app, &token, 20, json!(["PROCESSING"])).await;
        assert_eq!(seen, records.iter().filter(|(_, s)| s == "PROCESSING").cloned().collect::<Vec<_>>());

        // An empty list matches none, without a statement for the page.
        let before = app.statements.get();
        let body = app.gql(LIST, json!({ "status": [] }), Some(&token)).await;
        assert_eq!(body["data"]["me"]["videoPrompts"]["nodes"], json!([]));
        assert_eq!(body["data"]["me"]["videoPrompts"]["pageInfo"]["hasNextPage"], false);
        assert_eq!(app.statements.get() - before, 0);

        // The page reads only what it shows: `details` and the other large columns stay unread.
        app.statements.record();
        let body = app.gql("{ me { videoPrompts(first: 5) { nodes { id status prompt } } } }", json!({}), Some(&token)).await;
        let statements = app.statements.take_recorded();
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(statements.len(), 1, "{statements:#?}");
        let sql = &statements[0].sql;
        for column in ["details", "error_message", "notes", "idempotency_key"] {
            assert!(!sql.contains(&format!("\"{column}\"")), "{column} read: {sql}");
        }
        let nodes = body["data"]["me"]["videoPrompts"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 5);
        assert!(nodes.iter().all(|node| node["prompt"].as_str().unwrap().starts_with("Prompt ")));

        // Without a sign-in there is no `me`, so nothing to list.
        let body = app.gql(LIST, json!({}), None).await;
        assert_eq!(body["data"]["me"], Value::Null);
    }
}
