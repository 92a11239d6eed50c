//! Connection deadlines and the connection cap, seen from raw sockets: a client that sends
//! nothing, trickles its headers, stalls its body or idles on a kept-alive connection is cut
//! off; an honest slow body is answered; with the cap reached, the probes still answer and
//! other requests get a clear 503.
//!
//! Every deadline set here is small and every wait for the server is generous: the tests assert
//! that the server closed a socket within a bound, never that it waited at least some time.

use std::time::Duration;

use serde_json::{Value, json};
use testkit::{WsClient, eventually};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::Instant,
};

use crate::helpers::{Backend, TestApp};

/// How long a test waits for the server to close a socket whose deadline is about a second.
const CLOSE_BOUND: Duration = Duration::from_secs(20);

/// Reads until the server closes the socket (EOF or reset); `None` if it is still open at
/// `deadline`. Returns what was read.
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + bound;
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Writes `chunks` one by one with `pause` between them, while watching for the server to
/// close the socket; `Some` with what was read once it closed, `None` if it stayed open
/// through all the chunks and `bound` after them.
async fn trickle(
    stream: &mut TcpStream,
    chunks: impl IntoIterator<Item = Vec<u8>>,
    pause: Duration,
    bound: Duration,
) -> Option<Vec<u8>> {
    let (mut reader, mut writer) = stream.split();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    for chunk in chunks {
        if writer.write_all(&chunk).await.is_err() {
            // The server closed (a reset shows up on the write).
            return Some(received);
        }
        let wait = tokio::time::sleep(pause);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                () = &mut wait => break,
                read = reader.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return Some(received),
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                },
            }
        }
    }
    let deadline = Instant::now() + bound;
    loop {
        match tokio::time::timeout_at(deadline, reader.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// A response read off a raw socket.
#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn parse(bytes: &[u8]) -> Option<Self> {
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&bytes[..end]).ok()?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        Some(Self {
            status,
            headers,
            body: bytes[end + 4..].to_vec(),
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!("not JSON ({err}): {}", String::from_utf8_lossy(&self.body))
        })
    }
}

/// Sends one request with `Connection: close` on a new socket and reads the whole answer.
async fn one_request(app: &TestApp, request: &str) -> RawResponse {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let bytes = read_until_closed(&mut stream, CLOSE_BOUND)
        .await
        .expect("the server neither answered nor closed");
    RawResponse::parse(&bytes)
        .unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(&bytes)))
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
}

fn post_graphql(body: &str) -> String {
    format!(
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

const TYPENAME: &str = r#"{"query":"{ __typename }"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_is_closed_by_the_header_deadline() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.connections.header_timeout = Duration::from_secs(1);
    })
    .await
    .unwrap();
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let received = read_until_closed(&mut stream, CLOSE_BOUND).await;
    assert!(received.is_some(), "a socket that sent nothing stayed open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_sent_a_line_at_a_time_are_cut_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.connections.header_timeout = Duration::from_secs(1);
    })
    .await
    .unwrap();
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    // A line every 100 ms for up to 40 s: each line arrives long before the deadline, but the
    // headers never end.
    let lines = std::iter::once(b"GET /healthz HTTP/1.1\r\n".to_vec())
        .chain((0..400).map(|i| format!("X-Slow-{i}: 1\r\n").into_bytes()));
    let closed = trickle(&mut stream, lines, Duration::from_millis(100), CLOSE_BOUND).await;
    assert!(closed.is_some(), "trickled headers kept the socket open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_half_way_is_cut_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.connections.body_read_timeout = Duration::from_secs(1);
    })
    .await
    .unwrap();
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{\"query\":\"{ __typename",
        )
        .await
        .unwrap();
    let received = read_until_closed(&mut stream, CLOSE_BOUND)
        .await
        .expect("a stalled body kept the socket open");
    let response = RawResponse::parse(&received).expect("no answer before the close");
    assert_eq!(response.status, 408, "{response:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_the_minimum_rate_is_cut_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        // Each byte comes well within the gap allowed; the average rate is what fails.
        args.connections.body_read_timeout = Duration::from_secs(30);
        args.connections.body_min_rate = 1024;
        args.connections.body_rate_grace = Duration::from_secs(1);
    })
    .await
    .unwrap();
    let body = format!("{TYPENAME}{}", " ".repeat(2000));
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    // 20 bytes per second: a slot held for almost two minutes if nothing stopped it.
    let chunks = std::iter::once(head.into_bytes()).chain(body.bytes().map(|b| vec![b]));
    let received = trickle(&mut stream, chunks, Duration::from_millis(50), CLOSE_BOUND)
        .await
        .expect("a body at 20 bytes per second kept the socket open");
    // The client may still be writing when the answer comes, so the close can reset it first.
    if let Some(response) = RawResponse::parse(&received) {
        assert_eq!(response.status, 408, "{response:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_but_steady_body_is_answered() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        // Margins of 50x on the gap and of about 20x on the rate.
        args.connections.body_read_timeout = Duration::from_secs(5);
        args.connections.body_min_rate = 16;
        args.connections.body_rate_grace = Duration::from_secs(1);
    })
    .await
    .unwrap();
    let body = format!("{TYPENAME}{}", " ".repeat(600));
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let chunks = std::iter::once(head.into_bytes()).chain(
        body.as_bytes()
            .chunks(30)
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>(),
    );
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    // About 300 bytes per second over two seconds.
    let received = trickle(&mut stream, chunks, Duration::from_millis(100), CLOSE_BOUND)
        .await
        .expect("the server neither answered nor closed");
    let response = RawResponse::parse(&received)
        .unwrap_or_else(|| panic!("no answer: {:?}", String::from_utf8_lossy(&received)));
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        response.json(),
        json!({ "data": { "__typename": "Query" } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        // The header deadline is far off: only the keep-alive deadline can close it.
        args.connections.header_timeout = Duration::from_secs(120);
        args.connections.keep_alive_timeout = Duration::from_secs(1);
    })
    .await
    .unwrap();
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let received = read_until_closed(&mut stream, CLOSE_BOUND)
        .await
        .expect("an idle kept-alive connection stayed open");
    let response = RawResponse::parse(&received).expect("no answer before the close");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json(), json!({ "status": "ok" }));
}

/// An HTTP/2 frame: length, type, flags, stream id, payload.
fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut frame = vec![len[1], len[2], len[3], kind, flags];
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// The (type, stream) of each whole frame in what a server sent after the preface.
fn h2_frames(mut bytes: &[u8]) -> Vec<(u8, u32)> {
    let mut frames = Vec::new();
    while bytes.len() >= 9 {
        let len = usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
        let stream = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]) & 0x7fff_ffff;
        frames.push((bytes[3], stream));
        bytes = &bytes[(9 + len).min(bytes.len())..];
    }
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http2_prior_knowledge_connection_is_closed() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.connections.header_timeout = Duration::from_secs(120);
        args.connections.keep_alive_timeout = Duration::from_secs(1);
    })
    .await
    .unwrap();
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend(h2_frame(0x4, 0, 0, &[])); // SETTINGS
    hello.extend(h2_frame(0x4, 0x1, 0, &[])); // SETTINGS ACK (for the server's)
    // GET /healthz, http: HPACK static entries :method GET (2), :scheme http (6), and :path as
    // a literal with the static name 4.
    let mut block = vec![0x82, 0x86, 0x44, 8];
    block.extend_from_slice(b"/healthz");
    hello.extend(h2_frame(0x1, 0x4 | 0x1, 1, &block)); // HEADERS, END_HEADERS | END_STREAM
    stream.write_all(&hello).await.unwrap();
    let received = read_until_closed(&mut stream, CLOSE_BOUND)
        .await
        .expect("an idle HTTP/2 connection stayed open");
    let frames = h2_frames(&received);
    assert!(
        frames.contains(&(0x1, 1)),
        "the request was answered before the close: {frames:?}"
    );
    assert!(
        frames.iter().any(|&(kind, _)| kind == 0x7),
        "the server said GOAWAY: {frames:?}"
    );
}

crate::both_backends! {
    configure: |args| {
        args.connections.max_connections = Some(20);
        args.connections.probe_connections = 4;
        args.connections.header_timeout = Duration::from_secs(120);
    };
    async fn with_the_cap_reached_probes_answer_and_other_requests_are_refused(app) {
        let mut idle = Vec::new();
        for _ in 0..20 {
            idle.push(TcpStream::connect(app.addr).await.unwrap());
        }
        // Connections are accepted in order: these come after the 20 idle ones.
        for path in ["/healthz", "/readyz"] {
            let probe = one_request(&app, &get(path)).await;
            assert_eq!(probe.status, 200, "{path}: {probe:?}");
            assert_eq!(probe.json()["status"], "ok", "{path}");
        }
        let refused = one_request(&app, &post_graphql(TYPENAME)).await;
        assert_eq!(refused.status, 503, "{refused:?}");
        assert!(refused.header("retry-after").is_some(), "{refused:?}");
        assert_eq!(refused.header("connection"), Some("close"), "{refused:?}");
        let body = refused.json();
        assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "{body}");

        drop(idle);
        // The server notices the closed sockets on its own time: ask until it has.
        let response = eventually("a request is answered after the idle sockets closed", async || {
            let response = one_request(&app, &post_graphql(TYPENAME)).await;
            assert!(matches!(response.status, 200 | 503), "{response:?}");
            (response.status == 200).then_some(response)
        })
        .await;
        assert_eq!(response.json(), json!({ "data": { "__typename": "Query" } }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_probe_lane_still_answers_a_probe() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.connections.max_connections = Some(2);
        args.connections.probe_connections = 2;
        args.connections.header_timeout = Duration::from_secs(120);
    })
    .await
    .unwrap();
    // The cap and the whole probe lane held by sockets that send nothing.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(app.addr).await.unwrap());
    }
    let probe = one_request(&app, &get("/healthz")).await;
    assert_eq!(probe.status, 200, "{probe:?}");
    // The oldest socket of the lane made room for the probe.
    let evicted = read_until_closed(&mut idle[2], CLOSE_BOUND).await;
    assert!(
        evicted.is_some(),
        "the oldest probe connection was not closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgraded_websockets_count_against_the_cap() {
    let app = TestApp::spawn_with(Backend::Sqlite, |args| {
        args.connections.max_connections = Some(2);
    })
    .await
    .unwrap();
    let mut first = WsClient::connect(&app, "graphql-transport-ws", None).await;
    first.init(json!({})).await;
    let mut second = WsClient::connect(&app, "graphql-transport-ws", None).await;
    second.init(json!({})).await;
    let refused = one_request(&app, &post_graphql(TYPENAME)).await;
    assert_eq!(refused.status, 503, "{refused:?}");

    drop(first);
    eventually(
        "a request is answered after a WebSocket closed",
        async || one_request(&app, &post_graphql(TYPENAME)).await.status == 200,
    )
    .await;
    drop(second);
}
