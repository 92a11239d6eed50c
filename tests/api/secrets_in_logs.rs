//! No log level and no error path prints a secret: the binary at `RUST_LOG=trace` carries a
//! token, passwords and a Gemini API key over HTTP, over WebSocket and to Gemini, and a database
//! URL with a password is refused in every way it can be, and none of them reaches its output.

use serde_json::{Value, json};
use testkit::{
    ServerProcess, WsClient,
    scenario::{GENERATE, bearer, fixture, until_finished, upload_accepted},
};
use videoprompt::gemini::{StandIn, StandInConfig};

use crate::helpers::videoprompt;

const PASSWORD: &str = "Pferd-Batterie-Heftklammer-42";
const SOCKET_PASSWORD: &str = "Zweites-Geheimnis-über-den-Socket";
const API_KEY: &str = "AIzaSyD-ganz-geheimer-Schluessel-0815";

/// Runs `operations` over graphql-transport-ws with `token` in `connection_init`; returns the
/// `next` payloads in order.
async fn over_websocket(server: &ServerProcess, token: &str, operations: &[Value]) -> Vec<Value> {
    let mut ws = WsClient::connect(server, "graphql-transport-ws", None).await;
    ws.init(bearer(token)).await;
    let mut answers = Vec::new();
    for (n, operation) in operations.iter().enumerate() {
        let id = n.to_string();
        ws.send(json!({ "id": id, "type": "subscribe", "payload": operation }))
            .await;
        answers.extend(ws.until_complete(&id).await);
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracing_everything_logs_no_token_password_or_api_key() {
    let stand_in = StandIn::spawn(StandInConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut command = videoprompt(dir.path());
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--gemini-base-url"])
        .arg(stand_in.base_url())
        .env("RUST_LOG", "trace");
    let mut server = ServerProcess::start(command).expect("the server did not start");

    let body = server
        .gql(
            "mutation($input: CredentialsInput!) { register(input: $input) { token } }",
            json!({ "input": { "email": "geheim@example.org", "password": PASSWORD } }),
            None,
        )
        .await;
    let token = body["data"]["register"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();

    // Secrets in messages over the socket: the init payload's token, a password, an API key.
    let answers = over_websocket(
        &server,
        &token,
        &[
            json!({ "query": "mutation($k: String!) { setGeminiApiKey(apiKey: $k) { hasGeminiApiKey } }",
                    "variables": { "k": API_KEY } }),
            json!({ "query": "mutation($input: CredentialsInput!) { register(input: $input) { user { email } } }",
                    "variables": { "input": { "email": "zwei@example.org", "password": SOCKET_PASSWORD } } }),
            json!({ "query": "mutation($input: CredentialsInput!) { login(input: $input) { token } }",
                    "variables": { "input": { "email": "geheim@example.org", "password": PASSWORD } } }),
        ],
    )
    .await;
    assert_eq!(
        answers[0]["data"]["setGeminiApiKey"]["hasGeminiApiKey"], true,
        "{answers:?}"
    );
    assert_eq!(
        answers[1]["data"]["register"]["user"]["email"], "zwei@example.org",
        "{answers:?}"
    );
    let second_token = answers[2]["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answers:?}"))
        .to_owned();

    // The API key goes to Gemini (here the stand-in) in a header.
    let body = server
        .gql(
            "mutation { createCollection(name: \"Geheim\") { id } }",
            json!({}),
            Some(&token),
        )
        .await;
    let collection = body["data"]["createCollection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let image = upload_accepted(
        &server,
        &token,
        &collection,
        "tiny.png",
        fixture("tiny.png"),
        "image/png",
    )
    .await["id"]
        .clone();
    let body = server
        .gql(
            GENERATE,
            json!({ "input": { "imageId": image, "cameraStyle": "PAN", "filmEffect": "NOIR" } }),
            Some(&token),
        )
        .await;
    let id = body["data"]["generateVideoPrompt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let record = until_finished(&server, &token, &id).await;
    assert_eq!(record["status"], "COMPLETED", "{record}");
    assert!(
        stand_in
            .requests()
            .iter()
            .any(|r| r.header("x-goog-api-key") == Some(API_KEY)),
        "the key did not reach Gemini"
    );

    let _ = server.log_so_far();
    server.signal("TERM");
    let (_, log) = server.wait();
    // The level was really on: trace lines of our own and of the libraries are there.
    assert!(log.contains("TRACE"), "nothing was traced:\n{log}");
    for (what, secret) in [
        ("a password", PASSWORD),
        ("a password sent over the socket", SOCKET_PASSWORD),
        ("the Gemini API key", API_KEY),
        ("a token", token.as_str()),
        ("a token issued over the socket", second_token.as_str()),
    ] {
        assert!(!log.contains(secret), "{what} reached the log");
    }
}

/// Every way a database URL with a password can be refused at start, for `serve` and `migrate`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_database_url_never_shows_its_password() {
    let key = videoprompt::crypto::MasterKey::generate().to_base64();
    for (url, expected) in [
        // Not a URL at all (the port).
        (
            "postgres://postgres:TopSecretPW@127.0.0.1:notaport/x",
            "invalid port number",
        ),
        // A password that holds `@`.
        (
            "postgres://postgres:Top@SecretPW@127.0.0.1:notaport/x",
            "invalid port number",
        ),
        // A setting the driver refuses (it quotes the connection string).
        (
            "postgres://postgres:TopSecretPW@127.0.0.1:5432/x?sslmode=bogus",
            "bogus",
        ),
        // Nobody listens: the cause is shown, not only that the pool timed out.
        ("postgres://postgres:TopSecretPW@127.0.0.1:1/x", "refused"),
    ] {
        for command in ["serve", "migrate"] {
            let dir = tempfile::tempdir().unwrap();
            let output = videoprompt(dir.path())
                .args([command, "--database-url", url])
                .env("VIDEOPROMPT_LISTEN", "127.0.0.1:0")
                .env("VIDEOPROMPT_MASTER_KEY", &key)
                .env("RUST_LOG", "trace")
                .output()
                .unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(!output.status.success(), "{command} {url} started:\n{text}");
            assert!(
                !text.contains("SecretPW"),
                "{command} showed the password:\n{text}"
            );
            assert!(text.contains("postgres:***@"), "{command} {url}:\n{text}");
            assert!(
                text.contains(expected),
                "{command} {url} does not say why:\n{text}"
            );
        }
    }
}
