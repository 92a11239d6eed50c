//! What the client sends: `GenerationRequest` (one image and the user's choices) turned into a
//! `generateContent` body, and that body serialised off the runtime.
//!
//! With an inline image the body is large (a 20 MiB image is ~27 MB of base64 JSON, tens of
//! milliseconds of CPU), so `serialise` runs on tokio's blocking pool: on a runtime worker it
//! would stall every other task on that worker (GraphQL requests, subscriptions, other
//! generations) for as long. The image bytes are not copied on the way: the `Bytes` are shared
//! into the body, encoded once straight into the output buffer, and that buffer becomes the
//! HTTP body as it is.

use bytes::Bytes;

use super::{
    error::GeminiError,
    prompt,
    wire::{
        Base64Bytes, Blob, Content, File, FileData, GenerateContentRequest, GenerationConfig, Part,
    },
};
use crate::domain::styles::{CameraStyle, FilmEffect};

/// One image and what the user chose for it.
#[derive(Debug, Clone)]
pub struct GenerationRequest {
    /// The image bytes (`Bytes`, so the upload and retries share them without copying).
    pub image: Bytes,
    /// The image's sniffed MIME type (`image/png`, `image/jpeg`, `image/webp`, `image/heic`).
    pub mime_type: String,
    pub camera_style: CameraStyle,
    pub film_effect: FilmEffect,
    pub notes: Option<String>,
}

impl GenerationRequest {
    /// The image as an inline part (shares the bytes; base64 is written only when serialised).
    pub(super) fn inline_part(&self) -> Part {
        Part {
            inline_data: Some(Blob {
                mime_type: self.mime_type.clone(),
                data: Base64Bytes(self.image.clone()),
            }),
            ..Part::default()
        }
    }

    /// The image as a reference to its uploaded, ACTIVE file.
    pub(super) fn file_part(&self, file: File) -> Part {
        Part {
            file_data: Some(FileData {
                mime_type: Some(file.mime_type.unwrap_or_else(|| self.mime_type.clone())),
                file_uri: file.uri,
            }),
            ..Part::default()
        }
    }

    /// The `generateContent` body: the image part, the German message, the system
    /// instruction and the answer's schema.
    pub(super) fn body(&self, image: Part) -> GenerateContentRequest {
        let message =
            prompt::user_message(self.camera_style, self.film_effect, self.notes.as_deref());
        GenerateContentRequest {
            // Image first, then the text: Google's advice for single-image prompts.
            contents: vec![Content {
                role: Some("user".into()),
                parts: vec![image, Part::text(message)],
            }],
            system_instruction: Some(Content {
                role: None,
                parts: vec![Part::text(prompt::system_instruction())],
            }),
            generation_config: Some(GenerationConfig {
                response_mime_type: Some("application/json".into()),
                response_schema: Some(prompt::response_schema()),
                temperature: None,
            }),
        }
    }
}

/// Serialises a body on the blocking pool (see the module doc), into the `Vec` that reqwest
/// then sends as it is (`Body::from(Vec<u8>)` takes the buffer over without copying).
pub(super) async fn serialise(body: GenerateContentRequest) -> Result<Vec<u8>, GeminiError> {
    match tokio::task::spawn_blocking(move || json_body(&body)).await {
        Ok(result) => result,
        // A panic while serialising is a bug: let it surface as it would have in place.
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => Err(serialise_error("the runtime shut down")),
    }
}

/// Serialises a body in one buffer sized up front: with an inline image the body is megabytes,
/// and letting the buffer grow by doubling would copy it several times.
fn json_body(body: &GenerateContentRequest) -> Result<Vec<u8>, GeminiError> {
    let mut buffer = Vec::with_capacity(capacity_for(body));
    serde_json::to_writer(&mut buffer, body).map_err(|err| serialise_error(&err.to_string()))?;
    Ok(buffer)
}

/// The base64 length of the inline images, plus room for the text, the schema and the JSON.
fn capacity_for(body: &GenerateContentRequest) -> usize {
    let inline_bytes: usize = body
        .contents
        .iter()
        .flat_map(|content| &content.parts)
        .filter_map(|part| part.inline_data.as_ref())
        .map(|blob| blob.data.0.len().div_ceil(3) * 4)
        .sum();
    inline_bytes + 16 * 1024
}

fn serialise_error(message: &str) -> GeminiError {
    GeminiError::Rejected {
        status: 0,
        code: "SERIALIZE".into(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(image_len: usize) -> GenerationRequest {
        GenerationRequest {
            image: Bytes::from(vec![0x5a; image_len]),
            mime_type: "image/png".into(),
            camera_style: CameraStyle::Orbit,
            film_effect: FilmEffect::Noir,
            notes: Some("Der Karren \"rollt\"\n".into()),
        }
    }

    #[test]
    fn the_body_is_written_into_one_buffer_that_never_grows() {
        let request = request(1 << 20);
        let body = request.body(request.inline_part());

        let bytes = json_body(&body).expect("serialised");

        assert_eq!(
            bytes.capacity(),
            capacity_for(&body),
            "the buffer was sized up front and did not have to grow"
        );
        assert_eq!(bytes, serde_json::to_vec(&body).expect("plain serde_json"));
    }

    #[tokio::test]
    async fn serialise_gives_the_same_json_as_in_place() {
        let request = request(3000);
        let body = request.body(request.inline_part());
        let expected = serde_json::to_vec(&body).expect("plain serde_json");

        let bytes = serialise(body).await.expect("serialised");

        assert_eq!(bytes, expected);
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(
            value["contents"][0]["parts"][0]["inlineData"]["mimeType"],
            "image/png"
        );
    }
}
