//! Accounts and sessions: register, log in, log out, and resolving a bearer token to a caller.
//!
//! A token is resolved from the [`SessionCache`] when it was seen lately, else by one statement
//! that reads the session and its user together; see `auth::session_cache` for what keeps the
//! cache right (every place that ends a session goes through [`SessionEnds`]).

use std::sync::Arc;

use chrono::Duration as ChronoDuration;
use entity::{session, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use secrecy::SecretString;
use uuid::Uuid;

use crate::{
    auth::{
        Caller, Origin, PasswordHasher, Session, SessionCache, SessionEnds, SessionToken,
        SignInThrottle,
        session_cache::{Cached, Ticket, TokenHash},
        token::hash_token,
    },
    db::{Connections, now},
    error::{AppError, AppResult},
};

/// Shortest and longest password accepted (in characters).
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 10..=1024;
/// Longest e-mail address (RFC 5321's path limit).
const MAX_EMAIL_LEN: usize = 254;

/// What `register` and `login` take.
pub struct Credentials {
    pub email: String,
    pub password: SecretString,
}

/// Trims and lower-cases an e-mail address and checks its shape (`local@domain.tld`).
pub fn normalize_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let invalid = || {
        AppError::invalid(
            "email",
            "Enter a valid e-mail address, like name@example.com.",
        )
    };
    if email.len() > MAX_EMAIL_LEN || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

fn check_password_length(password: &SecretString) -> AppResult<()> {
    use secrecy::ExposeSecret;
    let chars = password.expose_secret().chars().count();
    if PASSWORD_CHARS.contains(&chars) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "password",
            format!(
                "The password must have {} to {} characters.",
                PASSWORD_CHARS.start(),
                PASSWORD_CHARS.end()
            ),
        ))
    }
}

/// The request's one sign-in, or BAD_USER_INPUT: asking again cannot help, the request itself
/// must change (so not RATE_LIMITED, which tells a client to wait and retry).
fn take_sign_in(origin: &Origin) -> AppResult<()> {
    if origin.take_sign_in() {
        Ok(())
    } else {
        Err(AppError::BadUserInput {
            field: None,
            message: "A request may make only one register or login (aliases, fragments and \
                      batched operations included); send each in a request of its own."
                .into(),
        })
    }
}

/// Accounts and their sessions.
#[derive(Clone)]
pub struct Accounts {
    db: Connections,
    passwords: PasswordHasher,
    /// Failed logins and registrations per client (this instance's own counters).
    sign_ins: SignInThrottle,
    /// Ends sessions on the connections that use them, here and on the other instances.
    sessions: SessionEnds,
    /// Sessions looked up lately (the same cache `sessions` forgets ended ones in).
    cache: SessionCache,
    /// How long a new session lasts.
    token_ttl: ChronoDuration,
}

impl Accounts {
    pub fn new(
        db: Connections,
        passwords: PasswordHasher,
        sign_ins: SignInThrottle,
        sessions: SessionEnds,
        cache: SessionCache,
        token_ttl: std::time::Duration,
    ) -> anyhow::Result<Self> {
        let token_ttl = ChronoDuration::from_std(token_ttl)
            .map_err(|_| anyhow::anyhow!("--token-ttl is out of range"))?;
        Ok(Self {
            db,
            passwords,
            sign_ins,
            sessions,
            cache,
            token_ttl,
        })
    }

    /// Password hashes and verifications run since the start (a metric: tests check that a
    /// refused sign-in costs no hash).
    pub fn password_hashes(&self) -> u64 {
        self.passwords.runs()
    }

    /// Creates an account and signs it in. Counted against the client's registrations once the
    /// input is well-formed, before the e-mail is looked up (which would tell whether it is taken).
    #[tracing::instrument(skip_all)]
    pub async fn register(
        &self,
        origin: &Origin,
        credentials: Credentials,
    ) -> AppResult<(SessionToken, user::Model)> {
        take_sign_in(origin)?;
        let email = normalize_email(&credentials.email)?;
        check_password_length(&credentials.password)?;
        self.sign_ins
            .registration(origin.client())
            .map_err(AppError::RateLimited)?;
        let taken =
            || AppError::Conflict("An account with this e-mail address already exists.".into());
        // Cheap early answer; the unique index below settles races.
        if self.find_by_email(&email).await?.is_some() {
            return Err(taken());
        }
        let password_hash = self.passwords.hash(credentials.password).await?;
        let user = user::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(email),
            password_hash: Set(password_hash),
            created_at: Set(now()),
        }
        .insert(&self.db.writes)
        .await
        .map_err(|err| super::on_unique_violation(err, taken))?;
        let token = self.start_session(user.id).await?;
        tracing::info!(user_id = %user.id, "account registered");
        Ok((token, user))
    }

    /// Signs in with e-mail and password. A wrong password and an unknown e-mail give the same
    /// error after about the same time. Past the client's failure limits, RATE_LIMITED without
    /// hashing.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        origin: &Origin,
        credentials: Credentials,
    ) -> AppResult<(SessionToken, user::Model)> {
        take_sign_in(origin)?;
        // A malformed address or password cannot belong to an account: same answer as a wrong one,
        // and still after a hash, so even that is not told apart by time.
        let email = normalize_email(&credentials.email).ok();
        // Counted before the hash, so concurrent guesses cannot all pass a limit not yet reached.
        let attempt = self
            .sign_ins
            .login_attempt(email.as_deref(), origin.client())
            .map_err(AppError::RateLimited)?;
        let length_ok = check_password_length(&credentials.password).is_ok();
        let user = match &email {
            Some(email) if length_ok => self.find_by_email(email).await?,
            _ => None,
        };
        let verified = self
            .passwords
            .verify(
                credentials.password,
                user.as_ref().map(|u| u.password_hash.clone()),
            )
            .await?;
        match user {
            Some(user) if verified => {
                attempt.succeeded();
                let token = self.start_session(user.id).await?;
                Ok((token, user))
            }
            _ => Err(AppError::InvalidCredentials),
        }
    }

    /// Revokes the session the caller used: its token stops working, and every WebSocket signed
    /// in with it (on every instance) closes at once.
    pub async fn logout(&self, session: Session) -> AppResult<()> {
        session::Entity::delete_by_id(session.session_id)
            .exec(&self.db.writes)
            .await?;
        // After the delete: a socket that hears of the end and looks again finds no row.
        self.sessions.end(session.session_id);
        Ok(())
    }

    /// Resolves a bearer token to its live session and user; `None` for unknown, revoked or
    /// expired tokens. No SQL when the token was seen within the cache's TTL.
    pub async fn authenticate(&self, token: &str) -> AppResult<Option<Caller>> {
        let hash = hash_token(token);
        match self.cache.get(&hash) {
            Cached::Live(caller) => Ok(Some(caller)),
            Cached::Expired => Ok(None),
            // Boxed: the database lookup's future is large, and inline it would make every
            // request's future (moved several times on its way through the router) that large,
            // cache hit or not.
            Cached::Unknown(ticket) => Box::pin(self.look_up_stored(hash, ticket)).await,
        }
    }

    /// Like [`authenticate`](Self::authenticate), but asks the database whatever the cache
    /// holds (and updates it): for a long-lived connection's periodic check, the backstop for
    /// a session removed behind the server's back.
    pub async fn authenticate_afresh(&self, token: &str) -> AppResult<Option<Caller>> {
        let ticket = self.cache.ticket();
        self.look_up_stored(hash_token(token), ticket).await
    }

    /// One statement: the live session of the token with its user.
    async fn look_up_stored(&self, hash: TokenHash, ticket: Ticket) -> AppResult<Option<Caller>> {
        let found = session::Entity::find()
            .find_also_related(user::Entity)
            .filter(session::Column::TokenHash.eq(hash.to_vec()))
            .filter(session::Column::ExpiresAt.gt(now()))
            .one(&self.db.reads)
            .await?;
        let Some((s, Some(user))) = found else {
            self.cache.forget_token(&hash);
            return Ok(None);
        };
        let caller = Caller {
            session: Session {
                session_id: s.id,
                user_id: s.user_id,
                expires_at: s.expires_at,
            },
            user: Arc::new(user),
        };
        self.cache.store(hash, caller.clone(), ticket);
        Ok(Some(caller))
    }

    async fn find_by_email(&self, email: &str) -> AppResult<Option<user::Model>> {
        Ok(user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(&self.db.reads)
            .await?)
    }

    async fn start_session(&self, user_id: Uuid) -> AppResult<SessionToken> {
        let token = SessionToken::generate();
        let now = now();
        session::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            token_hash: Set(token.hash().to_vec()),
            created_at: Set(now),
            expires_at: Set(now + self.token_ttl),
        }
        .insert(&self.db.writes)
        .await?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_email("  Anna@Example.DE ").unwrap(),
            "anna@example.de"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.de",
            "anna@example",
            "a b@example.de",
            "a@b@c.de",
            "anna@-x.de",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
