//! The Gemini key: stored sealed, bound to its owner, never shown, refused with a wrong master key.

use entity::profile;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;
use videoprompt::{crypto::MasterKey, startup::Application};

use testkit::{error_code, scenario::register};

use crate::{
    both_backends,
    helpers::{Backend, TestApp},
};

const KEY: &str = "AIzaSyD-videoprompt-test-key-7Qx9";
const SET: &str = "mutation($key: String!) { setGeminiApiKey(apiKey: $key) { hasGeminiApiKey geminiApiKeyHint } }";

both_backends! {
    async fn the_key_is_stored_sealed_and_only_its_hint_is_shown(app) {
        let (token, user_id) = register(&app, "key@example.de").await;
        let set = app.gql(SET, json!({ "key": format!("  {KEY}\n") }), Some(&token)).await;
        assert_eq!(set, json!({ "data": { "setGeminiApiKey": { "hasGeminiApiKey": true, "geminiApiKeyHint": "7Qx9" } } }));
        assert!(!set.to_string().contains(KEY));

        let user_id: uuid::Uuid = user_id.parse().unwrap();
        let row = profile::Entity::find_by_id(user_id).one(&app.db).await.unwrap().unwrap();
        let sealed = row.gemini_api_key.clone().unwrap();
        assert!(!sealed.windows(8).any(|w| KEY.as_bytes().windows(8).any(|k| k == w)), "the stored bytes contain the key");
        // The server can open it again, trimmed, for the worker.
        let opened = app.state.gemini_keys.load_key(user_id).await.unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&opened), KEY);

        let me = app.gql("{ me { hasGeminiApiKey geminiApiKeyHint } }", json!({}), Some(&token)).await;
        assert_eq!(me["data"]["me"], json!({ "hasGeminiApiKey": true, "geminiApiKeyHint": "7Qx9" }));

        let cleared = app.gql("mutation { clearGeminiApiKey { hasGeminiApiKey geminiApiKeyHint } }", json!({}), Some(&token)).await;
        assert_eq!(cleared["data"]["clearGeminiApiKey"], json!({ "hasGeminiApiKey": false, "geminiApiKeyHint": null }));
        let missing = app.state.gemini_keys.load_key(user_id).await.unwrap_err();
        assert_eq!(missing.code(), "GEMINI_API_KEY_MISSING");
    }

    async fn a_ciphertext_copied_to_another_user_does_not_open(app) {
        let (alice_token, alice) = register(&app, "alice@example.de").await;
        let (bob_token, bob) = register(&app, "bob@example.de").await;
        app.gql(SET, json!({ "key": KEY }), Some(&alice_token)).await;
        app.gql(SET, json!({ "key": "bobs-own-key-0000" }), Some(&bob_token)).await;
        let (alice, bob): (uuid::Uuid, uuid::Uuid) = (alice.parse().unwrap(), bob.parse().unwrap());

        let alice_row = profile::Entity::find_by_id(alice).one(&app.db).await.unwrap().unwrap();
        let mut bob_row = profile::Entity::find_by_id(bob).one(&app.db).await.unwrap().unwrap().into_active_model();
        bob_row.gemini_api_key = Set(alice_row.gemini_api_key);
        bob_row.update(&app.db).await.unwrap();

        let err = app.state.gemini_keys.load_key(bob).await.unwrap_err();
        assert_eq!(err.code(), "INTERNAL");
        assert!(!format!("{err:?}").contains(KEY));
    }

    async fn keys_of_bad_length_are_refused(app) {
        let (token, _) = register(&app, "len@example.de").await;
        for key in ["   ".to_owned(), "k".repeat(257)] {
            let body = app.gql(SET, json!({ "key": key }), Some(&token)).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], "apiKey");
        }
        let short = app.gql(SET, json!({ "key": "abc" }), Some(&token)).await;
        assert_eq!(short["data"]["setGeminiApiKey"], json!({ "hasGeminiApiKey": true, "geminiApiKeyHint": null }));
    }
}

#[tokio::test]
async fn a_wrong_master_key_is_refused_at_start_with_a_clear_message() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.keys.master_key = Some(MasterKey::generate().to_base64().into());
    })
    .await
    .unwrap();
    let mut args = app.args.clone();
    let _data_dir = app.stop().await;

    args.keys.master_key = Some(MasterKey::generate().to_base64().into());
    let err = Application::build(args.clone())
        .await
        .err()
        .expect("a wrong master key was accepted");
    let message = format!("{err:#}");
    assert!(message.contains("master key does not match"), "{message}");

    // Without a configured key the data dir's key file is used: it too is not the original.
    args.keys.master_key = None;
    let err = Application::build(args)
        .await
        .err()
        .expect("the key file was accepted");
    assert!(format!("{err:#}").contains("master key does not match"));
}
