//! Shared set-up: a stand-in on a random port, a client pointed at it, the fixture images.

use std::{path::PathBuf, time::Duration};

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

/// A fixture image from `tests/fixtures/` (copied from the shared fixtures).
pub fn fixture(name: &str) -> Bytes {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Bytes::from(std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display())))
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

/// Waits (bounded) until the stand-in holds no files: deletion after a dropped stream happens
/// on a spawned task.
pub async fn until_no_files(stand_in: &StandIn) -> usize {
    for _ in 0..200 {
        if stand_in.files_held() == 0 {
            return 0;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    stand_in.files_held()
}

/// Whether VIDEOPROMPT_REQUIRE_ALL_SUITES=1 (CI): a suite that cannot run must fail.
pub fn require_all_suites() -> bool {
    std::env::var("VIDEOPROMPT_REQUIRE_ALL_SUITES").is_ok_and(|value| value == "1")
}

/// Tells the person running the tests that a suite was skipped, on stderr where it is seen.
pub fn announce_skip(suite: &str, reason: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED: the {suite} suite did not run: {reason}\n"
    );
}
