//! Public ids: the rows' UUIDs as strings. A malformed id is the client's mistake.

use async_graphql::ID;
use uuid::Uuid;

use crate::error::AppError;

/// Parses a GraphQL `ID` argument; `BAD_USER_INPUT` naming the argument when it is no UUID.
pub fn parse_id(id: &ID, argument: &'static str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::invalid(argument, format!("`{argument}` is not a valid id.")))
}

pub fn to_id(id: Uuid) -> ID {
    ID(id.to_string())
}
