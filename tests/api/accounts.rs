//! Accounts: register, login, logout, me, and how tokens are kept.

use entity::{session, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::json;
use sha2::{Digest, Sha256};

use testkit::{
    error_code,
    scenario::{PASSWORD, register},
};

use crate::both_backends;

const ME: &str = "{ me { id email hasGeminiApiKey geminiApiKeyHint } }";
const LOGIN: &str =
    "mutation($input: CredentialsInput!) { login(input: $input) { token user { id email } } }";
const REGISTER: &str = "mutation($input: CredentialsInput!) { register(input: $input) { token user { id email createdAt } } }";

both_backends! {
    async fn the_first_unknown_email_after_a_start_costs_one_verification(app) {
        let before = app.state.accounts.password_hashes();
        let body = app
            .gql(LOGIN, json!({ "input": { "email": "niemand@example.de", "password": PASSWORD } }), None)
            .await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
        // One argon2 verification, as for a wrong password; no dummy hash made on first use.
        assert_eq!(app.state.accounts.password_hashes() - before, 1);
    }

    async fn register_signs_in_with_a_normalised_email(app) {
        let body = app
            .gql(REGISTER, json!({ "input": { "email": "  Anna.Berg@Example.DE ", "password": PASSWORD } }), None)
            .await;
        let payload = &body["data"]["register"];
        assert_eq!(payload["user"]["email"], "anna.berg@example.de", "{body}");
        let token = payload["token"].as_str().unwrap();

        let me = app.gql(ME, json!({}), Some(token)).await;
        assert_eq!(me["data"]["me"]["email"], "anna.berg@example.de");
        assert_eq!(me["data"]["me"]["id"], payload["user"]["id"]);
        assert_eq!(me["data"]["me"]["hasGeminiApiKey"], false);
        assert!(me["data"]["me"]["geminiApiKeyHint"].is_null());
    }

    async fn me_is_null_without_a_token_or_with_a_bad_one(app) {
        let anonymous = app.gql(ME, json!({}), None).await;
        assert_eq!(anonymous, json!({ "data": { "me": null } }));
        let forged = app.gql(ME, json!({}), Some("vp_not-a-real-token")).await;
        assert_eq!(forged, json!({ "data": { "me": null } }));
    }

    async fn a_taken_email_in_any_case_is_a_conflict(app) {
        register(&app, "lena@example.de").await;
        let body = app
            .gql(REGISTER, json!({ "input": { "email": "LENA@example.de", "password": PASSWORD } }), None)
            .await;
        assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");
        assert!(body["data"].is_null());
    }

    async fn bad_emails_and_passwords_are_refused_with_the_field_named(app) {
        for (email, password, field) in [
            ("not-an-email", PASSWORD, "email"),
            ("anna@localhost", PASSWORD, "email"),
            ("anna@example.de", "too short", "password"),
            ("anna@example.de", &"x".repeat(1025), "password"),
        ] {
            let body = app
                .gql(REGISTER, json!({ "input": { "email": email, "password": password } }), None)
                .await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{email} {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        }
        // The limits are inclusive: 10 and 1024 characters (not bytes) are fine.
        for password in ["ä".repeat(10), "y".repeat(1024)] {
            let email = format!("len{}@example.de", password.chars().count());
            let body = app
                .gql(REGISTER, json!({ "input": { "email": email, "password": password } }), None)
                .await;
            assert!(body["data"]["register"]["token"].is_string(), "{body}");
        }
    }

    async fn login_works_and_wrong_password_looks_like_unknown_email(app) {
        let (_, user_id) = register(&app, "max@example.de").await;
        let ok = app
            .gql(LOGIN, json!({ "input": { "email": "MAX@example.de", "password": PASSWORD } }), None)
            .await;
        assert_eq!(ok["data"]["login"]["user"]["id"], user_id.as_str(), "{ok}");
        let token = ok["data"]["login"]["token"].as_str().unwrap();
        assert_eq!(app.gql(ME, json!({}), Some(token)).await["data"]["me"]["id"], user_id.as_str());

        let wrong_password = app
            .gql(LOGIN, json!({ "input": { "email": "max@example.de", "password": "wrong password!" } }), None)
            .await;
        let unknown_email = app
            .gql(LOGIN, json!({ "input": { "email": "nobody@example.de", "password": PASSWORD } }), None)
            .await;
        assert_eq!(error_code(&wrong_password), Some("UNAUTHENTICATED"));
        assert_eq!(wrong_password["errors"][0]["message"], unknown_email["errors"][0]["message"]);
        assert_eq!(wrong_password["errors"][0]["extensions"], unknown_email["errors"][0]["extensions"]);
    }

    async fn logout_revokes_the_token_it_was_sent_with_only(app) {
        let (first, _) = register(&app, "eva@example.de").await;
        let second = app
            .gql(LOGIN, json!({ "input": { "email": "eva@example.de", "password": PASSWORD } }), None)
            .await["data"]["login"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let out = app.gql("mutation { logout }", json!({}), Some(&first)).await;
        assert_eq!(out, json!({ "data": { "logout": true } }));
        assert!(app.gql(ME, json!({}), Some(&first)).await["data"]["me"].is_null());
        assert!(app.gql(ME, json!({}), Some(&second)).await["data"]["me"].is_object());
        let again = app.gql("mutation { logout }", json!({}), Some(&first)).await;
        assert_eq!(error_code(&again), Some("UNAUTHENTICATED"));
    }

    async fn mutations_other_than_register_and_login_need_a_token(app) {
        for mutation in [
            "mutation { logout }",
            "mutation { setGeminiApiKey(apiKey: \"abc\") { id } }",
            "mutation { clearGeminiApiKey { id } }",
        ] {
            let body = app.gql(mutation, json!({}), None).await;
            assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{mutation}: {body}");
        }
    }

    async fn only_hashes_are_stored_and_tokens_expire(app) {
        let (token, user_id) = register(&app, "ida@example.de").await;
        let user = user::Entity::find_by_id(user_id.parse::<uuid::Uuid>().unwrap())
            .one(&app.db).await.unwrap().unwrap();
        assert!(user.password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", user.password_hash);
        assert!(!user.password_hash.contains(PASSWORD));

        let stored = session::Entity::find()
            .filter(session::Column::UserId.eq(user.id))
            .one(&app.db).await.unwrap().unwrap();
        assert_eq!(stored.token_hash, Sha256::digest(token.as_bytes()).to_vec());
        assert!(stored.expires_at > stored.created_at + chrono::Duration::days(29));

        let mut expired = stored.into_active_model();
        expired.expires_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
        expired.update(&app.db).await.unwrap();
        assert!(app.gql(ME, json!({}), Some(&token)).await["data"]["me"].is_null());
        let body = app.gql("mutation { logout }", json!({}), Some(&token)).await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    }
}
