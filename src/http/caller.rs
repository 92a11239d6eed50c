//! Who is calling: a bearer token looked up to its live session and user, the same way for HTTP
//! requests and WebSocket connections.

use crate::{auth::Caller, error::AppResult, services::Accounts};

/// The lookup itself failed (the database is unreachable, say); the cause is logged.
#[derive(Debug, Clone, Copy)]
pub struct LookupFailed;

/// The live session of `token` (`None`: unknown, revoked or expired), from the session cache
/// when it was seen lately. A failure is not "anonymous": answering as if signed out would make
/// an app drop its session.
pub async fn look_up(accounts: &Accounts, token: &str) -> Result<Option<Caller>, LookupFailed> {
    logged(accounts.authenticate(token).await)
}

/// Like [`look_up`], but from the database whatever is cached (a socket's periodic check).
pub async fn look_up_afresh(
    accounts: &Accounts,
    token: &str,
) -> Result<Option<Caller>, LookupFailed> {
    logged(accounts.authenticate_afresh(token).await)
}

fn logged(found: AppResult<Option<Caller>>) -> Result<Option<Caller>, LookupFailed> {
    found.map_err(|err| {
        // Converting logs the cause, inside the request's span (with its id).
        let _ = async_graphql::Error::from(err);
        LookupFailed
    })
}
