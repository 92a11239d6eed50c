//! The checks every request passes before async-graphql parses it for itself, validates or
//! executes it, on every path that takes a document (POST, GET, batches, both WebSocket
//! protocols, multipart): bracket nesting of the text, the document's expanded size, and NUL
//! characters in its texts.
//!
//! [`super::Executor`] runs them first, for single operations, batches and streams alike, and
//! only then async-graphql's own parse-time checks (whose depth and directive checks walk the
//! document with its fragments expanded) and validation. The document parsed here is kept in
//! the request, so it is parsed once; a document seen lately comes from the [`DocumentCache`]
//! with its text's checks passed, and only the checks of the variables run again.

use async_graphql::{Request, ServerError};

use super::{document_cache::DocumentCache, document_size, nul_text};
use crate::error::{code, set_code};

/// Checks `request`'s document, leaving it parsed in the request when it passes.
pub fn check(
    request: &mut Request,
    max_selections: usize,
    documents: &DocumentCache,
) -> Result<(), ServerError> {
    if let Some(document) = documents.get(&request.query) {
        nul_text::check_variables(&request.variables)?;
        request.set_parsed_query(document);
        return Ok(());
    }
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
            nul_text::check(document, &variables)?;
            Ok(document.clone())
        });
    request.variables = variables;
    // The request goes on with a copy: the parser leaves its lists room to grow (a list of one
    // variable holds four), and a subscription keeps its document as long as it runs, so with
    // thousands of them that spare room was a quarter of each one's memory. A copy (and every
    // copy out of the cache) holds exactly what is there.
    let compact = checked?;
    documents.insert(&request.query, &compact);
    request.set_parsed_query(compact);
    Ok(())
}
