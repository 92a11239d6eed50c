//! Who is calling: a bearer token looked up to its live session, the same way for HTTP requests
//! and WebSocket connections.

use crate::{auth::Session, services::Accounts};

/// The lookup itself failed (the database is unreachable, say); the cause is logged.
#[derive(Debug, Clone, Copy)]
pub struct LookupFailed;

/// The live session of `token` (`None`: unknown, revoked or expired). A failure is not
/// "anonymous": answering as if signed out would make an app drop its session.
pub async fn look_up(accounts: &Accounts, token: &str) -> Result<Option<Session>, LookupFailed> {
    accounts.authenticate(token).await.map_err(|err| {
        // Converting logs the cause, inside the request's span (with its id).
        let _ = async_graphql::Error::from(err);
        LookupFailed
    })
}
