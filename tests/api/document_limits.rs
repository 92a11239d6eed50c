//! Documents are measured before they are validated or executed (issue 11, point 1): fragments
//! that spread each other cannot multiply the work, brackets cannot nest deep enough to overflow
//! a stack, and the refusal comes from the measuring step on every path that takes a document
//! (POST, GET, a batch, both WebSocket protocols). No database is involved: SQLite only.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use testkit::{WsClient, error_code, scenario::register};

use crate::helpers::{Backend, TestApp};

/// The issue's `A(n)`: each fragment selects `__typename` (complexity 0) twice and spreads the
/// next twice, so execution would build 2ⁿ answers.
fn doubling_with_typenames(n: usize) -> String {
    let mut text = "query { ...L0 }".to_owned();
    for i in 0..n {
        let next = i + 1;
        text.push_str(&format!(
            " fragment L{i} on Query {{ a{i}: __typename ...L{next} b{i}: __typename ...L{next} }}"
        ));
    }
    text.push_str(&format!(" fragment L{n} on Query {{ __typename }}"));
    text
}

/// The issue's `B(n)`: only spreads, ending in a real field; the complexity rule would refuse
/// it, but only after walking 2ⁿ paths.
fn doubling_spreads(n: usize) -> String {
    let mut text = "query { ...L0 }".to_owned();
    for i in 0..n {
        let next = i + 1;
        text.push_str(&format!(
            " fragment L{i} on Query {{ ...L{next} ...L{next} }}"
        ));
    }
    text.push_str(&format!(
        " fragment L{n} on Query {{ cameraStyles {{ value label }} }}"
    ));
    text
}

/// The same fan-out hidden in inline fragments.
fn doubling_inline(n: usize) -> String {
    let mut text = "query { ...L0 }".to_owned();
    for i in 0..n {
        let next = i + 1;
        text.push_str(&format!(
            " fragment L{i} on Query {{ ... on Query {{ ...L{next} }} ... {{ x{i}: __typename ...L{next} }} }}"
        ));
    }
    text.push_str(&format!(" fragment L{n} on Query {{ __typename }}"));
    text
}

fn attacks() -> [(&'static str, String); 3] {
    [
        ("B(30)", doubling_spreads(30)),
        ("inline(26)", doubling_inline(26)),
        ("A(24)", doubling_with_typenames(24)),
    ]
}

/// Refused by the measuring step: its code and message, not the complexity rule's.
#[track_caller]
fn assert_measured_and_refused(what: &str, body: &Value) {
    assert_eq!(
        error_code(body),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{what}: {body}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("with its fragments expanded it has more than 5000 selections"),
        "{what}: {body}"
    );
    assert!(!message.contains("too complex"), "{what}: {body}");
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "{what}: {body}"
    );
}

async fn post(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&body)
        .send()
        .await
        .expect("the request failed (or ran past the client's timeout)");
    (response.status(), response.json().await.unwrap())
}

async fn get(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", query)])
        .send()
        .await
        .expect("the request failed (or ran past the client's timeout)");
    (response.status(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_documents_are_refused_by_the_measure_on_every_path() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for (what, query) in attacks() {
        let (status, body) = post(&app, json!({ "query": query })).await;
        assert_eq!(status, StatusCode::OK, "{what} POST: {body}");
        assert_measured_and_refused(&format!("{what} POST"), &body);

        let (_, body) = get(&app, &query).await;
        assert_measured_and_refused(&format!("{what} GET"), &body);

        // In a batch, the attack is refused and its neighbour still answered.
        let batch = json!([{ "query": query }, { "query": "{ cameraStyles { value } }" }]);
        let (status, body) = post(&app, batch).await;
        assert_eq!(status, StatusCode::OK, "{what} batch: {body}");
        assert_measured_and_refused(&format!("{what} batch"), &body[0]);
        assert_eq!(body[1]["data"]["cameraStyles"][0]["value"], "STATIC");

        for protocol in ["graphql-transport-ws", "graphql-ws"] {
            let mut ws = WsClient::connect(&app, protocol, None).await;
            ws.init(json!({})).await;
            ws.subscribe("attack", &query, json!({})).await;
            let events = ws.until_complete("attack").await;
            assert_eq!(events.len(), 1, "{what} {protocol}: {events:?}");
            assert_measured_and_refused(&format!("{what} {protocol}"), &events[0]);
            // The connection stays usable.
            ws.subscribe("after", "{ cameraStyles { value } }", json!({}))
                .await;
            let events = ws.until_complete("after").await;
            assert_eq!(events[0]["data"]["cameraStyles"][0]["value"], "STATIC");
        }
    }
}

/// The issue saw 20 concurrent `B(26)` take `/healthz` down. Twenty attacks at once must all be
/// refused while the probe keeps answering; the deadlines are generous (a refusal takes
/// microseconds), they only turn a hang into a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_attacks_at_once_leave_healthz_answering() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let attacks = attacks();
    let started = Instant::now();
    let requests = (0..20).map(|i| {
        let (what, query) = &attacks[i % attacks.len()];
        let app = &app;
        async move {
            let (_, body) = post(app, json!({ "query": query })).await;
            assert_measured_and_refused(what, &body);
        }
    });
    let probes = async {
        for _ in 0..10 {
            let response = tokio::time::timeout(
                Duration::from_secs(10),
                app.client.get(app.url("/healthz")).send(),
            )
            .await
            .expect("/healthz did not answer within 10 s during the attack")
            .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
    };
    tokio::time::timeout(
        Duration::from_secs(60),
        futures_util::future::join(futures_util::future::join_all(requests), probes),
    )
    .await
    .expect("the attacks were not all answered within 60 s");
    eprintln!("20 attacks refused in {:?}", started.elapsed());
}

/// What graphql-js's `getIntrospectionQuery` sends (GraphiQL's schema fetch), with every option
/// GraphiQL turns on and a deeper `TypeRef` than it needs.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;

/// The app's largest page: collections, their images, their prompts.
/// (Complexity 22,082: the default limit, 25,000, is set by it.)
const APP_QUERY: &str = "{ me { collections(first: 20) { nodes { id name images(first: 20) { nodes {
    id width height
    videoPrompts(first: 5) { nodes { id status prompt details { scene camera lighting mood effects } } }
} } } } } }";

/// The default limits (selections, depth, complexity) leave room for both, while the same
/// shape asked 100 × 100 × 100 deep is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_introspection_and_the_app_query_fit_the_default() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let body = app.gql(INTROSPECTION, json!({}), None).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");

    let (token, _) = register(&app, "pages@example.org").await;
    let body = app.gql(APP_QUERY, json!({}), Some(&token)).await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(body["data"]["me"]["collections"]["nodes"].is_array());

    let fan_out = APP_QUERY
        .replace("first: 20", "first: 100")
        .replace("first: 5", "first: 100");
    let refused = app.gql(&fan_out, json!({}), Some(&token)).await;
    assert_eq!(
        error_code(&refused),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{refused}"
    );
    assert!(refused["data"].is_null(), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_selection_limit_is_a_setting() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.graphql.max_query_selections = 12
    })
    .await
    .unwrap();
    // 1 operation + 3 fields + 1 alias-free field inside: well under 12.
    let fits = app
        .gql("{ cameraStyles { value label } }", json!({}), None)
        .await;
    assert!(fits["errors"].is_null(), "{fits}");
    let aliases: String = (0..12).map(|i| format!("a{i}: __typename ")).collect();
    let refused = app.gql(&format!("{{ {aliases} }}"), json!({}), None).await;
    assert_eq!(error_code(&refused), Some("GRAPHQL_VALIDATION_FAILED"));
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more than 12 selections"),
        "{refused}"
    );
}

/// The other shapes of the same attack, each answered with a clear error, fast, the server
/// still up: brackets nested deep enough to overflow a stack (this once aborted the process),
/// a spread cycle, a long chain of spreads, a flat document of 90,000 fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_shapes_are_refused_before_they_cost_anything() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let deep_list = format!(
        "{{ cameraStyles(x: {}{}) {{ value }} }}",
        "[".repeat(500),
        "]".repeat(500)
    );
    let deep_object = format!(
        "{{ cameraStyles(x: {}1{}) {{ value }} }}",
        "{a: ".repeat(500),
        "}".repeat(500)
    );
    for (what, query) in [("list", &deep_list), ("object", &deep_object)] {
        let (_, body) = post(&app, json!({ "query": query })).await;
        assert_eq!(
            error_code(&body),
            Some("GRAPHQL_PARSE_FAILED"),
            "{what}: {body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("nests brackets more than 64 levels deep"),
            "{what}: {body}"
        );
        let (_, body) = get(&app, query).await;
        assert_eq!(
            error_code(&body),
            Some("GRAPHQL_PARSE_FAILED"),
            "{what} GET: {body}"
        );
        let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
        ws.init(json!({})).await;
        ws.subscribe("deep", query, json!({})).await;
        let events = ws.until_complete("deep").await;
        assert_eq!(
            error_code(&events[0]),
            Some("GRAPHQL_PARSE_FAILED"),
            "{what} WS: {events:?}"
        );
    }

    let cycle =
        "query { ...F } fragment F on Query { ...G ...G } fragment G on Query { ...F ...F }";
    let body = app.gql(cycle, json!({}), None).await;
    assert_eq!(
        error_code(&body),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("spreads itself"),
        "{body}"
    );

    let mut chain = "{ ...F0 }".to_owned();
    for i in 0..5_000 {
        chain.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
    }
    chain.push_str(" fragment F5000 on Query { __typename }");
    let body = app.gql(&chain, json!({}), None).await;
    assert_eq!(
        error_code(&body),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("levels deep"),
        "{body}"
    );

    let flat = format!("{{ {} }}", "__typename ".repeat(90_000));
    let body = app.gql(&flat, json!({}), None).await;
    assert_measured_and_refused("90,000 fields", &body);

    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
