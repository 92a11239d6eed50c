//! The caller is settled before anything else, and a session that ends is over everywhere:
//! a multipart body waits for its token (a bad or missing one is refused before the files are
//! read), a logout or an expiry closes the WebSockets of that session at once (also on another
//! instance), and a token lookup that fails answers INTERNAL, never "signed out".

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use testkit::{
    WsClient, error_code,
    scenario::{UPLOAD, bearer, create_collection, register},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{both_backends, helpers::TestApp};

/// Longest wait for an answer: a server that waits for the rest of a body fails the test
/// instead of hanging it.
const WAIT: Duration = Duration::from_secs(10);

/// What a raw HTTP exchange answered.
struct RawAnswer {
    head: String,
    body: Value,
}

impl RawAnswer {
    fn status(&self) -> u16 {
        self.head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// Reads one HTTP/1.1 answer with a Content-Length body from a raw socket.
async fn read_answer(stream: &mut tokio::net::TcpStream) -> RawAnswer {
    let mut buffer = Vec::new();
    let read = async {
        loop {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.expect("reading the answer");
            buffer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buffer).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    return RawAnswer {
                        head: head.to_owned(),
                        body: serde_json::from_str(&body[..length]).unwrap_or(Value::Null),
                    };
                }
            }
            assert!(n > 0, "the connection closed before a full answer: {text}");
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("no answer although the server had all it needed to refuse")
}

/// Starts a multipart upload whose headers announce a 48 MiB body (under the 64 MiB request
/// limit) and sends only `operations`, `map` and the first 4 KiB of the file; then waits for
/// the answer, sending nothing more.
async fn upload_that_stops_early(app: &TestApp, headers: &str, collection: &str) -> RawAnswer {
    let boundary = "----videoprompt-early";
    let operations =
        json!({ "query": UPLOAD, "variables": { "collectionId": collection, "file": null } });
    let mut head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.file\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"big.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    head.extend_from_slice(&[0u8; 4096]);
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\n{headers}\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        48 << 20
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&head).await.unwrap();
    read_answer(&mut stream).await
}

both_backends! {
    async fn an_upload_without_a_valid_token_is_refused_before_its_body_is_read(app) {
        let (token, _) = register(&app, "early@example.de").await;
        let collection = create_collection(&app, &token, "Früh").await;
        let revoked = {
            // Signed out: the token is revoked.
            let (gone, _) = register(&app, "gone@example.de").await;
            app.gql("mutation { logout }", json!({}), Some(&gone)).await;
            gone
        };
        for (case, headers) in [
            ("unknown token", "Authorization: Bearer vp_not-a-token\r\n".to_owned()),
            ("revoked token", format!("Authorization: Bearer {revoked}\r\n")),
            ("no token, preflight header", "GraphQL-Require-Preflight: 1\r\n".to_owned()),
            ("not a bearer token", "Authorization: Basic dXNlcjpwdw==\r\n".to_owned()),
        ] {
            let answer = upload_that_stops_early(&app, &headers, &collection).await;
            assert_eq!(answer.status(), 401, "{case}: {}", answer.head);
            assert_eq!(answer.header("www-authenticate"), Some("Bearer"), "{case}: {}", answer.head);
            assert_eq!(error_code(&answer.body), Some("UNAUTHENTICATED"), "{case}: {}", answer.body);
        }
    }
}

/// Renames the sessions table away for the duration of `during`, so that every token lookup
/// fails, and back afterwards.
async fn with_sessions_table_gone<F: std::future::Future<Output = ()>>(app: &TestApp, during: F) {
    app.db
        .execute_unprepared("ALTER TABLE sessions RENAME TO sessions_away")
        .await
        .unwrap();
    during.await;
    app.db
        .execute_unprepared("ALTER TABLE sessions_away RENAME TO sessions")
        .await
        .unwrap();
}

both_backends! {
    // No session cache: the token was used before the outage, and a cached session would
    // (rightly) be answered without a lookup to fail.
    configure: |args| args.accounts.session_cache_ttl = Duration::ZERO;

    async fn a_failed_token_lookup_is_an_internal_error_never_signed_out(app) {
        let (token, _) = register(&app, "lookup@example.de").await;
        let collection = create_collection(&app, &token, "Ausfall").await;
        let me = app.gql("{ me { email } }", json!({}), Some(&token)).await;
        assert_eq!(me["data"]["me"]["email"], "lookup@example.de", "{me}");

        with_sessions_table_gone(&app, async {
            // POST, in both response types.
            for accept in ["application/json", "application/graphql-response+json"] {
                let response = app.client.post(app.url("/graphql"))
                    .header("Accept", accept)
                    .bearer_auth(&token)
                    .json(&json!({ "query": "{ me { email } }" }))
                    .send().await.unwrap();
                assert_eq!(response.status(), 503, "{accept}");
                assert!(response.headers().contains_key("x-request-id"));
                let body: Value = response.json().await.unwrap();
                assert_eq!(error_code(&body), Some("INTERNAL"), "{accept}: {body}");
                assert_eq!(body["errors"][0]["message"], "Internal server error.", "{body}");
                assert!(body.get("data").is_none(), "no `me: null`: {body}");
            }
            // GET.
            let response = app.client.get(app.url("/graphql"))
                .query(&[("query", "{ me { email } }")])
                .bearer_auth(&token)
                .send().await.unwrap();
            assert_eq!(response.status(), 503);
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), Some("INTERNAL"), "{body}");

            // A multipart upload: refused before its body is read.
            let answer = upload_that_stops_early(&app, &format!("Authorization: Bearer {token}\r\n"), &collection).await;
            assert_eq!(answer.status(), 503, "{}", answer.head);
            assert_eq!(error_code(&answer.body), Some("INTERNAL"), "{}", answer.body);

            // A WebSocket signing in: closed with 1011, not acknowledged as anonymous.
            let mut ws = WsClient::connect(&app, "graphql-transport-ws", None).await;
            ws.send(json!({ "type": "connection_init",
                            "payload": { "Authorization": format!("Bearer {token}") } })).await;
            assert_eq!(ws.closed().await, Some(1011));

            // Without a token nothing is looked up: anonymous requests still work.
            let anonymous = app.gql("{ me { email } }", json!({}), None).await;
            assert_eq!(anonymous, json!({ "data": { "me": null } }));
        }).await;

        let me = app.gql("{ me { email } }", json!({}), Some(&token)).await;
        assert_eq!(me["data"]["me"]["email"], "lookup@example.de", "{me}");
    }
}

/// Pings far apart: a socket that closes during a test did not close at a ping.
fn long_pings(args: &mut videoprompt::config::ServeArgs) {
    args.ws.ws_ping_interval = Duration::from_secs(3600);
}

/// A signed-in socket of `token` on `app`, acknowledged and answering.
async fn open_socket(app: &TestApp, token: &str) -> WsClient {
    let mut ws = WsClient::connect(app, "graphql-transport-ws", None).await;
    ws.init(bearer(token)).await;
    ws.subscribe("me", "{ me { id } }", json!({})).await;
    let me = ws.until_complete("me").await;
    assert!(me[0]["data"]["me"]["id"].is_string(), "signed in: {me:?}");
    ws
}

both_backends! {
    configure: long_pings;

    async fn logout_over_http_closes_the_open_socket_at_once(app) {
        let (token, _) = register(&app, "ws-end@example.de").await;
        let (other, _) = register(&app, "ws-stays@example.de").await;
        let mut ws = open_socket(&app, &token).await;
        let mut second = open_socket(&app, &token).await;
        let mut bystander = open_socket(&app, &other).await;

        let out = app.gql("mutation { logout }", json!({}), Some(&token)).await;
        assert_eq!(out["data"]["logout"], true, "{out}");
        // Well before the next ping (an hour away): 4403, which graphql-ws treats as fatal.
        assert_eq!(ws.closed().await, Some(4403));
        assert_eq!(second.closed().await, Some(4403));

        // Another user's socket is untouched, and the revoked token cannot sign in again.
        bystander.send(json!({ "type": "ping" })).await;
        assert_eq!(bystander.message().await, json!({ "type": "pong" }));
        let mut again = WsClient::connect(&app, "graphql-transport-ws", None).await;
        again.send(json!({ "type": "connection_init", "payload": bearer(&token) })).await;
        assert_eq!(again.closed().await, Some(4403));
    }

    async fn logout_over_the_socket_closes_it(app) {
        let (token, _) = register(&app, "ws-self@example.de").await;
        let mut ws = open_socket(&app, &token).await;
        ws.subscribe("out", "mutation { logout }", json!({})).await;
        // The mutation's answer goes out, then the socket closes.
        let answer = ws.next_of("out").await;
        assert_eq!(answer, json!({ "data": { "logout": true } }));
        assert_eq!(ws.closed().await, Some(4403));
        let me = app.gql("{ me { id } }", json!({}), Some(&token)).await;
        assert_eq!(me, json!({ "data": { "me": null } }));
    }
}

both_backends! {
    configure: |args| {
        long_pings(args);
        args.accounts.token_ttl = Duration::from_secs(4);
    };

    async fn an_expiring_token_closes_the_socket_at_its_expiry(app) {
        let (token, _) = register(&app, "ws-expiry@example.de").await;
        let signed_in = std::time::Instant::now();
        let mut ws = open_socket(&app, &token).await;
        assert_eq!(ws.closed().await, Some(4403));
        // Not before the expiry (the token had four seconds).
        assert!(signed_in.elapsed() >= Duration::from_secs(3), "{:?}", signed_in.elapsed());
    }
}

both_backends! {
    configure: |args| {
        args.ws.ws_ping_interval = Duration::from_millis(200);
        // The ping's check asks the database: a cached session (kept here for longer than the
        // test) does not hide the removal.
        args.accounts.session_cache_ttl = Duration::from_secs(3600);
    };

    async fn a_session_removed_behind_the_servers_back_ends_at_the_next_ping(app) {
        let (token, _) = register(&app, "ws-ping@example.de").await;
        let mut ws = open_socket(&app, &token).await;
        app.db.execute_unprepared("DELETE FROM sessions").await.unwrap();
        assert_eq!(ws.closed().await, Some(4403));
    }
}

/// PostgreSQL: a logout on one instance closes the sockets of that session on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_on_one_instance_closes_the_sockets_on_the_other() {
    let Some(a) = TestApp::spawn_with(crate::helpers::Backend::Postgres, long_pings).await else {
        return;
    };
    let b = a.spawn_sibling(|_| {}).await;
    crate::helpers::until_listening(&a).await;
    crate::helpers::until_listening(&b).await;

    let (token, _) = register(&a, "ws-cluster@example.de").await;
    let mut on_a = open_socket(&a, &token).await;
    let mut on_b = open_socket(&b, &token).await;
    let out = a.gql("mutation { logout }", json!({}), Some(&token)).await;
    assert_eq!(out["data"]["logout"], true, "{out}");
    assert_eq!(on_b.closed().await, Some(4403), "the other instance");
    assert_eq!(on_a.closed().await, Some(4403));

    // And the other way round, with the logout sent over a socket on B.
    let (token, _) = register(&b, "ws-cluster-2@example.de").await;
    let mut on_a = open_socket(&a, &token).await;
    let mut on_b = open_socket(&b, &token).await;
    on_b.subscribe("out", "mutation { logout }", json!({}))
        .await;
    assert_eq!(on_a.closed().await, Some(4403), "the other instance");
    assert_eq!(on_b.closed().await, Some(4403));
    drop(b);
}

/// PostgreSQL: a logout that B did not hear (its listener was down) still closes B's sockets
/// once B listens again, as every socket then looks its token up again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_missed_while_the_listener_was_down_closes_the_socket_after_reconnecting() {
    let Some(a) = TestApp::spawn_with(crate::helpers::Backend::Postgres, long_pings).await else {
        return;
    };
    let b = a.spawn_sibling(|_| {}).await;
    crate::helpers::until_listening(&a).await;
    crate::helpers::until_listening(&b).await;
    let (token, _) = register(&a, "ws-deaf@example.de").await;
    let mut on_b = open_socket(&b, &token).await;

    // B's listening connection is killed and kept from reconnecting.
    crate::helpers::cut_listener(&b).await;
    let cluster = b.cluster.as_ref().unwrap();

    let out = a.gql("mutation { logout }", json!({}), Some(&token)).await;
    assert_eq!(out["data"]["logout"], true, "{out}");
    // Unheard so far: B's socket still answers.
    on_b.send(json!({ "type": "ping" })).await;
    assert_eq!(on_b.message().await, json!({ "type": "pong" }));

    cluster.hold_reconnects(false);
    assert_eq!(on_b.closed().await, Some(4403));
    drop(b);
}
