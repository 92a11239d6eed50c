//! The GraphQL clients front-end teams use, from npm, against the real server on both
//! databases: Apollo Client 4 with apollo-upload-client, automatic persisted queries and the
//! graphql-ws link (`tests/browser/apollo-client.mjs`), urql with its subscription exchange
//! on graphql-ws (`tests/browser/urql.mjs`), and graphql-codegen's TypeScript types for the
//! schema passing `tsc --strict` (`tests/browser/codegen.mjs`, no server). Each script checks
//! what its client sees and what went over the wire; here its `ok …` lines are required and
//! the server's rows must show what it did. Without Node or the npm packages the tests
//! announce a skip, unless VIDEOPROMPT_REQUIRE_ALL_SUITES=1 makes that a failure.

use entity::{image, sea_orm_active_enums::VideoPromptStatus, user, video_prompt};
use sea_orm::EntityTrait;
use testkit::{announce_skip, require_all_suites};

use crate::{
    helpers::{Backend, app_with_stand_in, node_script, run_node},
    on_both_backends,
};

on_both_backends!(
    apollo_client_uploads_persists_queries_and_follows_a_generation,
    urql_signs_in_uploads_and_follows_a_generation,
);

/// The stand-in's key for an answer streamed over 600 ms, so the client sees it grow.
const SLOW_STREAM: &str = "fault:slow:600";

/// The script's path, or `None` after announcing the skip (a panic when suites are required).
fn script_or_skip(suite: &str, script: &str, packages: &[&str]) -> Option<std::path::PathBuf> {
    match node_script(script, packages, false) {
        Ok(script) => Some(script),
        Err(reason) if !require_all_suites() => {
            announce_skip(suite, &reason);
            None
        }
        Err(reason) => panic!("the {suite} suite is required but cannot run: {reason}"),
    }
}

/// Asserts the script succeeded with its `NAME: OK` line and each of the `checks` as `ok …`.
fn assert_passed(name: &str, (ok, stdout, stderr): &(bool, String, String), checks: &[&str]) {
    let output = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(ok, "{name} failed:\n{output}");
    assert!(
        stdout.lines().any(|line| line == format!("{name}: OK")),
        "{output}"
    );
    for check in checks {
        assert!(
            stdout.lines().any(|line| line == format!("ok {check}")),
            "{name} did not report `ok {check}`:\n{output}"
        );
    }
}

/// The server's rows after one script's run: one user, one image, one COMPLETED prompt.
async fn assert_one_completed_generation(app: &crate::helpers::TestApp) {
    let users = user::Entity::find().all(&app.db).await.unwrap();
    let images = image::Entity::find().all(&app.db).await.unwrap();
    let prompts = video_prompt::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(images.len(), 1, "{images:?}");
    assert_eq!(prompts.len(), 1, "{prompts:?}");
    assert_eq!(prompts[0].status, VideoPromptStatus::Completed);
    assert_eq!(prompts[0].image_id, images[0].id);
}

/// Runs one client `script` (needing `packages`) against a server with the stand-in: every
/// `expected` check printed, `{name}: OK` at the end, and the rows it leaves behind right.
async fn client_flow(
    backend: Backend,
    suite: &str,
    (script, packages): (&str, &[&str]),
    name: &str,
    expected: &[&str],
) {
    let Some(script) = script_or_skip(suite, script, packages) else {
        return;
    };
    let Some((app, _stand_in)) = app_with_stand_in(backend, |_| {}).await else {
        return;
    };
    let run = run_node(
        &script,
        &[format!("http://{}", app.addr), SLOW_STREAM.to_owned()],
    )
    .await;
    assert_passed(name, &run, expected);
    assert_one_completed_generation(&app).await;
}

async fn apollo_client_uploads_persists_queries_and_follows_a_generation(backend: Backend) {
    client_flow(
        backend,
        "Apollo Client (Node)",
        (
            "apollo-client.mjs",
            &["@apollo/client", "apollo-upload-client", "graphql-ws", "ws"],
        ),
        "apollo-client",
        &[
            "register returns a token and the user",
            "uploadImage answers with the file read from its bytes (640 × 428 JPEG)",
            "the upload went as a GraphQL multipart request (operations, map, the file)",
            "image(id) reads it back",
            "its url loads the uploaded bytes",
            "the subscription completes after the finished state",
            "every event is the record, its statuses in order, the last COMPLETED with the prompt",
            "the events updated Apollo's normalized cache",
            "APQ (POST) first time: first answered PersistedQueryNotFound",
            "APQ (POST) repeated: one request, the hash alone, answered with data",
            "APQ (GET) first time: first as GET with the SHA-256 hash and no query",
            "APQ (GET) repeated: one GET, the hash in the URL and no query, answered with data",
            "a hash registered over POST is found over GET",
        ],
    )
    .await;
}

async fn urql_signs_in_uploads_and_follows_a_generation(backend: Backend) {
    client_flow(
        backend,
        "urql (Node)",
        ("urql.mjs", &["@urql/core", "graphql-ws", "ws"]),
        "urql",
        &[
            "login returns a new token for the same user",
            "the upload went as a GraphQL multipart request",
            "me lists the collection with the uploaded image",
            "the query went as GET with query, variables and operationName in the URL",
            "graphql-ws reports the server completed the subscription",
            "every event is the record, its statuses in order, the last COMPLETED with the prompt",
        ],
    )
    .await;
}

#[tokio::test]
async fn graphql_codegen_types_for_the_schema_pass_tsc_strict() {
    let Some(script) = script_or_skip(
        "graphql-codegen (Node)",
        "codegen.mjs",
        &[
            "@graphql-codegen/cli",
            "@graphql-codegen/typescript-operations",
            "typescript",
            "@apollo/client",
        ],
    ) else {
        return;
    };
    let run = run_node(&script, &[]).await;
    assert_passed(
        "codegen",
        &run,
        &[
            "graphql-codegen generated the operation types",
            "tsc --noEmit --strict accepts typed.ts and refuses each wrong use",
        ],
    );
}
