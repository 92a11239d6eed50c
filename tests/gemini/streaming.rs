//! Streaming (`:streamGenerateContent?alt=sse`): the prompt grows event by event, then the
//! whole answer arrives; a stream that breaks off, is blocked or malformed is typed.

use videoprompt::domain::failure_code::FailureCode;
use videoprompt::gemini::GeminiError;

use crate::helpers::*;

fn assert_grows(prompts: &[String]) {
    assert!(prompts.len() >= 2, "several prompt events: {prompts:?}");
    for pair in prompts.windows(2) {
        assert!(
            pair[1].starts_with(&pair[0]) && pair[1].len() > pair[0].len(),
            "each event extends the one before: {pair:?}"
        );
    }
}

/// Several growing prompt events, then the whole answer, equal to the last prompt event.
#[tokio::test]
async fn a_stream_yields_a_growing_prompt_then_the_whole_answer() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});

    let (prompts, result) = collect_stream(&client, KEY, landscape_request()).await;

    let generation = result.expect("generation");
    assert_grows(&prompts);
    assert_eq!(prompts.last(), Some(&generation.prompt));
    // The prompt holds escaped quotes and umlauts: decoded the same as the full parse.
    assert!(generation.prompt.contains("\"Film noir\"") && generation.prompt.contains("ä"));
    assert_eq!(
        generation.details.camera,
        "Kamera: Kreisfahrt um das Motiv."
    );
    assert_eq!(
        generation.model_version.as_deref(),
        Some("gemini-3.8-flash")
    );
    assert!(generation.output_tokens.is_some_and(|n| n > 0));
    let requests = requests_to(&stand_in, ":streamGenerateContent");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].query.as_deref(), Some("alt=sse"));
    assert_eq!(requests[0].header("x-goog-api-key"), Some(KEY));
}

/// `fault:slow`: the chunks are spread over time; the result is the same.
#[tokio::test]
async fn a_slow_stream_still_arrives_whole() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});

    let (prompts, result) = collect_stream(&client, "fault:slow:150", landscape_request()).await;

    let generation = result.expect("generation");
    assert_grows(&prompts);
    assert_eq!(prompts.last(), Some(&generation.prompt));
}

/// A paced stand-in (`serve --demo`) cuts a stream finer, so the prompt visibly grows word by
/// word; the answer is the one an unpaced stream gives.
#[tokio::test]
async fn a_paced_stream_grows_in_small_steps_to_the_same_answer() {
    let paced = stand_in_with(videoprompt::gemini::StandInConfig {
        stream_duration: std::time::Duration::from_millis(150),
        ..videoprompt::gemini::StandInConfig::default()
    })
    .await;
    let (prompts, result) = collect_stream(&client(&paced, |_| {}), KEY, landscape_request()).await;
    let generation = result.expect("generation");
    assert_grows(&prompts);
    assert!(prompts.len() >= 10, "many small steps: {}", prompts.len());

    let unpaced = stand_in().await;
    let (few, same) = collect_stream(&client(&unpaced, |_| {}), KEY, landscape_request()).await;
    assert!(few.len() < prompts.len());
    assert_eq!(same.expect("generation").prompt, generation.prompt);
}

/// `fault:stream-drop`: a retryable failure, after some of the prompt arrived.
#[tokio::test]
async fn a_stream_that_breaks_off_is_a_retryable_failure() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});

    let (prompts, result) = collect_stream(&client, "fault:stream-drop", landscape_request()).await;

    let err = result.expect_err("the stream breaks off");
    assert!(
        matches!(err, GeminiError::Unavailable { status: 0, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(err.failure_code(), FailureCode::GeminiUnavailable);
    assert!(
        !prompts.is_empty(),
        "part of the prompt arrived before the break"
    );
}

/// A blocked prompt in a stream: GEMINI_BLOCKED, not a dropped stream.
#[tokio::test]
async fn a_blocked_stream_is_reported_blocked() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});

    let (prompts, result) = collect_stream(&client, "fault:blocked", landscape_request()).await;

    let err = result.expect_err("blocked");
    assert_eq!(err.failure_code(), FailureCode::GeminiBlocked);
    assert!(!err.is_retryable());
    assert!(prompts.is_empty());
}

/// Text that is not the JSON asked for: GEMINI_BAD_OUTPUT, and no prompt events.
#[tokio::test]
async fn a_malformed_stream_is_bad_output() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});

    let (prompts, result) = collect_stream(&client, "fault:malformed", landscape_request()).await;

    let err = result.expect_err("malformed");
    assert_eq!(err.failure_code(), FailureCode::GeminiBadOutput);
    assert!(prompts.is_empty());
}

/// An error before the stream starts is typed like any other (429 with its retry delay).
#[tokio::test]
async fn a_rate_limited_stream_carries_the_retry_delay() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});

    let (_, result) = collect_stream(&client, "fault:rate-limit", landscape_request()).await;
    let err = result.expect_err("429");
    assert_eq!(err.failure_code(), FailureCode::GeminiQuota);
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(1)));

    let (_, again) = collect_stream(&client, "fault:rate-limit", landscape_request()).await;
    assert!(again.is_ok(), "the second try succeeds: {again:?}");
}
