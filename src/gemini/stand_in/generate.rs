//! `models/{model}:generateContent` and `:streamGenerateContent` (`?alt=sse`, or without it a
//! JSON array): checks the key, the request and its images, applies the key's fault, and
//! answers with the German JSON from `answer`, whole or in several chunks.

use std::{sync::Arc, time::Duration};

use axum::{body::Body, http::StatusCode, response::Response};
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::{
    App, Incoming,
    answer::Reflection,
    errors::ApiError,
    faults::{Fault, StatusFault},
    files::random_id,
    json_ok,
    request::{self, ImageRef, Parsed},
    require_key,
};
use crate::gemini::wire::{
    Candidate, Content, GenerateContentResponse, Part, PromptFeedback, SafetyRating, UsageMetadata,
    file_state,
};

/// How many chunks a streamed answer is cut into.
const STREAM_CHUNKS: usize = 5;
/// How many when the stand-in paces its streams (`stream_duration`): a few words each.
const PACED_STREAM_CHUNKS: usize = 30;
/// What the service counts for one image (a 258-token tile).
const TOKENS_PER_IMAGE: u32 = 258;

/// A request that passed every check.
struct Accepted {
    fault: Fault,
    model: String,
    parsed: Parsed,
    reflection: Reflection,
}

pub(crate) async fn generate(
    app: &Arc<App>,
    incoming: &Incoming,
    model: &str,
    stream: bool,
) -> Response {
    let accepted = match accept(app, incoming, model) {
        Ok(accepted) => accepted,
        Err(err) => return err.into_response(),
    };
    let paced = stream && !app.config.stream_duration.is_zero() && accepted.fault == Fault::None;
    let chunks = match (stream, paced) {
        (false, _) => 1,
        (true, false) => STREAM_CHUNKS,
        (true, true) => PACED_STREAM_CHUNKS,
    };
    let events = answer_events(&accepted, chunks);
    if !stream {
        if let Fault::Slow(duration) = accepted.fault {
            tokio::time::sleep(duration).await;
        }
        let Some(event) = events.into_iter().next() else {
            return ApiError::internal().into_response();
        };
        if accepted.fault == Fault::StreamDrop {
            // The answer breaks off halfway through its JSON.
            let body = serde_json::to_vec(&event).unwrap_or_default();
            let half = Bytes::copy_from_slice(&body[..body.len() / 2]);
            return body_response(
                app,
                "application/json; charset=UTF-8",
                vec![half],
                true,
                None,
            );
        }
        return json_ok(&event);
    }
    let sse = incoming.query_param("alt") == Some("sse");
    let frames: Vec<Bytes> = events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let json = serde_json::to_string(event).unwrap_or_default();
            if sse {
                // One `data: ` line per event and a blank line after it, the last one too.
                Bytes::from(format!("data: {json}\r\n\r\n"))
            } else {
                // Without `alt=sse` the service streams one JSON array.
                let open = if index == 0 { "[" } else { ",\r\n" };
                let close = if index + 1 == events.len() { "]" } else { "" };
                Bytes::from(format!("{open}{json}{close}"))
            }
        })
        .collect();
    let mut frames = frames;
    let dropped = accepted.fault == Fault::StreamDrop;
    if dropped {
        frames.truncate(frames.len().div_ceil(2));
    }
    let spread = |duration: Duration| duration / u32::try_from(events.len()).unwrap_or(1).max(1);
    let pause = match accepted.fault {
        Fault::Slow(duration) => Some(spread(duration)),
        _ if paced => Some(spread(app.config.stream_duration)),
        _ => None,
    };
    let content_type = if sse {
        "text/event-stream"
    } else {
        "application/json; charset=UTF-8"
    };
    body_response(app, content_type, frames, dropped, pause)
}

/// Checks the key, the request and its images; takes the key's counted fault, if any.
fn accept(app: &App, incoming: &Incoming, model: &str) -> Result<Accepted, ApiError> {
    let key = require_key(incoming)?;
    let parsed = request::parse(incoming.json.as_ref())?;
    let mut image_types = Vec::new();
    {
        let store = app.files();
        for image in &parsed.images {
            match image {
                ImageRef::Inline { mime_type, .. } => image_types.push(mime_type.clone()),
                ImageRef::File { id } => {
                    let file = store
                        .owned(&key, id)
                        .ok_or_else(|| ApiError::file_denied(id))?;
                    if file.state(app.config.file_active_delay) != file_state::ACTIVE {
                        return Err(ApiError::file_not_active(id));
                    }
                    image_types.push(file.mime_type().to_owned());
                }
            }
        }
    }
    if let Some(kind) = app.faults().take_status_fault(&key) {
        return Err(match kind {
            StatusFault::RateLimit => ApiError::rate_limited(model),
            StatusFault::Unavailable => ApiError::unavailable(),
            StatusFault::Internal => ApiError::internal(),
            StatusFault::Timeout => ApiError::deadline_exceeded(),
        });
    }
    let reflection = Reflection::of(&parsed, image_types);
    Ok(Accepted {
        fault: Fault::from_key(&key),
        model: model.to_owned(),
        parsed,
        reflection,
    })
}

/// The answer as `chunks` responses: text deltas, cumulative usage, finishReason last.
fn answer_events(accepted: &Accepted, chunks: usize) -> Vec<GenerateContentResponse> {
    let prompt_tokens = TOKENS_PER_IMAGE
        * u32::try_from(accepted.reflection.images.len()).unwrap_or(1)
        + tokens(&accepted.parsed.user_text);
    let response_id = random_id(23);
    let base = GenerateContentResponse {
        model_version: Some(accepted.model.clone()),
        response_id: Some(response_id),
        ..GenerateContentResponse::default()
    };
    if accepted.fault == Fault::Blocked {
        return vec![GenerateContentResponse {
            prompt_feedback: Some(PromptFeedback {
                block_reason: Some("SAFETY".into()),
                safety_ratings: vec![SafetyRating {
                    category: "HARM_CATEGORY_DANGEROUS_CONTENT".into(),
                    probability: "HIGH".into(),
                    blocked: Some(true),
                }],
            }),
            usage_metadata: Some(UsageMetadata {
                prompt_token_count: Some(prompt_tokens),
                total_token_count: Some(prompt_tokens),
                ..UsageMetadata::default()
            }),
            ..base
        }];
    }
    let text = if accepted.fault == Fault::Malformed {
        accepted.reflection.malformed()
    } else {
        accepted.reflection.answer(&accepted.parsed)
    };
    let pieces = split(&text, chunks);
    let count = pieces.len();
    let mut sent = String::new();
    pieces
        .into_iter()
        .enumerate()
        .map(|(index, piece)| {
            sent.push_str(&piece);
            let output_tokens = tokens(&sent);
            let last = index + 1 == count;
            GenerateContentResponse {
                candidates: vec![Candidate {
                    content: Some(Content {
                        role: Some("model".into()),
                        parts: vec![Part::text(piece)],
                    }),
                    finish_reason: last.then(|| "STOP".to_owned()),
                    index: Some(0),
                    safety_ratings: Vec::new(),
                }],
                usage_metadata: Some(UsageMetadata {
                    prompt_token_count: Some(prompt_tokens),
                    candidates_token_count: Some(output_tokens),
                    thoughts_token_count: None,
                    total_token_count: Some(prompt_tokens + output_tokens),
                }),
                ..base.clone()
            }
        })
        .collect()
}

/// Cuts text into at most `n` pieces of about equal length, on character boundaries.
fn split(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(n.max(1)).max(1);
    let pieces: Vec<String> = chars.chunks(size).map(|c| c.iter().collect()).collect();
    if pieces.is_empty() {
        vec![String::new()]
    } else {
        pieces
    }
}

/// A rough token count: four characters a token.
fn tokens(text: &str) -> u32 {
    u32::try_from(text.chars().count().div_ceil(4)).unwrap_or(u32::MAX)
}

/// A 200 whose body is sent frame by frame (pausing between frames when asked), and broken
/// off — the connection dropped without a proper end — when `drop_after` is set. A client
/// that goes away before the end is counted (`StandIn::abandoned_streams`).
fn body_response(
    app: &Arc<App>,
    content_type: &str,
    frames: Vec<Bytes>,
    drop_after: bool,
    pause: Option<Duration>,
) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(frames.len().max(1) + 1);
    let app = app.clone();
    tokio::spawn(async move {
        let abandoned = || {
            app.abandoned_streams
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        for frame in frames {
            if let Some(pause) = pause {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = tx.closed() => return abandoned(),
                }
            }
            if tx.send(Ok(frame)).await.is_err() {
                return abandoned();
            }
        }
        if drop_after {
            // Let the frames already sent reach the client before the connection breaks.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = tx
                .send(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "fault:stream-drop",
                )))
                .await;
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", content_type)
        .body(Body::from_stream(ReceiverStream::new(rx)))
        .unwrap_or_default()
}
