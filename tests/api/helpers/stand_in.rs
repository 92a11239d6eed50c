//! A server whose Gemini is the in-process stand-in, and what the stand-in was asked.

use std::time::Duration;

use testkit::eventually;
use videoprompt::{
    config::ServeArgs,
    gemini::{StandIn, StandInConfig, stand_in::RecordedRequest},
};

use crate::helpers::{Backend, TestApp};

/// A server whose Gemini is a fresh stand-in; `configure` may change the server's settings.
pub async fn app_with_stand_in(
    backend: Backend,
    configure: impl FnOnce(&mut ServeArgs),
) -> Option<(TestApp, StandIn)> {
    let stand_in = StandIn::spawn(StandInConfig::default()).await.unwrap();
    let base_url = stand_in.base_url();
    let app = TestApp::spawn_with(backend, |args| {
        args.gemini.gemini_base_url = base_url;
        // Retries without long waits; the stand-in's own retry delay (1 s) still applies.
        args.jobs.retry_base_delay = Duration::from_millis(20);
        configure(args);
    })
    .await?;
    Some((app, stand_in))
}

/// The generation calls (streamed or not) the stand-in has received.
pub fn generation_calls(stand_in: &StandIn) -> Vec<RecordedRequest> {
    stand_in
        .requests()
        .into_iter()
        .filter(|r| {
            r.path.contains(":streamGenerateContent") || r.path.contains(":generateContent")
        })
        .collect()
}

/// Waits until the stand-in has received `n` generation calls in all: a call is then in flight.
pub async fn until_generation_calls(stand_in: &StandIn, n: usize) {
    eventually(
        format_args!("the stand-in has got {n} generation calls"),
        async || generation_calls(stand_in).len() >= n,
    )
    .await;
}

/// Waits until the stand-in holds no uploaded file (its deletion may trail the record's end).
pub async fn until_no_files_held(stand_in: &StandIn) {
    eventually("the stand-in holds no files", async || {
        stand_in.files_held() == 0
    })
    .await;
}
