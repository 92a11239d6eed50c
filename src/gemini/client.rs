//! `GeminiClient`: turns one image and the user's choices into a German video prompt, whole
//! (`generate`) or streamed (`generate_stream`), and sends its HTTP requests.
//!
//! Small images travel inline (one request, body built in `request`). Larger ones go through
//! the Files API first (`files`: upload, wait until ACTIVE, delete afterwards). The answer is
//! read in `answer`.
//!
//! The client itself and how it sends a request are in `transport`, which both this file and
//! `files` build on.

use futures_util::Stream;
use reqwest::header::CONTENT_TYPE;
use secrecy::SecretString;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::{
    answer::{Generation, StreamEvent, StreamState, interpret},
    error::GeminiError,
    files::UploadedFile,
    request::{GenerationRequest, serialise},
    stream::SseDecoder,
    transport::{API_KEY_HEADER, GeminiClient, key_header, send},
    wire::{GenerateContentRequest, GenerateContentResponse, Part},
};

impl GeminiClient {
    /// Generates the prompt in one request and waits for the whole answer.
    #[tracing::instrument(skip_all, fields(model = %self.config.model, bytes = request.image.len()))]
    pub async fn generate(
        &self,
        key: &SecretString,
        request: &GenerationRequest,
    ) -> Result<Generation, GeminiError> {
        let (image, file) = self.image_part(key, request).await?;
        let result = self.generate_content(key, request.body(image)).await;
        if let Some(file) = file {
            file.delete().await;
        }
        result
    }

    /// Generates the prompt as a stream: the growing prompt text, then the whole answer.
    ///
    /// The work runs on its own task; dropping the stream stops it (and still deletes an
    /// uploaded file).
    pub fn generate_stream(
        &self,
        key: SecretString,
        request: GenerationRequest,
    ) -> impl Stream<Item = Result<StreamEvent, GeminiError>> + Send + 'static {
        let (tx, rx) = mpsc::channel(16);
        let client = self.clone();
        tokio::spawn(async move {
            let outcome = client.run_stream(&key, &request, &tx).await;
            let last = match outcome {
                Ok(Some(generation)) => Ok(StreamEvent::Done(generation)),
                Ok(None) => return, // nobody is listening any more
                Err(err) => Err(err),
            };
            let _ = tx.send(last).await;
        });
        ReceiverStream::new(rx)
    }

    async fn run_stream(
        &self,
        key: &SecretString,
        request: &GenerationRequest,
        tx: &mpsc::Sender<Result<StreamEvent, GeminiError>>,
    ) -> Result<Option<Generation>, GeminiError> {
        let (image, file) = self.image_part(key, request).await?;
        let result = self.stream_content(key, request.body(image), tx).await;
        if let Some(file) = file {
            file.delete().await;
        }
        result
    }

    /// The image as a part: inline, or uploaded (then the file comes back to be deleted).
    async fn image_part(
        &self,
        key: &SecretString,
        request: &GenerationRequest,
    ) -> Result<(Part, Option<UploadedFile>), GeminiError> {
        if request.image.len() <= self.config.inline_limit {
            return Ok((request.inline_part(), None));
        }
        let (file, uploaded) = self.upload(key, request).await?;
        Ok((request.file_part(file), Some(uploaded)))
    }

    async fn generate_content(
        &self,
        key: &SecretString,
        body: GenerateContentRequest,
    ) -> Result<Generation, GeminiError> {
        let request = self
            .http
            .post(self.model_url("generateContent"))
            .header(API_KEY_HEADER, key_header(key)?)
            .header(CONTENT_TYPE, "application/json")
            .body(serialise(body).await?);
        let bytes = send(request)
            .await?
            .bytes()
            .await
            .map_err(|err| GeminiError::from_transport(&err))?;
        let response: GenerateContentResponse =
            serde_json::from_slice(&bytes).map_err(|err| GeminiError::BadOutput {
                reason: format!("the response was not a GenerateContentResponse: {err}"),
            })?;
        interpret(&response.text(), &response, response.finish_reason())
    }

    /// Reads an SSE answer, sending the growing prompt; `None` when the receiver went away.
    async fn stream_content(
        &self,
        key: &SecretString,
        body: GenerateContentRequest,
        tx: &mpsc::Sender<Result<StreamEvent, GeminiError>>,
    ) -> Result<Option<Generation>, GeminiError> {
        let request = self
            .http
            .post(format!(
                "{}?alt=sse",
                self.model_url("streamGenerateContent")
            ))
            .header(API_KEY_HEADER, key_header(key)?)
            .header(CONTENT_TYPE, "application/json")
            .body(serialise(body).await?);
        let mut response = send(request).await?;
        let mut decoder = SseDecoder::new();
        let mut state = StreamState::default();
        loop {
            // Stop at once when the caller drops the stream, not only at the next event.
            let chunk = tokio::select! {
                chunk = response.chunk() => chunk.map_err(|err| GeminiError::from_transport(&err))?,
                () = tx.closed() => return Ok(None),
            };
            let events = match &chunk {
                Some(bytes) => decoder.push(bytes),
                None => decoder.finish().into_iter().collect(),
            };
            for data in events {
                if let Some(prompt) = state.apply(&data)?
                    && tx.send(Ok(StreamEvent::Prompt(prompt))).await.is_err()
                {
                    return Ok(None);
                }
            }
            if chunk.is_none() {
                break;
            }
        }
        state.finish().map(Some)
    }

    fn model_url(&self, method: &str) -> String {
        format!(
            "{}/{}/models/{}:{method}",
            self.base(),
            self.config.api_version,
            self.config.model
        )
    }
}
