//! The one way resolvers reach shared state and the caller's identity.

use async_graphql::{Context, dataloader::DataLoader};

use crate::{auth::Session, error::AppError, state::AppState};

pub trait ContextExt {
    /// The application state (always present: the schema is built with it).
    fn state(&self) -> &AppState;
    /// The signed-in caller, if any.
    fn caller(&self) -> Option<Session>;
    /// A per-request DataLoader (the HTTP layer adds one of each to every request).
    fn loader<T: Send + Sync + 'static>(&self) -> &DataLoader<T>;
    /// The signed-in caller, or `UNAUTHENTICATED`.
    fn session(&self) -> Result<Session, AppError> {
        self.caller().ok_or(AppError::Unauthenticated)
    }
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data::<AppState>()
            .expect("BUG: AppState was not added to the schema")
    }

    fn caller(&self) -> Option<Session> {
        self.data_opt::<Session>().copied()
    }

    fn loader<T: Send + Sync + 'static>(&self) -> &DataLoader<T> {
        self.data::<DataLoader<T>>()
            .expect("BUG: the HTTP layer did not add this DataLoader to the request")
    }
}
