//! The resolvers' rules, executed in-process: the schema as the server builds it (its limits
//! and state included) run without HTTP, so each rule costs milliseconds. What the transport
//! adds (the caller, the DataLoaders, the origin) is added here the same way.

use std::net::Ipv4Addr;

use async_graphql::{Request, Variables};
use serde_json::{Value, json};
use videoprompt::{
    auth::{Caller, Origin},
    graphql::loaders,
    startup::Application,
};

use crate::helpers::serve_args;

/// A built (never served) application on SQLite, with its data dir.
struct InProcess {
    app: Application,
    _data_dir: tempfile::TempDir,
}

impl InProcess {
    async fn new() -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut args = serve_args(data_dir.path());
        args.jobs.workers = 0;
        let app = Application::build(args).await.unwrap();
        Self {
            app,
            _data_dir: data_dir,
        }
    }

    /// The response as a client would read it (`data`, `errors`).
    async fn run(&self, caller: Option<Caller>, query: &str, variables: Value) -> Value {
        let mut request = Request::new(query).variables(Variables::from_json(variables));
        request
            .data
            .insert(loaders::Loaders::new(&self.app.state().db));
        if let Some(caller) = caller {
            request.data.insert(caller);
        }
        request.data.insert(Origin::new(Ipv4Addr::LOCALHOST.into()));
        serde_json::to_value(self.app.schema().execute(request).await).unwrap()
    }

    /// A new account's session.
    async fn user(&self, email: &str) -> Caller {
        let body = self
            .run(
                None,
                "mutation($e: String!) { register(input: { email: $e, password: \"ein langes Passwort\" }) { token } }",
                json!({ "e": email }),
            )
            .await;
        let token = body["data"]["register"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"));
        self.app
            .state()
            .accounts
            .authenticate(token)
            .await
            .unwrap()
            .unwrap()
    }

    async fn collection(&self, owner: Caller) -> String {
        let body = self
            .run(
                Some(owner),
                "mutation { createCollection(name: \"Urlaub\") { id } }",
                json!({}),
            )
            .await;
        body["data"]["createCollection"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The code of the first error, and the field it names (if any).
fn first_error(body: &Value) -> (&str, Option<&str>) {
    let error = &body["errors"][0];
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {body}")),
        error["extensions"]["field"].as_str(),
    )
}

#[tokio::test]
async fn signed_out_reads_are_null_and_mutations_unauthenticated() {
    let server = InProcess::new().await;
    let id = uuid::Uuid::now_v7().to_string();
    let body = server
        .run(
            None,
            "query($id: ID!) { me { id } videoPrompt(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({ "me": null, "videoPrompt": null }),
        "{body}"
    );
    for mutation in [
        "mutation { createCollection(name: \"x\") { id } }",
        "mutation { setGeminiApiKey(apiKey: \"k\") { id } }",
        "mutation { logout }",
    ] {
        let body = server.run(None, mutation, json!({})).await;
        assert_eq!(
            first_error(&body).0,
            "UNAUTHENTICATED",
            "{mutation}: {body}"
        );
    }
}

#[tokio::test]
async fn a_malformed_id_is_bad_user_input_naming_the_argument() {
    let server = InProcess::new().await;
    let anna = server.user("anna@example.de").await;
    let body = server
        .run(
            Some(anna),
            "mutation { deleteImage(id: \"nicht-eine-id\") }",
            json!({}),
        )
        .await;
    assert_eq!(first_error(&body), ("BAD_USER_INPUT", Some("id")), "{body}");
}

#[tokio::test]
async fn another_users_collection_looks_missing() {
    let server = InProcess::new().await;
    let (anna, bert) = (
        server.user("anna@example.de").await,
        server.user("bert@example.de").await,
    );
    let annas = server.collection(anna.clone()).await;
    let read = server
        .run(
            Some(bert.clone()),
            "query($id: ID!) { collection(id: $id) { id } }",
            json!({ "id": annas }),
        )
        .await;
    assert_eq!(read["data"]["collection"], Value::Null, "{read}");
    let delete = server
        .run(
            Some(bert),
            "mutation($id: ID!) { deleteCollection(id: $id) }",
            json!({ "id": annas }),
        )
        .await;
    assert_eq!(first_error(&delete).0, "NOT_FOUND", "{delete}");
    let still = server
        .run(
            Some(anna),
            "query($id: ID!) { collection(id: $id) { id } }",
            json!({ "id": annas }),
        )
        .await;
    assert_eq!(still["data"]["collection"]["id"], annas.as_str(), "{still}");
}

#[tokio::test]
async fn a_request_without_a_gemini_key_is_refused_before_the_image_is_looked_up() {
    let server = InProcess::new().await;
    let anna = server.user("anna@example.de").await;
    let body = server
        .run(
            Some(anna),
            "mutation($i: GenerateVideoPromptInput!) { generateVideoPrompt(input: $i) { id } }",
            json!({ "i": { "imageId": uuid::Uuid::now_v7(), "cameraStyle": "STATIC", "filmEffect": "NONE" } }),
        )
        .await;
    assert_eq!(first_error(&body).0, "GEMINI_API_KEY_MISSING", "{body}");
}

#[tokio::test]
async fn one_sign_in_per_request_however_many_aliases_ask() {
    let server = InProcess::new().await;
    server.user("anna@example.de").await;
    let body = server
        .run(
            None,
            "mutation {
                a: login(input: { email: \"anna@example.de\", password: \"ein langes Passwort\" }) { token }
                b: login(input: { email: \"anna@example.de\", password: \"ein langes Passwort\" }) { token }
            }",
            json!({}),
        )
        .await;
    assert!(body["data"]["a"]["token"].is_string(), "{body}");
    assert_eq!(first_error(&body).0, "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
}

#[tokio::test]
async fn a_collection_name_is_trimmed_and_bounded() {
    let server = InProcess::new().await;
    let anna = server.user("anna@example.de").await;
    let made = server
        .run(
            Some(anna.clone()),
            "mutation { createCollection(name: \"  Urlaub 2026  \") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        made["data"]["createCollection"]["name"], "Urlaub 2026",
        "{made}"
    );
    let long = "x".repeat(101);
    let refused = server
        .run(
            Some(anna),
            "mutation($n: String!) { createCollection(name: $n) { name } }",
            json!({ "n": long }),
        )
        .await;
    assert_eq!(
        first_error(&refused),
        ("BAD_USER_INPUT", Some("name")),
        "{refused}"
    );
}
