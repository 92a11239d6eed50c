//! Shared set-up: a stand-in on a random port, a client pointed at it, the fixture images.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use secrecy::SecretString;
use videoprompt::{
    domain::styles::{CameraStyle, FilmEffect},
    gemini::{
        GeminiClient, GeminiConfig, GeminiError, GenerationRequest, StandIn, StandInConfig,
        StreamEvent, stand_in::RecordedRequest,
    },
};

pub const KEY: &str = "test-key-1234";
pub const NOTES: &str = "Der rote Karren soll im Mittelpunkt stehen";

/// A stand-in whose files turn ACTIVE after a short delay (so polling is exercised).
pub async fn stand_in() -> StandIn {
    stand_in_with(StandInConfig {
        latency: Duration::ZERO,
        file_active_delay: Duration::from_millis(40),
        stream_duration: Duration::ZERO,
    })
    .await
}

pub async fn stand_in_with(config: StandInConfig) -> StandIn {
    StandIn::spawn(config)
        .await
        .expect("the stand-in could not start")
}

/// A client for the stand-in, with quick polling; `adjust` changes what a test needs.
pub fn client(stand_in: &StandIn, adjust: impl FnOnce(&mut GeminiConfig)) -> GeminiClient {
    let mut config = GeminiConfig {
        base_url: stand_in.base_url(),
        request_timeout: Duration::from_secs(20),
        ..GeminiConfig::default()
    };
    config.file_poll.first_delay = Duration::from_millis(10);
    config.file_poll.max_delay = Duration::from_millis(40);
    config.file_poll.max_wait = Duration::from_secs(10);
    adjust(&mut config);
    GeminiClient::new(config).expect("the client could not be built")
}

/// A client that sends every image through the Files API.
pub fn files_client(stand_in: &StandIn) -> GeminiClient {
    client(stand_in, |config| config.inline_limit = 1024)
}

pub fn key(text: &str) -> SecretString {
    SecretString::from(text)
}

/// A fixture image from `tests/fixtures/images/`, as the client takes it.
pub fn fixture(name: &str) -> Bytes {
    Bytes::from(testkit::scenario::fixture(name))
}

/// The landscape PNG, an orbit in film-noir look, with notes.
pub fn landscape_request() -> GenerationRequest {
    GenerationRequest {
        image: fixture("landscape.png"),
        mime_type: "image/png".into(),
        camera_style: CameraStyle::Orbit,
        film_effect: FilmEffect::Noir,
        notes: Some(NOTES.into()),
    }
}

/// Collects a whole stream: the prompt events, then the final result.
pub async fn collect_stream(
    client: &GeminiClient,
    key_text: &str,
    request: GenerationRequest,
) -> (
    Vec<String>,
    Result<videoprompt::gemini::Generation, GeminiError>,
) {
    let mut stream = Box::pin(client.generate_stream(key(key_text), request));
    let mut prompts = Vec::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(StreamEvent::Prompt(prompt)) => prompts.push(prompt),
            Ok(StreamEvent::Done(generation)) => return (prompts, Ok(generation)),
            Err(err) => return (prompts, Err(err)),
        }
    }
    panic!("the stream ended without a result or an error");
}

/// The recorded requests whose path ends with `suffix` (`:generateContent`, `/files`).
pub fn requests_to(stand_in: &StandIn, suffix: &str) -> Vec<RecordedRequest> {
    stand_in
        .requests()
        .into_iter()
        .filter(|request| request.path.ends_with(suffix))
        .collect()
}
