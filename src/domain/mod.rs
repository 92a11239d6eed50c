//! Domain vocabulary shared by the API, the services and the Gemini prompt.

pub mod failure_code;
pub mod styles;
