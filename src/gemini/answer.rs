//! Reading Gemini's answer: a whole `GenerateContentResponse` or a stream of them turned into a
//! `Generation` (the prompt, its details, the model and token usage), or into the reason it is
//! not one (blocked by `blockReason` or a blocking `finishReason`, not the JSON asked for, a
//! stream that broke off).

use serde::{Deserialize, Serialize};

use super::{error::GeminiError, stream::PromptExtractor, wire::GenerateContentResponse};

/// Finish reasons that mean the answer was withheld for safety or policy reasons.
const BLOCKING_FINISH_REASONS: [&str; 9] = [
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "LANGUAGE",
];

/// A finished generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub prompt: String,
    pub details: PromptDetails,
    /// `modelVersion`: the model that actually answered.
    pub model_version: Option<String>,
    pub prompt_tokens: Option<u32>,
    pub output_tokens: Option<u32>,
    pub finish_reason: Option<String>,
}

/// The answer's fields besides the prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptDetails {
    pub scene: String,
    pub camera: String,
    pub lighting: String,
    pub mood: String,
    pub effects: String,
}

/// What a streamed generation yields.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// The prompt text so far; each event is longer than the one before.
    Prompt(String),
    /// The whole answer; the last event.
    Done(Generation),
}

/// The JSON answer the schema asks for.
#[derive(Deserialize)]
struct Output {
    prompt: String,
    #[serde(flatten)]
    details: PromptDetails,
}

/// What a stream has delivered so far.
#[derive(Default)]
pub(super) struct StreamState {
    text: String,
    extractor: PromptExtractor,
    last: GenerateContentResponse,
    finish_reason: Option<String>,
}

impl StreamState {
    /// Applies one event; returns the prompt so far when it grew.
    pub(super) fn apply(&mut self, data: &str) -> Result<Option<String>, GeminiError> {
        let event: GenerateContentResponse =
            serde_json::from_str(data).map_err(|err| GeminiError::BadOutput {
                reason: format!("a stream event was not a GenerateContentResponse: {err}"),
            })?;
        if let Some(status) = &event.error {
            let code = u16::try_from(status.code).unwrap_or(500);
            return Err(GeminiError::from_status(code, status));
        }
        if let Some(reason) = event
            .prompt_feedback
            .as_ref()
            .and_then(|feedback| feedback.block_reason.as_deref())
        {
            return Err(GeminiError::Blocked {
                reason: format!("blockReason {reason}"),
            });
        }
        let piece = event.text();
        if let Some(reason) = event.finish_reason() {
            self.finish_reason = Some(reason.to_owned());
        }
        // Usage is cumulative and the model version repeated: the last event's count.
        self.last.usage_metadata = event.usage_metadata.or(self.last.usage_metadata);
        self.last.model_version = event.model_version.or(self.last.model_version.take());
        if !event.candidates.is_empty() {
            self.last.candidates = event.candidates;
        }
        self.text.push_str(&piece);
        Ok(self
            .extractor
            .push(&piece)
            .then(|| self.extractor.prompt().to_owned()))
    }

    pub(super) fn finish(self) -> Result<Generation, GeminiError> {
        let Some(reason) = self.finish_reason.clone() else {
            return Err(GeminiError::Unavailable {
                status: 0,
                message: "the stream ended before the answer was complete".into(),
                retry_after: None,
            });
        };
        interpret(&self.text, &self.last, Some(&reason))
    }
}

/// Turns a complete answer into a `Generation`, or the reason it is not one.
pub(super) fn interpret(
    text: &str,
    response: &GenerateContentResponse,
    finish_reason: Option<&str>,
) -> Result<Generation, GeminiError> {
    if let Some(reason) = response
        .prompt_feedback
        .as_ref()
        .and_then(|feedback| feedback.block_reason.as_deref())
    {
        return Err(GeminiError::Blocked {
            reason: format!("blockReason {reason}"),
        });
    }
    if response.candidates.is_empty() {
        return Err(GeminiError::BadOutput {
            reason: "the answer had no candidates".into(),
        });
    }
    if let Some(reason) = finish_reason.filter(|r| BLOCKING_FINISH_REASONS.contains(r)) {
        return Err(GeminiError::Blocked {
            reason: format!("finishReason {reason}"),
        });
    }
    let output: Output = serde_json::from_str(text).map_err(|err| GeminiError::BadOutput {
        reason: format!(
            "{err} (finishReason {})",
            finish_reason.unwrap_or("missing")
        ),
    })?;
    if output.prompt.trim().is_empty() {
        return Err(GeminiError::BadOutput {
            reason: "the prompt was empty".into(),
        });
    }
    let usage = response.usage_metadata.unwrap_or_default();
    Ok(Generation {
        prompt: output.prompt,
        details: output.details,
        model_version: response.model_version.clone(),
        prompt_tokens: usage.prompt_token_count,
        output_tokens: usage.candidates_token_count,
        finish_reason: finish_reason.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::failure_code::FailureCode;

    fn event(text: &str, finish: Option<&str>) -> String {
        serde_json::json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": finish, "index": 0}],
            "usageMetadata": {"promptTokenCount": 300, "candidatesTokenCount": 7, "totalTokenCount": 307},
            "modelVersion": "gemini-3.8-flash"
        })
        .to_string()
    }

    #[test]
    fn stream_events_build_the_answer_and_the_growing_prompt() {
        let mut state = StreamState::default();
        assert_eq!(
            state.apply(&event("{\"prompt\": \"Ein ", None)).ok(),
            Some(Some("Ein ".into()))
        );
        assert_eq!(
            state
                .apply(&event("Karren\", \"scene\": \"s\", ", None))
                .ok(),
            Some(Some("Ein Karren".into()))
        );
        let rest = "\"camera\": \"c\", \"lighting\": \"l\", \"mood\": \"m\", \"effects\": \"e\"}";
        assert_eq!(state.apply(&event(rest, Some("STOP"))).ok(), Some(None));
        let generation = state.finish().expect("complete");
        assert_eq!(generation.prompt, "Ein Karren");
        assert_eq!(generation.details.effects, "e");
        assert_eq!(generation.prompt_tokens, Some(300));
        assert_eq!(generation.output_tokens, Some(7));
    }

    #[test]
    fn an_error_inside_a_stream_is_typed() {
        let mut state = StreamState::default();
        let error = r#"{"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}"#;
        let err = state.apply(error).expect_err("an error event");
        assert!(
            matches!(err, GeminiError::Unavailable { status: 503, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_stream_without_a_finish_reason_broke_off() {
        let mut state = StreamState::default();
        let _ = state.apply(&event("{\"prompt\": \"Ein", None));
        let err = state.finish().expect_err("incomplete");
        assert!(err.is_retryable());
    }

    #[test]
    fn a_finish_reason_of_safety_is_blocked() {
        let mut state = StreamState::default();
        let _ = state.apply(&event("", Some("SAFETY")));
        let err = state.finish().expect_err("blocked");
        assert_eq!(err.failure_code(), FailureCode::GeminiBlocked);
    }
}
