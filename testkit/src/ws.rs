//! A WebSocket client speaking graphql-transport-ws (or the legacy `graphql-ws` protocol) by
//! hand, over tokio-tungstenite: what the subscription tests see of the server, frame by frame.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::api::Api;

/// Longest wait for one message: a failure turns into a readable panic instead of a hang.
const WAIT: Duration = Duration::from_secs(30);

/// What the server sent.
#[derive(Debug)]
pub enum Incoming {
    Message(Value),
    Closed(Option<u16>),
}

/// A WebSocket client speaking graphql-transport-ws (or the legacy protocol) by hand.
pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Messages of other operations, read while waiting for one: operations finish in any order.
    held: Vec<Value>,
}

impl WsClient {
    /// Connects to `server`'s `/graphql` with `protocol` (`graphql-transport-ws` or the legacy
    /// `graphql-ws`) and, if any, the token as `Authorization: Bearer` on the upgrade request.
    pub async fn connect(server: &impl AsRef<Api>, protocol: &str, bearer: Option<&str>) -> Self {
        let authorization = bearer.map(|token| format!("Bearer {token}"));
        let headers: Vec<_> = authorization
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        Self::connect_with(server, protocol, &headers).await
    }

    /// Connects with these extra headers on the upgrade request.
    pub async fn connect_with(
        server: &impl AsRef<Api>,
        protocol: &str,
        extra: &[(&str, &str)],
    ) -> Self {
        let url = server
            .as_ref()
            .url("/graphql")
            .replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().unwrap();
        let headers = request.headers_mut();
        headers.insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(protocol).unwrap(),
        );
        for (name, value) in extra {
            let name =
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .unwrap();
            headers.insert(name, HeaderValue::from_str(value).unwrap());
        }
        let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            protocol,
            "the server picked the protocol asked for"
        );
        Self {
            ws,
            held: Vec::new(),
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    /// The next protocol message; server pings are answered and skipped.
    pub async fn recv(&mut self) -> Incoming {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("no message from the server in time");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    match message["type"].as_str() {
                        Some("ping") => self.send(json!({ "type": "pong" })).await,
                        Some("ka") => {}
                        _ => return Incoming::Message(message),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    return Incoming::Closed(frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Incoming::Closed(None),
            }
        }
    }

    pub async fn message(&mut self) -> Value {
        match self.recv().await {
            Incoming::Message(message) => message,
            Incoming::Closed(code) => panic!("closed ({code:?}) where a message was expected"),
        }
    }

    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Incoming::Closed(code) = self.recv().await {
                return code;
            }
        }
    }

    /// `connection_init` with `payload`; expects `connection_ack`.
    pub async fn init(&mut self, payload: Value) {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = self.message().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "type": "subscribe", "id": id,
                          "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next message of operation `id`; those of others are held for later.
    async fn message_of(&mut self, id: &str) -> Value {
        if let Some(at) = self.held.iter().position(|m| m["id"] == id) {
            return self.held.remove(at);
        }
        loop {
            let message = self.message().await;
            if message["id"] == id {
                return message;
            }
            self.held.push(message);
        }
    }

    /// Every `next` payload of operation `id` until its `complete`.
    pub async fn until_complete(&mut self, id: &str) -> Vec<Value> {
        let mut payloads = Vec::new();
        loop {
            let message = self.message_of(id).await;
            match message["type"].as_str() {
                Some("next" | "data") => payloads.push(message["payload"].clone()),
                Some("complete") => return payloads,
                _ => panic!("unexpected {message}"),
            }
        }
    }

    /// The next `next` payload of operation `id` (panics on its `complete`).
    pub async fn next_of(&mut self, id: &str) -> Value {
        let message = self.message_of(id).await;
        match message["type"].as_str() {
            Some("next" | "data") => message["payload"].clone(),
            _ => panic!("expected an event, got {message}"),
        }
    }
}
