//! `/graphql` over HTTP, by the GraphQL-over-HTTP spec: POST runs any operation, GET only
//! queries (a mutation over GET would let a link or an `<img>` change data).
//!
//! The handlers are our own rather than async-graphql-axum's because the stock ones differ
//! from the spec: they always answer `application/graphql-response+json` with status 200,
//! accept mutations over GET, and read bodies without a limit.

use std::{net::IpAddr, sync::Arc};

use async_graphql::{
    BatchRequest, BatchResponse, Request, Response,
    parser::types::{DocumentOperations, OperationType},
};
use axum::{
    body::Body,
    extract::{
        FromRef, FromRequestParts, Query, Request as AxumRequest, State, rejection::QueryRejection,
        ws::WebSocketUpgrade,
    },
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use http_body_util::{BodyExt, Limited};
use serde_json::{Value, json};

use super::{
    caller,
    client_addr::{ClientAddr, TrustedProxies},
    multipart::{self, MultipartError, MultipartLimits},
    negotiate::{ResponseType, response_type},
    request_body,
    server::BodyTooSlow,
    ws::{self, WsSettings},
};
use crate::{
    auth::{Caller, Origin, token::bearer_token},
    error::{AppError, code},
    graphql::{Executor, loaders, response_json},
    state::AppState,
};

/// What the GraphQL handlers share: the app state, the schema and the HTTP limits.
#[derive(Clone)]
pub struct GraphqlEndpoint {
    pub state: AppState,
    pub schema: Executor,
    pub body_limit: usize,
    pub max_batch: usize,
    /// Turns to execute (and answer) a large request (`graphql::Executor::is_large`): bounds
    /// the memory of the answers in flight.
    pub turns: Arc<tokio::sync::Semaphore>,
    /// Turns for the other requests, [`SMALL_TURNS_PER_TURN`] for each large one.
    pub small_turns: Arc<tokio::sync::Semaphore>,
    /// Limits of multipart (upload) requests.
    pub uploads: MultipartLimits,
    /// Settings of GraphQL over WebSocket.
    pub ws: WsSettings,
    /// Whose `X-Forwarded-For` tells the client's address.
    pub trusted_proxies: Arc<TrustedProxies>,
}

impl FromRef<GraphqlEndpoint> for Arc<TrustedProxies> {
    fn from_ref(endpoint: &GraphqlEndpoint) -> Self {
        endpoint.trusted_proxies.clone()
    }
}

/// The headers that force a browser's CORS preflight: a cross-site form cannot send them, so a
/// multipart request carrying one cannot be a forged form post (CSRF).
const PREFLIGHT_HEADERS: [&str; 3] = [
    "authorization",
    "apollo-require-preflight",
    "graphql-require-preflight",
];

/// `POST /graphql` with a JSON body (single operation or a capped batch), or a multipart body
/// by the GraphQL multipart request spec (file uploads).
pub async fn post(
    State(endpoint): State<GraphqlEndpoint>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> HttpResponse {
    let Some(response_type) = response_type(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    let (batch, caller) = if media_type.eq_ignore_ascii_case("multipart/form-data") {
        match read_multipart(&endpoint, &headers, content_type, body).await {
            Ok((batch, caller)) => (batch, Some(caller)),
            Err(refusal) => return refusal.respond(response_type),
        }
    } else if media_type.eq_ignore_ascii_case("application/json") {
        let batch = match read_json(&endpoint, body).await {
            Ok(batch) => batch,
            Err(refusal) => return refusal.respond(response_type),
        };
        match authenticate(&endpoint.state, &headers).await {
            Ok(caller) => (batch, caller),
            Err(refusal) => return refusal.respond(response_type),
        }
    } else {
        return request_error(
            response_type,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::BAD_USER_INPUT,
            "Send the GraphQL request as JSON with `Content-Type: application/json` \
             (or as `multipart/form-data` to upload files).",
        );
    };
    if let BatchRequest::Batch(requests) = &batch
        && (requests.is_empty() || requests.len() > endpoint.max_batch)
    {
        return request_error(
            response_type,
            StatusCode::BAD_REQUEST,
            code::BAD_USER_INPUT,
            &format!("A batch must hold 1 to {} operations.", endpoint.max_batch),
        );
    }
    let batch = with_request_data(batch, &endpoint, caller, Origin::new(client));
    run(&endpoint, response_type, batch).await
}

/// How many small requests may run for each large turn. A small answer has under a tenth of
/// the fields of the app's largest screen (see `graphql::answer_size`), so all small turns
/// together hold about as much as the large ones.
pub const SMALL_TURNS_PER_TURN: usize = 8;

/// Executes and answers a request in its turn, large or small (the turn lasts until the answer
/// is written into its JSON body, as the answer's tree and that body are what take the memory).
async fn run(
    endpoint: &GraphqlEndpoint,
    response_type: ResponseType,
    mut batch: BatchRequest,
) -> HttpResponse {
    // An answer that may hold megabytes waits for one of the few large turns; a small one (a
    // sign-in hashing a password, a generation request, a page of prompts) for one of the
    // many small turns, so it never waits behind the large ones.
    let turns = match endpoint.schema.is_large(&mut batch) {
        true => &endpoint.turns,
        false => &endpoint.small_turns,
    };
    let _turn = turns
        .acquire()
        .await
        .expect("BUG: the request turns are never closed");
    // Boxed: async-graphql's execution future is kilobytes, and inline it would be copied
    // with the handler's future each time the router moves that.
    let response = Box::pin(endpoint.schema.execute_batch(batch)).await;
    respond(response_type, response)
}

/// A request refused before any GraphQL ran; answered in the negotiated response type.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn respond(self, response_type: ResponseType) -> HttpResponse {
        let mut response = request_error(response_type, self.status, self.code, &self.message);
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 9110: a 401 names the scheme that would be accepted.
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

fn refuse(status: StatusCode, code: &'static str, message: String) -> Refusal {
    Refusal {
        status,
        code,
        message,
    }
}

/// Reads a JSON body up to the body limit.
async fn read_json(endpoint: &GraphqlEndpoint, body: Body) -> Result<BatchRequest, Refusal> {
    let bytes = match Limited::new(body, endpoint.body_limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            return Err(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                code::PAYLOAD_TOO_LARGE,
                format!(
                    "The request body is larger than the limit of {} bytes.",
                    endpoint.body_limit
                ),
            ));
        }
        Err(err) if arrived_too_slowly(err.as_ref()) => {
            return Err(refuse(
                StatusCode::REQUEST_TIMEOUT,
                code::BAD_USER_INPUT,
                "The request body arrived too slowly; send it at a steady pace.".into(),
            ));
        }
        Err(_) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                code::BAD_USER_INPUT,
                "The request body could not be read.".into(),
            ));
        }
    };
    request_body::parse(&bytes)
        .map_err(|message| refuse(StatusCode::BAD_REQUEST, code::BAD_USER_INPUT, message))
}

/// Whether a body read failed because the client sent it slower than the server's pace rules
/// allow (the error arrives wrapped by axum's body).
fn arrived_too_slowly(err: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(err), |err| err.source()).any(|err| err.is::<BodyTooSlow>())
}

/// Reads a multipart body with the upload limits, after the CSRF check and after the caller is
/// known: every operation that takes a file needs a sign-in, so a request without a live token
/// is answered 401 before a byte of its body is read (nobody can make the server spool 64 MiB
/// by sending any `Authorization` header). The body is then not drained either: the client
/// gets the answer at once and the connection is closed after it.
async fn read_multipart(
    endpoint: &GraphqlEndpoint,
    headers: &HeaderMap,
    content_type: &str,
    body: Body,
) -> Result<(BatchRequest, Caller), Refusal> {
    let has_preflight_header = PREFLIGHT_HEADERS.iter().any(|name| {
        headers
            .get(*name)
            .is_some_and(|value| !value.as_bytes().is_empty())
    });
    if !has_preflight_header {
        multipart::discard(body, endpoint.uploads).await;
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            code::BAD_USER_INPUT,
            "Multipart requests must carry an `Authorization` or `GraphQL-Require-Preflight` \
             header (protection against cross-site request forgery)."
                .into(),
        ));
    }
    let Some(caller) = authenticate(&endpoint.state, headers).await? else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            code::UNAUTHENTICATED,
            AppError::Unauthenticated.message(),
        ));
    };
    let content_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let batch = multipart::read_batch(body, content_type, content_length, endpoint.uploads)
        .await
        .map_err(|err| match err {
            MultipartError::TooLarge(message) => refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                code::PAYLOAD_TOO_LARGE,
                message,
            ),
            MultipartError::Invalid(message) => {
                refuse(StatusCode::BAD_REQUEST, code::BAD_USER_INPUT, message)
            }
            MultipartError::Internal(cause) => {
                tracing::error!(error = ?cause, "could not spool an upload");
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code::INTERNAL,
                    "Internal server error.".into(),
                )
            }
        })?;
    Ok((batch, caller))
}

/// The parameters of a GET request. async-graphql's own parser reads `operation_name`, but
/// the spec's name is `operationName`; both are taken.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetParams {
    query: Option<String>,
    #[serde(alias = "operation_name")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    /// A persisted document's id, in place of `query`.
    document_id: Option<String>,
}

impl GetParams {
    fn into_request(self) -> Result<Request, String> {
        let variables = match self.variables.as_deref() {
            Some(json) if !json.is_empty() => serde_json::from_str(json)
                .map_err(|err| format!("`variables` is not a JSON object: {err}"))?,
            _ => Default::default(),
        };
        let extensions = match self.extensions.as_deref() {
            Some(json) if !json.is_empty() => serde_json::from_str(json)
                .map_err(|err| format!("`extensions` is not a JSON object: {err}"))?,
            _ => Default::default(),
        };
        request_body::build_request(
            self.query,
            self.operation_name.filter(|name| !name.is_empty()),
            variables,
            extensions,
            self.document_id.filter(|id| !id.is_empty()),
        )
        .map_err(|missing| format!("it {missing}"))
    }
}

/// `GET /graphql`: the WebSocket upgrade (subscriptions), or a query in the query string. One
/// handler for both, because axum has no optional `WebSocketUpgrade` extractor.
pub async fn get(State(endpoint): State<GraphqlEndpoint>, request: AxumRequest) -> HttpResponse {
    let (mut parts, _body) = request.into_parts();
    let client = endpoint
        .trusted_proxies
        .client_of(&parts.extensions, &parts.headers);
    if ws::is_upgrade(&parts.headers) {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &endpoint).await {
            Ok(upgrade) => ws::accept(endpoint, upgrade, &parts.headers, client),
            Err(rejection) => rejection.into_response(),
        };
    }
    let params = Query::<GetParams>::try_from_uri(&parts.uri);
    get_query(endpoint, parts.headers, params, client).await
}

/// `GET /graphql?query=…`: queries only.
async fn get_query(
    endpoint: GraphqlEndpoint,
    headers: HeaderMap,
    params: Result<Query<GetParams>, QueryRejection>,
    client: IpAddr,
) -> HttpResponse {
    let Some(response_type) = response_type(&headers) else {
        return not_acceptable();
    };
    let parsed = params
        .map_err(|err| err.body_text())
        .and_then(|Query(params)| params.into_request());
    let mut request = match parsed {
        Ok(request) => request,
        Err(err) => {
            return request_error(
                response_type,
                StatusCode::BAD_REQUEST,
                code::BAD_USER_INPUT,
                &format!("The query string is not a GraphQL request: {err}"),
            );
        }
    };
    // The operation's type needs its document: a persisted one's text, and the document cache
    // (so a query sent by GET is not parsed anew every time). A document refused here is
    // answered by execution, as on POST.
    if endpoint.schema.prepare(&mut request).is_ok() && is_mutation_or_subscription(&mut request) {
        let mut response = request_error(
            response_type,
            StatusCode::METHOD_NOT_ALLOWED,
            code::BAD_USER_INPUT,
            "Only queries can be sent with GET; send mutations with POST.",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let caller = match authenticate(&endpoint.state, &headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal.respond(response_type),
    };
    let batch = with_request_data(
        BatchRequest::Single(request),
        &endpoint,
        caller,
        Origin::new(client),
    );
    run(&endpoint, response_type, batch).await
}

/// Whether the operation to run is not a query, for a request [`Executor::prepare`]d (whose
/// document is parsed and checked).
fn is_mutation_or_subscription(request: &mut Request) -> bool {
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    operation.is_some_and(|op| op.node.ty != OperationType::Query)
}

/// The caller behind an `Authorization: Bearer …` header. An unknown, revoked or expired token
/// makes the request anonymous (`me` is null, mutations answer UNAUTHENTICATED).
///
/// A lookup that fails (the database is unreachable, say) is not "anonymous": answering as if
/// signed out would make an app drop its session. It is refused with 503 and INTERNAL, which a
/// client may try again; the cause is logged inside the request's span (with its id).
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, Refusal> {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
    else {
        return Ok(None);
    };
    caller::look_up(&state.accounts, token).await.map_err(|_| {
        refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            code::INTERNAL,
            "Internal server error.".into(),
        )
    })
}

/// Adds the per-request data: the caller, fresh DataLoaders (their cache lives one request)
/// and the origin, one for the whole batch (so that it signs in at most once).
fn with_request_data(
    batch: BatchRequest,
    endpoint: &GraphqlEndpoint,
    caller: Option<Caller>,
    origin: Origin,
) -> BatchRequest {
    let prepare = |mut request: Request| {
        let db = &endpoint.state.db;
        request.data.insert(loaders::Loaders::new(db));
        if let Some(caller) = &caller {
            request.data.insert(caller.clone());
        }
        request.data.insert(origin.clone());
        request
    };
    match batch {
        BatchRequest::Single(request) => BatchRequest::Single(prepare(request)),
        BatchRequest::Batch(requests) => {
            BatchRequest::Batch(requests.into_iter().map(prepare).collect())
        }
    }
}

/// Serialises the response with the status code the spec asks for, straight from
/// async-graphql's value tree into the body (see `response_json`).
fn respond(response_type: ResponseType, response: BatchResponse) -> HttpResponse {
    let mut body = Vec::new();
    let status = match &response {
        BatchResponse::Single(response) => {
            let is_request_error = is_request_error(response);
            response_json::write_response(&mut body, response, !is_request_error);
            if is_request_error && response_type == ResponseType::GraphqlResponseJson {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            }
        }
        BatchResponse::Batch(responses) => {
            body.push(b'[');
            for (i, response) in responses.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                response_json::write_response(&mut body, response, !is_request_error(response));
            }
            body.push(b']');
            StatusCode::OK
        }
    };
    (
        status,
        [(header::CONTENT_TYPE, response_type.content_type())],
        body,
    )
        .into_response()
}

/// A request error stops before execution: no data, and every error lacks a path.
fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn json_response(response_type: ResponseType, status: StatusCode, body: &Value) -> HttpResponse {
    (
        status,
        [(header::CONTENT_TYPE, response_type.content_type())],
        body.to_string(),
    )
        .into_response()
}

/// An error before any GraphQL ran, in the GraphQL response shape.
pub fn request_error(
    response_type: ResponseType,
    status: StatusCode,
    code: &str,
    message: &str,
) -> HttpResponse {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    json_response(response_type, status, &body)
}

fn not_acceptable() -> HttpResponse {
    request_error(
        ResponseType::Json,
        StatusCode::NOT_ACCEPTABLE,
        code::BAD_USER_INPUT,
        "Accept application/graphql-response+json or application/json.",
    )
}
