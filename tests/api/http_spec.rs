//! `/graphql` by the GraphQL-over-HTTP spec, limits, error codes, probes.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use testkit::{error_code, scenario::register};

use crate::{
    helpers::{Backend, TestApp},
    on_both_backends,
};

async fn post_raw(app: &TestApp, accept: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app.client.post(app.url("/graphql")).json(&body);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    request.send().await.unwrap()
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations_with_405() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let ok = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ cameraStyles { value } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["data"]["cameraStyles"][0]["value"], "STATIC");

    for query in [
        "mutation { logout }",
        "query A { me { id } } mutation B { logout }",
    ] {
        let mut params = vec![("query", query)];
        if query.contains("mutation B") {
            params.push(("operationName", "B"));
        }
        let refused = app
            .client
            .get(app.url("/graphql"))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED, "{query}");
        assert_eq!(refused.headers()[header::ALLOW], "POST");
    }
    // A query operation chosen from a document that also holds a mutation is fine.
    let chosen = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query A { me { id } } mutation B { logout }"),
            ("operationName", "A"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), StatusCode::OK);
}

#[tokio::test]
async fn responses_are_negotiated_by_accept() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let valid = json!({ "query": "{ me { id } }" });
    let invalid = json!({ "query": "{ me { nope } }" });

    let legacy = post_raw(&app, None, valid.clone()).await;
    assert_eq!(legacy.status(), StatusCode::OK);
    assert!(content_type(&legacy).starts_with("application/json"));

    let modern = post_raw(&app, Some("application/graphql-response+json"), valid).await;
    assert_eq!(modern.status(), StatusCode::OK);
    assert!(content_type(&modern).starts_with("application/graphql-response+json"));

    // A validation error: 400 with the modern type (and no `data` entry), 200 with the legacy one.
    let modern_error = post_raw(
        &app,
        Some("application/graphql-response+json"),
        invalid.clone(),
    )
    .await;
    assert_eq!(modern_error.status(), StatusCode::BAD_REQUEST);
    let body: Value = modern_error.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(error_code(&body), Some("GRAPHQL_VALIDATION_FAILED"));
    let legacy_error = post_raw(&app, Some("application/json"), invalid).await;
    assert_eq!(legacy_error.status(), StatusCode::OK);

    let refused = post_raw(&app, Some("text/html"), json!({ "query": "{ me { id } }" })).await;
    assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn a_field_error_is_still_200_with_data() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let response = post_raw(
        &app,
        Some("application/graphql-response+json"),
        json!({ "query": "mutation { logout }" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    assert!(body.get("data").is_some());
}

#[tokio::test]
async fn malformed_requests_get_clear_codes() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let parse = app.gql("{ me { ", json!({}), None).await;
    assert_eq!(error_code(&parse), Some("GRAPHQL_PARSE_FAILED"));

    let not_json = app
        .client
        .post(app.url("/graphql"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{ this is not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        error_code(&not_json.json().await.unwrap()),
        Some("BAD_USER_INPUT")
    );

    let wrong_type = app
        .client
        .post(app.url("/graphql"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(r#"{"query":"{ me { id } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let bad_variable = app
        .gql(
            "mutation($input: CredentialsInput!) { register(input: $input) { token } }",
            json!({ "input": { "email": 42 } }),
            None,
        )
        .await;
    // A value that does not fit its type is the client's bad input, refused before any
    // resolver runs.
    assert_eq!(
        error_code(&bad_variable),
        Some("BAD_USER_INPUT"),
        "{bad_variable}"
    );
    assert!(bad_variable["data"].is_null(), "{bad_variable}");

    let unknown_operation = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "query A { me { id } }", "operationName": "B" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        error_code(&unknown_operation),
        Some("GRAPHQL_VALIDATION_FAILED")
    );
}

/// A request that is not well-formed (by the GraphQL-over-HTTP spec) is answered 400 with a
/// GraphQL error body whatever the client accepts; a well-formed one that is not valid GraphQL
/// keeps its usual answer.
async fn malformed_requests_are_400_whatever_the_accept(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let (token, _) = register(&app, "malformed@example.de").await;
    let bodies = [
        ("{ this is not json", "The body is not valid JSON"),
        (
            r#"{"query": "{ __typename }"} trailing"#,
            "The body is not valid JSON",
        ),
        ("42", "The body must be a JSON object"),
        ("{}", "The request has no `query`"),
        (r#"{"variables": {}}"#, "The request has no `query`"),
        (r#"{"query": 5}"#, "`query` must be a string"),
        (
            r#"{"query": "{ __typename }", "operationName": 1}"#,
            "`operationName` must be a string or null",
        ),
        (
            r#"{"query": "{ __typename }", "variables": "{}"}"#,
            "`variables` must be a JSON object",
        ),
        (
            r#"{"query": "{ __typename }", "extensions": [1]}"#,
            "`extensions` must be a JSON object",
        ),
        (
            r#"[{"query": "{ __typename }"}, {}]"#,
            "Operation 1 of the batch has no `query`",
        ),
        (
            r#"[{"query": "{ __typename }"}, 7]"#,
            "A batch must be an array of GraphQL requests",
        ),
    ];
    for accept in [
        None,
        Some("application/json"),
        Some("application/graphql-response+json"),
    ] {
        let expected_type = accept.unwrap_or("application/json");
        for (body, message) in bodies {
            let mut request = app
                .client
                .post(app.url("/graphql"))
                .header(header::CONTENT_TYPE, "application/json")
                .bearer_auth(&token)
                .body(body);
            if let Some(accept) = accept {
                request = request.header(header::ACCEPT, accept);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::BAD_REQUEST,
                "{body} ({accept:?})"
            );
            assert!(
                content_type(&response).starts_with(expected_type),
                "{body} ({accept:?})"
            );
            let answer: Value = response.json().await.unwrap();
            assert_eq!(
                error_code(&answer),
                Some("BAD_USER_INPUT"),
                "{body}: {answer}"
            );
            let shown = answer["errors"][0]["message"].as_str().unwrap();
            assert!(shown.starts_with(message), "{body}: {shown}");
            assert!(answer.get("data").is_none(), "{answer}");
        }

        // GET: the same rules for the query string.
        for (query, message) in [
            ("", "has no `query`"),
            ("?operationName=A", "has no `query`"),
            (
                "?query=%7B__typename%7D&variables=%5B1%5D",
                "`variables` is not a JSON object",
            ),
        ] {
            let mut request = app.client.get(app.url(&format!("/graphql{query}")));
            if let Some(accept) = accept {
                request = request.header(header::ACCEPT, accept);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::BAD_REQUEST,
                "GET {query} ({accept:?})"
            );
            let answer: Value = response.json().await.unwrap();
            assert_eq!(error_code(&answer), Some("BAD_USER_INPUT"), "{answer}");
            assert!(
                answer["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains(message),
                "{answer}"
            );
        }

        // A multipart request's `operations` is read by the same rules.
        let form = reqwest::multipart::Form::new()
            .text("operations", r#"{"variables": {"file": null}}"#)
            .text("map", r#"{"0": ["variables.file"]}"#)
            .part(
                "0",
                reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.png"),
            );
        let (status, answer) = app.api.post_form(form, Some(&token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(error_code(&answer), Some("BAD_USER_INPUT"));
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("has no `query`"),
            "{answer}"
        );

        // Well-formed but not valid GraphQL: today's answer (200 for application/json, 400 for
        // the GraphQL response type), with the parse error's own code.
        let response = post_raw(&app, accept, json!({ "query": "{ me { " })).await;
        let expected = match accept {
            Some("application/graphql-response+json") => StatusCode::BAD_REQUEST,
            _ => StatusCode::OK,
        };
        assert_eq!(response.status(), expected, "{accept:?}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(
            error_code(&answer),
            Some("GRAPHQL_PARSE_FAILED"),
            "{answer}"
        );
        // And a well-formed request is answered.
        let response = post_raw(&app, accept, json!({ "query": "{ __typename }", "variables": null, "extensions": null, "operationName": null })).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.json::<Value>().await.unwrap()["data"]["__typename"],
            "Query"
        );
    }
}

on_both_backends!(malformed_requests_are_400_whatever_the_accept);

#[tokio::test]
async fn bodies_batches_depth_and_complexity_are_limited() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.graphql.body_limit = 4096;
        args.graphql.max_batch = 3;
        args.graphql.max_query_depth = 3;
        args.graphql.max_query_complexity = 20;
    })
    .await
    .unwrap();

    let huge = json!({ "query": format!("{{ me {{ id }} }} # {}", "x".repeat(5000)) });
    let too_large = post_raw(&app, None, huge).await;
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        error_code(&too_large.json().await.unwrap()),
        Some("PAYLOAD_TOO_LARGE")
    );

    let op = json!({ "query": "{ cameraStyles { value } }" });
    let batch = post_raw(&app, None, json!([op, op])).await;
    assert_eq!(batch.status(), StatusCode::OK);
    let answers: Value = batch.json().await.unwrap();
    assert_eq!(answers.as_array().unwrap().len(), 2);
    assert_eq!(answers[1]["data"]["cameraStyles"][0]["value"], "STATIC");
    let too_many = post_raw(&app, None, json!([op, op, op, op])).await;
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);

    let deep = app
        .gql(
            "{ __schema { types { fields { type { ofType { name } } } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        error_code(&deep),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{deep}"
    );
    assert!(
        deep["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{deep}"
    );

    let aliases: String = (0..25)
        .map(|i| format!("a{i}: cameraStyles {{ value }} "))
        .collect();
    let complex = app.gql(&format!("{{ {aliases} }}"), json!({}), None).await;
    assert_eq!(
        error_code(&complex),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{complex}"
    );
    assert!(
        complex["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{complex}"
    );
}

/// A connection field costs `first` times its children, so nested pages cannot hide a huge
/// answer behind a small query.
#[tokio::test]
async fn connection_fields_count_first_in_the_complexity_limit() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (token, _) = register(&app, "pages@example.org").await;
    let nested = "{ me { collections(first: 100) { nodes { images(first: 100) { nodes {
        id videoPrompts(first: 100) { nodes { id } } } } } } } }";
    let refused = app.gql(nested, json!({}), Some(&token)).await;
    assert_eq!(
        error_code(&refused),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{refused}"
    );
    assert!(refused["data"].is_null(), "{refused}");

    let modest = "{ me { collections(first: 5) { nodes { images(first: 5) { nodes { id } } } } } }";
    let answered = app.gql(modest, json!({}), Some(&token)).await;
    assert_eq!(error_code(&answered), None, "{answered}");
    assert!(answered["data"]["me"]["collections"]["nodes"].is_array());
}

#[tokio::test]
async fn introspection_and_suggestions_can_be_turned_off() {
    let open = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let schema = open
        .gql("{ __schema { queryType { name } } }", json!({}), None)
        .await;
    assert_eq!(schema["data"]["__schema"]["queryType"]["name"], "Query");
    let typo = open.gql("{ cameraStyle { value } }", json!({}), None).await;
    assert!(
        typo["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Did you mean"),
        "{typo}"
    );

    let closed = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.graphql.introspection = false;
        args.graphql.field_suggestions = false;
    })
    .await
    .unwrap();
    let schema = closed
        .gql("{ __schema { queryType { name } } }", json!({}), None)
        .await;
    assert!(
        schema["data"]["__schema"].is_null() || schema["errors"].is_array(),
        "{schema}"
    );
    assert_ne!(schema["data"]["__schema"]["queryType"]["name"], "Query");
    let typo = closed
        .gql("{ cameraStyle { value } }", json!({}), None)
        .await;
    assert!(
        !typo["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Did you mean"),
        "{typo}"
    );
}

#[tokio::test]
async fn probes_answer_and_every_response_has_a_request_id() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.headers().contains_key("x-request-id"));
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>().await.unwrap()["database"], "ok");

    // With the database gone, the instance reports itself not ready.
    app.connections.close().await;
    let not_ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn an_unexpected_failure_answers_internal_with_a_generic_message() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (token, _) = register(&app, "broken@example.de").await;
    // Break the database under the server: every query now fails.
    app.connections.close().await;
    let body = app
        .gql("mutation { clearGeminiApiKey { id } }", json!({}), None)
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    let body = app
        .gql("mutation($input: CredentialsInput!) { login(input: $input) { token } }",
             json!({ "input": { "email": "broken@example.de", "password": testkit::scenario::PASSWORD } }), None)
        .await;
    assert_eq!(error_code(&body), Some("INTERNAL"), "{body}");
    assert_eq!(body["errors"][0]["message"], "Internal server error.");
    let _ = token;
}

/// Without introspection, "Did you mean …?" would still hand out the field names it hides.
#[tokio::test]
async fn no_introspection_means_no_suggestions() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.graphql.introspection = false;
        args.graphql.field_suggestions = true;
    })
    .await
    .unwrap();
    let typo = app.gql("{ cameraStyle { value } }", json!({}), None).await;
    assert_eq!(
        error_code(&typo),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{typo}"
    );
    let message = typo["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{typo}");
    assert!(!message.contains("cameraStyles"), "{typo}");
}

/// `[]` is a batch with nothing in it, not a document that fails to parse.
#[tokio::test]
async fn an_empty_batch_gets_the_batch_message() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let response = post_raw(&app, None, json!([])).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(
        body["errors"][0]["message"], "A batch must hold 1 to 10 operations.",
        "{body}"
    );
}

/// 20 collections × 20 images × 3 fields: a large request (`graphql::answer_size`), which
/// waits for one of the `--max-concurrent-requests` turns.
const LARGE_PAGE: &str = "{ me { collections(first: 20) { nodes { images(first: 20) { nodes { id width height } } } } } }";

/// Requests beyond `--max-concurrent-requests` wait their turn and are answered: with one
/// large turn (and eight small ones), many requests at once (large and small, single and
/// batched, signed in and not) all get their data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_concurrency_limit_wait_their_turn() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.graphql.max_concurrent_requests = 1;
    })
    .await
    .unwrap();
    let (token, _) = register(&app, "turns@example.org").await;
    let op = json!({ "query": "{ cameraStyles { value } }" });
    // A turn that is never given back would leave the rest waiting forever: fail instead.
    let all = futures_util::future::join_all((0..32).map(|i| {
        let app = &app;
        let (op, token) = (op.clone(), token.clone());
        async move {
            match i % 4 {
                0 => post_raw(app, None, op).await.json::<Value>().await.unwrap(),
                3 => app.gql(LARGE_PAGE, json!({}), Some(&token)).await,
                1 => post_raw(app, None, json!([op, op]))
                    .await
                    .json::<Value>()
                    .await
                    .unwrap()[1]
                    .clone(),
                _ => app.gql("{ me { email } }", json!({}), Some(&token)).await,
            }
        }
    }));
    let answers = tokio::time::timeout(std::time::Duration::from_secs(120), all)
        .await
        .expect("requests waiting for a turn were never answered");
    for (i, answer) in answers.iter().enumerate() {
        assert!(answer["errors"].is_null(), "{i}: {answer}");
        let data = &answer["data"];
        assert!(
            data["cameraStyles"][0]["value"] == "STATIC"
                || data["me"]["email"] == "turns@example.org"
                || data["me"]["collections"]["nodes"] == json!([]),
            "{i}: {answer}"
        );
    }
}

/// A small request never waits behind large ones: with the only large turn held by a query
/// that PostgreSQL keeps waiting on a lock, `me` is still answered. (PostgreSQL only: the test
/// holds the large query inside its execution with a table lock, which SQLite's readers
/// never wait for.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_request_goes_ahead_while_the_large_turns_are_taken() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |args| {
        args.graphql.max_concurrent_requests = 1;
    })
    .await
    else {
        return;
    };
    let (token, _) = register(&app, "small@example.org").await;
    let lock = app.db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE collections IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let large = tokio::spawn({
        let (app_url, client, token) = (app.url("/graphql"), app.client.clone(), token.clone());
        async move {
            client
                .post(app_url)
                .bearer_auth(token)
                .json(&json!({ "query": LARGE_PAGE }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    // The large query holds its turn once it waits on the lock.
    loop {
        let waiting = app
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'collections'::regclass",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Only a guard against a hang: before, this request waited for the lock's release.
    let small = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        app.gql("{ me { email } }", json!({}), Some(&token)),
    )
    .await
    .expect("a small request waited behind the large one");
    assert_eq!(small["data"]["me"]["email"], "small@example.org", "{small}");
    lock.commit().await.unwrap();
    let large = large.await.unwrap();
    assert_eq!(
        large["data"]["me"]["collections"]["nodes"],
        json!([]),
        "{large}"
    );
}
