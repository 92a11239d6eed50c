//! GraphQL over WebSocket on `GET /graphql`: `graphql-transport-ws` and the legacy `graphql-ws`
//! (subscriptions-transport-ws) protocol.
//!
//! This module speaks both protocols itself and hands each operation to async-graphql's
//! `execute_stream`; async-graphql's own `WebSocket` driver is not used because it lacks what
//! DESIGN's pitfalls ask for and polls every operation of a connection whenever one of them is
//! woken (see [`operations`]). Here: the `connection_init` deadline (4408), sign-in by the init
//! payload or the upgrade request's `Authorization` header (a bad token closes 4403), pings at
//! an interval, and a cap on subscriptions per connection. The connection's operations share
//! one set of DataLoaders (they cache nothing, so sharing only batches) and the caller (the
//! session and the user's row, read at sign-in).
//!
//! A session that ends closes the socket with 4403 "Session ended" (graphql-ws, like the
//! protocol, treats 4403 as fatal and does not reconnect with the same token): at once on a
//! logout, over HTTP or over this very socket, on this instance or another (see
//! `auth::session_ends`); at the token's expiry; and, as a backstop for a session removed
//! behind the server's back, at the next ping's token check (which asks the database, not the
//! session cache). Nothing more runs as the user
//! after that. A lookup that fails is never taken for a signed-out caller: at sign-in it closes
//! the socket with 1011; later (a recheck, a ping) the socket stays as it is and the next check
//! asks again.
//!
//! Back-pressure: when the client stops reading, sending blocks and the loop stops polling the
//! subscriptions; their hub receivers fall behind, and a receiver that falls too far behind
//! re-reads the current state once it is polled again. Memory stays bounded either way.

mod operations;

use std::{net::IpAddr, sync::Arc, time::Duration};

use async_graphql::{
    Data, Response,
    http::{ALL_WEBSOCKET_PROTOCOLS, ClientMessage, WebSocketProtocols as Protocols},
};
use axum::{
    extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
    http::{HeaderMap, header},
    response::Response as HttpResponse,
};
use futures_util::{SinkExt, StreamExt, stream::SplitSink};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::time::Instant;
use tracing::Instrument;

use self::operations::{Operations, Output};
use super::{GraphqlEndpoint, caller};
use crate::{
    auth::{Caller, Origin, session_ends::SessionWatch, token::bearer_token},
    error::code,
    graphql::{loaders, persisted::DocumentId, response_json},
    state::AppState,
};

/// The WebSocket settings.
#[derive(Debug, Clone, Copy)]
pub struct WsSettings {
    pub ping_interval: Duration,
    pub init_timeout: Duration,
    pub max_subscriptions: usize,
}

/// Close codes of graphql-transport-ws (the legacy protocol uses the same here).
mod close {
    pub const BAD_MESSAGE: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const SESSION_ENDED: u16 = FORBIDDEN;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
    pub const PROTOCOL: u16 = 1002;
    pub const INVALID_DATA: u16 = 1007;
    pub const TOO_BIG: u16 = 1009;
    pub const INTERNAL: u16 = 1011;
}

/// The read and write buffers' starting size, bytes.
const BUFFER: usize = 4 * 1024;

/// Whether a GET request asks for a WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Accepts the upgrade; the connection then runs in its own task.
pub fn accept(
    endpoint: GraphqlEndpoint,
    upgrade: WebSocketUpgrade,
    headers: &HeaderMap,
    client: IpAddr,
) -> HttpResponse {
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .map(str::to_owned);
    let upgrade = upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // A client message is one GraphQL request: the same limit as a request's body (the
        // default, 64 MiB, would let one message take that much memory).
        .max_message_size(endpoint.body_limit)
        .max_frame_size(endpoint.body_limit)
        // Buffers grow for a larger message and start small: the 128 KiB defaults made each
        // idle connection cost about 135 KiB.
        .read_buffer_size(BUFFER)
        .write_buffer_size(BUFFER);
    // A client naming no protocol gets the current one.
    let protocol = upgrade
        .selected_protocol()
        .and_then(|p| p.to_str().ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(Protocols::GraphQLWS);
    // The connection's log lines carry the upgrade request's id.
    let span = tracing::Span::current();
    upgrade.on_upgrade(move |socket| {
        async move {
            let rechecks = endpoint.state.sessions.rechecks();
            Connection {
                endpoint,
                protocol,
                client,
                header_token,
                token: None,
                session: None,
                watch: None,
                rechecks,
                data: None,
                operations: Operations::default(),
            }
            .run(socket)
            .await;
        }
        .instrument(span)
    })
}

struct Connection {
    endpoint: GraphqlEndpoint,
    protocol: Protocols,
    /// The client's address, from the upgrade request.
    client: IpAddr,
    header_token: Option<String>,
    /// The token the connection signed in with (looked up again at each ping and recheck).
    token: Option<String>,
    session: Option<Caller>,
    /// Tells when the session ends (logout); `Some` while signed in.
    watch: Option<SessionWatch>,
    /// Changes when every socket must look its token up again.
    rechecks: tokio::sync::watch::Receiver<u64>,
    /// What every operation of the connection sees: its loaders and the session. `Some` once
    /// the connection is initialised.
    data: Option<Arc<Data>>,
    operations: Operations,
}

/// What the loop does after a client message.
enum Next {
    Continue,
    Close(u16, String),
}

type Sink = SplitSink<WebSocket, Message>;

/// A message to the client, written straight from the borrowed parts.
#[derive(Serialize)]
struct ServerMessage<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a Response>,
}

impl ServerMessage<'_> {
    fn text(&self) -> String {
        serde_json::to_string(self).expect("a server message always serialises")
    }
}

impl Connection {
    async fn run(mut self, socket: WebSocket) {
        let settings = self.endpoint.ws;
        let (mut sink, mut source) = socket.split();
        let init_deadline = tokio::time::sleep(settings.init_timeout);
        tokio::pin!(init_deadline);
        let mut ping = tokio::time::interval_at(
            tokio::time::Instant::now() + settings.ping_interval,
            settings.ping_interval,
        );
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Reset to the token's expiry at sign-in; never fires before.
        let expiry = tokio::time::sleep(Duration::MAX);
        tokio::pin!(expiry);
        let mut signed_in = false;

        let closing = loop {
            if !signed_in && let Some(caller) = &self.session {
                signed_in = true;
                expiry.as_mut().reset(deadline(caller.session.expires_at));
            }
            tokio::select! {
                incoming = source.next() => {
                    let bytes = match incoming {
                        Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
                        Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Err(err)) => break refusal_of(&err),
                        Some(Ok(Message::Close(_))) | None => break None,
                    };
                    match self.on_client_message(&bytes, &mut sink).await {
                        Next::Continue => {}
                        Next::Close(code, reason) => break Some((code, reason)),
                    }
                }
                output = self.operations.next() => {
                    let text = match output {
                        Output::Next(id, response) => self.result_message(&id, &response),
                        Output::Finished(id) => complete_message(&id),
                    };
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break None;
                    }
                }
                () = ended(self.watch.as_ref()) => {
                    break Some(session_ended());
                }
                () = &mut expiry, if self.session.is_some() => {
                    break Some(session_ended());
                }
                changed = self.rechecks.changed(), if self.session.is_some() => {
                    // The sender lives as long as the app state this connection holds.
                    debug_assert!(changed.is_ok());
                    if !self.still_signed_in().await {
                        break Some(session_ended());
                    }
                }
                () = &mut init_deadline, if self.data.is_none() => {
                    break Some((close::INIT_TIMEOUT, "Connection initialisation timeout".to_owned()));
                }
                _ = ping.tick(), if self.data.is_some() => {
                    let ping = match self.protocol {
                        Protocols::GraphQLWS => r#"{"type":"ping"}"#,
                        Protocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
                    };
                    if sink.send(Message::Text(ping.into())).await.is_err() {
                        break None;
                    }
                    if !self.still_signed_in().await {
                        break Some(session_ended());
                    }
                }
            }
        };
        if let Some((code, reason)) = closing {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        let _ = sink.close().await;
    }

    async fn on_client_message(&mut self, bytes: &[u8], sink: &mut Sink) -> Next {
        let Ok(message) = ClientMessage::from_bytes(bytes) else {
            return Next::Close(close::BAD_MESSAGE, "Invalid message received".into());
        };
        let reply = match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.data.is_some() {
                    return Next::Close(
                        close::TOO_MANY_INITS,
                        "Too many initialisation requests".into(),
                    );
                }
                let token = payload
                    .as_ref()
                    .and_then(token_in_payload)
                    .or_else(|| self.header_token.clone());
                if let Some(token) = token {
                    match self.sign_in(token).await {
                        Ok(true) => {}
                        Ok(false) => return Next::Close(close::FORBIDDEN, "Forbidden".into()),
                        Err(()) => {
                            return Next::Close(close::INTERNAL, "Internal server error".into());
                        }
                    }
                }
                // Without a token the connection is acknowledged; its subscriptions then
                // answer UNAUTHENTICATED (DESIGN).
                self.data = Some(self.operation_data());
                r#"{"type":"connection_ack"}"#.to_owned()
            }
            ClientMessage::Start { id, mut payload } => {
                let Some(data) = self.data.clone() else {
                    return Next::Close(close::UNAUTHORIZED, "Unauthorized".into());
                };
                if self.operations.contains(&id) {
                    return Next::Close(
                        close::DUPLICATE_ID,
                        format!("Subscriber for {id} already exists"),
                    );
                }
                let limit = self.endpoint.ws.max_subscriptions;
                if self.operations.len() >= limit {
                    let error = self.error_message(
                        &id,
                        code::RATE_LIMITED,
                        &format!(
                            "This connection already runs {limit} subscriptions, the most it may."
                        ),
                    );
                    if sink.send(Message::Text(error.into())).await.is_err() {
                        return Next::Close(1000, String::new());
                    }
                    complete_message(&id)
                } else {
                    // Each operation message is a request of its own: its own one sign-in.
                    payload.data.insert(Origin::new(self.client));
                    if let Some(id) = document_id(bytes) {
                        payload.data.insert(id);
                    }
                    let responses = self.endpoint.schema.execute_stream(payload, data);
                    self.operations.start(id, responses);
                    return Next::Continue;
                }
            }
            ClientMessage::Stop { id } => {
                if !self.operations.stop(&id) {
                    return Next::Continue;
                }
                complete_message(&id)
            }
            ClientMessage::ConnectionTerminate => return Next::Close(1000, String::new()),
            // Answered at once, as the protocol asks.
            ClientMessage::Ping { .. } => r#"{"type":"pong"}"#.to_owned(),
            ClientMessage::Pong { .. } => return Next::Continue,
        };
        if sink.send(Message::Text(reply.into())).await.is_err() {
            return Next::Close(1000, String::new());
        }
        Next::Continue
    }

    /// What the connection's operations share: fresh DataLoaders and the caller as of now.
    fn operation_data(&self) -> Arc<Data> {
        let mut data = Data::default();
        data.insert(loaders::Loaders::new(&self.endpoint.state.db));
        if let Some(caller) = &self.session {
            data.insert(caller.clone());
        }
        Arc::new(data)
    }

    /// Signs the connection in with `token`: `Ok(false)` for a token that is not (or no
    /// longer) live, `Err` when the lookup failed (logged).
    async fn sign_in(&mut self, token: String) -> Result<bool, ()> {
        let sessions = self.endpoint.state.sessions.clone();
        let ends_seen = sessions.ends_seen();
        let Some(caller) = look_up(&self.endpoint.state, &token).await? else {
            return Ok(false);
        };
        let watch = sessions.watch(caller.session.session_id);
        // A session that ended between the lookup and the watch would go unheard: if any
        // ended meanwhile, look again (rare: only while a logout happens; the end was dropped
        // from the session cache before `ends_seen` moved, so this reaches the database).
        if sessions.ends_seen() != ends_seen
            && look_up(&self.endpoint.state, &token).await?.is_none()
        {
            return Ok(false);
        }
        self.session = Some(caller);
        self.token = Some(token);
        self.watch = Some(watch);
        Ok(true)
    }

    /// Whether the connection's token is still good; `true` for anonymous connections and when
    /// the database cannot tell right now (the next check asks again: a failed lookup is not
    /// a signed-out caller).
    async fn still_signed_in(&mut self) -> bool {
        let (Some(token), Some(_)) = (&self.token, &self.session) else {
            return true;
        };
        // From the database: the ping's check is the backstop for a session removed behind
        // the server's back, which the cache would hide until its TTL ran out.
        let found = caller::look_up_afresh(&self.endpoint.state.accounts, token).await;
        !matches!(found, Ok(None))
    }

    /// A result of one operation, the way the protocol carries results.
    fn result_message(&self, id: &str, response: &Response) -> String {
        result_text(self.result_kind(), id, response)
    }

    fn result_kind(&self) -> &'static str {
        match self.protocol {
            Protocols::GraphQLWS => "next",
            Protocols::SubscriptionsTransportWS => "data",
        }
    }

    /// An error for one operation, the way the protocol carries results.
    fn error_message(&self, id: &str, code: &str, message: &str) -> String {
        json!({
            "type": self.result_kind(),
            "id": id,
            "payload": { "errors": [{ "message": message, "extensions": { "code": code } }] },
        })
        .to_string()
    }
}

/// The live session of `token`; `Err` when the lookup failed (logged).
async fn look_up(state: &AppState, token: &str) -> Result<Option<Caller>, ()> {
    caller::look_up(&state.accounts, token)
        .await
        .map_err(|_| ())
}

/// Completes when the watched session ends; never without one.
async fn ended(watch: Option<&SessionWatch>) {
    match watch {
        Some(watch) => watch.ended().await,
        None => std::future::pending().await,
    }
}

fn session_ended() -> (u16, String) {
    (close::SESSION_ENDED, "Session ended".to_owned())
}

/// When a token that expires at `expires_at` stops working, as a timer deadline.
fn deadline(expires_at: chrono::DateTime<chrono::Utc>) -> Instant {
    let left = (expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    // Far beyond any token lifetime when the sum overflows.
    Instant::now()
        .checked_add(left)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 86_400))
}

/// The close frame that answers a read error: the client learns what it did wrong (a message
/// over the limit, in one frame or in fragments; a frame the protocol forbids; text that is not
/// UTF-8) instead of a close without a code. `None` when the connection itself is gone.
fn refusal_of(err: &axum::Error) -> Option<(u16, String)> {
    use tungstenite::error::{Error, ProtocolError};
    let err = std::error::Error::source(err)?.downcast_ref::<Error>()?;
    match err {
        Error::Capacity(_) => Some((close::TOO_BIG, "Message too big".to_owned())),
        Error::Utf8(_) => Some((close::INVALID_DATA, "Text is not UTF-8".to_owned())),
        Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        Error::Protocol(_) => Some((close::PROTOCOL, "Protocol error".to_owned())),
        _ => None,
    }
}

/// What serde writes for a [`ServerMessage`] with this payload, by the writer every answer
/// goes through: page nodes carry JSON written ahead, which only it knows (see
/// `graphql::response_json`).
fn result_text(kind: &str, id: &str, response: &Response) -> String {
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"type\":");
    response_json::write_str(&mut out, kind);
    out.extend_from_slice(b",\"id\":");
    response_json::write_str(&mut out, id);
    out.extend_from_slice(b",\"payload\":");
    response_json::write_response(&mut out, response, true);
    out.push(b'}');
    String::from_utf8(out).expect("BUG: the JSON writer writes UTF-8")
}

fn complete_message(id: &str) -> String {
    ServerMessage {
        kind: "complete",
        id: Some(id),
        payload: None,
    }
    .text()
}

/// A `subscribe` payload's `documentId` (a persisted document named by id), which
/// async-graphql's message type does not read. Only messages that mention it are read twice.
fn document_id(message: &[u8]) -> Option<DocumentId> {
    #[derive(serde::Deserialize)]
    struct Message {
        payload: Payload,
    }
    #[derive(serde::Deserialize)]
    struct Payload {
        #[serde(rename = "documentId")]
        document_id: Option<String>,
    }
    const KEY: &[u8] = b"documentId";
    if !message.windows(KEY.len()).any(|window| window == KEY) {
        return None;
    }
    let message: Message = serde_json::from_slice(message).ok()?;
    message
        .payload
        .document_id
        .filter(|id| !id.is_empty())
        .map(DocumentId)
}

/// `Bearer …` under the payload's `authorization` key, matched without regard to case.
fn token_in_payload(payload: &Value) -> Option<String> {
    payload
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str())
        .and_then(bearer_token)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use async_graphql::{Name, ServerError, Value, indexmap::IndexMap};

    use super::*;

    #[test]
    fn a_result_is_written_as_serde_writes_the_message() {
        let mut node = IndexMap::new();
        node.insert(Name::new("id"), Value::String("0190 \"x\"".into()));
        node.insert(Name::new("status"), Value::Enum(Name::new("PENDING")));
        let mut data = IndexMap::new();
        data.insert(Name::new("videoPromptUpdated"), Value::Object(node));
        let mut response = Response::new(Value::Object(data));
        response.errors.push(ServerError::new("Nope", None));
        let failed = Response::from_errors(vec![ServerError::new("Bad.", None)]);
        for response in [response, failed, Response::new(Value::Null)] {
            for kind in ["next", "data"] {
                let serde = ServerMessage {
                    kind,
                    id: Some("op-1\n"),
                    payload: Some(&response),
                }
                .text();
                assert_eq!(result_text(kind, "op-1\n", &response), serde);
            }
        }
    }
}
