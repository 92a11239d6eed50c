//! The session cache: a token seen lately costs no SQL, `me` comes with the session, and a
//! session that ends (logout over HTTP or the socket, here or on another instance, or its
//! expiry) is refused at once although it was cached.
//!
//! Statements are counted per app ([`TestApp::statements`]) with the generation workers off,
//! so nothing else touches the database meanwhile. Where a test checks that an end is refused,
//! the cache's TTL is an hour: only the end itself can refuse the token within the test.

use std::time::Duration;

use serde_json::{Value, json};
use testkit::{
    WsClient, error_code, eventually,
    scenario::{bearer, register},
};

use crate::{
    both_backends,
    helpers::{Backend, TestApp, until_listening},
};

/// No workers (they would run statements of their own) and a cache that outlives the test.
fn quiet_with_long_cache(args: &mut videoprompt::config::ServeArgs) {
    args.jobs.workers = 0;
    args.accounts.session_cache_ttl = Duration::from_secs(3600);
}

/// The answer to `query` with `token`, and the statements it cost.
async fn counted(app: &TestApp, query: &str, token: &str) -> (Value, u64) {
    let before = app.statements.get();
    let body = app.gql(query, json!({}), Some(token)).await;
    (body, app.statements.get() - before)
}

/// `me`'s e-mail as `token` sees it (`None`: anonymous).
async fn me(app: &TestApp, token: &str) -> Option<String> {
    let body = app.gql("{ me { email } }", json!({}), Some(token)).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["me"]["email"].as_str().map(str::to_owned)
}

/// Asserts that `token` is anonymous now: `me` is null and a mutation is UNAUTHENTICATED.
async fn assert_signed_out(app: &TestApp, token: &str) {
    assert_eq!(me(app, token).await, None, "me after the session ended");
    let made = app
        .gql(
            "mutation { createCollection(name: \"Danach\") { id } }",
            json!({}),
            Some(token),
        )
        .await;
    assert_eq!(error_code(&made), Some("UNAUTHENTICATED"), "{made}");
}

both_backends! {
    configure: quiet_with_long_cache;

    async fn a_token_seen_before_costs_no_statement(app) {
        let (token, _) = register(&app, "cache-typename@example.de").await;
        let (first, cold) = counted(&app, "{ __typename }", &token).await;
        assert_eq!(first["data"]["__typename"], "Query", "{first}");
        assert_eq!(cold, 1, "the first request looks the token up");
        for _ in 0..3 {
            let (body, warm) = counted(&app, "{ __typename }", &token).await;
            assert_eq!(body["data"]["__typename"], "Query", "{body}");
            assert_eq!(warm, 0, "a token seen before is not looked up again");
        }
    }

    async fn me_comes_with_the_session(app) {
        let (token, user_id) = register(&app, "cache-me@example.de").await;
        let expected = json!({ "data": { "me": { "id": user_id, "email": "cache-me@example.de" } } });
        let (cold_body, cold) = counted(&app, "{ me { id email } }", &token).await;
        assert_eq!(cold_body, expected);
        assert_eq!(cold, 1, "session and user in one statement");
        let (warm_body, warm) = counted(&app, "{ me { id email } }", &token).await;
        assert_eq!(warm_body, expected);
        assert_eq!(warm, 0, "the user's row is cached with the session");
    }

    async fn a_logout_is_refused_at_once_although_the_session_was_cached(app) {
        let (token, _) = register(&app, "cache-logout@example.de").await;
        let (other, _) = register(&app, "cache-stays@example.de").await;
        assert_eq!(me(&app, &token).await.as_deref(), Some("cache-logout@example.de"));
        assert_eq!(me(&app, &other).await.as_deref(), Some("cache-stays@example.de"));
        let (_, warm) = counted(&app, "{ __typename }", &token).await;
        assert_eq!(warm, 0, "cached before the logout");

        let out = app.gql("mutation { logout }", json!({}), Some(&token)).await;
        assert_eq!(out["data"]["logout"], true, "{out}");
        assert_signed_out(&app, &token).await;
        // Another session stays cached and signed in.
        let (body, cost) = counted(&app, "{ me { email } }", &other).await;
        assert_eq!(body["data"]["me"]["email"], "cache-stays@example.de", "{body}");
        assert_eq!(cost, 0);
    }

    async fn a_logout_over_the_socket_is_refused_at_once_over_http(app) {
        let (token, _) = register(&app, "cache-ws@example.de").await;
        assert_eq!(me(&app, &token).await.as_deref(), Some("cache-ws@example.de"));
        let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
        ws.init(bearer(&token)).await;
        ws.subscribe("me", "{ me { email } }", json!({})).await;
        let answer = ws.until_complete("me").await;
        assert_eq!(answer[0]["data"]["me"]["email"], "cache-ws@example.de", "the socket's caller: {answer:?}");

        ws.subscribe("out", "mutation { logout }", json!({})).await;
        assert_eq!(ws.next_of("out").await, json!({ "data": { "logout": true } }));
        assert_signed_out(&app, &token).await;
    }
}

both_backends! {
    configure: |args| {
        quiet_with_long_cache(args);
        args.accounts.token_ttl = Duration::from_secs(5);
    };

    async fn an_expired_session_is_refused_although_it_was_cached(app) {
        let (token, _) = register(&app, "cache-expiry@example.de").await;
        assert_eq!(me(&app, &token).await.as_deref(), Some("cache-expiry@example.de"));
        let (_, warm) = counted(&app, "{ __typename }", &token).await;
        assert_eq!(warm, 0, "cached while the token was live");

        // Only the cached expiry can refuse it: the cache keeps sessions for an hour.
        let refusal_cost = eventually("the expired token is anonymous", async || {
            let (body, cost) = counted(&app, "{ me { email } }", &token).await;
            body["data"]["me"].is_null().then_some(cost)
        })
        .await;
        assert_eq!(refusal_cost, 0, "refused by the cached expiry, without asking the database");
        assert_signed_out(&app, &token).await;
    }
}

/// Two instances on one PostgreSQL database, both listening to each other; `None` without
/// PostgreSQL.
async fn two_instances() -> Option<(TestApp, TestApp)> {
    let a = TestApp::spawn_with(Backend::Postgres, quiet_with_long_cache).await?;
    let b = a.spawn_sibling(|_| {}).await;
    until_listening(&a).await;
    until_listening(&b).await;
    Some((a, b))
}

/// PostgreSQL: a logout on B reaches A's cache at once (by the cluster's NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_on_another_instance_is_refused_at_once() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let (token, _) = register(&a, "cache-cluster@example.de").await;
    let (other, _) = register(&a, "cache-cluster-stays@example.de").await;
    assert!(me(&a, &token).await.is_some());
    assert!(me(&a, &other).await.is_some());
    let (_, warm) = counted(&a, "{ __typename }", &token).await;
    assert_eq!(warm, 0, "cached on A before the logout");

    let out = b.gql("mutation { logout }", json!({}), Some(&token)).await;
    assert_eq!(out["data"]["logout"], true, "{out}");
    assert_signed_out(&b, &token).await;
    // A's cache keeps the session for an hour: only the end B sent can refuse it.
    eventually("A refuses the token B signed out", async || {
        me(&a, &token).await.is_none()
    })
    .await;
    assert_signed_out(&a, &token).await;
    let (body, cost) = counted(&a, "{ me { email } }", &other).await;
    assert_eq!(
        body["data"]["me"]["email"], "cache-cluster-stays@example.de",
        "{body}"
    );
    assert_eq!(cost, 0, "other sessions stay cached");
}

/// PostgreSQL: a logout that A did not hear (its listener was down) is refused once A listens
/// again, as A then forgets every cached session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_missed_while_the_listener_was_down_is_refused_after_reconnecting() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let (token, _) = register(&a, "cache-deaf@example.de").await;
    assert!(me(&a, &token).await.is_some());

    crate::helpers::cut_listener(&a).await;
    let cluster = a.cluster.as_ref().unwrap();

    let out = b.gql("mutation { logout }", json!({}), Some(&token)).await;
    assert_eq!(out["data"]["logout"], true, "{out}");
    // Unheard so far: A still answers from its cache, which is what reconnecting must undo.
    assert!(
        me(&a, &token).await.is_some(),
        "A heard of the logout without a listener"
    );

    cluster.hold_reconnects(false);
    eventually("A refuses the token after listening again", async || {
        me(&a, &token).await.is_none()
    })
    .await;
    assert_signed_out(&a, &token).await;
}
