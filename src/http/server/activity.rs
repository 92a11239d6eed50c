//! What one connection is doing, and when it has waited too long without a request.
//!
//! hyper's own `header_read_timeout` starts when it begins to wait for a request's head, which
//! on a kept-alive connection is the idle time too, and it never runs while hyper-util's auto
//! builder is still sniffing the protocol (a socket that sends nothing stays open forever). So
//! the connection task keeps its own watchdog with three phases:
//!
//! - *awaiting headers* (a new connection, or the first byte of the next HTTP/1 request has
//!   arrived): closed after the header timeout;
//! - *idle* (kept alive, nothing in flight, nothing sent): closed after the keep-alive timeout;
//! - *busy* (a request is being served or its response streamed): no deadline here; the body
//!   rules (`body_rate`) bound a slow request body.
//!
//! On HTTP/2 the client's frames between requests (PING, SETTINGS, WINDOW_UPDATE) are not the
//! start of a request, so an idle HTTP/2 connection stays idle until it opens a stream.

use std::{
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::{sync::Notify, time::Instant};

/// The deadlines of a connection's lane.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub header: Duration,
    pub idle: Duration,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    AwaitingHeaders(Instant),
    Idle(Instant),
    Busy,
}

#[derive(Debug)]
struct State {
    in_flight: usize,
    phase: Phase,
    http2: bool,
    /// An HTTP/2 stream was upgraded (a WebSocket over extended CONNECT): its response ended
    /// but the stream lives on, and hyper does not say when it closes.
    upgraded_stream: bool,
}

/// Shared by the connection's socket (bytes read), its service (requests started and finished)
/// and its task (the watchdog).
#[derive(Debug)]
pub struct Activity {
    state: Mutex<State>,
    changed: Notify,
    deadlines: Deadlines,
}

impl Activity {
    /// A connection just accepted: its headers are due from now.
    pub fn new(deadlines: Deadlines) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                in_flight: 0,
                phase: Phase::AwaitingHeaders(Instant::now()),
                http2: false,
                upgraded_stream: false,
            }),
            changed: Notify::new(),
            deadlines,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is one assignment.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The socket read some bytes. On an idle HTTP/1 connection they begin the next request,
    /// whose headers are then due within the header timeout.
    pub fn bytes_read(&self) {
        let mut state = self.state();
        if let Phase::Idle(_) = state.phase
            && !state.http2
        {
            state.phase = Phase::AwaitingHeaders(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    /// A request's headers were read; the guard ends it when its response is done or dropped.
    pub fn request_started(self: &Arc<Self>, http2: bool) -> RequestGuard {
        let mut state = self.state();
        state.in_flight += 1;
        state.http2 |= http2;
        state.phase = Phase::Busy;
        drop(state);
        self.changed.notify_one();
        RequestGuard {
            activity: self.clone(),
        }
    }

    /// The connection carries an upgraded HTTP/2 stream: it stays busy (no idle deadline)
    /// until it closes; the HTTP/2 pings still find a peer that vanished.
    pub fn stream_upgraded(&self) {
        let mut state = self.state();
        state.upgraded_stream = true;
        state.phase = Phase::Busy;
    }

    /// Whether a request is in flight (or an upgraded HTTP/2 stream open).
    pub fn is_busy(&self) -> bool {
        matches!(self.state().phase, Phase::Busy)
    }

    fn request_finished(&self) {
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 && !state.upgraded_stream {
            state.phase = Phase::Idle(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    /// Completes once the connection has waited past its deadline with nothing in flight.
    pub async fn expired(&self) {
        loop {
            let deadline = match self.state().phase {
                Phase::AwaitingHeaders(since) => Some(since + self.deadlines.header),
                Phase::Idle(since) => Some(since + self.deadlines.idle),
                Phase::Busy => None,
            };
            match deadline {
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

/// One request in flight on a connection.
#[derive(Debug)]
pub struct RequestGuard {
    activity: Arc<Activity>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.activity.request_finished();
    }
}
