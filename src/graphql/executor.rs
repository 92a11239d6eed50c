//! The one way operations run: the request checks first, then the schema, then the error
//! codes, for single operations, batches and streams (every transport goes through here).
//!
//! Both used to be async-graphql extensions. Any extension at all makes async-graphql resolve
//! every field through its extension chain (a `ResolveInfo`, a registry lookup and boxed
//! futures per field), and neither needs per-field hooks; wrapping the schema keeps every field
//! on the direct path.

use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, Data, Request, Response};
use futures_util::{StreamExt, stream::BoxStream};

use super::{AppSchema, document_cache::DocumentCache, error_codes, request_checks};

#[derive(Clone)]
pub struct Executor {
    schema: AppSchema,
    /// Most selections a document may hold with its fragments expanded.
    max_selections: usize,
    documents: Arc<DocumentCache>,
}

impl Executor {
    pub fn new(schema: AppSchema, max_selections: usize) -> Self {
        Self {
            schema,
            max_selections,
            documents: Arc::default(),
        }
    }

    /// Runs one query or mutation.
    pub async fn execute(&self, mut request: Request) -> Response {
        let mut response =
            match request_checks::check(&mut request, self.max_selections, &self.documents) {
                Ok(()) => self.schema.execute(request).await,
                Err(error) => Response::from_errors(vec![error]),
            };
        error_codes::fill(&mut response);
        response
    }

    /// Runs a batch, its operations side by side, answers in order.
    pub async fn execute_batch(&self, batch: BatchRequest) -> BatchResponse {
        match batch {
            BatchRequest::Single(request) => BatchResponse::Single(self.execute(request).await),
            BatchRequest::Batch(requests) => BatchResponse::Batch(
                futures_util::future::join_all(requests.into_iter().map(|r| self.execute(r))).await,
            ),
        }
    }

    /// Runs a subscription (or any operation sent over a socket) with the connection's data.
    pub fn execute_stream(
        &self,
        mut request: Request,
        connection_data: Arc<Data>,
    ) -> BoxStream<'static, Response> {
        let responses =
            match request_checks::check(&mut request, self.max_selections, &self.documents) {
                Ok(()) => self
                    .schema
                    .execute_stream_with_session_data(request, connection_data),
                Err(error) => {
                    futures_util::stream::once(async move { Response::from_errors(vec![error]) })
                        .boxed()
                }
            };
        responses
            .map(|mut response| {
                error_codes::fill(&mut response);
                response
            })
            .boxed()
    }
}
