//! The HTTP server loop: accepting connections, and the deadlines and cap that keep idle or
//! slow clients from holding the process's descriptors.
//!
//! `axum::serve` sets no deadline and no cap; this loop serves the same router through
//! hyper-util's auto builder (HTTP/1.1, HTTP/2 with prior knowledge, upgrades) and adds:
//!
//! - a header deadline, an idle keep-alive deadline (`activity`), and a pace for request bodies
//!   (`body_rate`);
//! - a cap on open connections. A connection holds its slot in its socket, so an upgraded
//!   WebSocket keeps counting against the cap until it closes;
//! - a small probe lane over the cap (`probe_lane`): while the cap is reached, `/healthz` and
//!   `/readyz` still answer, everything else gets 503 + `Retry-After`, and a full lane closes
//!   its oldest connection to make room;
//! - graceful shutdown: no new connections, idle ones close, requests in flight finish.
//!
//! Requests carry `ConnectInfo<SocketAddr>` (the peer), as with
//! `into_make_service_with_connect_info::<SocketAddr>()`.

mod activity;
mod body_rate;
pub mod descriptors;
mod probe_lane;

use std::{
    convert::Infallible,
    future::Future,
    io,
    net::SocketAddr,
    pin::{Pin, pin},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, body::Body, extract::ConnectInfo, http::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::ServiceExt;

use activity::{Activity, Deadlines};
pub use body_rate::{BodyRules, BodyTooSlow};
use body_rate::{PacedBody, TrackedBody};
use probe_lane::ProbeLane;

/// How the server treats its connections.
#[derive(Debug, Clone, Copy)]
pub struct ServerConfig {
    pub header_timeout: Duration,
    pub keep_alive_timeout: Duration,
    pub body: BodyRules,
    pub max_connections: usize,
    pub probe_connections: usize,
}

/// A probe connection gets its headers due sooner than a normal one: it is a slot over the cap,
/// and a health checker sends its request at once.
const PROBE_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// After its deadline, an idle connection is asked to close (HTTP/2: GOAWAY); one that has not
/// closed after this, with still nothing in flight, is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// HTTP/2 pings find a peer that vanished while it holds a stream open (the idle deadline
/// handles one that is alive but silent).
const HTTP2_PING_INTERVAL: Duration = Duration::from_secs(20);
const HTTP2_PING_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight
/// finish. Returns when every connection has closed (upgraded WebSockets run on by themselves,
/// as with `axum::serve`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let server = Arc::new(Server::new(router, config));
    let connections = TaskTracker::new();
    let stopping = CancellationToken::new();
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    // Small writes (subscription frames, streamed answers) go out at once
                    // instead of waiting for the client's delayed ACK.
                    let _ = tcp.set_nodelay(true);
                    server.dispatch(tcp, peer, &connections, &stopping);
                }
                Err(err) => accept_failed(err).await,
            },
        }
    }
    // New connections are refused from here on.
    drop(listener);
    stopping.cancel();
    connections.close();
    connections.wait().await;
}

struct Server {
    router: Router,
    builder: Builder<TokioExecutor>,
    config: ServerConfig,
    slots: Arc<Semaphore>,
    probes: ProbeLane,
    /// When the cap was last reported as reached (seconds since start), so a flood logs once
    /// in a while rather than once per connection.
    last_full_warning: AtomicU64,
    started: tokio::time::Instant,
}

impl Server {
    fn new(router: Router, config: ServerConfig) -> Self {
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            // Our watchdog keeps the header deadline: hyper's would also run while the
            // connection is idle, and would make the keep-alive timeout the header timeout.
            .header_read_timeout(None)
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            // The CONNECT protocol carries WebSockets over HTTP/2.
            .enable_connect_protocol()
            .keep_alive_interval(HTTP2_PING_INTERVAL)
            .keep_alive_timeout(HTTP2_PING_TIMEOUT);
        Self {
            router,
            builder,
            config,
            slots: Arc::new(Semaphore::new(config.max_connections.max(1))),
            probes: ProbeLane::new(config.probe_connections),
            last_full_warning: AtomicU64::new(u64::MAX),
            started: tokio::time::Instant::now(),
        }
    }

    fn dispatch(
        self: &Arc<Self>,
        tcp: TcpStream,
        peer: SocketAddr,
        connections: &TaskTracker,
        stopping: &CancellationToken,
    ) {
        let stopping = stopping.clone();
        match self.slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let deadlines = Deadlines {
                    header: self.config.header_timeout,
                    idle: self.config.keep_alive_timeout,
                };
                let server = self.clone();
                connections.spawn(async move {
                    server
                        .serve_connection(tcp, peer, Some(slot), deadlines, stopping, None)
                        .await;
                });
            }
            Err(_) => {
                self.warn_full();
                let Some(entry) = self.probes.admit() else {
                    // No probe lane: refuse by closing at once.
                    return;
                };
                let deadlines = Deadlines {
                    header: self.config.header_timeout.min(PROBE_HEADER_TIMEOUT),
                    // One request per probe connection.
                    idle: Duration::ZERO,
                };
                let server = self.clone();
                connections.spawn(async move {
                    let evicted = entry.evicted();
                    server
                        .serve_connection(tcp, peer, None, deadlines, stopping, Some(evicted))
                        .await;
                    drop(entry);
                });
            }
        }
    }

    fn warn_full(&self) {
        let now = self.started.elapsed().as_secs();
        let last = self.last_full_warning.load(Ordering::Relaxed);
        if (last == u64::MAX || now >= last + 10)
            && self
                .last_full_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                max_connections = self.config.max_connections,
                "the connection cap is reached; new connections get only the health probes \
                 (--max-connections)"
            );
        }
    }

    /// Serves one connection until it closes, its deadline passes, or it is evicted.
    async fn serve_connection(
        &self,
        tcp: TcpStream,
        peer: SocketAddr,
        slot: Option<OwnedSemaphorePermit>,
        deadlines: Deadlines,
        stopping: CancellationToken,
        evicted: Option<CancellationToken>,
    ) {
        let probe_only = slot.is_none();
        let activity = Activity::new(deadlines);
        let io = TokioIo::new(TrackedStream {
            tcp,
            activity: activity.clone(),
            _slot: slot,
        });
        let router = self.router.clone();
        let body_rules = self.config.body;
        let service = hyper::service::service_fn({
            let activity = activity.clone();
            move |request: Request<Incoming>| {
                let http2 = request.version() == hyper::Version::HTTP_2;
                if http2 && request.method() == hyper::Method::CONNECT {
                    activity.stream_upgraded();
                }
                let guard = activity.request_started(http2);
                let mut request = request.map(|body| Body::new(PacedBody::new(body, body_rules)));
                request.extensions_mut().insert(ConnectInfo(peer));
                let router = router.clone();
                async move {
                    let response = if probe_only {
                        probe_lane::answer(router, request).await
                    } else {
                        router
                            .oneshot(request)
                            .await
                            .unwrap_or_else(|err| match err {})
                    };
                    Ok::<_, Infallible>(
                        response.map(|body| Body::new(TrackedBody::new(body, guard))),
                    )
                }
            }
        });
        let evicted = evicted.unwrap_or_default();
        let mut connection = pin!(self.builder.serve_connection_with_upgrades(io, service));
        let mut expired = pin!(activity.expired());
        let mut closing = false;
        let mut grace_over = false;
        let mut shutting_down = false;
        let close_after = tokio::time::sleep(Duration::MAX);
        let mut close_after = pin!(close_after);
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(%peer, error = %err, "connection ended with an error");
                    }
                    break;
                }
                () = &mut expired, if !closing => {
                    tracing::debug!(%peer, "connection deadline passed; closing it");
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                    close_after.as_mut().reset(tokio::time::Instant::now() + CLOSE_GRACE);
                }
                // Still open: a client half way through its headers (HTTP/1) or frames (HTTP/2).
                // A request that began meanwhile is let finish.
                () = &mut close_after, if closing && !grace_over => {
                    grace_over = true;
                    if !activity.is_busy() {
                        break;
                    }
                }
                () = stopping.cancelled(), if !shutting_down => {
                    connection.as_mut().graceful_shutdown();
                    shutting_down = true;
                }
                () = evicted.cancelled() => {
                    tracing::debug!(%peer, "probe connection evicted for a newer one");
                    break;
                }
            }
        }
    }
}

/// Errors of one connection (a client that reset before `accept`) are not the listener's.
async fn accept_failed(err: io::Error) {
    match err.kind() {
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset => {}
        _ => {
            // Out of descriptors, most likely (the cap is set above the limit): wait a little
            // so the loop does not spin, as `axum::serve` does.
            tracing::error!(error = %err, "accepting a connection failed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A client socket that tells its connection's watchdog when bytes arrive, and holds the
/// connection's slot under the cap for as long as it is open (upgraded or not).
struct TrackedStream {
    tcp: TcpStream,
    activity: Arc<Activity>,
    _slot: Option<OwnedSemaphorePermit>,
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.tcp).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}
