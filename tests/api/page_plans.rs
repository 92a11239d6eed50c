//! A page costs what it holds: with thousands of children behind a parent, a page of prompts
//! (and of images) still runs the same statements, reads its rows through the page index with
//! a limit, and answers the newest rows in order, with and without a cursor. The plans are read
//! back from the database itself: the page statement the server ran is run again under
//! `EXPLAIN (ANALYZE)` on PostgreSQL (rows each scan produced) and `EXPLAIN QUERY PLAN` on
//! SQLite (how each table is reached).

use chrono::{Duration, SubsecRound, Utc};
use entity::{image, sea_orm_active_enums::VideoPromptStatus, video_prompt};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Set, Statement, TransactionTrait};
use serde_json::{Value, json};
use testkit::{
    WsClient,
    scenario::{bearer, create_collection, register, upload_ok},
};
use uuid::Uuid;

use crate::{
    both_backends,
    helpers::{TestApp, prompt_row},
};

/// Prompts behind the crowded image: far more than any page.
const CROWDED: usize = 3_000;

const IMAGE_PAGE: &str = "query($id: ID!, $after: String) { image(id: $id) { videoPrompts(first: 5, after: $after) { nodes { id status } pageInfo { hasNextPage endCursor } } } }";

const WALK: &str = "query($id: ID!, $after: String) { image(id: $id) { videoPrompts(first: 100, after: $after) { nodes { id } pageInfo { endCursor } } } }";

const COLLECTION_PAGE: &str = "query($id: ID!) { collection(id: $id) { images(first: 5) { nodes { id videoPrompts(first: 5) { nodes { id } } } } } }";

/// `n` prompt rows on the image, written straight to the database; their ids newest first.
/// Every two share their `created_at`, so the order among equal times (by id) counts too.
async fn add_prompts(app: &TestApp, user_id: Uuid, image_id: Uuid, n: usize) -> Vec<Uuid> {
    let start = Utc::now().trunc_subsecs(6) - Duration::days(1);
    let rows: Vec<video_prompt::ActiveModel> = (0..n)
        .map(|i| {
            let created_at = start + Duration::milliseconds((i / 2) as i64);
            video_prompt::ActiveModel {
                prompt: Set(Some(format!("Prompt {i}"))),
                attempts: Set(1),
                ..prompt_row(
                    (user_id, image_id),
                    VideoPromptStatus::Completed,
                    created_at,
                )
            }
        })
        .collect();
    let mut newest_first: Vec<(chrono::DateTime<Utc>, Uuid)> = rows
        .iter()
        .map(|row| (*row.created_at.as_ref(), *row.id.as_ref()))
        .collect();
    for chunk in rows.chunks(500) {
        video_prompt::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .unwrap();
    }
    analyze(app, "video_prompts").await;
    newest_first.sort_by(|a, b| b.cmp(a));
    newest_first.into_iter().map(|(_, id)| id).collect()
}

/// `n` image rows in the collection, written straight to the database (no file behind them:
/// the pages read here never ask for `url`).
async fn add_images(app: &TestApp, collection_id: Uuid, n: usize) {
    let start = Utc::now().trunc_subsecs(6) - Duration::days(2);
    let rows: Vec<image::ActiveModel> = (0..n)
        .map(|i| image::ActiveModel {
            id: Set(Uuid::now_v7()),
            collection_id: Set(collection_id),
            file_name: Set(format!("{i}.png")),
            mime_type: Set("image/png".into()),
            byte_size: Set(1),
            width: Set(Some(1)),
            height: Set(Some(1)),
            sha256: Set("00".into()),
            storage_key: Set(format!("none-{i}")),
            created_at: Set(start + Duration::milliseconds(i as i64)),
        })
        .collect();
    for chunk in rows.chunks(500) {
        image::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .unwrap();
    }
    analyze(app, "images").await;
}

/// On PostgreSQL, what autovacuum does within a minute of so many inserts: refresh the table's
/// statistics, without which the planner still believes a parent has a handful of children.
/// (SQLite plans these reads the same with or without statistics.)
async fn analyze(app: &TestApp, table: &str) {
    if app.db.get_database_backend() == DbBackend::Postgres {
        app.db
            .execute_unprepared(&format!("ANALYZE {table}"))
            .await
            .unwrap();
    }
}

fn ids(connection: &Value) -> Vec<Uuid> {
    connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// Runs a request with the statement recorder on: its answer (checked for errors), how many
/// statements it ran and the one that paged `table` under its parents (read in a `LATERAL` or
/// a correlated `IN (SELECT …)` per parent: a page of parents is a `VALUES` list, `image(id)`
/// reads its image in the same statement).
async fn recorded(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
    table: &str,
) -> (Value, usize, Statement) {
    app.statements.record();
    let body = app.gql(query, variables, Some(token)).await;
    let statements = app.statements.take_recorded();
    assert!(body["errors"].is_null(), "{body}");
    let from = format!("FROM \"{table}\"");
    let pages: Vec<_> = statements
        .iter()
        .filter(|statement| {
            let per_parent = ["LATERAL", "IN (SELECT"]
                .iter()
                .any(|subquery| statement.sql.contains(subquery));
            per_parent && statement.sql.contains(&from)
        })
        .collect();
    assert_eq!(
        pages.len(),
        1,
        "one page statement for {table}: {statements:#?}"
    );
    (body, statements.len(), pages[0].clone())
}

/// How the database runs `statement`, and the rows it read from `table`: PostgreSQL runs it
/// (`EXPLAIN ANALYZE`) and counts the rows each scan of `table` produced, over all its loops;
/// SQLite only plans it, so the rows are `None` and the plan must show how they are bounded.
async fn plan_of(
    app: &TestApp,
    statement: &Statement,
    table: &str,
    plans: Plans,
) -> (String, Option<u64>) {
    let backend = app.db.get_database_backend();
    match backend {
        DbBackend::Postgres => {
            // The plan made for the statement's values (a prepared statement's first runs) and,
            // with `Plans::AlsoGeneric`, the generic one PostgreSQL may switch to after five,
            // which knows neither the parents nor the LIMIT. The larger read counts.
            let values = statement
                .values
                .as_ref()
                .map(|v| v.0.clone())
                .unwrap_or_default();
            let types: Vec<_> = values.iter().map(|value| literal(value).0).collect();
            let literals: Vec<_> = values.iter().map(|value| literal(value).1).collect();
            let mut worst = (String::new(), 0);
            let modes: &[&str] = match plans {
                Plans::Custom => &["force_custom_plan"],
                Plans::AlsoGeneric => &["force_custom_plan", "force_generic_plan"],
            };
            for mode in modes {
                let transaction = app.db.begin().await.unwrap();
                for setup in [
                    format!("SET LOCAL plan_cache_mode = {mode}"),
                    format!(
                        "PREPARE page_plan ({}) AS {}",
                        types.join(", "),
                        statement.sql
                    ),
                ] {
                    transaction.execute_unprepared(&setup).await.unwrap();
                }
                let explain = format!(
                    "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE page_plan ({})",
                    literals.join(", ")
                );
                let row = transaction
                    .query_one_raw(Statement::from_string(backend, explain))
                    .await
                    .unwrap()
                    .unwrap();
                transaction
                    .execute_unprepared("DEALLOCATE page_plan")
                    .await
                    .unwrap();
                transaction.commit().await.unwrap();
                let plan: Value = row.try_get_by_index(0).unwrap();
                let mut rows = 0;
                scanned_rows(&plan[0]["Plan"], table, &mut rows);
                if rows >= worst.1 {
                    worst = (format!("{mode}: {plan}"), rows);
                }
            }
            (worst.0, Some(worst.1))
        }
        _ => {
            let mut explain = statement.clone();
            explain.sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
            let details: Vec<String> = app
                .db
                .query_all_raw(explain)
                .await
                .unwrap()
                .iter()
                .map(|row| row.try_get::<String>("", "detail").unwrap())
                .collect();
            (details.join("\n"), None)
        }
    }
}

/// Which of PostgreSQL's plans of a prepared statement [`plan_of`] reads.
#[derive(Clone, Copy)]
enum Plans {
    /// The one made for the values. Enough where the generic plan is estimated dearer than
    /// that (PostgreSQL then keeps making custom ones): the unfinished records' lookup, whose
    /// custom plans know from the statistics that few records are PENDING.
    Custom,
    /// Also the generic one, for the pages, where both are estimated about the same.
    AlsoGeneric,
}

/// A parameter of a statement read here as PostgreSQL's type and a literal, for `PREPARE … EXECUTE`.
fn literal(value: &sea_orm::Value) -> (&'static str, String) {
    use sea_orm::Value;
    match value {
        Value::Uuid(Some(id)) => ("uuid", format!("'{id}'")),
        Value::BigUnsigned(Some(n)) => ("bigint", n.to_string()),
        Value::BigInt(Some(n)) => ("bigint", n.to_string()),
        Value::String(Some(text)) => ("text", format!("'{}'", text.replace('\'', "''"))),
        Value::ChronoDateTimeUtc(Some(at)) => ("timestamptz", format!("'{}'", at.to_rfc3339())),
        other => panic!("a page statement parameter of an unexpected kind: {other:?}"),
    }
}

fn scanned_rows(node: &Value, table: &str, rows: &mut u64) {
    if node["Relation Name"] == table {
        let kind = node["Node Type"].as_str().unwrap();
        assert!(
            kind.starts_with("Index"),
            "{table} read by a {kind}: {node}"
        );
        *rows += node["Actual Rows"].as_u64().unwrap() * node["Actual Loops"].as_u64().unwrap();
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        scanned_rows(child, table, rows);
    }
}

/// The page of `table` is read through `index` with a bound on the rows: on PostgreSQL at most
/// `bound` rows came out of the scans; on SQLite the table is only searched through the index
/// (never scanned, never sorted in a temporary b-tree, which would mean reading every child).
fn assert_bounded(plan: &(String, Option<u64>), table: &str, index: &str, bound: u64) {
    let (text, rows) = plan;
    assert!(
        text.contains(index),
        "{table} not read through {index}: {text}"
    );
    match rows {
        Some(rows) => assert!(
            *rows <= bound,
            "{rows} rows of {table} read (at most {bound}): {text}"
        ),
        None => {
            assert!(
                !text.contains(&format!("SCAN {table}")),
                "{table} scanned: {text}"
            );
            assert!(!text.contains("TEMP B-TREE"), "{table} sorted: {text}");
            assert!(
                text.contains(&format!("SEARCH {table} USING COVERING INDEX {index}")),
                "{text}"
            );
        }
    }
}

both_backends! {
    async fn a_page_reads_what_it_holds_not_what_lies_behind_it(app) {
        let (token, user_id) = register(&app, "crowded@example.de").await;
        let user_id: Uuid = user_id.parse().unwrap();
        let collection = create_collection(&app, &token, "Voll").await;
        let crowded: Uuid = upload_ok(&app, &token, &collection, "tiny.png").await["id"].as_str().unwrap().parse().unwrap();
        let quiet: Uuid = upload_ok(&app, &token, &collection, "tiny.png").await["id"].as_str().unwrap().parse().unwrap();
        let quiet_ids = add_prompts(&app, user_id, quiet, 3).await;

        // The same request costs the same statements with 3 prompts behind the page and with
        // 3,000.
        let (body, quiet_cost, _) = recorded(&app, &token, IMAGE_PAGE, json!({ "id": quiet }), "video_prompts").await;
        assert_eq!(ids(&body["data"]["image"]["videoPrompts"]), quiet_ids);
        let crowded_ids = add_prompts(&app, user_id, crowded, CROWDED).await;
        let (body, crowded_cost, statement) = recorded(&app, &token, IMAGE_PAGE, json!({ "id": crowded }), "video_prompts").await;
        assert_eq!(crowded_cost, quiet_cost);
        let page = &body["data"]["image"]["videoPrompts"];
        assert_eq!(ids(page), crowded_ids[..5]);
        assert_eq!(page["pageInfo"]["hasNextPage"], true);
        let plan = plan_of(&app, &statement, "video_prompts", Plans::AlsoGeneric).await;
        assert_bounded(&plan, "video_prompts", "idx_video_prompts_image_id_created_at_id", 6);

        // Deep in the list, after a cursor: still the next five in order, and still a bounded
        // read (the cursor is a range on the index, not a filter over every older row).
        let mut after = Value::Null;
        for seen in (0..2_500).step_by(100) {
            let body = app.gql(WALK, json!({ "id": crowded, "after": after }), Some(&token)).await;
            let page = &body["data"]["image"]["videoPrompts"];
            assert_eq!(ids(page), crowded_ids[seen..seen + 100], "after {seen}");
            after = page["pageInfo"]["endCursor"].clone();
        }
        let (body, deep_cost, statement) = recorded(&app, &token, IMAGE_PAGE, json!({ "id": crowded, "after": after }), "video_prompts").await;
        assert_eq!(deep_cost, quiet_cost);
        assert_eq!(ids(&body["data"]["image"]["videoPrompts"]), crowded_ids[2_500..2_505]);
        let plan = plan_of(&app, &statement, "video_prompts", Plans::AlsoGeneric).await;
        assert_bounded(&plan, "video_prompts", "idx_video_prompts_image_id_created_at_id", 6);
        if plan.1.is_none() {
            assert!(plan.0.contains("(created_at,id)<(?,?)"), "the cursor is not an index range: {}", plan.0);
        }

        // A batch of parents: a page of images in a collection with 600 more behind it, each
        // with its page of prompts (the crowded image among them).
        add_images(&app, collection.parse().unwrap(), 600).await;
        let (body, _, images) = recorded(&app, &token, COLLECTION_PAGE, json!({ "id": collection }), "images").await;
        let shown = body["data"]["collection"]["images"]["nodes"].as_array().unwrap();
        assert_eq!(shown.len(), 5);
        assert_eq!(shown[0]["id"], quiet.to_string());
        assert_eq!(ids(&shown[0]["videoPrompts"]), quiet_ids);
        assert_eq!(ids(&shown[1]["videoPrompts"]), crowded_ids[..5]);
        let plan = plan_of(&app, &images, "images", Plans::AlsoGeneric).await;
        assert_bounded(&plan, "images", "idx_images_collection_id_created_at_id", 6);
        let (_, _, prompts) = recorded(&app, &token, COLLECTION_PAGE, json!({ "id": collection }), "video_prompts").await;
        let plan = plan_of(&app, &prompts, "video_prompts", Plans::AlsoGeneric).await;
        assert_bounded(&plan, "video_prompts", "idx_video_prompts_image_id_created_at_id", 5 * 6);
    }

    async fn a_subscription_by_image_starts_from_its_unfinished_records_alone(app) {
        let (token, user_id) = register(&app, "watch@example.de").await;
        let collection = create_collection(&app, &token, "Beobachtet").await;
        let image: Uuid = upload_ok(&app, &token, &collection, "tiny.png").await["id"].as_str().unwrap().parse().unwrap();
        let user_id: Uuid = user_id.parse().unwrap();
        add_prompts(&app, user_id, image, CROWDED).await;
        // Due in an hour, so no worker takes it while the test looks.
        let waiting = crate::helpers::pending(&app, (user_id, image), 3_600).await;
        analyze(&app, "video_prompts").await;

        app.statements.record();
        let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
        ws.init(bearer(&token)).await;
        ws.subscribe("1", "subscription($i: ID) { videoPromptUpdated(imageId: $i) { id status } }", json!({ "i": image })).await;
        let first = ws.next_of("1").await;
        assert_eq!(first["data"]["videoPromptUpdated"], json!({ "id": waiting, "status": "PENDING" }));
        let statements = app.statements.take_recorded();
        let unfinished: Vec<_> = statements.iter().filter(|statement| statement.sql.contains("FROM \"video_prompts\"") && statement.sql.contains("\"status\" IN")).collect();
        assert_eq!(unfinished.len(), 1, "{statements:#?}");
        let plan = plan_of(&app, unfinished[0], "video_prompts", Plans::Custom).await;
        match &plan {
            (text, Some(rows)) => assert!(*rows <= 1, "{rows} rows read for one unfinished record: {text}"),
            (text, None) => {
                assert!(text.contains("USING INDEX idx_video_prompts_image_id_status (image_id=? AND status=?)"), "{text}");
                assert!(!text.contains("SCAN video_prompts"), "{text}");
            }
        }
    }
}
