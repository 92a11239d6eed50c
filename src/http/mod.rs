//! The HTTP surface: routes (`/graphql`, the signed `/images/{id}`, GraphiQL, probes), and the
//! layers every request passes (request id, tracing).

pub mod client_addr;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod images;
pub mod multipart;
pub mod negotiate;
pub mod ws;

use axum::{
    Router,
    http::{HeaderName, Request},
    routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::state::AppState;
pub use graphql::GraphqlEndpoint;

/// The header that carries a request's id, in and out. An INTERNAL error's log line has it.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Every route of the server.
pub fn router(state: AppState, endpoint: GraphqlEndpoint) -> Router {
    let graphql = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .with_state(endpoint);
    let probes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/images/{id}", get(images::get))
        .with_state(state);
    Router::new()
        .merge(graphql)
        .merge(probes)
        .merge(graphiql::router())
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, NewRequestId))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                        let request_id = request
                            .headers()
                            .get(REQUEST_ID_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default();
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id = %request_id,
                        )
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER)),
        )
}

/// Request ids are UUIDs (v7, so they sort by time), unless the client or a proxy sent one.
#[derive(Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        uuid::Uuid::now_v7()
            .to_string()
            .parse()
            .ok()
            .map(RequestId::new)
    }
}
