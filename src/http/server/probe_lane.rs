//! The probe lane: a few connections over the cap that serve only the health probes.
//!
//! A load balancer must keep seeing `/healthz` answer while the cap is reached (else it takes
//! a merely busy instance out, or restarts it), and a client must learn it should come back
//! later rather than hang. Every connection over the cap lands here with a short header
//! deadline and one request; when the lane is full the oldest connection in it is closed, so a
//! flood of idle sockets cannot keep a probe out for longer than it takes to send its request.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
};

use axum::{
    Router,
    body::Body,
    http::{HeaderValue, Method, Request, Response, StatusCode, Version, header},
};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::error::code;

/// What a refused client is told to wait before it tries again, in seconds.
const RETRY_AFTER_SECONDS: u32 = 5;

/// The paths a probe connection serves.
const PROBE_PATHS: [&str; 2] = ["/healthz", "/readyz"];

pub struct ProbeLane {
    capacity: usize,
    entries: Arc<Mutex<Lane>>,
}

#[derive(Default)]
struct Lane {
    next_id: u64,
    open: VecDeque<(u64, CancellationToken)>,
}

impl ProbeLane {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Arc::default(),
        }
    }

    /// Takes a place in the lane, closing the oldest connection when it is full; `None` when
    /// the lane has no places at all.
    pub fn admit(&self) -> Option<Entry> {
        if self.capacity == 0 {
            return None;
        }
        let mut lane = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        while lane.open.len() >= self.capacity {
            if let Some((_, oldest)) = lane.open.pop_front() {
                oldest.cancel();
            }
        }
        let id = lane.next_id;
        lane.next_id += 1;
        let evicted = CancellationToken::new();
        lane.open.push_back((id, evicted.clone()));
        Some(Entry {
            id,
            evicted,
            lane: self.entries.clone(),
        })
    }
}

/// A connection's place in the probe lane, given back when it is dropped.
pub struct Entry {
    id: u64,
    evicted: CancellationToken,
    lane: Arc<Mutex<Lane>>,
}

impl Entry {
    /// Cancelled when a newer connection takes this one's place.
    pub fn evicted(&self) -> CancellationToken {
        self.evicted.clone()
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let mut lane = self.lane.lock().unwrap_or_else(PoisonError::into_inner);
        lane.open.retain(|(id, _)| *id != self.id);
    }
}

/// Serves a probe through the router; answers anything else with 503. HTTP/1 answers close the
/// connection, so the place is free again at once.
pub async fn answer(router: Router, request: Request<Body>) -> Response<Body> {
    let version = request.version();
    let is_probe = matches!(*request.method(), Method::GET | Method::HEAD)
        && PROBE_PATHS.contains(&request.uri().path());
    let mut response = if is_probe {
        router
            .oneshot(request)
            .await
            .unwrap_or_else(|err| match err {})
    } else {
        overloaded()
    };
    if version < Version::HTTP_2 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// 503 with a GraphQL-shaped error, so a client shows the message and its code.
fn overloaded() -> Response<Body> {
    let body = json!({
        "errors": [{
            "message": "The server has too many open connections; try again in a few seconds.",
            "extensions": { "code": code::SERVICE_UNAVAILABLE },
        }]
    });
    Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::RETRY_AFTER, RETRY_AFTER_SECONDS)
        .body(Body::from(body.to_string()))
        .expect("BUG: a static response is valid")
}
