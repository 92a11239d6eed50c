//! The caller is settled before anything else, and a session that ends is over everywhere:
//! a multipart body waits for its token (a bad or missing one is refused before the files are
//! read), a logout or an expiry closes the WebSockets of that session at once (also on another
//! instance), and a token lookup that fails answers INTERNAL, never "signed out".

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    both_backends,
    helpers::{TestApp, error_code},
    subscriptions::WsClient,
    upload_client::{UPLOAD, create_collection},
};

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
        let (token, _) = app.register("early@example.de").await;
        let collection = create_collection(&app, &token, "Früh").await;
        let revoked = {
            // Signed out: the token is revoked.
            let (gone, _) = app.register("gone@example.de").await;
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
    async fn a_failed_token_lookup_is_an_internal_error_never_signed_out(app) {
        let (token, _) = app.register("lookup@example.de").await;
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
