//! Gives async-graphql's own errors (parse, validation, limits) the codes DESIGN.md lists.
//!
//! Resolver errors already carry a code (see `crate::error`). What is left without one after
//! parsing and validation are input coercion errors, which are the client's mistake.

use std::sync::Arc;

use async_graphql::{
    Response, ServerError, ServerResult, ValidationResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
    },
    parser::types::ExecutableDocument,
};

use crate::error::{code, set_code};

pub struct ErrorCodes;

/// A value that does not fit its argument's type (an unknown enum value, a string where a
/// number belongs), in the document or in the variables, is bad input like any other the
/// resolvers refuse; everything else validation finds is a malformed operation.
fn validation_code(message: &str) -> &'static str {
    if message.starts_with("Invalid value for argument") {
        code::BAD_USER_INPUT
    } else {
        code::GRAPHQL_VALIDATION_FAILED
    }
}

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            // No path: the request as a whole was refused (unknown operation name and the
            // like). With a path: a value the client sent did not fit its type.
            let fallback = if error.path.is_empty() {
                code::GRAPHQL_VALIDATION_FAILED
            } else {
                code::BAD_USER_INPUT
            };
            set_code(error, fallback);
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut err| {
            set_code(&mut err, code::GRAPHQL_PARSE_FAILED);
            err
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|mut errors| {
            for err in &mut errors {
                set_code(err, validation_code(&err.message));
            }
            errors
        })
    }
}
