//! Password guessing (issue 11, point 5): one `register`/`login` per request (aliases,
//! fragments, batches, WebSocket messages), failed logins limited per e-mail and address and per
//! address, registrations per address, and which address counts (`--trusted-proxies`).

use std::time::Duration;

use serde_json::{Value, json};
use testkit::{
    WsClient, error_code,
    scenario::{PASSWORD, register},
};
use videoprompt::config::ServeArgs;

use crate::{both_backends, helpers::TestApp};

const LOGIN: &str =
    "mutation($input: CredentialsInput!) { login(input: $input) { token user { id } } }";
const REGISTER: &str =
    "mutation($input: CredentialsInput!) { register(input: $input) { token user { id } } }";

/// Addresses from the documentation ranges, sent as `X-Forwarded-For` through the test's
/// trusted proxy (127.0.0.1, where the test client connects from).
const ADDRESS_A: &str = "203.0.113.7";
const ADDRESS_B: &str = "198.51.100.9";

const WRONG: &str = "not the password at all";

fn credentials(email: &str, password: &str) -> Value {
    json!({ "input": { "email": email, "password": password } })
}

/// POSTs `body` (a request or a batch) as if forwarded for `forwarded_for`.
async fn post(app: &TestApp, body: Value, forwarded_for: Option<&str>) -> Value {
    let mut request = app.client.post(app.url("/graphql")).json(&body);
    if let Some(address) = forwarded_for {
        request = request.header("X-Forwarded-For", address);
    }
    request.send().await.unwrap().json().await.unwrap()
}

async fn login_from(app: &TestApp, email: &str, password: &str, from: Option<&str>) -> Value {
    post(
        app,
        json!({ "query": LOGIN, "variables": credentials(email, password) }),
        from,
    )
    .await
}

/// A login's answer: `Ok(token)` or `Err(code)`.
fn outcome(body: &Value) -> Result<String, String> {
    match body["data"]["login"]["token"].as_str() {
        Some(token) => Ok(token.to_owned()),
        None => Err(error_code(body).unwrap_or("none").to_owned()),
    }
}

/// The `retryAfter` of a RATE_LIMITED answer, checked to be whole seconds within the window.
fn retry_after(body: &Value, window: Duration) -> u64 {
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{body}");
    let seconds = error["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("no whole-second retryAfter: {body}"));
    assert!((1..=window.as_secs()).contains(&seconds), "{body}");
    seconds
}

const WINDOW: Duration = Duration::from_secs(3600);

/// Behind a trusted proxy on 127.0.0.1, with small limits and a long window (nothing refills
/// while a test runs, whatever the machine's speed).
fn behind_proxy(args: &mut ServeArgs) {
    args.graphql.trusted_proxies = videoprompt::config::parse_ip_nets("127.0.0.1").unwrap();
    args.accounts.login_failures_per_account = 3;
    args.accounts.login_failures_per_address = 6;
    args.accounts.login_failure_window = WINDOW;
    args.accounts.registrations_per_address = 2;
    args.accounts.registration_window = WINDOW;
}

/// No trusted proxy: the socket's address counts, whatever the header says.
fn direct(args: &mut ServeArgs) {
    args.accounts.login_failures_per_account = 3;
    args.accounts.login_failure_window = WINDOW;
}

both_backends! {
    async fn aliased_logins_run_once_per_request(app) {
        register(&app, "anna@example.de").await;
        let aliases: String = (0..300)
            .map(|n| format!("l{n}: login(input: $input) {{ token }} "))
            .collect();
        let query = format!("mutation($input: CredentialsInput!) {{ {aliases} }}");
        let hashes = app.state.accounts.password_hashes();
        let body = post(&app, json!({ "query": query, "variables": credentials("anna@example.de", PASSWORD) }), None).await;
        assert!(body["data"]["l0"]["token"].is_string(), "the first one runs: {body}");
        let errors = body["errors"].as_array().expect("the others are refused");
        assert_eq!(errors.len(), 299, "{body}");
        for (n, error) in errors.iter().enumerate() {
            assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
            assert_eq!(error["path"], json!([format!("l{}", n + 1)]), "{error}");
            assert!(error["message"].as_str().unwrap().contains("only one register or login"), "{error}");
        }
        assert_eq!(app.state.accounts.password_hashes() - hashes, 1, "one password hash for the request");

        // Spread through fragments, or a register beside a login: the same.
        let fragments = "mutation($input: CredentialsInput!) { ...Twice }
            fragment Twice on Mutation { a: login(input: $input) { token } ...Again }
            fragment Again on Mutation { b: login(input: $input) { token } ... on Mutation { c: register(input: $input) { token } } }";
        let hashes = app.state.accounts.password_hashes();
        let body = post(&app, json!({ "query": fragments, "variables": credentials("anna@example.de", PASSWORD) }), None).await;
        assert!(body["data"]["a"]["token"].is_string(), "{body}");
        let codes: Vec<_> = body["errors"].as_array().unwrap().iter()
            .map(|e| (e["path"][0].as_str().unwrap().to_owned(), e["extensions"]["code"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(codes, [("b".into(), "BAD_USER_INPUT".into()), ("c".into(), "BAD_USER_INPUT".into())], "{body}");
        assert_eq!(app.state.accounts.password_hashes() - hashes, 1);
    }

    async fn a_batch_signs_in_once(app) {
        register(&app, "ben@example.de").await;
        let login = json!({ "query": LOGIN, "variables": credentials("ben@example.de", PASSWORD) });
        let register = json!({ "query": REGISTER, "variables": credentials("new@example.de", PASSWORD) });
        let hashes = app.state.accounts.password_hashes();
        let body = post(&app, json!([login, login, register]), None).await;
        let answers = body.as_array().unwrap_or_else(|| panic!("a batch answer: {body}"));
        assert!(outcome(&answers[0]).is_ok(), "{body}");
        assert_eq!(outcome(&answers[1]), Err("BAD_USER_INPUT".into()), "{body}");
        assert_eq!(error_code(&answers[2]), Some("BAD_USER_INPUT"), "{body}");
        assert!(answers[2]["data"]["register"].is_null(), "{body}");
        assert_eq!(app.state.accounts.password_hashes() - hashes, 1);
        // Nothing was registered by the refused operation.
        assert_eq!(outcome(&login_from(&app, "new@example.de", PASSWORD, None).await), Err("UNAUTHENTICATED".into()));
    }
}

both_backends! {
    configure: behind_proxy;

    async fn failed_logins_from_one_address_are_throttled_not_the_owner_elsewhere(app) {
        register(&app, "clara@example.de").await;
        for _ in 0..3 {
            let body = login_from(&app, "clara@example.de", WRONG, Some(ADDRESS_A)).await;
            assert_eq!(outcome(&body), Err("UNAUTHENTICATED".into()), "{body}");
        }
        let hashes = app.state.accounts.password_hashes();
        let refused = login_from(&app, "clara@example.de", WRONG, Some(ADDRESS_A)).await;
        retry_after(&refused, WINDOW);
        assert!(refused["data"]["login"].is_null(), "{refused}");
        // Even the right password from A waits now, and nothing is hashed while refusing.
        let right_from_a = login_from(&app, "clara@example.de", PASSWORD, Some(ADDRESS_A)).await;
        retry_after(&right_from_a, WINDOW);
        // A client that writes its own header behind the proxy is still A (the right-most entry).
        let spoofed = login_from(&app, "clara@example.de", PASSWORD, Some(&format!("{ADDRESS_B}, {ADDRESS_A}"))).await;
        retry_after(&spoofed, WINDOW);
        assert_eq!(app.state.accounts.password_hashes(), hashes, "refused attempts hash nothing");

        // The owner, from elsewhere, signs in.
        let owner = login_from(&app, "clara@example.de", PASSWORD, Some(ADDRESS_B)).await;
        assert!(outcome(&owner).is_ok(), "{owner}");
    }

    async fn failed_logins_across_emails_are_throttled_per_address(app) {
        // Six wrong logins for six e-mails (one each, under the per-account limit of 3)...
        for n in 0..6 {
            let body = login_from(&app, &format!("user{n}@example.de"), WRONG, Some(ADDRESS_A)).await;
            assert_eq!(outcome(&body), Err("UNAUTHENTICATED".into()), "{body}");
        }
        // ...use up A's own limit, for any e-mail, malformed ones too.
        let refused = login_from(&app, "user6@example.de", WRONG, Some(ADDRESS_A)).await;
        retry_after(&refused, WINDOW);
        retry_after(&login_from(&app, "not-an-email", WRONG, Some(ADDRESS_A)).await, WINDOW);
        let elsewhere = login_from(&app, "user6@example.de", WRONG, Some(ADDRESS_B)).await;
        assert_eq!(outcome(&elsewhere), Err("UNAUTHENTICATED".into()), "{elsewhere}");
    }

    async fn a_successful_login_forgets_the_failures(app) {
        register(&app, "dora@example.de").await;
        for _ in 0..2 {
            login_from(&app, "dora@example.de", WRONG, Some(ADDRESS_A)).await;
        }
        assert!(outcome(&login_from(&app, "dora@example.de", PASSWORD, Some(ADDRESS_A)).await).is_ok());
        // Three more mistakes fit again before the limit.
        for _ in 0..3 {
            let body = login_from(&app, "dora@example.de", WRONG, Some(ADDRESS_A)).await;
            assert_eq!(outcome(&body), Err("UNAUTHENTICATED".into()), "{body}");
        }
        retry_after(&login_from(&app, "dora@example.de", WRONG, Some(ADDRESS_A)).await, WINDOW);
    }

    async fn registrations_are_limited_per_address(app) {
        let register = |email: &str| json!({ "query": REGISTER, "variables": credentials(email, PASSWORD) });
        for email in ["r1@example.de", "r2@example.de"] {
            let body = post(&app, register(email), Some(ADDRESS_A)).await;
            assert!(body["data"]["register"]["token"].is_string(), "{body}");
        }
        let hashes = app.state.accounts.password_hashes();
        let refused = post(&app, register("r3@example.de"), Some(ADDRESS_A)).await;
        retry_after(&refused, WINDOW);
        // Refused before the e-mail is looked up: a taken one is not revealed either.
        retry_after(&post(&app, register("r1@example.de"), Some(ADDRESS_A)).await, WINDOW);
        assert_eq!(app.state.accounts.password_hashes(), hashes);
        let elsewhere = post(&app, register("r3@example.de"), Some(ADDRESS_B)).await;
        assert!(elsewhere["data"]["register"]["token"].is_string(), "{elsewhere}");
    }

    async fn over_websocket_each_message_signs_in_once_and_counts_for_its_address(app) {
        register(&app, "emil@example.de").await;
        let mut ws = connect_from(&app, ADDRESS_A).await;
        ws.init(json!({})).await;
        let twice = "mutation($input: CredentialsInput!) { a: login(input: $input) { token } b: login(input: $input) { token } }";
        ws.subscribe("1", twice, credentials("emil@example.de", PASSWORD)).await;
        let answers = ws.until_complete("1").await;
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert!(answers[0]["data"]["a"]["token"].is_string(), "{answers:?}");
        assert_eq!(answers[0]["errors"][0]["path"], json!(["b"]), "{answers:?}");
        assert_eq!(error_code(&answers[0]), Some("BAD_USER_INPUT"), "{answers:?}");

        // Each message is its own request; its failures count for the upgrade's address.
        for n in 0..3 {
            let id = format!("wrong{n}");
            ws.subscribe(&id, LOGIN, credentials("emil@example.de", WRONG)).await;
            let answers = ws.until_complete(&id).await;
            assert_eq!(outcome(&answers[0]), Err("UNAUTHENTICATED".into()), "{answers:?}");
        }
        ws.subscribe("limited", LOGIN, credentials("emil@example.de", PASSWORD)).await;
        retry_after(&ws.until_complete("limited").await[0], WINDOW);
        // The same address over HTTP is limited too; another one is not.
        retry_after(&login_from(&app, "emil@example.de", PASSWORD, Some(ADDRESS_A)).await, WINDOW);
        assert!(outcome(&login_from(&app, "emil@example.de", PASSWORD, Some(ADDRESS_B)).await).is_ok());
    }
}

both_backends! {
    configure: direct;

    async fn forwarded_for_from_an_untrusted_peer_is_ignored(app) {
        register(&app, "fritz@example.de").await;
        // Each guess claims another address; without --trusted-proxies the socket's counts.
        for n in 1..=3 {
            let body = login_from(&app, "fritz@example.de", WRONG, Some(&format!("192.0.2.{n}"))).await;
            assert_eq!(outcome(&body), Err("UNAUTHENTICATED".into()), "{body}");
        }
        let refused = login_from(&app, "fritz@example.de", PASSWORD, Some("192.0.2.99")).await;
        retry_after(&refused, WINDOW);
        retry_after(&login_from(&app, "fritz@example.de", PASSWORD, None).await, WINDOW);
    }
}

/// A WebSocket whose upgrade request was forwarded for `address`.
async fn connect_from(app: &TestApp, address: &str) -> WsClient {
    WsClient::connect_with(app, "graphql-transport-ws", &[("X-Forwarded-For", address)]).await
}
