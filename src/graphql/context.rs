//! The one way resolvers reach shared state and the caller's identity.

use async_graphql::{Context, dataloader::DataLoader};

use super::loaders::{Loaders, OperationLoader};
use entity::user;

use crate::{
    auth::{Caller, Origin, Session},
    error::AppError,
    state::AppState,
};

pub trait ContextExt {
    /// The application state (always present: the schema is built with it).
    fn state(&self) -> &AppState;
    /// The signed-in caller, if any.
    fn caller(&self) -> Option<Session>;
    /// The signed-in caller's user row, read with the session (no query of its own).
    fn caller_user(&self) -> Option<&user::Model>;
    /// The operation's DataLoader of type `T` (the HTTP layer gives every operation its
    /// [`Loaders`]).
    fn loader<T: OperationLoader>(&self) -> &DataLoader<T>;
    /// Who sent the request (the HTTP layer adds it to every request).
    fn origin(&self) -> Result<&Origin, AppError>;
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
        self.data_opt::<Caller>().map(|caller| caller.session)
    }

    fn caller_user(&self) -> Option<&user::Model> {
        self.data_opt::<Caller>().map(|caller| &*caller.user)
    }

    fn origin(&self) -> Result<&Origin, AppError> {
        // Missing only by a bug; refusing is safer than signing in without a throttle.
        self.data_opt::<Origin>().ok_or_else(|| {
            AppError::from(anyhow::anyhow!("BUG: the HTTP layer did not add an Origin"))
        })
    }

    fn loader<T: OperationLoader>(&self) -> &DataLoader<T> {
        self.data::<Loaders>()
            .expect("BUG: the HTTP layer did not add the operation's loaders")
            .get::<T>()
    }
}
