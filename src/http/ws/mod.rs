//! GraphQL over WebSocket on `GET /graphql`: `graphql-transport-ws` and the legacy `graphql-ws`
//! (subscriptions-transport-ws) protocol.
//!
//! async-graphql's `WebSocket` speaks the protocols and runs the operations; this loop around it
//! adds what it lacks (DESIGN, pitfalls): the `connection_init` deadline (4408), sign-in by the
//! init payload or the upgrade request's `Authorization` header (a bad token closes 4403), pings
//! at an interval, a check of the token at each ping (a revoked or expired one ends the
//! subscriptions), a cap on subscriptions per connection, and each operation's DataLoaders.
//!
//! Back-pressure: when the client stops reading, sending blocks and the loop stops polling the
//! subscriptions; their hub receivers fall behind, and a receiver that falls too far behind
//! re-reads the current state once it is polled again. Memory stays bounded either way.

use std::{collections::HashSet, time::Duration};

use async_graphql::{
    Request,
    http::{
        ALL_WEBSOCKET_PROTOCOLS, ClientMessage, WebSocket as GraphqlWebSocket,
        WebSocketProtocols as Protocols, WsMessage,
    },
};
use axum::{
    extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
    http::{HeaderMap, header},
    response::Response as HttpResponse,
};
use futures_util::{SinkExt, StreamExt, stream::SplitSink};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::GraphqlEndpoint;
use crate::{
    auth::{Session, token::bearer_token},
    error::code,
    graphql::loaders,
    services::accounts,
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
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
    pub const INTERNAL: u16 = 1011;
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Client messages waiting for async-graphql's loop: it drains them each time it is polled, so
/// only a client flooding faster than that fills this; it is then closed.
const INBOX: usize = 256;

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
) -> HttpResponse {
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .map(str::to_owned);
    let upgrade = upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS);
    // A client naming no protocol gets the current one.
    let protocol = upgrade
        .selected_protocol()
        .and_then(|p| p.to_str().ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(Protocols::GraphQLWS);
    upgrade.on_upgrade(move |socket| async move {
        Connection {
            endpoint,
            protocol,
            header_token,
            token: None,
            session: None,
            initialised: false,
            active: HashSet::new(),
        }
        .run(socket)
        .await;
    })
}

struct Connection {
    endpoint: GraphqlEndpoint,
    protocol: Protocols,
    header_token: Option<String>,
    /// The token the connection signed in with (checked again at each ping).
    token: Option<String>,
    session: Option<Session>,
    initialised: bool,
    /// Ids of the operations running (the cap counts them).
    active: HashSet<String>,
}

/// What the loop does after a client message. Short-lived, one at a time: its size is no
/// concern worth a Box.
#[allow(clippy::large_enum_variant)]
enum Next {
    Continue,
    Forward(ClientMessage),
    Close(u16, String),
}

type Sink = SplitSink<WebSocket, Message>;

impl Connection {
    async fn run(mut self, socket: WebSocket) {
        let settings = self.endpoint.ws;
        let (mut sink, mut source) = socket.split();
        let (inbox, inbox_rx) = mpsc::channel(INBOX);
        let mut graphql = Box::pin(GraphqlWebSocket::from_message_stream(
            self.endpoint.schema.clone(),
            ReceiverStream::new(inbox_rx),
            self.protocol,
        ));
        let init_deadline = tokio::time::sleep(settings.init_timeout);
        tokio::pin!(init_deadline);
        let mut ping = tokio::time::interval_at(
            tokio::time::Instant::now() + settings.ping_interval,
            settings.ping_interval,
        );
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        let closing = loop {
            tokio::select! {
                incoming = source.next() => {
                    let bytes = match incoming {
                        Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
                        Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                    };
                    match self.on_client_message(&bytes, &mut sink).await {
                        Next::Continue => {}
                        Next::Forward(message) => {
                            if inbox.try_send(Ok(message)).is_err() {
                                break Some((close::TRY_AGAIN_LATER, "Too many messages.".to_owned()));
                            }
                        }
                        Next::Close(code, reason) => break Some((code, reason)),
                    }
                }
                outgoing = graphql.next() => match outgoing {
                    Some(WsMessage::Text(text)) => {
                        self.note_completion(&text);
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            break None;
                        }
                    }
                    Some(WsMessage::Close(code, reason)) => break Some((code, reason)),
                    None => break Some((1000, String::new())),
                },
                () = &mut init_deadline, if !self.initialised => {
                    break Some((close::INIT_TIMEOUT, "Connection initialisation timeout".to_owned()));
                }
                _ = ping.tick(), if self.initialised => {
                    let ping = match self.protocol {
                        Protocols::GraphQLWS => r#"{"type":"ping"}"#,
                        Protocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
                    };
                    if sink.send(Message::Text(ping.into())).await.is_err() {
                        break None;
                    }
                    if !self.still_signed_in().await {
                        for id in std::mem::take(&mut self.active) {
                            let error = self.error_message(&id, code::UNAUTHENTICATED,
                                "You are not signed in, or your session has expired.");
                            if sink.send(Message::Text(error.into())).await.is_err() {
                                break;
                            }
                            // async-graphql drops the stream and sends `complete`.
                            let _ = inbox.try_send(Ok(ClientMessage::Stop { id }));
                        }
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
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.initialised {
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
                    match accounts::authenticate(&self.endpoint.state, &token).await {
                        Ok(Some(session)) => {
                            self.session = Some(session);
                            self.token = Some(token);
                        }
                        Ok(None) => return Next::Close(close::FORBIDDEN, "Forbidden".into()),
                        Err(err) => {
                            let _ = async_graphql::Error::from(err); // logs the cause
                            return Next::Close(close::INTERNAL, "Internal server error".into());
                        }
                    }
                }
                // Without a token the connection is acknowledged; its subscriptions then
                // answer UNAUTHENTICATED (DESIGN).
                self.initialised = true;
                Next::Forward(ClientMessage::ConnectionInit { payload: None })
            }
            ClientMessage::Start { id, payload } => {
                if !self.initialised {
                    return Next::Close(close::UNAUTHORIZED, "Unauthorized".into());
                }
                if self.active.contains(&id) {
                    return Next::Close(
                        close::DUPLICATE_ID,
                        format!("Subscriber for {id} already exists"),
                    );
                }
                let limit = self.endpoint.ws.max_subscriptions;
                if self.active.len() >= limit {
                    let error = self.error_message(
                        &id,
                        code::RATE_LIMITED,
                        &format!(
                            "This connection already runs {limit} subscriptions, the most it may."
                        ),
                    );
                    let complete = json!({ "type": "complete", "id": id }).to_string();
                    for text in [error, complete] {
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            return Next::Close(1000, String::new());
                        }
                    }
                    return Next::Continue;
                }
                self.active.insert(id.clone());
                Next::Forward(ClientMessage::Start {
                    id,
                    payload: self.prepare(payload),
                })
            }
            ClientMessage::Stop { id } => {
                self.active.remove(&id);
                Next::Forward(ClientMessage::Stop { id })
            }
            ClientMessage::Pong { .. } => Next::Continue,
            other => Next::Forward(other),
        }
    }

    /// The operation's own data: the caller as of now and fresh DataLoaders.
    fn prepare(&self, mut request: Request) -> Request {
        loaders::add_to(&mut request.data, &self.endpoint.state.db);
        if let Some(session) = self.session {
            request.data.insert(session);
        }
        request
    }

    /// Forgets an operation async-graphql reports finished.
    fn note_completion(&mut self, text: &str) {
        if !text.starts_with(r#"{"type":"complete""#) {
            return;
        }
        #[derive(serde::Deserialize)]
        struct Complete {
            id: String,
        }
        if let Ok(Complete { id }) = serde_json::from_str(text) {
            self.active.remove(&id);
        }
    }

    /// Whether the connection's token is still good; `true` for anonymous connections and when
    /// the database cannot tell right now (the next ping asks again).
    async fn still_signed_in(&mut self) -> bool {
        let (Some(token), Some(_)) = (&self.token, self.session) else {
            return true;
        };
        match accounts::authenticate(&self.endpoint.state, token).await {
            Ok(Some(_)) => true,
            Ok(None) => {
                self.session = None;
                self.token = None;
                false
            }
            Err(err) => {
                let _ = async_graphql::Error::from(err); // logs the cause
                true
            }
        }
    }

    /// An error for one operation, the way the protocol carries results.
    fn error_message(&self, id: &str, code: &str, message: &str) -> String {
        let kind = match self.protocol {
            Protocols::GraphQLWS => "next",
            Protocols::SubscriptionsTransportWS => "data",
        };
        json!({
            "type": kind,
            "id": id,
            "payload": { "errors": [{ "message": message, "extensions": { "code": code } }] },
        })
        .to_string()
    }
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
