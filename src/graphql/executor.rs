//! The one way operations run: the document named by id found first (persisted operations),
//! then the request checks, then the schema, then the error codes, for single operations,
//! batches and streams (every transport goes through here).
//!
//! Both used to be async-graphql extensions. Any extension at all makes async-graphql resolve
//! every field through its extension chain (a `ResolveInfo`, a registry lookup and boxed
//! futures per field), and neither needs per-field hooks; wrapping the schema keeps every field
//! on the direct path.

use std::{any::TypeId, sync::Arc};

use async_graphql::{BatchRequest, BatchResponse, Data, Request, Response, ServerError};
use futures_util::{StreamExt, stream::BoxStream};

use super::{
    AppSchema, answer_size, document_cache::DocumentCache, error_codes,
    persisted::PersistedDocuments, request_checks,
};

/// Marks a request whose document [`Executor::prepare`] found and checked.
struct Prepared;

#[derive(Clone)]
pub struct Executor {
    schema: AppSchema,
    /// Most selections a document may hold with its fragments expanded.
    max_selections: usize,
    documents: Arc<DocumentCache>,
    persisted: Arc<PersistedDocuments>,
}

impl Executor {
    pub fn new(schema: AppSchema, max_selections: usize, persisted: PersistedDocuments) -> Self {
        Self {
            schema,
            max_selections,
            documents: Arc::default(),
            persisted: Arc::new(persisted),
        }
    }

    /// Finds the request's document (persisted operations), checks it and leaves it parsed in
    /// the request: from the document cache when its text was seen lately. Execution does this
    /// itself; a transport that must look at the operation first (GET runs only queries) calls
    /// it before, and execution then does not do it again. A refusal leaves the request as it
    /// was, for execution to answer it the usual way.
    pub fn prepare(&self, request: &mut Request) -> Result<(), ServerError> {
        if request.data.contains_key(&TypeId::of::<Prepared>()) {
            return Ok(());
        }
        self.persisted.resolve(request)?;
        request_checks::check(request, self.max_selections, &self.documents)?;
        request.data.insert(Prepared);
        Ok(())
    }

    /// Whether `batch` may answer with enough to wait for one of the turns that bound memory:
    /// its operations together estimate at least [`answer_size::LARGE_ANSWER`] fields. Prepares
    /// each operation (see [`Self::prepare`]); one that is refused counts nothing, as its answer
    /// is an error.
    pub fn is_large(&self, batch: &mut BatchRequest) -> bool {
        batch
            .iter_mut()
            .map(|request| match self.prepare(request) {
                Ok(()) => answer_size::estimate(request),
                Err(_) => 0,
            })
            .fold(0, usize::saturating_add)
            >= answer_size::LARGE_ANSWER
    }

    /// Runs one query or mutation.
    pub async fn execute(&self, mut request: Request) -> Response {
        let mut response = match self.prepare(&mut request) {
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
        let responses = match self.prepare(&mut request) {
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
