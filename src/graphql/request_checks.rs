//! The checks every request passes before async-graphql parses it for itself, validates or
//! executes it, on every path that takes a document (POST, GET, batches, both WebSocket
//! protocols, multipart): bracket nesting of the text, the document's expanded size, and NUL
//! characters in its texts.
//!
//! [`super::Executor`] runs them first, for single operations, batches and streams alike, and
//! only then async-graphql's own parse-time checks (whose depth and directive checks walk the
//! document with its fragments expanded) and validation. The document parsed here is kept in
//! the request, so it is parsed once.

use async_graphql::{Request, ServerError};

use super::{document_size, nul_text};
use crate::error::{code, set_code};

/// Checks `request`'s document, leaving it parsed in the request when it passes.
pub fn check(request: &mut Request, max_selections: usize) -> Result<(), ServerError> {
    document_size::check_nesting(&request.query)?;
    let variables = std::mem::take(&mut request.variables);
    let checked = request
        .parsed_query()
        .map_err(|mut err| {
            set_code(&mut err, code::GRAPHQL_PARSE_FAILED);
            err
        })
        .and_then(|document| {
            document_size::measure(document, max_selections)?;
            nul_text::check(document, &variables)
        });
    request.variables = variables;
    checked
}
