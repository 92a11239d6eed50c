//! Frames a WebSocket client must not send are answered with a close frame that says why, never
//! by dropping the TCP connection: a message over the limit in fragments (1009, as for one
//! large frame), a continuation with no message begun or a new message inside a fragmented one
//! (1002), text that is not UTF-8 (1007). A raw tungstenite client sends the frames.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{
        Message,
        client::IntoClientRequest,
        http::HeaderValue,
        protocol::frame::{
            Frame,
            coding::{Data, OpCode},
        },
    },
};

use crate::{both_backends, helpers::TestApp};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn small_bodies(args: &mut videoprompt::config::ServeArgs) {
    args.graphql.body_limit = 8 * 1024;
}

/// An initialised connection.
async fn connect(app: &TestApp) -> Client {
    let mut request = format!("ws://{}/graphql", app.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws.send(Message::Text(
        json!({ "type": "connection_init" }).to_string().into(),
    ))
    .await
    .unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert_eq!(ack.to_text().unwrap(), r#"{"type":"connection_ack"}"#);
    ws
}

/// Sends `frames` (stopping if the server has closed meanwhile), then returns the code of the
/// server's close frame.
async fn close_code_after(app: &TestApp, frames: Vec<Frame>) -> u16 {
    let mut ws = connect(app).await;
    for frame in frames {
        if ws.send(Message::Frame(frame)).await.is_err() {
            // The server closed while the client was still sending: what it said is read below.
            break;
        }
    }
    let answer = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
                Some(Ok(Message::Close(None))) => panic!("a close frame without a code"),
                Some(Ok(_)) => {}
                Some(Err(err)) => panic!("the connection broke without a close frame: {err}"),
                None => panic!("the connection ended without a close frame"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), answer)
        .await
        .expect("no close frame in time")
}

fn fragment(data: &[u8], opcode: Data, is_final: bool) -> Frame {
    Frame::message(data.to_vec(), OpCode::Data(opcode), is_final)
}

/// `count` fragments of `size` bytes of text, the last one final.
fn fragments(size: usize, count: usize) -> Vec<Frame> {
    let chunk = vec![b'x'; size];
    (0..count)
        .map(|i| {
            let opcode = if i == 0 { Data::Text } else { Data::Continue };
            fragment(&chunk, opcode, i == count - 1)
        })
        .collect()
}

both_backends! {
    configure: small_bodies;

    async fn a_fragmented_message_over_the_limit_is_closed_with_1009(app) {
        // Each fragment under the 8 KiB limit, together over it: just over, and far over with
        // the client still sending when the server closes.
        assert_eq!(close_code_after(&app, fragments(3000, 3)).await, 1009);
        assert_eq!(close_code_after(&app, fragments(4096, 2000)).await, 1009);
        // A fragmented message under the limit is one message like any other.
        let mut ws = connect(&app).await;
        let ping = br#"{"type":"ping"}"#;
        for frame in [
            fragment(&ping[..5], Data::Text, false),
            fragment(&ping[5..], Data::Continue, true),
        ] {
            ws.send(Message::Frame(frame)).await.unwrap();
        }
        let pong = ws.next().await.unwrap().unwrap();
        assert_eq!(pong.to_text().unwrap(), r#"{"type":"pong"}"#);
    }

    async fn broken_frames_are_closed_with_a_code_not_dropped(app) {
        // A continuation frame with no message begun.
        let stray = vec![fragment(b"x", Data::Continue, true)];
        assert_eq!(close_code_after(&app, stray).await, 1002);
        // A new message while a fragmented one is unfinished.
        let interleaved = vec![
            fragment(b"{", Data::Text, false),
            fragment(b"{}", Data::Text, true),
        ];
        assert_eq!(close_code_after(&app, interleaved).await, 1002);
        // Text that is not UTF-8, whole and in fragments.
        let not_utf8 = vec![fragment(&[0xff, 0xfe], Data::Text, true)];
        assert_eq!(close_code_after(&app, not_utf8).await, 1007);
        let split = vec![
            fragment(b"{\"type\":", Data::Text, false),
            fragment(&[0xc3, 0x28], Data::Continue, true),
        ];
        assert_eq!(close_code_after(&app, split).await, 1007);
    }
}
