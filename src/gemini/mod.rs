//! Google Gemini: the client the server uses (`client`), what it asks (`prompt`), the wire
//! format (`wire`), streamed answers (`stream`), typed failures (`error`), and a local stand-in
//! that speaks the same wire format for tests and offline demos (`stand_in`).

pub mod client;
pub mod error;
pub mod prompt;
pub mod stand_in;
pub mod stream;
pub mod wire;

pub use client::{
    FilePollPolicy, GeminiClient, GeminiConfig, Generation, GenerationRequest, PromptDetails,
    StreamEvent,
};
pub use error::GeminiError;
pub use stand_in::{StandIn, StandInConfig};
