//! Accounts in the schema: `me`, `register`, `login`, `logout`, and the Gemini key mutations.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::user;
use secrecy::SecretString;

use super::{
    collections::Collection,
    connection::{self, PageConnection, complexity},
    context::ContextExt,
    exports::{ExportFormat, export_url},
    ids::to_id,
    loaders::ProfileLoader,
    plain_fields::Plain,
    video_prompts::{VideoPrompt, VideoPromptStatus, prompt_columns, prompt_connection},
};
use crate::services::{
    accounts::Credentials,
    collections,
    exports::ExportScope,
    gemini_keys::KeyStatus,
    pagination::{Cursor, PageRequest},
    video_prompts,
};

/// A signed-in person.
#[derive(Clone)]
pub struct User(pub user::Model);

#[Object]
impl User {
    pub(crate) async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The e-mail address, lower-cased.
    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Whether a Gemini API key is stored. The key itself is never shown.
    async fn has_gemini_api_key(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(key_status(ctx, &self.0).await?.has_key)
    }

    /// The stored key's last four characters, to tell keys apart (null for keys under 8
    /// characters, where four would reveal too much).
    async fn gemini_api_key_hint(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(key_status(ctx, &self.0).await?.hint)
    }

    /// A link that downloads all your video prompts as `format`, newest first, with their
    /// details, choices, model and dates. It needs no token (a browser can open it) and works
    /// for a short while (`--export-url-ttl`, 10 minutes by default): ask for a new one each time.
    async fn export_url(&self, ctx: &Context<'_>, format: ExportFormat) -> String {
        export_url(ctx, ExportScope::User(self.0.id), format)
    }

    /// Your collections, newest first. `first`: 0 to 100 (default 20).
    #[graphql(complexity = "complexity(first, child_complexity)")]
    async fn collections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<PageConnection<Collection>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let found = collections::list_for_owner(&ctx.state().db, self.0.id, page).await?;
        Ok(connection::connection(
            found,
            page,
            |c| Cursor {
                created_at: c.created_at,
                id: c.id,
            },
            Collection,
        ))
    }

    /// Your video prompts across all your images, newest first; `status` keeps those in one of
    /// the given states (an empty list matches none). `first`: 0 to 100 (default 20).
    #[graphql(complexity = "complexity(first, child_complexity)")]
    async fn video_prompts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<Vec<VideoPromptStatus>>,
    ) -> Result<PageConnection<Plain<VideoPrompt>>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let columns = prompt_columns(connection::node_fields(ctx));
        let statuses: Option<Vec<_>> = status.map(|s| s.into_iter().map(Into::into).collect());
        let found = video_prompts::page_for_user(
            &ctx.state().db,
            self.0.id,
            statuses.as_deref(),
            page,
            columns,
        )
        .await?;
        prompt_connection(Some(&found), page)
    }
}

async fn key_status(ctx: &Context<'_>, user: &user::Model) -> Result<KeyStatus> {
    let profile = ctx.loader::<ProfileLoader>().load_one(user.id).await?;
    Ok(KeyStatus::from(profile.as_ref()))
}

/// E-mail and password.
#[derive(InputObject)]
pub struct CredentialsInput {
    pub email: String,
    /// 10 to 1024 characters.
    #[graphql(secret)]
    pub password: String,
}

impl From<CredentialsInput> for Credentials {
    fn from(input: CredentialsInput) -> Self {
        Self {
            email: input.email,
            password: SecretString::from(input.password),
        }
    }
}

/// A new session: send `token` as `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub token: String,
    pub user: User,
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user; null when not signed in.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        // The row came with the session: no query here.
        Ok(ctx.caller_user().cloned().map(User))
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Creates an account and signs it in. One `register` or `login` per request; limited per
    /// client address (RATE_LIMITED with `extensions.retryAfter` in seconds).
    async fn register(&self, ctx: &Context<'_>, input: CredentialsInput) -> Result<AuthPayload> {
        let (token, user) = ctx
            .state()
            .accounts
            .register(ctx.origin()?, input.into())
            .await?;
        Ok(AuthPayload {
            token: token.into_string(),
            user: User(user),
        })
    }

    /// Signs in. One `register` or `login` per request; failed sign-ins are limited per e-mail
    /// and client address and per address (RATE_LIMITED with `extensions.retryAfter`).
    async fn login(&self, ctx: &Context<'_>, input: CredentialsInput) -> Result<AuthPayload> {
        let (token, user) = ctx
            .state()
            .accounts
            .login(ctx.origin()?, input.into())
            .await?;
        Ok(AuthPayload {
            token: token.into_string(),
            user: User(user),
        })
    }

    /// Ends the current session; its token stops working at once.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        ctx.state().accounts.logout(ctx.session()?).await?;
        Ok(true)
    }

    /// Stores your Gemini API key (encrypted), replacing any earlier one. It is not checked
    /// against Gemini here; a wrong key shows up as GEMINI_AUTH on a generation.
    async fn set_gemini_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] api_key: String,
    ) -> Result<User> {
        let session = ctx.session()?;
        ctx.state()
            .gemini_keys
            .set_key(session.user_id, SecretString::from(api_key))
            .await?;
        current_user(ctx)
    }

    /// Removes your Gemini API key.
    async fn clear_gemini_api_key(&self, ctx: &Context<'_>) -> Result<User> {
        let session = ctx.session()?;
        ctx.state().gemini_keys.clear_key(session.user_id).await?;
        current_user(ctx)
    }
}

/// The caller as a `User`: the row read with the session (the key lives in the profile,
/// which `User` loads itself, so the row is current).
fn current_user(ctx: &Context<'_>) -> Result<User> {
    let user = ctx
        .caller_user()
        .ok_or(crate::error::AppError::Unauthenticated)?;
    Ok(User(user.clone()))
}
