//! The pace a request body must keep, and the response body that marks its request finished.
//!
//! A body may pause up to `read_timeout` between two reads, and once `grace` has passed it must
//! have arrived at `min_rate` bytes per second on average. Only the time spent waiting on the
//! client counts: a handler that reads slowly (spooling an upload to disk under load) does not
//! make an honest client fail. A body that breaks either rule ends with an error and its
//! connection is closed after the answer, so a stalled upload frees its descriptor.

use std::{
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};

use super::activity::RequestGuard;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The pace every request body must keep.
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    pub read_timeout: Duration,
    /// Bytes per second; 0 turns the rate rule off.
    pub min_rate: u64,
    pub grace: Duration,
}

/// The error a body that broke the rules ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
pub struct BodyTooSlow;

/// A request body held to `BodyRules`.
pub struct PacedBody {
    /// `None` once the body failed: dropping hyper's body tells it to close the connection.
    inner: Option<Incoming>,
    rules: BodyRules,
    received: u64,
    /// Time spent waiting on the client so far, the current wait excluded.
    waited: Duration,
    waiting_since: Option<Instant>,
    timer: Option<(Instant, Pin<Box<Sleep>>)>,
}

impl PacedBody {
    pub fn new(inner: Incoming, rules: BodyRules) -> Self {
        Self {
            inner: Some(inner),
            rules,
            received: 0,
            waited: Duration::ZERO,
            waiting_since: None,
            timer: None,
        }
    }

    /// When the wait that began at `since` breaks a rule.
    fn deadline(&self, since: Instant) -> Instant {
        let gap = self.rules.read_timeout;
        if self.rules.min_rate == 0 {
            return since + gap;
        }
        // Rate rule: fail once the total wait passes max(grace, received / min_rate).
        let earned = Duration::from_secs_f64(self.received as f64 / self.rules.min_rate as f64);
        let allowed = self.rules.grace.max(earned).saturating_sub(self.waited);
        since + gap.min(allowed)
    }
}

impl HttpBody for PacedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if let Some(since) = this.waiting_since.take() {
                    this.waited += since.elapsed();
                }
                if let Some(Ok(frame)) = &frame
                    && let Some(data) = frame.data_ref()
                {
                    this.received += data.len() as u64;
                }
                Poll::Ready(frame.map(|frame| frame.map_err(Into::into)))
            }
            Poll::Pending => {
                let since = *this.waiting_since.get_or_insert_with(Instant::now);
                let deadline = this.deadline(since);
                let timer = match &mut this.timer {
                    Some((at, timer)) => {
                        if *at != deadline {
                            timer.as_mut().reset(deadline);
                            *at = deadline;
                        }
                        timer
                    }
                    None => {
                        &mut this
                            .timer
                            .insert((deadline, Box::pin(tokio::time::sleep_until(deadline))))
                            .1
                    }
                };
                ready!(timer.as_mut().poll(cx));
                tracing::info!(
                    received = this.received,
                    "a request body arrived too slowly; closing the connection"
                );
                this.inner = None;
                Poll::Ready(Some(Err(BodyTooSlow.into())))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

/// A response body that ends its request (for the idle watchdog) when it is done or dropped.
pub struct TrackedBody {
    inner: Body,
    guard: Option<RequestGuard>,
}

impl TrackedBody {
    pub fn new(inner: Body, guard: RequestGuard) -> Self {
        Self {
            inner,
            guard: Some(guard),
        }
    }
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if frame.is_none() {
            self.guard = None;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
