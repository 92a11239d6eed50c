//! Gives async-graphql's own errors (parse, validation, limits) the codes DESIGN.md lists.
//!
//! Resolver errors already carry a code (see `crate::error`). What is left without one comes
//! from async-graphql itself: parse-time limits, validation, an unknown operation name, and
//! input coercion errors, which are the client's mistake. Applied to every response by
//! [`super::Executor`]; not an extension, because any extension sends every field of every
//! operation down async-graphql's slower resolve path.

use async_graphql::{Response, ServerError};

use crate::error::{code, set_code};

/// Fills in the code of each error of `response` that has none.
pub fn fill(response: &mut Response) {
    for error in &mut response.errors {
        set_code(error, code_for(error));
    }
}

fn code_for(error: &ServerError) -> &'static str {
    if !error.path.is_empty() {
        // A value the client sent did not fit its type while a field was resolved.
        return code::BAD_USER_INPUT;
    }
    let message = error.message.as_str();
    if message.starts_with("The recursion depth of the query")
        || message.starts_with("The number of directives")
    {
        // async-graphql's own limits on the parsed document (`limit_recursive_depth`,
        // `limit_directives`): the document is refused as it is read.
        code::GRAPHQL_PARSE_FAILED
    } else if message.starts_with("Invalid value for argument") {
        // A value that does not fit its argument's type (an unknown enum value, a string
        // where a number belongs), in the document or in the variables, is bad input like any
        // other the resolvers refuse.
        code::BAD_USER_INPUT
    } else {
        // Everything else validation finds, and a request refused as a whole (unknown
        // operation name and the like), is a malformed operation.
        code::GRAPHQL_VALIDATION_FAILED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coded(message: &str, path: bool) -> Option<String> {
        let mut error = ServerError::new(message, None);
        if path {
            error.path = vec![async_graphql::PathSegment::Field("x".into())];
        }
        let mut response = Response::from_errors(vec![error]);
        fill(&mut response);
        response.errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .map(|v| v.to_string())
    }

    #[test]
    fn each_kind_of_error_gets_its_code() {
        let cases = [
            ("Query is too complex.", false, "GRAPHQL_VALIDATION_FAILED"),
            (
                r#"Unknown operation named "x""#,
                false,
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "Invalid value for argument \"first\"",
                false,
                "BAD_USER_INPUT",
            ),
            (
                "The recursion depth of the query cannot be greater than `32`",
                false,
                "GRAPHQL_PARSE_FAILED",
            ),
            (
                "The number of directives on the field `a` cannot be greater than `16`",
                false,
                "GRAPHQL_PARSE_FAILED",
            ),
            ("Failed to parse \"ID\"", true, "BAD_USER_INPUT"),
        ];
        for (message, path, expected) in cases {
            assert_eq!(
                coded(message, path).as_deref(),
                Some(format!("\"{expected}\"").as_str()),
                "{message}"
            );
        }
    }

    #[test]
    fn a_code_already_set_is_kept() {
        let mut error = ServerError::new("Query is too complex.", None);
        set_code(&mut error, code::INTERNAL);
        let mut response = Response::from_errors(vec![error]);
        fill(&mut response);
        let code = response.errors[0].extensions.as_ref().unwrap().get("code");
        assert_eq!(code.map(|v| v.to_string()).as_deref(), Some("\"INTERNAL\""));
    }
}
