//! Google Gemini: the client the server uses (`transport`: the client and how it sends;
//! `client`: the generation calls; its settings in `config`, the request
//! body in `request`, the Files API in `files`, reading answers in `answer`), what it asks
//! (`prompt`), the wire format (`wire`), streamed answers (`stream`), typed failures (`error`),
//! and a local stand-in that speaks the same wire format for tests and offline demos
//! (`stand_in`).

mod answer;
pub mod client;
mod config;
pub mod error;
mod files;
pub mod prompt;
mod request;
pub mod stand_in;
pub mod stream;
mod transport;
pub mod wire;

pub use answer::{Generation, PromptDetails, StreamEvent};
pub use config::{FilePollPolicy, GeminiConfig};
pub use error::GeminiError;
pub use request::GenerationRequest;
pub use stand_in::{StandIn, StandInConfig};
pub use transport::GeminiClient;
