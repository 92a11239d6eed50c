//! Every fault the stand-in offers, through the client's one-request path: each becomes the
//! right typed error, failure code, retry decision and retry delay — and none shows the key.

use std::time::Duration;

use videoprompt::domain::failure_code::FailureCode;
use videoprompt::gemini::GeminiError;

use crate::helpers::*;

/// Generates once with `key_text` and returns the error.
async fn fail_with(key_text: &str) -> GeminiError {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});
    let err = client
        .generate(&key(key_text), &landscape_request())
        .await
        .expect_err("the fault makes the call fail");
    assert_no_key(&err, key_text);
    err
}

/// The key never appears in an error's message or debug output.
fn assert_no_key(err: &GeminiError, key_text: &str) {
    assert!(!err.to_string().contains(key_text), "{err}");
    assert!(!format!("{err:?}").contains(key_text), "{err:?}");
}

/// 429 with RetryInfo "1s": GEMINI_QUOTA, retryable after 1 s; the next call succeeds.
#[tokio::test]
async fn a_rate_limit_is_quota_with_the_servers_delay_then_passes() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});
    let key = key("fault:rate-limit");

    let err = client
        .generate(&key, &landscape_request())
        .await
        .expect_err("429");
    assert!(matches!(err, GeminiError::Quota { .. }), "{err:?}");
    assert_eq!(err.failure_code(), FailureCode::GeminiQuota);
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));

    client
        .generate(&key, &landscape_request())
        .await
        .expect("the second call passes");
}

/// `fault:rate-limit:2` fails twice, counted per key: another key is not affected.
#[tokio::test]
async fn counted_faults_fail_n_times_per_key() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});
    let faulty = key("fault:rate-limit:2");

    assert!(
        client
            .generate(&faulty, &landscape_request())
            .await
            .is_err()
    );
    client
        .generate(&key(KEY), &landscape_request())
        .await
        .expect("another key passes");
    assert!(
        client
            .generate(&faulty, &landscape_request())
            .await
            .is_err()
    );
    client
        .generate(&faulty, &landscape_request())
        .await
        .expect("the third call passes");
}

#[tokio::test]
async fn unavailable_is_retryable_gemini_unavailable() {
    let err = fail_with("fault:unavailable").await;
    assert!(
        matches!(err, GeminiError::Unavailable { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(err.failure_code(), FailureCode::GeminiUnavailable);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_internal_error_is_retryable_gemini_unavailable() {
    let err = fail_with("fault:internal:3").await;
    assert!(
        matches!(err, GeminiError::Unavailable { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(err.failure_code(), FailureCode::GeminiUnavailable);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_504_is_a_retryable_timeout() {
    let err = fail_with("fault:timeout").await;
    assert_eq!(err.failure_code(), FailureCode::Timeout);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_invalid_key_is_gemini_auth_and_final() {
    let err = fail_with("fault:invalid-key").await;
    assert!(matches!(err, GeminiError::Auth { .. }), "{err:?}");
    assert_eq!(err.failure_code(), FailureCode::GeminiAuth);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_invalid_key_is_refused_on_the_files_api_too() {
    let stand_in = stand_in().await;
    let client = files_client(&stand_in);
    let err = client
        .generate(&key("fault:invalid-key"), &landscape_request())
        .await
        .expect_err("refused");
    assert_eq!(err.failure_code(), FailureCode::GeminiAuth);
    assert_eq!(stand_in.files_held(), 0);
}

#[tokio::test]
async fn a_blocked_prompt_is_gemini_blocked() {
    let err = fail_with("fault:blocked").await;
    assert!(matches!(err, GeminiError::Blocked { .. }), "{err:?}");
    assert!(err.to_string().contains("SAFETY"));
    assert_eq!(err.failure_code(), FailureCode::GeminiBlocked);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn text_that_is_not_the_json_asked_for_is_bad_output() {
    let err = fail_with("fault:malformed").await;
    assert_eq!(err.failure_code(), FailureCode::GeminiBadOutput);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_answer_that_breaks_off_is_a_retryable_failure() {
    let err = fail_with("fault:stream-drop").await;
    assert!(
        matches!(err, GeminiError::Unavailable { status: 0, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

/// `fault:slow`: a slow answer still arrives within the timeout…
#[tokio::test]
async fn a_slow_answer_within_the_timeout_succeeds() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});
    client
        .generate(&key("fault:slow:100"), &landscape_request())
        .await
        .expect("slow but in time");
}

/// …and one slower than the client's timeout is a retryable TIMEOUT.
#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_a_timeout() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |config| {
        config.request_timeout = Duration::from_millis(200)
    });

    let err = client
        .generate(&key("fault:slow:30000"), &landscape_request())
        .await
        .expect_err("times out");

    assert!(matches!(err, GeminiError::Timeout { .. }), "{err:?}");
    assert_eq!(err.failure_code(), FailureCode::Timeout);
    assert!(err.is_retryable());
}

/// Nothing listening: a retryable unavailability, without the URL or key in the message.
#[tokio::test]
async fn an_unreachable_service_is_retryable() {
    let stand_in = stand_in().await;
    let base_url = stand_in.base_url();
    stand_in.shutdown().await;
    let client = videoprompt::gemini::GeminiClient::new(videoprompt::gemini::GeminiConfig {
        base_url,
        ..Default::default()
    })
    .expect("client");

    let err = client
        .generate(&key(KEY), &landscape_request())
        .await
        .expect_err("nothing listens");

    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(err.failure_code(), FailureCode::GeminiUnavailable);
    assert_no_key(&err, KEY);
}

/// A client's Debug output never shows a key (it holds none; keys travel per call).
#[tokio::test]
async fn the_client_debug_output_has_no_key() {
    let stand_in = stand_in().await;
    let client = client(&stand_in, |_| {});
    let _ = client.generate(&key(KEY), &landscape_request()).await;
    assert!(!format!("{client:?}").contains(KEY));
}
