//! The checks every request passes before async-graphql parses it for itself, validates or
//! executes it, on every path that takes a document (POST, GET, batches, both WebSocket
//! protocols, multipart): bracket nesting of the text, the document's expanded size, and NUL
//! characters in its texts.
//!
//! An extension's `prepare_request` hook is the one place all of them pass through: the crate's
//! `prepare_request` (schema.rs) runs it first, for `execute` and `execute_stream` alike, and
//! only then its own parse step (whose depth and directive checks walk the document with its
//! fragments expanded) and validation. The document parsed here is kept in the request, so it
//! is parsed once.

use std::sync::Arc;

use async_graphql::{
    Request, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
};

use super::{document_size, nul_text};
use crate::error::{code, set_code};

pub struct RequestChecks {
    /// Most selections a document may hold with its fragments expanded.
    pub max_selections: usize,
}

impl ExtensionFactory for RequestChecks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestChecks {
            max_selections: self.max_selections,
        })
    }
}

#[async_trait::async_trait]
impl Extension for RequestChecks {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        document_size::check_nesting(&request.query)?;
        let variables = std::mem::take(&mut request.variables);
        let checked = request
            .parsed_query()
            .map_err(|mut err| {
                set_code(&mut err, code::GRAPHQL_PARSE_FAILED);
                err
            })
            .and_then(|document| {
                document_size::measure(document, self.max_selections)?;
                nul_text::check(document, &variables)
            });
        request.variables = variables;
        checked?;
        next.run(ctx, request).await
    }
}
